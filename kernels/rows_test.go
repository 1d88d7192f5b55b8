package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// rowLengths cross the lengths of one and two vectors of every path, where
// the short-row kernels (rows of at most 16 floats on AVX2, 32 on
// AVX-512) hand over to the per-row passes.
var rowLengths = []int{1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 100, 257}

// rowCounts cross the short-row kernels' pairs of rows and their blocks of
// rowBlock rows.
var rowCounts = []int{0, 1, 2, 3, 5, rowBlock - 1, rowBlock, rowBlock + 1, 2*rowBlock + 3}

func TestAddBiasSumRows(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(4, 4))
		for _, n := range rowLengths {
			for m := 0; m <= 5; m++ {
				x, buf := guarded(m*n, 3)
				values(r, x)
				bias := make([]float32, n)
				values(r, bias)
				orig := slices.Clone(x)
				p.AddBias(x, bias)
				checkGuards(t, buf, 3, m*n)
				for i := range x {
					if w := orig[i] + bias[i%n]; !sameBits(x[i], w) {
						t.Fatalf("AddBias n=%d m=%d: element %d = %v, want %v", n, m, i, x[i], w)
					}
				}

				dst, dbuf := guarded(n, 5)
				p.SumRows(dst, orig)
				checkGuards(t, dbuf, 5, n)
				for j := range dst {
					var w float32
					if m > 0 {
						w = orig[j]
					}
					for i := 1; i < m; i++ {
						w += orig[i*n+j]
					}
					if !sameBits(dst[j], w) {
						t.Fatalf("SumRows n=%d m=%d: column %d = %v, want %v", n, m, j, dst[j], w)
					}
				}
			}
		}
	})
}

// softmax64 is the softmax of one row in float64, and its logarithm.
func softmax64(x []float32) (sm, lsm []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	for _, v := range x {
		sm = append(sm, math.Exp(float64(v)-m)/s)
		lsm = append(lsm, float64(v)-m-math.Log(s))
	}
	return sm, lsm
}

// TestSoftmax compares with float64. Bounds, with ε = 2⁻²⁴: x − m is
// rounded to float32, an absolute error of |x − m|·ε that e^(x−m) turns
// into a relative one; each e^(x−m) is within 2 ULP; their sum adds n·ε
// relative; 1/s and the product two roundings more:
// |y − t| ≤ ((n + 6) + |x − m|)·ε·t, plus the smallest normal for results
// that underflow. LogSoftmax subtracts c = m + log s, whose error is
// about (n + 4)·ε absolute, then rounds twice: |y − t| ≤ (n + 6)·ε·(1 + |x| + |c|).
func TestSoftmax(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(5, 5))
		for _, n := range rowLengths {
			for _, m := range rowCounts {
				x := make([]float32, m*n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(7)))
					if r.IntN(50) == 0 {
						x[i] = float32(math.Inf(-1))
					}
				}
				// A row of all −Inf has no softmax; keep one finite element.
				for i := 0; i < m; i++ {
					x[i*n] = float32(r.NormFloat64())
				}
				xs := slices.Clone(x)
				sm, smBuf := guarded(len(x), 2)
				lsm, lsmBuf := guarded(len(x), 7)
				p.Softmax(sm, x, n)
				p.LogSoftmax(lsm, x, n)
				checkGuards(t, smBuf, 2, len(x))
				checkGuards(t, lsmBuf, 7, len(x))
				if !slices.Equal(x, xs) {
					t.Fatal("input modified")
				}
				eps := 0x1p-24 * float64(n+6)
				for i := 0; i < m; i++ {
					row := x[i*n : (i+1)*n]
					want, wantLog := softmax64(row)
					c := float64(row[0]) - wantLog[0]
					for j := range row {
						y, w := float64(sm[i*n+j]), want[j]
						shift := math.Abs(float64(row[j]) - float64(slices.Max(row)))
						if math.Abs(y-w) > (eps+0x1p-24*shift)*w+0x1p-126 {
							t.Fatalf("Softmax n=%d row %d: element %d = %v, want %v", n, i, j, y, w)
						}
						y, w = float64(lsm[i*n+j]), wantLog[j]
						if math.IsInf(w, -1) {
							if !math.IsInf(y, -1) {
								t.Fatalf("LogSoftmax n=%d: element %d = %v, want -Inf", n, j, y)
							}
							continue
						}
						if math.Abs(y-w) > eps*(1+math.Abs(float64(row[j]))+math.Abs(c)) {
							t.Fatalf("LogSoftmax n=%d row %d: element %d = %v, want %v", n, i, j, y, w)
						}
					}
				}

				// In place gives the same bits.
				in := slices.Clone(x)
				p.Softmax(in, in, n)
				if !slices.EqualFunc(in, sm, sameBits) {
					t.Fatalf("Softmax n=%d: in place differs", n)
				}
				in = slices.Clone(x)
				p.LogSoftmax(in, in, n)
				if !slices.EqualFunc(in, lsm, sameBits) {
					t.Fatalf("LogSoftmax n=%d: in place differs", n)
				}
			}
		}
	})
}

// TestSoftmaxSpecials: a NaN or +Inf in a row makes that row NaN and
// leaves the others alone.
func TestSoftmaxSpecials(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		const rowsN = 5 // a pair, a pair, one: the bad row in each place
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
			for _, n := range []int{1, 5, 10, 16, 17, 32, 33, 40} {
				for br := range rowsN {
					x := make([]float32, rowsN*n)
					x[br*n+n/2] = bad
					for _, f := range []func(dst, x []float32, n int){p.Softmax, p.LogSoftmax} {
						y := make([]float32, rowsN*n)
						f(y, x, n)
						for i := range y {
							if isBad := y[i] != y[i]; isBad != (i/n == br) {
								t.Fatalf("n=%d bad row %d: element %d of row %d = %v", n, br, i%n, i/n, y[i])
							}
						}
					}
					labels := make([]int32, rowsN)
					if loss := p.SoftmaxCrossEntropy(make([]float32, rowsN*n), x, labels, n, 1); loss == loss {
						t.Fatalf("n=%d bad row %d: loss %v, want NaN", n, br, loss)
					}
				}
			}
		}
	})
}

// TestSoftmaxCrossEntropy compares the loss and its gradient with float64.
// Bounds: the gradient is scale·(p − onehot) with p as Softmax computes it
// (see TestSoftmax) and one more rounding; the loss sums, per row, log s
// (relative error of s about (n+4)ε, so absolute error in log s about
// (n+4)ε) and two roundings of terms of the size of |max| + |z[label]|.
func TestSoftmaxCrossEntropy(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(13, 13))
		for k, n := range rowLengths {
			rowsN := rowCounts[1+k%(len(rowCounts)-1)]
			x := make([]float32, rowsN*n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 8)
			}
			labels := make([]int32, rowsN)
			for i := range labels {
				labels[i] = int32(r.IntN(n))
			}
			const scale = 0.25
			dst, buf := guarded(len(x), 3)
			loss := p.SoftmaxCrossEntropy(dst, x, labels, n, scale)
			checkGuards(t, buf, 3, len(x))
			var want, bound float64
			eps := 0x1p-24 * float64(n+6)
			for i, y := range labels {
				row := x[i*n : (i+1)*n]
				sm, lsm := softmax64(row)
				want -= lsm[y]
				bound += eps + 2*0x1p-24*(math.Abs(float64(slices.Max(row)))+math.Abs(float64(row[y])))
				for j := range row {
					g := sm[j]
					if j == int(y) {
						g--
					}
					g *= scale
					shift := math.Abs(float64(row[j]) - float64(slices.Max(row)))
					tol := scale*(eps+0x1p-24*shift)*sm[j] + 0x1p-24*scale + 0x1p-126
					if got := float64(dst[i*n+j]); math.Abs(got-g) > tol {
						t.Fatalf("n=%d row %d: gradient %d = %v, want %v", n, i, j, got, g)
					}
				}
			}
			if math.Abs(loss-want) > bound {
				t.Fatalf("n=%d: loss = %v, want %v within %g", n, loss, want, bound)
			}
			in := slices.Clone(x)
			if l := p.SoftmaxCrossEntropy(in, in, labels, n, scale); l != loss || !slices.EqualFunc(in, dst, sameBits) {
				t.Fatalf("n=%d: in place differs", n)
			}
		}
		mustPanic(t, "label 3 of row 0 is not in [0, 3)", func() {
			p.SoftmaxCrossEntropy(make([]float32, 3), make([]float32, 3), []int32{3}, 3, 1)
		})
		mustPanic(t, "2 labels for 1 rows", func() {
			p.SoftmaxCrossEntropy(make([]float32, 3), make([]float32, 3), []int32{0, 1}, 3, 1)
		})
	})
}

// TestSoftmaxCrossEntropyBadLabel checks that a label out of range in any
// row panics before a row is written, in place or not: the labels are
// checked first, as every other argument is.
func TestSoftmaxCrossEntropyBadLabel(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		const n, rows = 5, 3
		for row := 0; row < rows; row++ {
			for _, bad := range []int32{-1, n} {
				x := make([]float32, rows*n)
				for i := range x {
					x[i] = float32(i%7) - 3
				}
				xs := slices.Clone(x)
				dst := make([]float32, rows*n)
				labels := []int32{1, 2, 3}
				labels[row] = bad
				want := fmt.Sprintf("label %d of row %d is not in [0, %d)", bad, row, n)
				mustPanic(t, want, func() { p.SoftmaxCrossEntropy(dst, x, labels, n, 1) })
				mustPanic(t, want, func() { p.SoftmaxCrossEntropy(x, x, labels, n, 1) })
				written := slices.ContainsFunc(dst, func(v float32) bool { return v != 0 })
				if written || !slices.Equal(x, xs) {
					t.Fatalf("bad label in row %d: written before the panic", row)
				}
			}
		}
	})
}

// TestSoftmaxAllocs: the short-row kernels keep their per-row results on
// the stack (a func value would have sent them to the heap), and the
// per-row passes allocate nothing either.
func TestSoftmaxAllocs(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		for _, n := range []int{10, 100} {
			x := make([]float32, (2*rowBlock+3)*n)
			dst := make([]float32, len(x))
			labels := make([]int32, len(x)/n)
			for name, f := range map[string]func(){
				"Softmax":             func() { p.Softmax(dst, x, n) },
				"LogSoftmax":          func() { p.LogSoftmax(dst, x, n) },
				"SoftmaxCrossEntropy": func() { p.SoftmaxCrossEntropy(dst, x, labels, n, 1) },
			} {
				if got := testing.AllocsPerRun(10, f); got != 0 {
					t.Errorf("%s n=%d: %v allocations per call", name, n, got)
				}
			}
		}
	})
}
