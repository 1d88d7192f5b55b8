// Package kernel describes the elementwise kernels once, for every backend.
//
// A kernel's body is written in Go against a Builder, which records it as a
// short straight-line program over vector values (an SSA list of Ops). Each
// backend (AVX2 and AVX-512 through Avo, NEON through our own emitter) lowers
// that list to its instructions, choosing registers, memory operands and
// destructive instruction forms from the liveness the list makes plain. The
// loops, the unrolling and the tail of every kernel are written once per
// backend, not once per kernel.
package kernel

import (
	"fmt"
	"math"
)

// Value names the result of one Op of a Body.
type Value int

// OpKind is what an Op computes. Every operation is lane-wise.
type OpKind int

const (
	OpInput        OpKind = iota // the current vector of pointer argument In
	OpScalar                     // scalar argument In, broadcast
	OpConst                      // the 32-bit pattern Bits in every lane
	OpAdd                        // A + B
	OpSub                        // A − B
	OpMul                        // A · B
	OpDiv                        // A / B
	OpDivNormal                  // A / B, where B and 1/B are normal and A is finite or NaN
	OpFMA                        // A·B + C, rounded once
	OpFNMA                       // C − A·B, rounded once
	OpMax                        // max(A, B), where B is never NaN and a NaN A is returned
	OpMin                        // min(A, B), where B is never NaN and a NaN A is returned
	OpRound                      // A rounded to the nearest integer, ties to even
	OpSqrt                       // √A, correctly rounded
	OpScale2                     // A · 2^B, B integral in [−150, 128], rounded once
	OpScale2Normal               // A · 2^B, B integral in [−126, 127] (2^B normal), rounded once
	OpAnd                        // bitwise A & B
	OpOr                         // bitwise A | B
	OpLess                       // mask: A < B (false when either is NaN)
	OpSelect                     // Mask A ? B : C
)

var opNames = [...]string{
	"input", "scalar", "const", "add", "sub", "mul", "div", "divnormal", "fma", "fnma",
	"max", "min", "round", "sqrt", "scale2", "scale2normal", "and", "or", "less", "select",
}

func (k OpKind) String() string { return opNames[k] }

// Op is one recorded operation.
type Op struct {
	Kind    OpKind
	A, B, C Value  // operands, as many as Kind takes
	In      int    // OpInput, OpScalar: index of the argument
	Bits    uint32 // OpConst
}

// IsMask reports whether the op yields a lane mask rather than a vector.
func (o Op) IsMask() bool { return o.Kind == OpLess }

// Operands returns the values the op reads, in order.
func (o Op) Operands() []Value {
	switch o.Kind {
	case OpInput, OpScalar, OpConst:
		return nil
	case OpRound, OpSqrt:
		return []Value{o.A}
	case OpFMA, OpFNMA, OpSelect:
		return []Value{o.A, o.B, o.C}
	}
	return []Value{o.A, o.B}
}

// Body is a kernel's per-vector computation, as recorded: Result is stored
// to the kernel's first output (and folded, if it reduces), Extra[i] to its
// output i+1.
type Body struct {
	Ops    []Op
	Result Value
	Extra  []Value
}

// LastUse returns, for every value, the index of the last op that reads it;
// the result counts as read after the last op. A value never read gets -1.
func (b *Body) LastUse() []int {
	last := make([]int, len(b.Ops))
	for i := range last {
		last[i] = -1
	}
	for i, op := range b.Ops {
		for _, v := range op.Operands() {
			last[v] = i
		}
	}
	last[b.Result] = len(b.Ops)
	for _, v := range b.Extra {
		last[v] = len(b.Ops)
	}
	return last
}

// Consts returns the distinct constants of the body, in first-use order.
func (b *Body) Consts() []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	for _, op := range b.Ops {
		if op.Kind == OpConst && !seen[op.Bits] {
			seen[op.Bits] = true
			out = append(out, op.Bits)
		}
	}
	return out
}

// Builder records a Body. Its methods mirror the OpKinds.
type Builder struct {
	ops    []Op
	consts map[uint32]Value
	extra  []Value // outputs 1, 2, …; -1 until set
}

func (b *Builder) emit(op Op) Value {
	b.ops = append(b.ops, op)
	return Value(len(b.ops) - 1)
}

// Input is the current vector of the i-th pointer argument that is read.
func (b *Builder) Input(i int) Value { return b.emit(Op{Kind: OpInput, In: i}) }

// Scalar is the i-th scalar argument, in every lane.
func (b *Builder) Scalar(i int) Value { return b.emit(Op{Kind: OpScalar, In: i}) }

// Const is v in every lane; equal constants share one value.
func (b *Builder) Const(v float32) Value { return b.Bits(math.Float32bits(v)) }

// Bits is the 32-bit pattern u in every lane.
func (b *Builder) Bits(u uint32) Value {
	if v, ok := b.consts[u]; ok {
		return v
	}
	if b.consts == nil {
		b.consts = map[uint32]Value{}
	}
	v := b.emit(Op{Kind: OpConst, Bits: u})
	b.consts[u] = v
	return v
}

func (b *Builder) Add(x, y Value) Value { return b.emit(Op{Kind: OpAdd, A: x, B: y}) }
func (b *Builder) Sub(x, y Value) Value { return b.emit(Op{Kind: OpSub, A: x, B: y}) }
func (b *Builder) Mul(x, y Value) Value { return b.emit(Op{Kind: OpMul, A: x, B: y}) }
func (b *Builder) Div(x, y Value) Value { return b.emit(Op{Kind: OpDiv, A: x, B: y}) }

// DivNormal is x / y for normal y with a normal reciprocal and finite or
// NaN x, within 1 ULP: a backend may refine an approximate reciprocal
// instead of dividing, which is several times faster on some CPUs.
func (b *Builder) DivNormal(x, y Value) Value { return b.emit(Op{Kind: OpDivNormal, A: x, B: y}) }
func (b *Builder) FMA(x, y, z Value) Value    { return b.emit(Op{Kind: OpFMA, A: x, B: y, C: z}) }
func (b *Builder) FNMA(x, y, z Value) Value   { return b.emit(Op{Kind: OpFNMA, A: x, B: y, C: z}) }
func (b *Builder) Max(x, c Value) Value       { return b.emit(Op{Kind: OpMax, A: x, B: c}) }
func (b *Builder) Min(x, c Value) Value       { return b.emit(Op{Kind: OpMin, A: x, B: c}) }
func (b *Builder) Round(x Value) Value        { return b.emit(Op{Kind: OpRound, A: x}) }
func (b *Builder) Sqrt(x Value) Value         { return b.emit(Op{Kind: OpSqrt, A: x}) }
func (b *Builder) Scale2(p, n Value) Value    { return b.emit(Op{Kind: OpScale2, A: p, B: n}) }

// Scale2Normal is Scale2 for n whose 2^n is normal, which one integer
// step builds where Scale2 needs two.
func (b *Builder) Scale2Normal(p, n Value) Value { return b.emit(Op{Kind: OpScale2Normal, A: p, B: n}) }
func (b *Builder) And(x, y Value) Value          { return b.emit(Op{Kind: OpAnd, A: x, B: y}) }
func (b *Builder) Or(x, y Value) Value           { return b.emit(Op{Kind: OpOr, A: x, B: y}) }
func (b *Builder) Less(x, y Value) Value         { return b.emit(Op{Kind: OpLess, A: x, B: y}) }

// Select is m ? x : y lane by lane; m must come from Less.
func (b *Builder) Select(m, x, y Value) Value {
	if !b.ops[m].IsMask() {
		panic(fmt.Sprintf("kernel: Select on a non-mask value %d", m))
	}
	return b.emit(Op{Kind: OpSelect, A: m, B: x, C: y})
}

// Abs is |x|, by clearing the sign bit.
func (b *Builder) Abs(x Value) Value { return b.And(x, b.Bits(0x7fffffff)) }

// NegAbs is −|x|, by setting the sign bit.
func (b *Builder) NegAbs(x Value) Value { return b.Or(x, b.Bits(0x80000000)) }

// WithSignOf is mag with the sign bit of s set on it; mag must be ≥ +0.
func (b *Builder) WithSignOf(mag, s Value) Value {
	return b.Or(mag, b.And(s, b.Bits(0x80000000)))
}

// Horner evaluates Σ c[k]·x^k with one FMA per coefficient.
func (b *Builder) Horner(x Value, c []float32) Value {
	p := b.Const(c[len(c)-1])
	for k := len(c) - 2; k >= 0; k-- {
		p = b.FMA(p, x, b.Const(c[k]))
	}
	return p
}

// Output sets the value stored to output i ≥ 1 of a kernel with several
// outputs; the body's return value goes to output 0.
func (b *Builder) Output(i int, v Value) {
	if i < 1 {
		panic(fmt.Sprintf("kernel: Output(%d): output 0 is the body's result", i))
	}
	for len(b.extra) < i {
		b.extra = append(b.extra, -1)
	}
	b.extra[i-1] = v
}

// Finish returns the recorded body with result r.
func (b *Builder) Finish(r Value) *Body {
	for _, v := range append([]Value{r}, b.extra...) {
		if v < 0 {
			panic("kernel: an output was never set")
		}
		if b.ops[v].IsMask() {
			panic("kernel: an output cannot be a mask")
		}
	}
	return &Body{Ops: b.ops, Result: r, Extra: b.extra}
}
