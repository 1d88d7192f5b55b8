package amd64

import (
	"fmt"
	"math"

	"github.com/backprop-go/backprop/gen/kernel"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// RowsMax is the longest row the short-row kernels of isa take: two
// vectors.
func RowsMax(isa ISA) int { return 2 * isa.Lanes }

// SoftmaxRowsName and SubRowsName are the function names of the short-row
// kernels on isa.
func SoftmaxRowsName(isa ISA) string { return "SoftmaxRows" + isa.Name }
func SubRowsName(isa ISA) string     { return "SubRows" + isa.Name }

// shortRows is the state of one short-row function being emitted: rows of
// n elements in V = 1 or 2 vectors, the last under masks[V−1] (on AVX-512
// an opmask, on AVX2 a lane mask), the first of two always whole.
//
// On AVX2, whose masked stores are slow on some CPUs (Zen among them), a
// row of two vectors is read and written without masks instead: its second
// vector is its last 8 elements, which overlap the first vector in
// 16 − n lanes. Those lanes compute the same bits as the first vector's,
// so storing them twice is harmless, and a sum leaves them out under
// tail, a mask of the last n − 8 lanes.
type shortRows struct {
	f      *File
	masks  []reg.Register
	tail   reg.Register
	nbytes reg.Register // n·4, the distance between rows
}

// overlap reports whether rows of V vectors take the unmasked form.
func (s *shortRows) overlap(V int) bool { return !s.f.ISA.EVEX && V == 2 }

func (s *shortRows) mask(v, V int) reg.Register {
	if v < V-1 || s.overlap(V) {
		return nil
	}
	return s.masks[V-1]
}

// rowMem is vector v of row r of a group whose row 0 is at base[0] and
// row 1 at base[1].
func (s *shortRows) rowMem(base []reg.Register, r, v, V int) operand.Mem {
	if v == 1 && s.overlap(V) {
		return operand.Mem{Base: base[r], Index: s.nbytes, Scale: 1, Disp: -4 * s.f.ISA.Lanes}
	}
	return operand.Mem{Base: base[r], Disp: 4 * s.f.ISA.Lanes * v}
}

// loop emits, under label, the loop over rows in groups of G (then one at a
// time) of V vectors each, calling body for each group with the bases of
// its rows; ptrs are advanced by a row each row, and stats (if not nil) by
// two floats.
func (s *shortRows) loop(label string, G int, rows reg.Register, ptrs []reg.Register, stats reg.Register, done string,
	body func(rows int, bases [][]reg.Register)) {
	f := s.f
	sizes := []int{G}
	if G > 1 {
		sizes = append(sizes, 1)
	}
	second := make([]reg.Register, len(ptrs))
	for i := range second {
		second[i] = f.GP64()
	}
	f.Label(label)
	for _, g := range sizes {
		lbl, next := fmt.Sprintf("%s_%d", label, g), done
		if g > 1 {
			next = fmt.Sprintf("%s_%d", label, 1)
		}
		f.Label(lbl)
		f.CMPQ(rows, operand.U32(g))
		f.JL(operand.LabelRef(next))
		bases := make([][]reg.Register, len(ptrs))
		for i, p := range ptrs {
			bases[i] = []reg.Register{p}
			if g == 2 {
				f.LEAQ(operand.Mem{Base: p, Index: s.nbytes, Scale: 1}, second[i])
				bases[i] = append(bases[i], second[i])
			}
		}
		body(g, bases)
		for i, p := range ptrs {
			if g == 2 {
				f.LEAQ(operand.Mem{Base: second[i], Index: s.nbytes, Scale: 1}, p)
			} else {
				f.ADDQ(s.nbytes, p)
			}
		}
		if stats != nil {
			f.ADDQ(operand.U32(8*g), stats)
		}
		f.SUBQ(operand.U32(g), rows)
		f.JMP(operand.LabelRef(lbl))
	}
}

// setup computes the row stride and the masks of the last vector of a row
// of one and of two vectors (and, for a kernel that sums rows, the tail
// mask), then jumps to two when n > lanes.
func (s *shortRows) setup(n reg.Register, two string, sums bool) {
	f := s.f
	L := f.ISA.Lanes
	s.nbytes = f.GP64()
	f.MOVQ(n, s.nbytes)
	f.SHLQ(operand.U8(2), s.nbytes)
	f.Comment("The mask of a row's last vector, for rows of one vector and of two.")
	if f.ISA.EVEX {
		s.masks = f.columnMasks(n, 2) // min(n, lanes) lanes, then n − lanes
	} else {
		s.masks = f.columnMasks(n, 1) // rows of two vectors overlap instead
	}
	if sums && !f.ISA.EVEX {
		// The last min(n−8, 0…8) lanes: 8 int32 at index n − 8 (clamped)
		// of 8 zeros then 8 all-ones.
		i, lim := f.GP64(), f.GP64()
		f.MOVQ(n, i)
		f.SUBQ(operand.U32(L), i)
		f.XORQ(lim, lim)
		f.CMPQ(i, lim)
		f.CMOVQLT(lim, i)
		tbl := f.GP64()
		f.LEAQ(f.laneTailTable(), tbl)
		s.tail = f.YMM()
		f.VMOVDQU(operand.Mem{Base: tbl, Index: i, Scale: 4}, s.tail)
	}
	f.CMPQ(n, operand.U32(L))
	f.JG(operand.LabelRef(two))
}

// butterfly leaves op(all lanes of src) in every lane of a new register,
// in log2(lanes) steps of a shuffle and op, each lane combining the same
// values in a different order: + and max of numbers give every lane the
// same bits. With a NaN in the row the lanes of the maximum may differ
// (VMAXPS returns one operand or the other), but the NaN element's
// exponential is NaN whatever it subtracts, and it reaches every lane of
// the sum, so the row's outputs and its stats[2r+1] are NaN.
func (f *File) butterfly(src reg.VecVirtual, op func(a, b, dst operand.Op)) reg.VecVirtual {
	t, v := f.vec(), f.vec()
	step := func(shuffle func()) {
		shuffle()
		op(t, src, v)
		src = v
	}
	if f.ISA.EVEX {
		step(func() { f.VSHUFF32X4(operand.U8(0x4e), src, src, t) }) // swap the 256-bit halves
		step(func() { f.VSHUFF32X4(operand.U8(0xb1), src, src, t) }) // swap the 128-bit blocks of each half
	} else {
		step(func() { f.VPERM2F128(operand.U8(0x01), src, src, t) })
	}
	step(func() { f.VPERMILPS(operand.U8(0x4e), src, t) }) // swap the pairs of each block
	step(func() { f.VPERMILPS(operand.U8(0xb1), src, t) }) // swap the elements of each pair
	return v
}

// SoftmaxRows emits the softmax of short rows (see
// kernel.SoftmaxRowsSignature): two rows at a time on AVX-512, one on
// AVX2, each loaded once, with −Inf in the lanes past its end, so that
// they count neither in the maximum nor, their exponential being 0, in
// the sum.
func (f *File) SoftmaxRows() {
	name := SoftmaxRowsName(f.ISA)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.SoftmaxRowsSignature)
	f.Pragma("noescape")
	f.Doc(name+" is the "+f.ISA.Name+" path of SoftmaxRows.", "",
		fmt.Sprintf("For each of rows rows of 1 ≤ n ≤ %d elements at x: m = max(row), s = Σ exp(row − m),", RowsMax(f.ISA)),
		"and unless dst is nil dst's row = exp(row − m)·(scale/s); stats[2r] = m, stats[2r+1] = s.")

	body := kernel.SoftmaxRowsBody()
	g := &lowering{f: f, body: body, last: body.LastUse()}
	dst := f.Load(f.Param("dst"), f.GP64())
	x := f.Load(f.Param("x"), f.GP64())
	stats := f.Load(f.Param("stats"), f.GP64())
	rows := f.Load(f.Param("rows"), f.GP64())
	n := f.Load(f.Param("n"), f.GP64())
	scale := f.vec()
	f.VBROADCASTSS(f.paramAddr("scale"), scale)
	ninf := f.vec()
	f.VBROADCASTSS(f.constMem(math.Float32bits(float32(math.Inf(-1)))), ninf)
	g.hoist()
	s := &shortRows{f: f}
	two := name + "_two"
	s.setup(n, two, true)

	G := 2
	if !f.ISA.EVEX {
		G = 1 // 16 registers
	}
	done := name + "_done"
	group := func(V int, store bool) func(int, [][]reg.Register) {
		return func(rowsInGroup int, bases [][]reg.Register) {
			xs := make([][]reg.VecVirtual, rowsInGroup)
			for r := range xs {
				for v := 0; v < V; v++ {
					xv := f.vec()
					m := s.rowMem(bases[1], r, v, V)
					if mask := s.mask(v, V); mask == nil {
						f.VMOVUPS(m, xv)
					} else if f.ISA.EVEX {
						f.VMOVAPS(ninf, xv)
						f.VMOVUPS(m, mask, xv)
					} else {
						f.VMASKMOVPS(m, mask, xv)
						f.VBLENDVPS(mask, xv, ninf, xv)
					}
					xs[r] = append(xs[r], xv)
				}
			}
			maxOf := func(a, b, d operand.Op) { f.VMAXPS(a, b, d) }
			ms := make([]reg.VecVirtual, rowsInGroup)
			for r := range ms {
				m := xs[r][0]
				if V == 2 {
					m = f.vec()
					f.VMAXPS(xs[r][1], xs[r][0], m)
				}
				ms[r] = f.butterfly(m, maxOf)
			}
			envs := g.lower(rowsInGroup*V, func(c int, op kernel.Op) operandOf {
				if op.In == 0 {
					return operandOf{r: xs[c/V][c%V], owned: true}
				}
				return operandOf{r: ms[c/V]}
			})
			e := func(r, v int) reg.Register { return envs[r*V+v][body.Result].r }
			sumOf := func(a, b, d operand.Op) { f.VADDPS(a, b, d) }
			sums := make([]reg.VecVirtual, rowsInGroup)
			for r := range sums {
				sum := e(r, 0).(reg.VecVirtual)
				if V == 2 {
					sum = f.vec()
					last := e(r, 1)
					if s.overlap(V) {
						f.VANDPS(s.tail, last, sum)
						last = sum
					}
					f.VADDPS(last, e(r, 0), sum)
				}
				sums[r] = f.butterfly(sum, sumOf)
			}
			for r := range sums {
				f.VMOVSS(ms[r].AsX(), operand.Mem{Base: stats, Disp: 8 * r})
				f.VMOVSS(sums[r].AsX(), operand.Mem{Base: stats, Disp: 8*r + 4})
			}
			if !store {
				return
			}
			for r := range sums {
				q := f.vec()
				f.VDIVPS(sums[r], scale, q)
				for v := 0; v < V; v++ {
					out := f.vec()
					f.VMULPS(q, e(r, v), out)
					f.store(out, s.rowMem(bases[0], r, v, V), s.mask(v, V))
				}
			}
		}
	}
	for _, V := range []int{1, 2} {
		if V == 2 {
			f.Label(two)
		}
		stored, statsOnly := fmt.Sprintf("%s_v%d", name, V), fmt.Sprintf("%s_v%d_nodst", name, V)
		f.Commentf("Rows of %d vector(s); without dst, only the statistics.", V)
		f.TESTQ(dst, dst)
		f.JZ(operand.LabelRef(statsOnly))
		s.loop(stored, G, rows, []reg.Register{dst, x}, stats, done, group(V, true))
		s.loop(statsOnly, G, rows, []reg.Register{dst, x}, stats, done, group(V, false))
	}
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}

// SubRows emits dst's row r = x's row r − c[r] for short rows (see
// kernel.SubRowsSignature), two rows at a time.
func (f *File) SubRows() {
	name := SubRowsName(f.ISA)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.SubRowsSignature)
	f.Pragma("noescape")
	f.Doc(name+" is the "+f.ISA.Name+" path of SubRows.", "",
		fmt.Sprintf("For each of rows rows of 1 ≤ n ≤ %d elements: dst's row r = x's row r − c[r].", RowsMax(f.ISA)))
	dst := f.Load(f.Param("dst"), f.GP64())
	x := f.Load(f.Param("x"), f.GP64())
	c := f.Load(f.Param("c"), f.GP64())
	rows := f.Load(f.Param("rows"), f.GP64())
	n := f.Load(f.Param("n"), f.GP64())
	s := &shortRows{f: f}
	two := name + "_two"
	s.setup(n, two, false)
	done := name + "_done"
	group := func(V int) func(int, [][]reg.Register) {
		return func(rowsInGroup int, bases [][]reg.Register) {
			var outs [][]reg.VecVirtual
			for r := 0; r < rowsInGroup; r++ {
				cr := f.vec()
				f.VBROADCASTSS(operand.Mem{Base: c, Disp: 4 * r}, cr)
				var row []reg.VecVirtual
				for v := 0; v < V; v++ {
					xv := f.vec()
					f.load(s.rowMem(bases[1], r, v, V), s.mask(v, V), xv)
					f.VSUBPS(cr, xv, xv)
					row = append(row, xv)
				}
				outs = append(outs, row)
			}
			for r, row := range outs {
				for v, o := range row {
					f.store(o, s.rowMem(bases[0], r, v, V), s.mask(v, V))
				}
			}
			f.ADDQ(operand.U32(4*rowsInGroup), c)
		}
	}
	for _, V := range []int{1, 2} {
		if V == 2 {
			f.Label(two)
		}
		f.Commentf("Rows of %d vector(s).", V)
		s.loop(fmt.Sprintf("%s_v%d", name, V), 2, rows, []reg.Register{dst, x}, nil, done, group(V))
	}
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}
