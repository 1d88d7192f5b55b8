package arm64

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/backprop-go/backprop/gen/kernel"
)

// Lanes is the number of float32 lanes of a vector register.
const Lanes = 4

// one is the bits of 1.0, which are also 127 << 23: Scale2 adds them to a
// shifted exponent.
const one = 0x3f800000

// lowering is the state of one function being emitted from a Body.
type lowering struct {
	f       *File
	body    *kernel.Body
	outs    []kernel.Value // the values stored: output 0, 1, …
	last    []int          // last live use of each value; len(Ops) for outputs
	scalars []V
	hoisted map[uint32]V // constants that live in registers, by bits
	pool    R            // the constant pool's address, when hasPool
	hasPool bool

	// The op being lowered: its index, the registers it loaded constants
	// into (operands, and constants of its own), and the operands whose
	// registers it keeps as its result.
	cur     int
	temps   map[kernel.Value]V
	scratch []V
	kept    map[kernel.Value]bool
}

// fit is one way to lay a function out in the 32 vector registers.
type fit struct {
	copies int // copies of the body interleaved in the main loop
	hoist  int // how many constants (by rank) live in registers
}

// fits lists the layouts to try, best first: as many copies as the
// description asks for (at most want), then as many constants kept in
// registers as leave room; constants left out are loaded where used.
func fits(want, consts int) []fit {
	var out []fit
	for c := want; c >= 1; c-- {
		for h := consts; h >= 0; h-- {
			out = append(out, fit{c, h})
		}
	}
	return out
}

// newLowering prepares body, whose values outs are stored, for lowering.
func newLowering(f *File, body *kernel.Body, outs []kernel.Value) *lowering {
	return &lowering{f: f, body: body, outs: outs, hoisted: map[uint32]V{},
		last: liveness(body, outs)}
}

// liveness is Body.LastUse restricted to the ops that an output depends
// on, with every output live to the end.
func liveness(body *kernel.Body, outs []kernel.Value) []int {
	n := len(body.Ops)
	live := make([]bool, n)
	for _, v := range outs {
		live[v] = true
	}
	for i := n - 1; i >= 0; i-- {
		if live[i] {
			for _, v := range body.Ops[i].Operands() {
				live[v] = true
			}
		}
	}
	last := make([]int, n)
	for i := range last {
		last[i] = -1
	}
	for i, op := range body.Ops {
		if live[i] {
			for _, v := range op.Operands() {
				last[v] = i
			}
		}
	}
	for _, v := range outs {
		last[v] = n
	}
	return last
}

// isZero reports whether v is the constant ±0.
func (g *lowering) isZero(v kernel.Value) bool {
	op := g.body.Ops[v]
	return op.Kind == kernel.OpConst && op.Bits&0x7fffffff == 0
}

// constRanks lists the constants that some op needs in a register, most
// used first: the order in which they are kept in registers. A zero
// compared by Less needs none (FCMLT and FCMGT compare with #0.0), nor
// does the addend of an FMA, which is loaded into the accumulator.
func (g *lowering) constRanks() []uint32 {
	uses := map[uint32]int{}
	first := map[uint32]int{}
	note := func(bits uint32, at int) {
		if _, ok := first[bits]; !ok {
			first[bits] = at
		}
		uses[bits]++
	}
	for i, op := range g.body.Ops {
		if g.last[i] < 0 {
			continue
		}
		seen := map[kernel.Value]bool{}
		for _, v := range op.Operands() {
			if seen[v] || g.body.Ops[v].Kind != kernel.OpConst {
				continue
			}
			seen[v] = true
			if op.Kind == kernel.OpLess && g.isZero(v) {
				continue
			}
			if (op.Kind == kernel.OpFMA || op.Kind == kernel.OpFNMA) &&
				v == op.C && v != op.A && v != op.B {
				continue // loaded into the accumulator: see own
			}
			note(g.body.Ops[v].Bits, i)
		}
		if op.Kind == kernel.OpScale2 || op.Kind == kernel.OpScale2Normal {
			note(one, i)
		}
	}
	var out []uint32
	for b := range uses {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b uint32) int {
		if c := cmp.Compare(uses[b], uses[a]); c != 0 {
			return c
		}
		return cmp.Compare(first[a], first[b])
	})
	return out
}

// setup loads the constant pool's address (if any constant is used, or if
// the caller needs it: extra) and the first hoist constants of constRanks
// into registers.
func (g *lowering) setup(hoist int, extra bool) {
	ranks := g.constRanks()
	if len(ranks) > 0 || extra {
		g.pool, g.hasPool = g.f.ConstPool(), true
	}
	for _, b := range ranks[:min(hoist, len(ranks))] {
		r := g.f.Vec()
		g.loadConst(b, r)
		g.hoisted[b] = r
	}
}

// loadConst puts bits in every lane of r.
func (g *lowering) loadConst(bits uint32, r V) {
	if bits == 0 {
		g.f.VEOR(r, r, r)
		return
	}
	g.f.LDRQ(g.f.Const(g.pool, bits), r)
}

// loc is where a value of one copy of the body lives.
type loc struct {
	r     V
	konst bool   // a constant not kept in a register: loaded where used
	bits  uint32 // its bits
	owned bool   // r holds a value of this copy alone, freed after its last use
}

// lower emits count copies of the body, interleaved op by op so that
// independent instructions sit next to each other, and returns where each
// copy's values are. input loads input i of copy c into a new register.
// The registers of the outputs stay taken until release.
func (g *lowering) lower(count int, input func(c, i int) V) [][]loc {
	envs := make([][]loc, count)
	for c := range envs {
		envs[c] = make([]loc, len(g.body.Ops))
	}
	for idx, op := range g.body.Ops {
		if g.last[idx] < 0 {
			continue
		}
		for c, env := range envs {
			switch op.Kind {
			case kernel.OpInput:
				env[idx] = loc{r: input(c, op.In), owned: true}
			case kernel.OpScalar:
				env[idx] = loc{r: g.scalars[op.In]}
			case kernel.OpConst:
				if r, ok := g.hoisted[op.Bits]; ok {
					env[idx] = loc{r: r}
				} else {
					env[idx] = loc{konst: true, bits: op.Bits}
				}
			default:
				env[idx] = g.op(idx, op, env)
			}
		}
	}
	return envs
}

// release frees the registers that the outputs of each copy still hold.
func (g *lowering) release(envs [][]loc) {
	for _, env := range envs {
		done := map[V]bool{}
		for _, v := range g.outs {
			if l := env[v]; l.owned && !done[l.r] {
				done[l.r] = true
				g.f.FreeVec(l.r)
			}
		}
	}
}

// op lowers one op of one copy and returns where its value is.
func (g *lowering) op(idx int, op kernel.Op, env []loc) loc {
	f := g.f
	g.cur, g.temps, g.kept = idx, map[kernel.Value]V{}, map[kernel.Value]bool{}
	A, B, C := op.A, op.B, op.C

	// simple emits a one-instruction op: the operands that die here are
	// released first, so that the destination may reuse one of them.
	simple := func(emit func(d V)) loc {
		g.done(op, env)
		d := f.Vec()
		emit(d)
		return loc{r: d, owned: true}
	}
	binary := func(ins func(m, n, d V)) loc {
		a, b := g.reg(env, A), g.reg(env, B)
		return simple(func(d V) { ins(b, a, d) })
	}
	unary := func(ins func(n, d V)) loc {
		a := g.reg(env, A)
		return simple(func(d V) { ins(a, d) })
	}
	switch op.Kind {
	case kernel.OpAdd:
		return binary(f.FADD)
	case kernel.OpSub:
		return binary(f.FSUB)
	case kernel.OpMul:
		return binary(f.FMUL)
	case kernel.OpDiv:
		return binary(f.FDIV)
	case kernel.OpMax:
		// FMAX and FMIN return NaN when either operand is: a NaN A passes.
		return binary(f.FMAX)
	case kernel.OpMin:
		return binary(f.FMIN)
	case kernel.OpAnd:
		return binary(f.VAND)
	case kernel.OpOr:
		return binary(f.VORR)
	case kernel.OpRound:
		return unary(f.FRINTN)
	case kernel.OpSqrt:
		return unary(f.FSQRT)
	case kernel.OpLess:
		// A < B as B > A, false when either is NaN; against zero, the
		// forms that compare with #0.0 need no register for it.
		switch {
		case g.isZero(B):
			return unary(f.FCMLT0)
		case g.isZero(A):
			b := g.reg(env, B)
			return simple(func(d V) { f.FCMGT0(b, d) })
		}
		a, b := g.reg(env, A), g.reg(env, B)
		return simple(func(d V) { f.FCMGT(a, b, d) })
	case kernel.OpFMA, kernel.OpFNMA:
		// The accumulating forms overwrite the addend.
		d := g.own(env, C)
		a, b := g.reg(env, A), g.reg(env, B)
		if op.Kind == kernel.OpFMA {
			f.VFMLA(b, a, d)
		} else {
			f.VFMLS(b, a, d)
		}
		g.done(op, env)
		return loc{r: d, owned: true}
	case kernel.OpSelect:
		return g.sel(op, env)
	case kernel.OpDivNormal:
		return g.divNormal(op, env)
	case kernel.OpScale2:
		return g.scale2(op, env)
	case kernel.OpScale2Normal:
		return g.scale2Normal(op, env)
	}
	panic(fmt.Sprintf("arm64: cannot lower %v", op.Kind))
}

// reg returns a register holding v; a constant not kept in a register is
// loaded into a temporary that done releases.
func (g *lowering) reg(env []loc, v kernel.Value) V {
	l := env[v]
	if !l.konst {
		return l.r
	}
	if r, ok := g.temps[v]; ok {
		return r
	}
	r := g.f.Vec()
	g.loadConst(l.bits, r)
	g.temps[v] = r
	return r
}

// constReg returns a register holding the constant bits, which the lowering
// itself needs: a kept one, or a temporary that done releases.
func (g *lowering) constReg(bits uint32) V {
	if r, ok := g.hoisted[bits]; ok {
		return r
	}
	r := g.f.Vec()
	g.loadConst(bits, r)
	g.scratch = append(g.scratch, r)
	return r
}

// dies reports whether v's register may be overwritten by the current op.
func (g *lowering) dies(env []loc, v kernel.Value) bool {
	return env[v].owned && g.last[v] == g.cur
}

// own returns a register holding v that the op may overwrite and keep as
// its result: v's own if v dies here, a new one holding a copy otherwise.
// A constant is loaded from the pool even when a register holds it: a load
// takes a load unit, a register copy one of the units FMLA needs.
func (g *lowering) own(env []loc, v kernel.Value) V {
	l := env[v]
	switch {
	case g.body.Ops[v].Kind == kernel.OpConst:
		r := g.f.Vec()
		g.loadConst(g.body.Ops[v].Bits, r)
		return r
	case g.dies(env, v):
		g.kept[v] = true
		return l.r
	}
	r := g.f.Vec()
	g.f.VMOV(l.r, r)
	return r
}

// ownable reports whether own(v) needs no register copy.
func (g *lowering) ownable(env []loc, v kernel.Value) bool {
	return g.body.Ops[v].Kind == kernel.OpConst || g.dies(env, v)
}

// done releases the temporaries of the op and the registers of the
// operands that die at it, except those kept as its result.
func (g *lowering) done(op kernel.Op, env []loc) {
	for _, r := range g.temps {
		g.f.FreeVec(r)
	}
	clear(g.temps)
	g.f.FreeVec(g.scratch...)
	g.scratch = g.scratch[:0]
	freed := map[kernel.Value]bool{}
	for _, v := range op.Operands() {
		if g.dies(env, v) && !g.kept[v] && !freed[v] {
			freed[v] = true
			g.f.FreeVec(env[v].r)
		}
	}
}

// sel lowers Select(m, x, y) with the bitwise selects, each of which
// overwrites one operand: BSL the mask, BIT y, BIF x. It picks one that
// dies here, and copies the mask when none does.
func (g *lowering) sel(op kernel.Op, env []loc) loc {
	f := g.f
	m, x, y := op.A, op.B, op.C
	var d V
	switch {
	case g.dies(env, m):
		d = g.own(env, m)
		f.VBSL(g.reg(env, y), g.reg(env, x), d)
	case g.ownable(env, y):
		d = g.own(env, y)
		f.VBIT(env[m].r, g.reg(env, x), d)
	case g.ownable(env, x):
		d = g.own(env, x)
		f.VBIF(env[m].r, g.reg(env, y), d)
	default:
		d = g.own(env, m)
		f.VBSL(g.reg(env, y), g.reg(env, x), d)
	}
	g.done(op, env)
	return loc{r: d, owned: true}
}

// divNormal lowers A / B for normal B with a normal reciprocal: FRECPE's
// 8-bit estimate y of 1/B, two Newton steps y·(2 − B·y) (FRECPS is fused)
// to about 22 bits, q = A·y, and one correction q + y·(A − B·q), whose
// residual A − B·q is exact as an FMA: within 1 ULP, without the divider.
func (g *lowering) divNormal(op kernel.Op, env []loc) loc {
	f := g.f
	a, b := g.reg(env, op.A), g.reg(env, op.B)
	y, s, q := f.Vec(), f.Vec(), f.Vec()
	f.FRECPE(b, y)
	for range 2 {
		f.FRECPS(y, b, s)
		f.FMUL(s, y, y)
	}
	f.FMUL(y, a, q)
	f.VMOV(a, s)
	f.VFMLS(q, b, s)
	f.VFMLA(y, s, q)
	f.FreeVec(y, s)
	g.done(op, env)
	return loc{r: q, owned: true}
}

// scale2Normal is scale2 in one step, for 2^n normal: its bits are
// (n << 23) + the bits of 1, and a factor of 1 needs no product.
func (g *lowering) scale2Normal(op kernel.Op, env []loc) loc {
	f := g.f
	n := g.reg(env, op.B)
	bias := g.constReg(one)
	t := f.Vec()
	f.FCVTZS(n, t)
	f.VSHL(23, t, t)
	f.VADD(bias, t, t)
	if a := g.body.Ops[op.A]; a.Kind != kernel.OpConst || a.Bits != one {
		f.FMUL(t, g.reg(env, op.A), t)
	}
	g.done(op, env)
	return loc{r: t, owned: true}
}

// scale2 lowers p·2^n for integral n in [−150, 128], rounded once: with
// n1 = n>>1 and n2 = n − n1, both in [−75, 64] where 2^k is a normal
// float32 built as (k+127) << 23, p·2^n1 is exact and the second product
// is the only rounding. FCVTZS is exact on the integral n (and gives 0
// for NaN, whose p is NaN anyway).
func (g *lowering) scale2(op kernel.Op, env []loc) loc {
	f := g.f
	p, n := g.reg(env, op.A), g.reg(env, op.B)
	bias := g.constReg(one)
	n1, n2 := f.Vec(), f.Vec()
	f.FCVTZS(n, n2)
	f.SSHR(1, n2, n1)
	f.VSUB(n1, n2, n2)
	f.VSHL(23, n1, n1)
	f.VSHL(23, n2, n2)
	f.VADD(bias, n1, n1)
	f.VADD(bias, n2, n2)
	f.FMUL(n1, p, n1)
	f.FMUL(n2, n1, n1)
	f.FreeVec(n2)
	g.done(op, env)
	return loc{r: n1, owned: true}
}
