// Package arm64 lowers the kernel descriptions of package kernel to
// Advanced SIMD (NEON) assembly for the Go arm64 assembler.
//
// It is a small emitter in the manner of Avo: a File collects functions,
// each built by calls that append one instruction, label or comment; the
// loops, unrolling and tails of every kernel are written once here and
// driven by the same descriptions as the amd64 backend. Methods take their
// operands in Go assembler order (sources first, destination last).
// Instructions the Go assembler lacks are written as WORD with the Arm
// spelling in a comment; see Word and the Enc functions.
//
// Registers are physical: V0–V31 and the general registers R0–R17 and
// R19–R25 (R18 belongs to the platform, R26–R30 to Go and the linker).
// Vec and GP hand out free ones and Free returns them, so a lowering can
// assign registers from the liveness of the values it computes.
package arm64

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"math/bits"
	"strings"
)

// V is a vector register, V0–V31 (F0–F31 name their low lanes).
type V uint8

// R is a general register.
type R uint8

// S4 is v as four float32 (or int32) lanes.
func (v V) S4() string { return fmt.Sprintf("V%d.S4", v) }

// D2 is v as two 64-bit halves.
func (v V) D2() string { return fmt.Sprintf("V%d.D2", v) }

// B16 is v as sixteen bytes, for the bitwise instructions.
func (v V) B16() string { return fmt.Sprintf("V%d.B16", v) }

// F is v's scalar name, for the FMOV family and scalar arithmetic.
func (v V) F() string { return fmt.Sprintf("F%d", v) }

// Lane is lane i of v as a float32.
func (v V) Lane(i int) string { return fmt.Sprintf("V%d.S[%d]", v, i) }

func (r R) String() string { return fmt.Sprintf("R%d", r) }

func (m Mem) String() string {
	if m.Off == 0 {
		return fmt.Sprintf("(%v)", m.Base)
	}
	return fmt.Sprintf("%d(%v)", m.Off, m.Base)
}

// Mem is the address Off bytes past the general register Base.
type Mem struct {
	Base R
	Off  int
}

// gpAllocatable are the general registers GP hands out: R0–R17, R19–R25.
const gpAllocatable = (1<<18 - 1) | (1<<26-1)&^(1<<19-1)

// errNoRegister is the panic of Vec and GP when every register is taken;
// File.Attempt turns it into a failed attempt.
var errNoRegister = errors.New("arm64: out of registers")

// lineKind says what a line of a function is.
type lineKind int

const (
	lInsn lineKind = iota
	lLabel
	lComment
)

type line struct {
	kind    lineKind
	op      string // mnemonic, label or comment text
	args    string
	comment string // after an instruction
}

// Func is one function of a File.
type Func struct {
	Name     string
	doc      []string
	sig      *signature
	noescape bool
	lines    []line
	vfree    uint32 // free vector registers, bit i for Vi
	gfree    uint32 // free general registers
}

// File collects the functions and constants of one generated .s file.
type File struct {
	funcs    []*Func
	fn       *Func // the function being built
	consts   []uint32
	constIdx map[uint32]int
	laneTail bool // the file uses the lane-tail table
}

// NewFile starts an empty file.
func NewFile() *File { return &File{constIdx: map[uint32]int{}} }

// Function starts a function named name; the calls that follow add to it.
func (f *File) Function(name string) {
	f.fn = &Func{Name: name, vfree: ^uint32(0), gfree: gpAllocatable}
	f.funcs = append(f.funcs, f.fn)
}

// Doc sets the doc comment of the function's Go declaration.
func (f *File) Doc(lines ...string) { f.fn.doc = append(f.fn.doc, lines...) }

// Pragma marks the declaration //go:noescape (the only pragma used).
func (f *File) Pragma(p string) {
	if p != "noescape" {
		panic("arm64: pragma " + p)
	}
	f.fn.noescape = true
}

// SignatureExpr sets the Go signature, for example
// "func(x, y *float32, n int) float32".
func (f *File) SignatureExpr(expr string) { f.fn.sig = parseSignature(expr) }

// Attempt runs build, which emits one whole function; if it runs out of
// registers the function is dropped and Attempt returns false.
func (f *File) Attempt(build func()) (ok bool) {
	n := len(f.funcs)
	defer func() {
		if r := recover(); r != nil {
			if r != errNoRegister {
				panic(r)
			}
			f.funcs, f.fn = f.funcs[:n], nil
			ok = false
		}
	}()
	build()
	return true
}

// Vec returns a free vector register and marks it used.
func (f *File) Vec() V {
	if f.fn.vfree == 0 {
		panic(errNoRegister)
	}
	v := bits.TrailingZeros32(f.fn.vfree)
	f.fn.vfree &^= 1 << v
	return V(v)
}

// Take marks the vector registers vs used; they must be free.
func (f *File) Take(vs ...V) {
	for _, v := range vs {
		if f.fn.vfree&(1<<v) == 0 {
			panic(fmt.Sprintf("arm64: %s: V%d is taken", f.fn.Name, v))
		}
		f.fn.vfree &^= 1 << v
	}
}

// FreeVec returns vector registers to the free set.
func (f *File) FreeVec(vs ...V) {
	for _, v := range vs {
		if f.fn.vfree&(1<<v) != 0 {
			panic(fmt.Sprintf("arm64: %s: V%d freed twice", f.fn.Name, v))
		}
		f.fn.vfree |= 1 << v
	}
}

// FreeVecs returns the number of free vector registers.
func (f *File) FreeVecs() int { return bits.OnesCount32(f.fn.vfree) }

// GP returns a free general register and marks it used.
func (f *File) GP() R {
	if f.fn.gfree == 0 {
		panic(errNoRegister)
	}
	r := bits.TrailingZeros32(f.fn.gfree)
	f.fn.gfree &^= 1 << r
	return R(r)
}

// FreeGP returns general registers to the free set.
func (f *File) FreeGP(rs ...R) {
	for _, r := range rs {
		f.fn.gfree |= 1 << r
	}
}

// Comment starts a new step of the function with a comment line.
func (f *File) Comment(text string) { f.fn.lines = append(f.fn.lines, line{kind: lComment, op: text}) }

// Commentf is Comment with formatting.
func (f *File) Commentf(format string, a ...any) { f.Comment(fmt.Sprintf(format, a...)) }

// Label places label name here.
func (f *File) Label(name string) { f.fn.lines = append(f.fn.lines, line{kind: lLabel, op: name}) }

// Inst appends an instruction the Go assembler knows.
func (f *File) Inst(op string, args ...string) {
	f.fn.lines = append(f.fn.lines, line{kind: lInsn, op: op, args: strings.Join(args, ", ")})
}

// Emit appends an instruction the Go assembler lacks, as a WORD.
func (f *File) Emit(w Word) {
	f.fn.lines = append(f.fn.lines, line{kind: lInsn, op: "WORD",
		args: fmt.Sprintf("$0x%08x", w.Bits), comment: w.Text})
}

// Param returns the stack operand of the named argument or result.
func (f *File) Param(name string) string {
	for _, p := range f.fn.sig.all() {
		if p.name == name {
			return fmt.Sprintf("%s+%d(FP)", p.name, p.off)
		}
	}
	panic(fmt.Sprintf("arm64: %s has no parameter %s", f.fn.Name, name))
}

// Return is the stack operand of the function's (single) result.
func (f *File) Return() string { return f.Param("ret") }

// Const returns the address of a 16-byte vector with bits in every lane,
// in the file's read-only pool, whose address the general register pool
// holds (see ConstPool).
func (f *File) Const(pool R, bits uint32) Mem {
	i, ok := f.constIdx[bits]
	if !ok {
		i = len(f.consts)
		f.consts = append(f.consts, bits)
		f.constIdx[bits] = i
	}
	return Mem{Base: pool, Off: 16 * i}
}

// ConstPool loads the address of the file's constant pool into a new
// general register.
func (f *File) ConstPool() R {
	r := f.GP()
	f.Inst("MOVD", "$consts<>(SB)", r.String())
	return r
}

// LaneTail loads into a new general register the address of a table of 4
// zero words then 4 all-ones words: the 16 bytes at word t (0 ≤ t ≤ 4) are
// a mask of the last t lanes.
func (f *File) LaneTail() R {
	f.laneTail = true
	r := f.GP()
	f.Inst("MOVD", "$lanetail<>(SB)", r.String())
	return r
}

// param is one argument or result of a signature.
type param struct {
	name, typ string
	off, size int
}

type signature struct {
	args, results []param
	argSize       int // the stack bytes of arguments and results
}

func (s *signature) all() []param { return append(append([]param(nil), s.args...), s.results...) }

// parseSignature lays a Go function type out in the ABI0 frame: each value
// at the next multiple of its size, results from the next multiple of 8.
func parseSignature(expr string) *signature {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		panic(fmt.Sprintf("arm64: signature %q: %v", expr, err))
	}
	ft, ok := e.(*ast.FuncType)
	if !ok {
		panic(fmt.Sprintf("arm64: signature %q is not a function type", expr))
	}
	s := &signature{}
	off := 0
	layout := func(fl *ast.FieldList, unnamed string) []param {
		var out []param
		if fl == nil {
			return nil
		}
		for _, fld := range fl.List {
			typ := types(fld.Type)
			size := map[string]int{"*float32": 8, "int": 8, "float32": 4}[typ]
			if size == 0 {
				panic(fmt.Sprintf("arm64: signature %q: type %s", expr, typ))
			}
			names := fld.Names
			if len(names) == 0 {
				names = []*ast.Ident{{Name: unnamed}}
			}
			for _, n := range names {
				off = (off + size - 1) / size * size
				out = append(out, param{name: n.Name, typ: typ, off: off, size: size})
				off += size
			}
		}
		return out
	}
	s.args = layout(ft.Params, "")
	off = (off + 7) / 8 * 8
	s.results = layout(ft.Results, "ret")
	s.argSize = s.argEnd()
	return s
}

func (s *signature) argEnd() int {
	end := 0
	for _, p := range s.all() {
		end = max(end, p.off+p.size)
	}
	return end
}

func types(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return "*" + types(t.X)
	}
	panic(fmt.Sprintf("arm64: unsupported parameter type %T", e))
}

// goDecl is the function's declaration, each parameter with its type.
func (fn *Func) goDecl() string {
	var ps []string
	for _, p := range fn.sig.args {
		ps = append(ps, p.name+" "+p.typ)
	}
	s := "func " + fn.Name + "(" + strings.Join(ps, ", ") + ")"
	switch len(fn.sig.results) {
	case 0:
	case 1:
		s += " " + fn.sig.results[0].typ
	default:
		panic("arm64: several results")
	}
	return s
}

// Generate prints the file's assembly and the Go declarations of its
// functions, both with the header naming command argv.
func (f *File) Generate(argv []string) (asm, stubs []byte, err error) {
	header := "// Code generated by command: " + strings.Join(argv, " ") + ". DO NOT EDIT.\n\n" +
		"//go:build !purego && gc\n\n"
	var a bytes.Buffer
	a.WriteString(header)
	a.WriteString("#include \"textflag.h\"\n")
	for _, fn := range f.funcs {
		if fn.sig == nil {
			return nil, nil, fmt.Errorf("arm64: %s has no signature", fn.Name)
		}
		fmt.Fprintf(&a, "\n// %s\n// Requires: ASIMD\n", fn.goDecl())
		fmt.Fprintf(&a, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", fn.Name, fn.sig.argSize)
		fn.print(&a)
	}
	if len(f.consts) > 0 {
		a.WriteString("\n")
		for i, c := range f.consts {
			for h := 0; h < 2; h++ {
				fmt.Fprintf(&a, "DATA consts<>+%d(SB)/8, $0x%08x%08x\n", 16*i+8*h, c, c)
			}
		}
		fmt.Fprintf(&a, "GLOBL consts<>(SB), RODATA|NOPTR, $%d\n", 16*len(f.consts))
	}
	if f.laneTail {
		a.WriteString("\n")
		for i := 0; i < 4; i++ {
			w := "0x0000000000000000"
			if i >= 2 {
				w = "0xffffffffffffffff"
			}
			fmt.Fprintf(&a, "DATA lanetail<>+%d(SB)/8, $%s\n", 8*i, w)
		}
		a.WriteString("GLOBL lanetail<>(SB), RODATA|NOPTR, $32\n")
	}

	var s bytes.Buffer
	s.WriteString(header)
	s.WriteString("package asm\n")
	for _, fn := range f.funcs {
		s.WriteString("\n")
		for _, l := range fn.doc {
			if strings.HasPrefix(l, "\t") {
				s.WriteString("//" + l + "\n")
			} else {
				s.WriteString(strings.TrimRight("// "+l, " ") + "\n")
			}
		}
		if fn.noescape {
			if len(fn.doc) > 0 {
				s.WriteString("//\n")
			}
			s.WriteString("//go:noescape\n")
		}
		s.WriteString(fn.goDecl() + "\n")
	}
	src, err := format.Source(s.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("arm64: declarations: %v", err)
	}
	return a.Bytes(), src, nil
}

// print writes the body: labels at the left margin, a blank line before
// each comment and label (but the first), and the operands of each block
// of instructions aligned after the longest mnemonic.
func (fn *Func) print(b *bytes.Buffer) {
	width := func(from int) int {
		w := 0
		for _, l := range fn.lines[from:] {
			if l.kind != lInsn {
				break
			}
			w = max(w, len(l.op))
		}
		return w
	}
	w := 0
	for i, l := range fn.lines {
		switch l.kind {
		case lComment:
			if i > 0 && fn.lines[i-1].kind != lLabel {
				b.WriteString("\n")
			}
			b.WriteString("\t// " + l.op + "\n")
		case lLabel:
			if i > 0 && fn.lines[i-1].kind != lComment {
				b.WriteString("\n")
			}
			b.WriteString(l.op + ":\n")
		case lInsn:
			if i == 0 || fn.lines[i-1].kind != lInsn {
				w = width(i)
			}
			s := "\t" + l.op
			if l.args != "" {
				s += strings.Repeat(" ", w+1-len(l.op)) + l.args
			}
			if l.comment != "" {
				s += " // " + l.comment
			}
			b.WriteString(s + "\n")
		}
	}
}
