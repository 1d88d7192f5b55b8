package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// The row kernels of classification.
const (
	opSoftmax = iota
	opLogSoftmax
	opCrossEntropy
	numSoftmaxOps
)

var softmaxNames = [...]string{"Softmax", "LogSoftmax", "SoftmaxCrossEntropy"}

// The wrong arguments FuzzSoftmax tries, chosen by bits 5–7 of its mode.
const (
	smGood       = iota
	smShortDst   // dst one element short
	smNotRows    // x and dst one element longer than whole rows
	smZeroN      // a row length of 0
	smLabelCount // one label too many (SoftmaxCrossEntropy)
	smBadLabel   // one label outside [0, n) (SoftmaxCrossEntropy)
)

// rowRef is the exact softmax of one row of float32 values, with what the
// bounds need: NaN everywhere for a row with a NaN or +Inf, or with no
// element above −Inf.
type rowRef struct {
	nan    bool
	m, log float64 // the maximum and log Σe^(x−m)
	sm     []float64
}

func softmaxRow(x []float32) rowRef {
	r := rowRef{m: math.Inf(-1)}
	for _, v := range x {
		if v != v || math.IsInf(float64(v), 1) {
			r.nan = true
		}
		r.m = max(r.m, float64(v))
	}
	if r.nan || math.IsInf(r.m, -1) {
		r.nan = true
		return r
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - r.m)
	}
	r.log = math.Log(s)
	r.sm = make([]float64, len(x))
	for j, v := range x {
		r.sm[j] = math.Exp(float64(v)-r.m) / s
	}
	return r
}

// closeTo reports whether got is within bound of the exact want, counting
// an infinity of want's sign as close when want is beyond the float32
// range (less the bound), where float32 overflows.
func closeTo(got float32, want, bound float64) bool {
	g := float64(got)
	if math.IsInf(want, 0) {
		return g == want
	}
	if math.IsInf(g, 0) {
		return math.Signbit(g) == math.Signbit(want) && math.Abs(want)+bound >= math.MaxFloat32
	}
	return math.Abs(g-want) <= bound
}

// FuzzSoftmax checks Softmax, LogSoftmax and SoftmaxCrossEntropy on every
// path against float64, with the bounds of the kernels' own tests (ε =
// 2⁻²⁴, shift = |x − max|):
//
//	softmax        |y − t| ≤ ((n + 6) + shift)·ε·t + 2⁻¹²⁶
//	log-softmax    |y − t| ≤ (n + 6)·ε·(1 + |x| + |c|), c = max + log Σe^(x−max)
//	the loss       Σ_rows (n + 6)·ε + 2ε·(|max| + |x[label]|)
//	the gradient   |scale|·(((n + 6) + shift)·ε·t + ε + 2⁻¹²⁶) + 2⁻¹²⁶
//
// A row with a NaN or +Inf, or all −Inf, gives NaN. Rows, in place or not,
// are placed as by FuzzElementwise; wrong lengths, a row length of 0, a
// wrong number of labels and a label out of range must panic with nothing
// written.
func FuzzSoftmax(f *testing.F) {
	for op := range uint8(numSoftmaxOps) {
		for i, n := range []uint16{1, 2, 7, 10, 16, 17, 32, 33, 64, 100, 257, 1000} {
			rows := uint8(i%4 + 1)
			f.Add(op, n, rows, uint8(i%4)<<3|uint8(i%2), uint32(i)*0x01020304, []byte{byte(i), op})
		}
		f.Add(op, uint16(10), uint8(0), uint8(0), uint32(0), []byte(nil))
		for bad := uint8(smShortDst); bad <= smBadLabel; bad++ {
			f.Add(op, uint16(9), uint8(3), bad<<5, uint32(0), []byte{bad})
		}
	}
	f.Add(uint8(opSoftmax), uint16(40), uint8(2), uint8(3<<3), uint32(0x0105), []byte{0x30, 0x31})
	f.Fuzz(func(t *testing.T, op uint8, n uint16, rows uint8, mode uint8, place uint32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		op %= numSoftmaxOps
		name := softmaxNames[op]
		cols := 1 + int(n)%1100
		nrows := int(rows) % 9
		if cols <= 32 {
			nrows = int(rows) % 140 // across the short-row kernels' blocks of 64 rows
		}
		inPlace := mode&1 == 1
		bad := int(mode >> 5)
		if op != opCrossEntropy && bad >= smLabelCount || bad > smBadLabel {
			bad = smGood
		}
		src := newSource(data, mode>>3)
		lx, ld := nrows*cols, nrows*cols
		switch bad {
		case smShortDst:
			if ld == 0 {
				bad = smGood
			} else {
				ld--
				inPlace = false
			}
		case smNotRows:
			if cols == 1 {
				bad = smGood // every length is whole rows of 1
			} else {
				lx++
				ld++
			}
		case smZeroN:
			cols = 0
		case smBadLabel:
			if nrows == 0 {
				bad = smGood
			}
		}
		wx := newWin(lx, uint8(place))
		defer wx.free()
		src.fill(wx.s())
		x := wx.s()
		var wd *win
		dst := x
		if !inPlace {
			wd = newWin(ld, uint8(place>>8))
			defer wd.free()
			src.fill(wd.s())
			dst = wd.s()
		}
		var labels []int32
		scale := float32(1)
		if op == opCrossEntropy {
			labels = make([]int32, nrows)
			for i := range labels {
				labels[i] = int32(src.u32() % uint32(max(cols, 1)))
			}
			switch bad {
			case smLabelCount:
				labels = append(labels, 0)
			case smBadLabel:
				i := int(src.byte()) % nrows
				labels[i] = int32(cols)
				if src.byte()%2 == 0 {
					labels[i] = -1
				}
			}
			if s := src.f32(); finite(float64(s)) {
				scale = s
			}
		}
		xs, ds := snapshot(x), snapshot(dst)
		what := func(p *kernels.Impl) string {
			return fmt.Sprintf("%s of %d rows of %d (%d and %d elements, in place: %v, scale %v) on %s",
				name, nrows, cols, len(x), len(dst), inPlace, scale, p.Name())
		}

		// The reference, row by row.
		var refs []rowRef
		if bad == smGood {
			for r := 0; r < nrows; r++ {
				refs = append(refs, softmaxRow(x[r*cols:(r+1)*cols]))
			}
		}

		for _, p := range paths {
			copy(x, math32(xs))
			var loss float64
			run := func() {
				switch op {
				case opSoftmax:
					p.Softmax(dst, x, cols)
				case opLogSoftmax:
					p.LogSoftmax(dst, x, cols)
				default:
					loss = p.SoftmaxCrossEntropy(dst, x, labels, cols, scale)
				}
			}
			if bad != smGood {
				var subs []string
				switch bad {
				case smShortDst:
					subs = []string{"len(dst) = "}
				case smNotRows, smZeroN:
					subs = []string{"len(x) = ", "is not a multiple of the row length"}
				case smLabelCount:
					subs = []string{"labels for"}
				case smBadLabel:
					subs = []string{"label", "is not in [0, "}
				}
				mustPanic(t, what(p), run, append([]string{"kernels: " + name + ": "}, subs...)...)
				if i := changed(x, xs); i >= 0 {
					t.Fatalf("%s: panicked having written x[%d]", what(p), i)
				}
				if i := changed(dst, ds); i >= 0 {
					t.Fatalf("%s: panicked having written dst[%d]", what(p), i)
				}
			} else {
				mustRun(t, what(p), run)
				if !inPlace {
					if i := changed(x, xs); i >= 0 {
						t.Fatalf("%s: x[%d] changed", what(p), i)
					}
				}
				checkSoftmax(t, what(p), op, math32(xs), dst, refs, cols, labels, scale, loss)
			}
			if msg := wx.guardsOK(); msg != "" {
				t.Fatalf("%s: x: %s", what(p), msg)
			}
			if wd != nil {
				if msg := wd.guardsOK(); msg != "" {
					t.Fatalf("%s: dst: %s", what(p), msg)
				}
			}
		}
	})
}

// math32 returns the float32 values of a snapshot.
func math32(snap []uint32) []float32 {
	v := make([]float32, len(snap))
	for i, b := range snap {
		v[i] = math.Float32frombits(b)
	}
	return v
}

// checkSoftmax compares the output of one row kernel with the reference.
func checkSoftmax(t *testing.T, what string, op uint8, x, dst []float32, refs []rowRef,
	cols int, labels []int32, scale float32, loss float64) {
	t.Helper()
	eps := float64(cols+6) * eps32
	var wantLoss, lossBound float64
	for r, ref := range refs {
		row, out := x[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		if ref.nan {
			for j, y := range out {
				if y == y {
					t.Fatalf("%s: row %d (with NaN, +Inf or only −Inf) element %d = %v, want NaN",
						what, r, j, y)
				}
			}
			wantLoss = math.NaN()
			continue
		}
		c := ref.m + ref.log
		for j, y := range out {
			v := float64(row[j])
			shift := math.Abs(v - ref.m)
			sm := ref.sm[j]
			var rel float64 // the relative error of e^(x−max), times the result
			if sm != 0 {
				rel = (eps + eps32*shift) * sm
			}
			var want, bound float64
			switch op {
			case opSoftmax:
				want, bound = sm, rel+0x1p-126
			case opLogSoftmax:
				want, bound = v-c, eps*(1+math.Abs(v)+math.Abs(c))
			default:
				want = sm
				if j == int(labels[r]) {
					want--
				}
				s := math.Abs(float64(scale))
				want *= float64(scale)
				bound = s*(rel+eps32+0x1p-126) + 0x1p-126
			}
			if !closeTo(y, want, bound) {
				t.Fatalf("%s: row %d element %d = %v (%#08x), want %v within %.3g (x = %v, max %v)",
					what, r, j, y, math.Float32bits(y), want, bound, row[j], ref.m)
			}
		}
		if op == opCrossEntropy {
			zy := float64(row[labels[r]])
			wantLoss += ref.log + ref.m - zy
			lossBound += eps + 2*eps32*(math.Abs(ref.m)+math.Abs(zy))
		}
	}
	if op != opCrossEntropy {
		return
	}
	switch {
	case math.IsNaN(wantLoss):
		if !math.IsNaN(loss) {
			t.Fatalf("%s: loss %v, want NaN", what, loss)
		}
	case math.IsInf(wantLoss, 0):
		if loss != wantLoss {
			t.Fatalf("%s: loss %v, want %v", what, loss, wantLoss)
		}
	case !(math.Abs(loss-wantLoss) <= lossBound):
		t.Fatalf("%s: loss %v, want %v within %.3g", what, loss, wantLoss, lossBound)
	}
}
