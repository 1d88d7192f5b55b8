package arm64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
)

// RowsMin and RowsMax bound the rows the short-row kernels take: one to
// four vectors, with no lane past the row's end. NEON has no masked loads,
// so a row whose length is not a multiple of 4 is read as whole vectors
// from its start and a last one that ends at its end, overlapping the one
// before in 4·V − n lanes. Those lanes compute the same bits twice, which
// a store does not mind and a sum leaves out under a mask of the last
// n − 4(V−1) lanes.
const RowsMin, RowsMax = Lanes, 4 * Lanes

// shortRows is the state of one short-row function: rows nbytes apart,
// the last vector of a row at lastOff bytes from its start.
type shortRows struct {
	f       *File
	nbytes  R
	lastOff R
}

// at is the address of vector v of a row of nv vectors at base; the last
// one needs a register, p, to hold its address.
func (s *shortRows) at(base R, v, nv int, p R) Mem {
	if v < nv-1 {
		return Mem{Base: base, Off: 16 * v}
	}
	s.f.MOVD(base, p)
	s.f.ADD(s.lastOff, p)
	return Mem{Base: p}
}

// rowLoops emits, for each V in 1…4 (dispatched on n), pre(V) and then a
// loop over the rows calling row(V) once a row and advancing ptrs by a row.
func (s *shortRows) rowLoops(name string, n, rows R, ptrs []R, pre, row func(nv int)) {
	f := s.f
	s.nbytes, s.lastOff = f.GP(), f.GP()
	f.LSLI(2, n, s.nbytes)
	f.SUBI(16, s.nbytes, s.lastOff)
	done := name + "_done"
	for V := 1; V <= 4; V++ {
		if V < 4 {
			f.CMPI(4*V, n)
			f.BLE(fmt.Sprintf("%s_v%d", name, V))
		} else {
			f.B(fmt.Sprintf("%s_v%d", name, V))
		}
	}
	for V := 1; V <= 4; V++ {
		loop := fmt.Sprintf("%s_v%d", name, V)
		f.Commentf("Rows of %d vector(s).", V)
		f.Label(fmt.Sprintf("%s_v%d", name, V))
		if pre != nil {
			pre(V)
		}
		loop += "_loop"
		f.Label(loop)
		f.CBZ(rows, done)
		row(V)
		for _, p := range ptrs {
			f.ADD(s.nbytes, p)
		}
		f.SUBI(1, rows, rows)
		f.B(loop)
	}
	f.Label(done)
	f.RET()
}

// SoftmaxRows emits SoftmaxRowsNEON (see kernel.SoftmaxRowsSignature) for
// rows of RowsMin to RowsMax elements, one row at a time: each is loaded
// once, its maximum and sum are FMAXP and FADDP folds that leave the result
// in every lane, its exponential is ExpSubSum's body.
func (f *File) SoftmaxRows() {
	body := kernel.SoftmaxRowsBody()
	consts := len(newLowering(f, body, []kernel.Value{body.Result}).constRanks())
	for h := consts; h >= 0; h-- {
		if f.Attempt(func() { f.softmaxRows(body, h) }) {
			return
		}
	}
	panic("arm64: SoftmaxRows does not fit in 32 vector registers")
}

func (f *File) softmaxRows(body *kernel.Body, hoist int) {
	name := "SoftmaxRowsNEON"
	f.Function(name)
	f.SignatureExpr(kernel.SoftmaxRowsSignature)
	f.Pragma("noescape")
	f.Doc(name+" is the NEON path of SoftmaxRows.", "",
		fmt.Sprintf("For each of rows rows of %d ≤ n ≤ %d elements at x: m = max(row), s = Σ exp(row − m),", RowsMin, RowsMax),
		"and unless dst is nil dst's row = exp(row − m)·(scale/s); stats[2r] = m, stats[2r+1] = s.")
	g := newLowering(f, body, []kernel.Value{body.Result})
	dst, x, stats := f.LoadParam("dst"), f.LoadParam("x"), f.LoadParam("stats")
	rows, n := f.LoadParam("rows"), f.LoadParam("n")
	scale := f.Vec()
	f.LoadScalar("scale", scale)
	f.VDUP(scale, scale)
	g.setup(hoist, false)
	tbl := f.LaneTail()
	mask, p := f.Vec(), f.GP()
	// dst advances row by row; whether it was nil is kept apart.
	stores := f.GP()
	f.MOVD(dst, stores)
	s := &shortRows{f: f}
	s.rowLoops(name, n, rows, []R{dst, x}, func(nv int) {
		// The mask of the last vector's own lanes, n − 4(V−1) of them.
		f.SUBI(4*(nv-1), n, p)
		f.LSLI(2, p, p)
		f.ADD(tbl, p)
		f.LDRQ(Mem{Base: p}, mask)
	}, func(nv int) {
		xs := make([]V, nv)
		for v := range xs {
			xs[v] = f.Vec()
			f.LDRQ(s.at(x, v, nv, p), xs[v])
		}
		m := f.Vec()
		f.VMOV(xs[0], m)
		for v := 1; v < nv; v++ {
			f.FMAX(xs[v], m, m)
		}
		f.FMAXP(m, m, m)
		f.FMAXP(m, m, m)
		envs := g.lower(nv, func(c, i int) V {
			if i == 0 {
				return xs[c]
			}
			r := f.Vec()
			f.VMOV(m, r)
			return r
		})
		e := func(c int) V { return envs[c][body.Result].r }
		sum := f.Vec()
		f.VAND(mask, e(nv-1), sum)
		for v := 0; v < nv-1; v++ {
			f.FADD(e(v), sum, sum)
		}
		f.FADDP(sum, sum, sum)
		f.FADDP(sum, sum, sum)
		f.STRS(m, Mem{Base: stats})
		f.STRS(sum, Mem{Base: stats, Off: 4})
		f.ADDI(8, stats, stats)
		stored := fmt.Sprintf("%s_v%d_next", name, nv)
		f.CBZ(stores, stored)
		f.FDIV(sum, scale, sum)
		for v := 0; v < nv; v++ {
			f.FMUL(sum, e(v), e(v))
			f.STRQ(e(v), s.at(dst, v, nv, p))
		}
		f.Label(stored)
		g.release(envs)
		f.FreeVec(m, sum)
	})
}

// SubRows emits SubRowsNEON (see kernel.SubRowsSignature): dst's row r =
// x's row r − c[r], for rows of RowsMin to RowsMax elements.
func (f *File) SubRows() {
	name := "SubRowsNEON"
	f.Function(name)
	f.SignatureExpr(kernel.SubRowsSignature)
	f.Pragma("noescape")
	f.Doc(name+" is the NEON path of SubRows.", "",
		fmt.Sprintf("For each of rows rows of %d ≤ n ≤ %d elements: dst's row r = x's row r − c[r].", RowsMin, RowsMax))
	dst, x, c := f.LoadParam("dst"), f.LoadParam("x"), f.LoadParam("c")
	rows, n := f.LoadParam("rows"), f.LoadParam("n")
	p := f.GP()
	s := &shortRows{f: f}
	s.rowLoops(name, n, rows, []R{dst, x}, nil, func(nv int) {
		cv := f.Vec()
		f.LDRS(Mem{Base: c}, cv)
		f.VDUP(cv, cv)
		f.ADDI(4, c, c)
		xs := make([]V, nv)
		for v := range xs {
			xs[v] = f.Vec()
			f.LDRQ(s.at(x, v, nv, p), xs[v])
			f.FSUB(cv, xs[v], xs[v])
		}
		for v := range xs {
			f.STRQ(xs[v], s.at(dst, v, nv, p))
		}
		f.FreeVec(cv)
		f.FreeVec(xs...)
	})
}
