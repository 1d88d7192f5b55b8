// Package amd64 lowers the kernel descriptions of package kernel to AVX2+FMA
// and AVX-512 assembly with Avo.
package amd64

import (
	"fmt"
	"math"

	"github.com/backprop-go/backprop/gen/kernel"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"
)

// ISA is one amd64 path.
type ISA struct {
	Name  string // suffix of the function names: "AVX2", "AVX512"
	Lanes int    // float32 lanes of a vector register
	EVEX  bool   // 512-bit registers, opmask registers, embedded broadcast
}

var (
	AVX2   = ISA{Name: "AVX2", Lanes: 8}
	AVX512 = ISA{Name: "AVX512", Lanes: 16, EVEX: true}
)

// File collects the functions and constants of one generated .s file.
type File struct {
	*build.Context
	ISA    ISA
	consts map[uint32]operand.Mem
	tables map[string]operand.Mem // mask tables, by name
}

// NewFile starts a file of functions for isa.
func NewFile(isa ISA) *File {
	f := &File{Context: build.NewContext(), ISA: isa, consts: map[uint32]operand.Mem{}, tables: map[string]operand.Mem{}}
	f.Package("github.com/backprop-go/backprop/kernels/asm")
	f.ConstraintExpr("!purego,gc")
	return f
}

// vec returns a new virtual vector register of the ISA's width.
func (f *File) vec() reg.VecVirtual {
	if f.ISA.EVEX {
		return f.ZMM()
	}
	return f.YMM()
}

// constMem returns the read-only datum holding bits: 4 bytes, used with
// broadcasts, on EVEX; a full 32-byte vector on AVX2, where it can be a
// memory operand directly.
func (f *File) constMem(bits uint32) operand.Mem {
	if m, ok := f.consts[bits]; ok {
		return m
	}
	m := f.StaticGlobal(fmt.Sprintf("c%08x", bits))
	f.DataAttributes(attr.RODATA | attr.NOPTR)
	copies := 1
	if !f.ISA.EVEX {
		copies = f.ISA.Lanes
	}
	for i := 0; i < copies; i++ {
		f.AppendDatum(operand.U32(bits))
	}
	f.consts[bits] = m
	return m
}

// tailTable returns the table of tail masks of the ISA: on EVEX, 16 uint16
// with the low i bits set at index i; on AVX2, laneMaskTable.
func (f *File) tailTable() operand.Mem {
	if !f.ISA.EVEX {
		return f.laneMaskTable()
	}
	if m, ok := f.tables["tailmask"]; ok {
		return m
	}
	m := f.StaticGlobal("tailmask")
	f.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 16; i++ {
		f.AppendDatum(operand.U16(1<<i - 1))
	}
	f.tables["tailmask"] = m
	return m
}

// laneMaskTable returns 8 all-ones int32 then 8 zeros: the 8 int32 at index
// 8−i are a ymm mask of the first i lanes.
func (f *File) laneMaskTable() operand.Mem { return f.halvesTable("lanemask", true) }

// laneTailTable returns 8 zeros then 8 all-ones int32: the 8 at index i
// are a ymm mask of the last i lanes.
func (f *File) laneTailTable() operand.Mem { return f.halvesTable("lanetail", false) }

// halvesTable returns the table name of 16 int32, its first 8 all-ones
// and the others zero (onesFirst) or the other way round.
func (f *File) halvesTable(name string, onesFirst bool) operand.Mem {
	if m, ok := f.tables[name]; ok {
		return m
	}
	m := f.StaticGlobal(name)
	f.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if (i < 8) == onesFirst {
			v = math.MaxUint32
		}
		f.AppendDatum(operand.U32(v))
	}
	f.tables[name] = m
	return m
}

// Elementwise emits k for the file's ISA and, if k.Stream, its streaming
// variant.
func (f *File) Elementwise(k *kernel.Kernel) {
	if err := k.Check(); err != nil {
		panic(err)
	}
	f.elementwise(k, false)
	if k.Stream {
		f.elementwise(k, true)
	}
}

// elementwise emits one function. The streaming variant first handles,
// under a mask, the elements before the output's first vector-aligned
// address, then stores whole vectors with non-temporal stores, which do
// not read the destination's cache lines before writing them.
func (f *File) elementwise(k *kernel.Kernel, stream bool) {
	name := k.Name + f.ISA.Name
	if stream {
		name = k.Name + "Stream" + f.ISA.Name
	}
	body := k.Record()
	L := f.ISA.Lanes
	U := k.Unroll
	if !f.ISA.EVEX && U > 2 {
		U = 2 // 16 ymm registers
	}

	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(k.Signature())
	f.Pragma("noescape")
	what := "path of " + k.Name
	if stream {
		what = "path of " + k.Name + ", with non-temporal stores for outputs that will not be read soon"
	}
	f.Doc(append([]string{name + " is the " + f.ISA.Name + " " + what + ".", ""}, k.Doc...)...)

	g := &lowering{f: f, k: k, body: body, last: body.LastUse(), stream: stream}
	f.Comment("Load the arguments and broadcast the scalars and the constants that must live in registers.")
	for _, a := range k.Pointers() {
		g.ptrs = append(g.ptrs, f.Load(f.Param(a.Name), f.GP64()))
	}
	n := f.Load(f.Param("n"), f.GP64())
	for _, a := range k.Scalars() {
		x := f.Load(f.Param(a.Name), f.XMM())
		v := f.vec()
		f.VBROADCASTSS(x, v)
		g.scalars = append(g.scalars, v)
	}
	g.hoist()
	if k.Reduce != kernel.NoReduce {
		for u := 0; u < U; u++ {
			g.accs = append(g.accs, g.identity())
		}
	}
	i := f.GP64()
	f.XORQ(i, i)

	main, single, tail, done := name+"_main", name+"_single", name+"_tail", name+"_done"
	if stream {
		f.Comment("Up to the output's first aligned vector, under a mask.")
		out, _ := k.Output()
		h := f.GP64()
		for j, a := range k.Pointers() {
			if a.Name == out.Name {
				f.MOVQ(g.ptrs[j], h)
			}
		}
		f.NEGQ(h)
		f.ANDQ(operand.U32(4*L-1), h)
		f.SHRQ(operand.U8(2), h)
		f.CMPQ(h, n)
		f.CMOVQGT(n, h)
		aligned := name + "_aligned"
		f.TESTQ(h, h)
		f.JZ(operand.LabelRef(aligned))
		g.masked(i, h)
		f.MOVQ(h, i)
		f.SUBQ(h, n)
		f.Label(aligned)
	}
	if U > 1 {
		f.Commentf("%d vectors at a time.", U)
		f.Label(main)
		f.CMPQ(n, operand.U32(U*L))
		f.JL(operand.LabelRef(single))
		if f.ISA.EVEX {
			g.vectors(i, 0, U, nil)
		} else {
			for u := 0; u < U; u++ {
				g.vector(i, u, nil)
			}
		}
		f.ADDQ(operand.U32(U*L), i)
		f.SUBQ(operand.U32(U*L), n)
		f.JMP(operand.LabelRef(main))
	}

	f.Comment("One vector at a time.")
	f.Label(single)
	f.CMPQ(n, operand.U32(L))
	f.JL(operand.LabelRef(tail))
	g.vector(i, 0, nil)
	f.ADDQ(operand.U32(L), i)
	f.SUBQ(operand.U32(L), n)
	f.JMP(operand.LabelRef(single))

	f.Comment("The last n < lanes elements, under a mask.")
	f.Label(tail)
	f.TESTQ(n, n)
	f.JZ(operand.LabelRef(done))
	g.masked(i, n)

	f.Label(done)
	if k.Reduce != kernel.NoReduce {
		f.Comment("Fold the partial results into one.")
		g.fold()
	}
	if stream {
		f.Comment("Order the non-temporal stores before whatever follows.")
		f.SFENCE()
	}
	f.VZEROUPPER()
	f.RET()
}

// masked emits one copy of the body for the cnt < lanes elements at i.
func (g *lowering) masked(i reg.GPVirtual, cnt reg.Register) {
	f := g.f
	tbl := f.GP64()
	f.LEAQ(f.tailTable(), tbl)
	if f.ISA.EVEX {
		k := f.K()
		f.KMOVW(operand.Mem{Base: tbl, Index: cnt, Scale: 2}, k)
		g.vector(i, 0, k)
		return
	}
	idx := f.GP64()
	f.MOVQ(operand.U32(f.ISA.Lanes), idx)
	f.SUBQ(cnt, idx)
	m := f.YMM()
	f.VMOVDQU(operand.Mem{Base: tbl, Index: idx, Scale: 4}, m)
	g.vector(i, 0, m)
}

// lowering is the state of one function being emitted.
type lowering struct {
	f       *File
	k       *kernel.Kernel
	body    *kernel.Body
	last    []int
	ptrs    []reg.Register
	scalars []reg.VecVirtual
	hoisted map[kernel.Value]reg.VecVirtual
	accs    []reg.VecVirtual
	stream  bool // whole-vector stores are non-temporal
}

// needsReg reports whether op i reads operand v where only a register will
// do (so a constant there must be loaded).
func needsReg(op kernel.Op, v kernel.Value) bool {
	switch op.Kind {
	case kernel.OpMax, kernel.OpMin:
		return v == op.B
	case kernel.OpSub, kernel.OpDiv, kernel.OpDivNormal, kernel.OpScale2, kernel.OpScale2Normal:
		return v == op.A
	case kernel.OpSelect:
		return v == op.C
	}
	return false
}

// hoist loads, once before the loops, the constants the EVEX path needs in
// registers. AVX2, with 16 registers, broadcasts them where they are used.
func (g *lowering) hoist() {
	g.hoisted = map[kernel.Value]reg.VecVirtual{}
	if !g.f.ISA.EVEX {
		return
	}
	for _, op := range g.body.Ops {
		for _, v := range op.Operands() {
			if g.body.Ops[v].Kind == kernel.OpConst && needsReg(op, v) {
				if _, ok := g.hoisted[v]; !ok {
					r := g.f.vec()
					g.f.VBROADCASTSS(g.f.constMem(g.body.Ops[v].Bits), r)
					g.hoisted[v] = r
				}
			}
		}
	}
}

// identity returns a register holding the reduction's identity.
func (g *lowering) identity() reg.VecVirtual {
	r := g.f.vec()
	if g.k.Reduce == kernel.MaxReduce {
		g.f.VBROADCASTSS(g.f.constMem(math.Float32bits(float32(math.Inf(-1)))), r)
	} else if g.f.ISA.EVEX {
		g.f.VPXORD(r, r, r)
	} else {
		g.f.VXORPS(r, r, r)
	}
	return r
}

// operand is where a value lives while one copy of the body is lowered.
type operandOf struct {
	r     reg.Register // a register, or nil for a constant in memory
	bits  uint32
	isK   bool
	owned bool // the register holds a temporary this copy may overwrite
}

// vector emits one copy of the body for the vector at element i + u·lanes.
// mask, when not nil, limits loads, stores and the reduction to the lanes it
// selects (an opmask on EVEX, a vector on AVX2).
func (g *lowering) vector(i reg.GPVirtual, u int, mask reg.Register) {
	g.vectors(i, u, 1, mask)
}

// vectors emits count copies of the body for the vectors u, u+1, … at
// element i, interleaved operation by operation so that independent
// instructions sit next to each other.
func (g *lowering) vectors(i reg.GPVirtual, u0, count int, mask reg.Register) {
	f := g.f
	at := func(p reg.Register, u int) operand.Mem {
		return operand.Mem{Base: p, Index: i, Scale: 4, Disp: 4 * u * f.ISA.Lanes}
	}
	ptrOf := map[string]reg.Register{}
	for j, a := range g.k.Pointers() {
		ptrOf[a.Name] = g.ptrs[j]
	}
	inputs := g.k.Inputs()
	envs := g.lower(count, func(c int, op kernel.Op) operandOf {
		r := f.vec()
		f.load(at(ptrOf[inputs[op.In].Name], u0+c), mask, r)
		return operandOf{r: r, owned: true}
	})
	outs := g.k.Outputs()
	for c, env := range envs {
		g.finish(env[g.body.Result].r, at, ptrOf, u0+c, mask)
		for e, v := range g.body.Extra {
			f.store(env[v].r, at(ptrOf[outs[e+1].Name], u0+c), mask)
		}
	}
}

// load loads a vector, under mask if it is not nil (an opmask on EVEX, a
// vector on AVX2); masked-out lanes read as zero.
func (f *File) load(m operand.Mem, mask reg.Register, r reg.Register) {
	switch {
	case mask == nil:
		f.VMOVUPS(m, r)
	case f.ISA.EVEX:
		f.VMOVUPS_Z(m, mask, r)
	default:
		f.VMASKMOVPS(m, mask, r)
	}
}

// store stores a vector, under mask if it is not nil.
func (f *File) store(r reg.Register, m operand.Mem, mask reg.Register) {
	switch {
	case mask == nil:
		f.VMOVUPS(r, m)
	case f.ISA.EVEX:
		f.VMOVUPS(r, mask, m)
	default:
		f.VMASKMOVPS(r, mask, m)
	}
}

// lower emits count copies of the body, interleaved operation by operation
// so that independent instructions sit next to each other, and returns
// where each copy's values are. input supplies the value of an OpInput.
func (g *lowering) lower(count int, input func(copy int, op kernel.Op) operandOf) [][]operandOf {
	envs := make([][]operandOf, count)
	for c := range envs {
		envs[c] = make([]operandOf, len(g.body.Ops))
	}
	for idx, op := range g.body.Ops {
		if g.last[idx] < 0 && op.Kind != kernel.OpConst {
			continue
		}
		for c, env := range envs {
			switch op.Kind {
			case kernel.OpInput:
				env[idx] = input(c, op)
			case kernel.OpScalar:
				env[idx] = operandOf{r: g.scalars[op.In]}
			case kernel.OpConst:
				if r, ok := g.hoisted[kernel.Value(idx)]; ok {
					env[idx] = operandOf{r: r}
				} else {
					env[idx] = operandOf{bits: op.Bits}
				}
			default:
				env[idx] = g.op(idx, op, env)
			}
		}
	}
	return envs
}

// finish stores one copy's result and folds it into its accumulator.
func (g *lowering) finish(res reg.Register, at func(reg.Register, int) operand.Mem,
	ptrOf map[string]reg.Register, u int, mask reg.Register) {
	f := g.f
	if out, ok := g.k.Output(); ok {
		m := at(ptrOf[out.Name], u)
		if mask == nil && g.stream {
			f.VMOVNTPS(res, m)
		} else {
			f.store(res, m, mask)
		}
	}
	if g.k.Reduce != kernel.NoReduce {
		acc := g.accs[u]
		combine := f.VADDPS
		if g.k.Reduce == kernel.MaxReduce {
			combine = f.VMAXPS
		}
		switch {
		case mask == nil:
			combine(res, acc, acc)
		case f.ISA.EVEX:
			combine(res, acc, mask, acc) // merge-masking keeps the other lanes
		default:
			t := f.vec()
			if g.k.Reduce == kernel.MaxReduce {
				id := g.identity()
				f.VBLENDVPS(mask, res, id, t)
			} else {
				f.VANDPS(mask, res, t)
			}
			combine(t, acc, acc)
		}
	}
}

// reg returns v in a register, loading a constant when it is in memory.
func (g *lowering) reg(e operandOf) reg.Register {
	if e.r != nil {
		return e.r
	}
	r := g.f.vec()
	g.f.VBROADCASTSS(g.f.constMem(e.bits), r)
	return r
}

// fresh returns a register holding e that the caller may overwrite.
func (g *lowering) fresh(e operandOf) reg.Register {
	if e.r == nil {
		return g.reg(e)
	}
	r := g.f.vec()
	g.f.VMOVAPS(e.r, r)
	return r
}

// src returns e as the operand of an instruction's memory-capable position,
// and whether it is an embedded broadcast.
func (g *lowering) src(e operandOf) (operand.Op, bool) {
	if e.r != nil {
		return e.r, false
	}
	return g.f.constMem(e.bits), g.f.ISA.EVEX
}

type insn func(...operand.Op)

// pick chooses the broadcast form when the memory-capable operand is one.
func pick(plain, bcst insn, isB bool) insn {
	if isB {
		return bcst
	}
	return plain
}

// dead reports whether the value of operand v of op idx may be overwritten.
func (g *lowering) dead(env []operandOf, v kernel.Value, idx int) bool {
	return env[v].owned && g.last[v] == idx
}

func (g *lowering) op(idx int, op kernel.Op, env []operandOf) operandOf {
	f := g.f
	A, B, C := env[op.A], env[op.B], env[op.C]
	dst := f.vec()
	out := operandOf{r: dst, owned: true}

	// binary emits dst = a ∘ b with b in the memory-capable position.
	binary := func(plain, bcst insn, a, b operandOf) {
		s, isB := g.src(b)
		pick(plain, bcst, isB)(s, g.reg(a), dst)
	}
	commutative := func(plain, bcst insn) {
		if A.r == nil && B.r != nil {
			binary(plain, bcst, B, A)
		} else {
			binary(plain, bcst, A, B)
		}
	}

	switch op.Kind {
	case kernel.OpAdd:
		commutative(f.VADDPS, f.VADDPS_BCST)
	case kernel.OpMul:
		commutative(f.VMULPS, f.VMULPS_BCST)
	case kernel.OpSub:
		binary(f.VSUBPS, f.VSUBPS_BCST, A, B)
	case kernel.OpDiv, kernel.OpDivNormal:
		// DivNormal too is a division, not a refined VRCP14PS: on Zen 4
		// the divider runs beside the FMA pipes, which exp already fills,
		// and the refinement's three FMA-pipe operations cost more
		// (Sigmoid 32 KiB 16% faster, 64 MiB 69% → 75% of copy in one
		// A/B run). Measured on Zen 4 only: on Intel's AVX-512 cores,
		// whose zmm VDIVPS issues about every 10 cycles, the refinement
		// may be the faster.
		binary(f.VDIVPS, f.VDIVPS_BCST, A, B)
	case kernel.OpAnd:
		if f.ISA.EVEX {
			commutative(f.VPANDD, f.VPANDD_BCST)
		} else {
			commutative(f.VANDPS, nil)
		}
	case kernel.OpOr:
		if f.ISA.EVEX {
			commutative(f.VPORD, f.VPORD_BCST)
		} else {
			commutative(f.VORPS, nil)
		}
	case kernel.OpMax, kernel.OpMin:
		// MAXPS and MINPS return their second source (Go's first operand)
		// when either is NaN: put x there so a NaN passes.
		ins := f.VMAXPS
		if op.Kind == kernel.OpMin {
			ins = f.VMINPS
		}
		ins(g.reg(A), g.reg(B), dst)
	case kernel.OpSqrt:
		f.VSQRTPS(g.reg(A), dst)
	case kernel.OpRound:
		if f.ISA.EVEX {
			f.VRNDSCALEPS(operand.U8(0), g.reg(A), dst)
		} else {
			f.VROUNDPS(operand.U8(0), g.reg(A), dst)
		}
	case kernel.OpScale2:
		g.scale2(g.reg(A), g.reg(B), dst)
	case kernel.OpScale2Normal:
		if f.ISA.EVEX {
			g.scale2(g.reg(A), g.reg(B), dst)
			break
		}
		// 2^n's bits are (n + 127) << 23; a factor of 1 needs no product.
		f.VCVTPS2DQ(g.reg(B), dst)
		f.VPSLLD(operand.U8(23), dst, dst)
		f.VPADDD(f.constMem(math.Float32bits(1)), dst, dst)
		if a := g.body.Ops[op.A]; a.Kind != kernel.OpConst || a.Bits != math.Float32bits(1) {
			f.VMULPS(g.reg(A), dst, dst)
		}
	case kernel.OpFMA, kernel.OpFNMA:
		return g.fma(idx, op, env)
	case kernel.OpLess:
		// Predicate 1 is LT_OS, 14 is GT_OS; a constant must be the second
		// source, so A < c is emitted as such and c < B as B > c.
		pred, a, b := uint8(1), A, B
		if A.r == nil && B.r != nil {
			pred, a, b = 14, B, A
		}
		var m reg.Register = dst
		if f.ISA.EVEX {
			m = f.K()
		}
		s, isB := g.src(b)
		pick(f.VCMPPS, f.VCMPPS_BCST, isB)(operand.U8(pred), s, g.reg(a), m)
		return operandOf{r: m, isK: f.ISA.EVEX, owned: true}
	case kernel.OpSelect:
		s, isB := g.src(B)
		if f.ISA.EVEX {
			pick(f.VBLENDMPS, f.VBLENDMPS_BCST, isB)(s, g.reg(C), A.r, dst)
		} else {
			f.VBLENDVPS(A.r, s, g.reg(C), dst)
		}
	default:
		panic(fmt.Sprintf("amd64: cannot lower %v", op.Kind))
	}
	return out
}

// fma emits A·B + C (or C − A·B) in the destructive form that overwrites a
// dead operand, copying one only when every operand is still needed.
func (g *lowering) fma(idx int, op kernel.Op, env []operandOf) operandOf {
	f := g.f
	f231, f213 := insn(f.VFMADD231PS), insn(f.VFMADD213PS)
	b231, b213 := insn(f.VFMADD231PS_BCST), insn(f.VFMADD213PS_BCST)
	if op.Kind == kernel.OpFNMA {
		f231, f213 = f.VFNMADD231PS, f.VFNMADD213PS
		b231, b213 = f.VFNMADD231PS_BCST, f.VFNMADD213PS_BCST
	}
	A, B, C := env[op.A], env[op.B], env[op.C]
	if A.r == nil && B.r != nil {
		A, B = B, A
		op.A, op.B = op.B, op.A
	}

	// acc = a·b + acc: a in a register, b anywhere.
	into231 := func(acc reg.Register) operandOf {
		s, isB := g.src(B)
		pick(f231, b231, isB)(s, g.reg(A), acc)
		return operandOf{r: acc, owned: true}
	}
	// m = other·m + C: C anywhere.
	into213 := func(m reg.Register, other operandOf) operandOf {
		s, isB := g.src(C)
		pick(f213, b213, isB)(s, g.reg(other), m)
		return operandOf{r: m, owned: true}
	}
	switch {
	case g.dead(env, op.C, idx):
		return into231(C.r)
	case g.dead(env, op.A, idx):
		return into213(A.r, B)
	case g.dead(env, op.B, idx):
		return into213(B.r, A)
	case B.r == nil: // a constant multiplicand: broadcast it and overwrite that
		return into213(g.reg(B), A)
	case C.r != nil:
		return into231(g.fresh(C))
	default:
		return into213(g.fresh(A), B)
	}
}

// scale2 emits dst = p·2^n for integral n in [−150, 128], rounded once.
// VSCALEFPS does exactly that. AVX2 builds 2^n1 and 2^n2 with n1 = n>>1 and
// n2 = n − n1, both in [−75, 64] where 2^k is a normal float32: p·2^n1 is
// exact, so the second product is the only rounding.
func (g *lowering) scale2(p, n, dst reg.Register) {
	f := g.f
	if f.ISA.EVEX {
		f.VSCALEFPS(n, p, dst)
		return
	}
	ni, n1, n2 := f.YMM(), f.YMM(), f.YMM()
	f.VCVTPS2DQ(n, ni)
	f.VPSRAD(operand.U8(1), ni, n1)
	f.VPSUBD(n1, ni, n2)
	bias := f.constMem(127)
	f.VPADDD(bias, n1, n1)
	f.VPADDD(bias, n2, n2)
	f.VPSLLD(operand.U8(23), n1, n1)
	f.VPSLLD(operand.U8(23), n2, n2)
	f.VMULPS(n1, p, dst)
	f.VMULPS(n2, dst, dst)
}

// fold combines the partial accumulators and leaves the total in the
// function's return value.
func (g *lowering) fold() {
	f := g.f
	combine := f.VADDPS
	if g.k.Reduce == kernel.MaxReduce {
		combine = f.VMAXPS
	}
	accs := g.accs
	for len(accs) > 1 {
		var next []reg.VecVirtual
		for j := 0; j+1 < len(accs); j += 2 {
			combine(accs[j+1], accs[j], accs[j])
			next = append(next, accs[j])
		}
		if len(accs)%2 == 1 {
			next = append(next, accs[len(accs)-1])
		}
		accs = next
	}
	a := accs[0]
	y := a.AsY()
	if g.f.ISA.EVEX {
		hi := f.YMM()
		f.VEXTRACTF64X4(operand.U8(1), a, hi)
		combine(hi, y, y)
	}
	x := a.AsX()
	hx := f.XMM()
	f.VEXTRACTF128(operand.U8(1), y, hx)
	combine(hx, x, x)
	f.VPERMILPS(operand.U8(0x4e), x, hx) // lanes 2 3 0 1
	combine(hx, x, x)
	f.VPERMILPS(operand.U8(0xb1), x, hx) // lanes 1 0 3 2
	combine(hx, x, x)
	f.Store(x, f.ReturnIndex(0))
}

// Generate compiles the file (register allocation and the rest of Avo's
// passes) and prints the assembly and its Go declarations.
func (f *File) Generate(argv []string) (asm, stubs []byte, err error) {
	file, err := f.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := pass.Compile.Execute(file); err != nil {
		return nil, nil, err
	}
	cfg := printer.Config{Argv: argv, Pkg: "asm"}
	if asm, err = printer.NewGoAsm(cfg).Print(file); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(file); err != nil {
		return nil, nil, err
	}
	return asm, stubs, nil
}
