package gonumblas_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/backprop-go/backprop/gonumblas"
	"github.com/backprop-go/backprop/kernels"
)

// eps is the unit roundoff of float32.
var eps = math.Ldexp(1, -24)

// ref is gonum's own implementation, the reference of every test.
var ref gonum.Implementation

// forEachPath runs f as a subtest for every kernel path this CPU runs.
func forEachPath(t *testing.T, f func(t *testing.T, impl gonumblas.Implementation)) {
	t.Helper()
	for _, p := range kernels.Impls() {
		t.Run(p.Name(), func(t *testing.T) { f(t, gonumblas.Implementation{Path: p}) })
	}
}

// Guarded storage. Every slice handed to a routine sits between guard
// elements, a NaN no arithmetic produces, and its capacity ends at its
// length: a routine that writes outside the slice changes a guard.

const guardLen = 16

var guardBits uint32 = 0x7fc05a5a

// region is a slice with guards on both sides.
type region struct {
	buf []float32 // guards, data, guards
	s   []float32 // the data
}

// newRegion returns a region of n elements set by fill (guard values if
// fill is nil).
func newRegion(n int, fill func(i int) float32) region {
	buf := make([]float32, n+2*guardLen)
	g := math.Float32frombits(guardBits)
	for i := range buf {
		buf[i] = g
	}
	s := buf[guardLen : guardLen+n : guardLen+n]
	if fill != nil {
		for i := range s {
			s[i] = fill(i)
		}
	}
	return region{buf: buf, s: s}
}

func (r region) clone() region {
	buf := slices.Clone(r.buf)
	n := len(r.s)
	return region{buf: buf, s: buf[guardLen : guardLen+n : guardLen+n]}
}

// guardsIntact reports whether both guards still hold the guard value.
func (r region) guardsIntact() bool {
	n := len(r.s)
	for i, v := range r.buf {
		if (i < guardLen || i >= guardLen+n) && math.Float32bits(v) != guardBits {
			return false
		}
	}
	return true
}

// sameBits reports whether two regions hold the same bits everywhere.
func sameBits(x, y region) bool {
	return slices.EqualFunc(x.buf, y.buf, func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b)
	})
}

// uniform returns a value in [−1, 1).
func uniform(r *rand.Rand) float32 { return float32(r.Float64()*2 - 1) }

// Sgemm.

// matrix returns a region holding a rows×cols matrix of values in [−1, 1)
// with rows ld apart, the padding between rows left as guard NaN, so that
// a routine that reads it poisons its result. The slice is as short as
// gonum allows: (rows−1)·ld + cols elements, or none without rows.
func matrix(r *rand.Rand, rows, cols, ld int) region {
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	m := newRegion(n, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			m.s[i*ld+j] = uniform(r)
		}
	}
	return m
}

// gemmProblem is one Sgemm call with its storage.
type gemmProblem struct {
	tA, tB        blas.Transpose
	m, n, k       int
	alpha, beta   float32
	a, b, c       region
	lda, ldb, ldc int
}

func (g *gemmProblem) String() string {
	return fmt.Sprintf("Sgemm(%c, %c, m=%d, n=%d, k=%d, alpha=%g, lda=%d, ldb=%d, beta=%g, ldc=%d)",
		g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.lda, g.ldb, g.beta, g.ldc)
}

// run calls impl's Sgemm on copies of the problem's storage and returns
// them.
func (g *gemmProblem) run(impl blas.Float32) (a, b, c region) {
	a, b, c = g.a.clone(), g.b.clone(), g.c.clone()
	impl.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a.s, g.lda, b.s, g.ldb, g.beta, c.s, g.ldc)
	return a, b, c
}

// newGemmProblem builds a problem whose leading dimensions exceed the row
// lengths by pad. C holds NaN where beta is 0: BLAS writes C without
// reading it then, and a NaN that leaks shows.
func newGemmProblem(r *rand.Rand, tA, tB blas.Transpose, m, n, k, pad int,
	alpha, beta float32) *gemmProblem {
	g := &gemmProblem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ra, ca := m, k
	if tA != blas.NoTrans {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB != blas.NoTrans {
		rb, cb = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ca)+pad, max(1, cb)+(pad+1)%3, max(1, n)+(pad+2)%4
	g.a, g.b, g.c = matrix(r, ra, ca, g.lda), matrix(r, rb, cb, g.ldb), matrix(r, m, n, g.ldc)
	if beta == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				g.c.s[i*g.ldc+j] = float32(math.NaN())
			}
		}
	}
	return g
}

// at returns op(X)[i, j] of a matrix stored with rows ld apart.
func at(x []float32, ld int, t blas.Transpose, i, j int) float64 {
	if t != blas.NoTrans {
		i, j = j, i
	}
	return float64(x[i*ld+j])
}

// exact returns, in float64, C[i, j] = alpha·op(A)·op(B) + beta·C and the
// scale of its rounding errors, S = |alpha|·Σ_p|A[i,p]·B[p,j]| + |beta·C|.
func (g *gemmProblem) exact(i, j int) (v, s float64) {
	var sum, abs float64
	for p := 0; p < g.k; p++ {
		x := at(g.a.s, g.lda, g.tA, i, p) * at(g.b.s, g.ldb, g.tB, p, j)
		sum += x
		abs += math.Abs(x)
	}
	alpha := float64(g.alpha)
	v, s = alpha*sum, math.Abs(alpha)*abs
	if g.beta != 0 {
		c := float64(g.beta) * float64(g.c.s[i*g.ldc+j])
		v, s = v+c, s+math.Abs(c)
	}
	return v, s
}

// check compares the C that impl computed with gonum's and with the exact
// result, and everything else with what it was.
//
// Tolerances, with S from exact and ε = 2⁻²⁴: the kernels give each
// element within 2k·ε·Σ|A·B| of the exact product (kernels.Sgemm), and
// the scaling by alpha, by beta and the final sum round three more times,
// so ours is within 2(k+2)·ε·S of the exact result; gonum, summing in
// order, is within (k+2)·ε·S; so the two differ by at most 3(k+2)·ε·S.
// The float64 sums carry an error some 2²⁹ times smaller.
func (g *gemmProblem) check(t *testing.T, impl blas.Float32) {
	t.Helper()
	a, b, c := g.run(impl)
	_, _, want := g.run(ref)
	if !sameBits(a, g.a) || !sameBits(b, g.b) {
		t.Fatalf("%v: A or B changed", g)
	}
	if !c.guardsIntact() {
		t.Fatalf("%v: wrote outside C", g)
	}
	bound := float64(g.k+2) * eps
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc && i*g.ldc+j < len(c.s); j++ {
			x := i*g.ldc + j
			if j >= g.n {
				if math.Float32bits(c.s[x]) != math.Float32bits(g.c.s[x]) {
					t.Fatalf("%v: padding C[%d] changed to %v", g, x, c.s[x])
				}
				continue
			}
			v, s := g.exact(i, j)
			got, gon := float64(c.s[x]), float64(want.s[x])
			if !(math.Abs(got-v) <= 2*bound*s) {
				t.Fatalf("%v: C[%d,%d] = %v, exact %v, off by %.3g > %.3g",
					g, i, j, got, v, math.Abs(got-v), 2*bound*s)
			}
			if !(math.Abs(got-gon) <= 3*bound*s) {
				t.Fatalf("%v: C[%d,%d] = %v, gonum %v, off by %.3g > %.3g",
					g, i, j, got, gon, math.Abs(got-gon), 3*bound*s)
			}
		}
	}
}

func TestSgemm(t *testing.T) {
	sizes := []int{0, 1, 7, 33, 100}
	scalars := []float32{0, 1, -1, 0.5}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tA := range trans {
			for _, tB := range trans {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range sizes {
							for _, alpha := range scalars {
								for _, beta := range scalars {
									pad := (m + 2*n + 3*k) % 4
									g := newGemmProblem(r, tA, tB, m, n, k, pad, alpha, beta)
									g.check(t, impl)
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmConjTrans checks that blas.ConjTrans is blas.Trans.
func TestSgemmConjTrans(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, tr := range [][2]blas.Transpose{
			{blas.ConjTrans, blas.NoTrans}, {blas.NoTrans, blas.ConjTrans},
			{blas.ConjTrans, blas.ConjTrans}, {blas.ConjTrans, blas.Trans},
		} {
			g := newGemmProblem(r, tr[0], tr[1], 19, 23, 29, 2, 0.5, -1)
			g.check(t, impl)
			_, _, c := g.run(impl)
			h := *g
			for _, x := range []*blas.Transpose{&h.tA, &h.tB} {
				if *x == blas.ConjTrans {
					*x = blas.Trans
				}
			}
			if _, _, d := h.run(impl); !sameBits(c, d) {
				t.Errorf("%v differs from %v", g, &h)
			}
		}
	})
}

// TestSgemmOverlap checks that a C overlapping A, which the kernels
// refuse, gets gonum's result, bit for bit.
func TestSgemmOverlap(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(5, 6))
		m, n, k := 6, 5, 4
		for _, off := range []int{0, 3, 10} {
			buf := newRegion(64, func(int) float32 { return uniform(r) })
			b := newRegion(k*n, func(int) float32 { return uniform(r) })
			call := func(impl blas.Float32) region {
				buf, b := buf.clone(), b.clone()
				impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, buf.s[:m*k], k,
					b.s, n, 0.5, buf.s[off:off+m*n], n)
				return buf
			}
			if got, want := call(impl), call(ref); !sameBits(got, want) {
				t.Errorf("C at offset %d of A: result differs from gonum's", off)
			}
		}
	})
}

// TestSgemmAlphaZero checks the documented difference from gonum: with
// alpha = 0, A and B are not read, so their NaN and Inf do not reach C,
// which is beta·C exactly.
func TestSgemmAlphaZero(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, beta := range []float32{0, 1, -1, 0.5} {
			g := newGemmProblem(r, blas.NoTrans, blas.Trans, 9, 8, 7, 1, 0, beta)
			g.a.s[3], g.b.s[5] = float32(math.NaN()), float32(math.Inf(1))
			_, _, c := g.run(impl)
			for i := 0; i < g.m; i++ {
				for j := 0; j < g.n; j++ {
					x := i*g.ldc + j
					want := float32(0)
					if beta != 0 {
						want = beta * g.c.s[x]
					}
					if c.s[x] != want {
						t.Fatalf("beta %g: C[%d,%d] = %v, want %v", beta, i, j, c.s[x], want)
					}
				}
			}
		}
	})
}

// panicOf calls f and returns what it panicked with, or nil.
func panicOf(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// TestSgemmBadArguments checks that a call gonum rejects panics with
// gonum's message and leaves memory as gonum leaves it: unchanged, where
// gonum checks before writing.
func TestSgemmBadArguments(t *testing.T) {
	const (
		N = blas.NoTrans
		T = blas.Trans
	)
	// (9−1)·huge + 1 wraps around to 9 in int (2^61+1 where int has 64
	// bits): a check that multiplies finds 9 elements enough.
	huge := math.MaxInt/4 + 2
	cases := []struct {
		name          string
		tA, tB        blas.Transpose
		m, n, k       int
		lda, ldb, ldc int
		la, lb, lc    int
		beta          float32
		writes        bool // gonum writes part of C before it fails
		panics        bool
	}{
		{"bad tA", 0, N, 3, 4, 5, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"bad tB", N, 'x', 3, 4, 5, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"m < 0", N, N, -1, 4, 5, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"n < 0", N, N, 3, -1, 5, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"k < 0", N, N, 3, 4, -1, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"lda < k", N, N, 3, 4, 5, 4, 4, 4, 15, 20, 12, 1, false, true},
		{"lda < m (tA)", T, N, 3, 4, 5, 2, 4, 4, 15, 20, 12, 1, false, true},
		{"lda = 0, k = 0", N, N, 3, 4, 0, 0, 4, 4, 15, 20, 12, 1, false, true},
		{"ldb < n", N, N, 3, 4, 5, 5, 3, 4, 15, 20, 12, 1, false, true},
		{"ldb < k (tB)", N, T, 3, 4, 5, 5, 4, 4, 15, 20, 12, 1, false, true},
		{"ldc < n", N, N, 3, 4, 5, 5, 4, 3, 15, 20, 12, 1, false, true},
		{"ldc < n, m = 0", N, N, 0, 4, 5, 5, 4, 3, 0, 0, 0, 1, false, true},
		{"short a", N, N, 3, 4, 5, 5, 4, 4, 14, 20, 12, 1, false, true},
		{"short a (tA)", T, N, 3, 4, 5, 3, 4, 4, 14, 20, 12, 1, false, true},
		{"short b", N, N, 3, 4, 5, 5, 4, 4, 15, 19, 12, 1, false, true},
		{"short b (tB)", N, T, 3, 4, 5, 5, 5, 4, 15, 19, 12, 1, false, true},
		{"short c", N, N, 3, 4, 5, 5, 4, 4, 15, 20, 11, 1, false, true},
		{"short a, k = 0", N, N, 3, 4, 0, 1, 4, 4, 1, 0, 12, 0.5, false, true},
		{"short b, k = 0 (tB)", N, T, 3, 4, 0, 1, 1, 4, 2, 2, 12, 0.5, false, true},
		{"ldc wraps", N, N, 9, 1, 1, 1, 1, huge, 9, 1, 9, 0.5, true, true},
		{"lda wraps", N, N, 9, 1, 1, huge, 1, 1, 9, 1, 9, 1, true, true},
		// gonum returns before it looks at the slices.
		{"m = 0, short slices", N, N, 0, 4, 5, 5, 4, 4, 0, 0, 0, 0, false, false},
		{"n = 0, short slices", N, N, 3, 0, 5, 5, 1, 1, 0, 0, 0, 0, false, false},
	}
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(7, 8))
		fill := func(int) float32 { return uniform(r) }
		for _, tc := range cases {
			g := &gemmProblem{tA: tc.tA, tB: tc.tB, m: tc.m, n: tc.n, k: tc.k,
				alpha: 1, beta: tc.beta, lda: tc.lda, ldb: tc.ldb, ldc: tc.ldc,
				a: newRegion(tc.la, fill), b: newRegion(tc.lb, fill), c: newRegion(tc.lc, fill)}
			a, b, c := g.a.clone(), g.b.clone(), g.c.clone()
			got := panicOf(func() {
				impl.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a.s, g.lda, b.s, g.ldb,
					g.beta, c.s, g.ldc)
			})
			wc := g.c.clone()
			want := panicOf(func() {
				ref.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a.clone().s, g.lda,
					g.b.clone().s, g.ldb, g.beta, wc.s, g.ldc)
			})
			if (want != nil) != tc.panics {
				t.Fatalf("%s: gonum panicked with %v; the case is wrong", tc.name, want)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: panicked with %v, gonum with %v", tc.name, got, want)
			}
			if !sameBits(a, g.a) || !sameBits(b, g.b) {
				t.Errorf("%s: A or B changed", tc.name)
			}
			if !c.guardsIntact() {
				t.Errorf("%s: wrote outside C", tc.name)
			}
			if !tc.writes && !sameBits(c, g.c) {
				t.Errorf("%s: C changed", tc.name)
			}
			if !sameBits(c, wc) {
				t.Errorf("%s: C differs from what gonum left", tc.name)
			}
		}
	})
}

// Level 1.

// vector returns a region of n elements inc apart, with extra elements
// after the last: what gonum needs, 1 + (n−1)·|inc|, plus extra. Elements
// between and after are guard NaN.
func vector(r *rand.Rand, n, inc, extra int) region {
	inc = max(inc, -inc)
	size := extra
	if n > 0 {
		size += 1 + (n-1)*inc
	}
	v := newRegion(size, nil)
	for i := 0; i < n; i++ {
		v.s[i*inc] = uniform(r)
	}
	return v
}

// elem returns the position of element i of a vector of n elements inc
// apart, as BLAS walks it: backwards from the end when inc < 0.
func elem(n, inc, i int) int {
	if inc < 0 {
		return (n - 1 - i) * -inc
	}
	return i * inc
}

var (
	lengths = []int{0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 1000}
	incs    = []int{1, 2, 3, -1, -2}
	alphas  = []float32{0, 1, -1, 0.5, 3.25}
)

// TestSaxpy compares Saxpy with gonum's. gonum's Go loop may be fused into
// one multiply-add where its assembly is not used; the kernels never fuse.
// The two then differ by at most the rounding of the product and of the
// sum, 2ε·(|y| + |alpha·x|); elsewhere they agree to the bit, and the
// elements between and after those of y are unchanged.
func TestSaxpy(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, n := range lengths {
			for _, incX := range incs {
				for _, incY := range incs {
					for _, alpha := range alphas {
						extra := (n + incX + incY + 6) % 3
						x, y := vector(r, n, incX, extra), vector(r, n, incY, 2-extra)
						x0 := x.clone()
						got := y.clone()
						impl.Saxpy(n, alpha, x.s, incX, got.s, incY)
						want := y.clone()
						ref.Saxpy(n, alpha, x.s, incX, want.s, incY)
						name := fmt.Sprintf("Saxpy(n=%d, alpha=%g, incX=%d, incY=%d)",
							n, alpha, incX, incY)
						if !sameBits(x, x0) || !got.guardsIntact() {
							t.Fatalf("%s: changed x or wrote outside y", name)
						}
						touched := make([]bool, len(y.s))
						for i := 0; i < n; i++ {
							iy := elem(n, incY, i)
							touched[iy] = true
							y0, xv := float64(y.s[iy]), float64(x.s[elem(n, incX, i)])
							tol := 2 * eps * (math.Abs(y0) + math.Abs(float64(alpha)*xv))
							if d := math.Abs(float64(got.s[iy]) - float64(want.s[iy])); !(d <= tol) {
								t.Fatalf("%s: y[%d] = %v, gonum %v", name, iy, got.s[iy], want.s[iy])
							}
						}
						for i := range y.s {
							if !touched[i] && math.Float32bits(got.s[i]) != guardBits {
								t.Fatalf("%s: y[%d] changed", name, i)
							}
						}
					}
				}
			}
		}
	})
}

// TestSaxpyAliased checks x and y the same slice (the kernels' in-place
// case) and shifted against each other (gonum's, to the bit).
func TestSaxpyAliased(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(11, 12))
		buf := newRegion(300, func(int) float32 { return uniform(r) })
		for _, shift := range []int{0, 1, 5, -3} {
			n := 250
			ox, oy := max(0, -shift), max(0, shift)
			call := func(impl blas.Float32) region {
				b := buf.clone()
				impl.Saxpy(n, 0.75, b.s[ox:ox+n], 1, b.s[oy:oy+n], 1)
				return b
			}
			got, want := call(impl), call(ref)
			if !got.guardsIntact() {
				t.Fatalf("shift %d: wrote outside the buffer", shift)
			}
			if shift != 0 {
				// gonum's own code ran on both.
				if !sameBits(got, want) {
					t.Errorf("shift %d: result differs from gonum's", shift)
				}
				continue
			}
			for i := range got.s {
				// y + 0.75·y; see TestSaxpy for the tolerance.
				tol := 2 * eps * 1.75 * math.Abs(float64(buf.s[i]))
				if d := math.Abs(float64(got.s[i]) - float64(want.s[i])); !(d <= tol) {
					t.Fatalf("same slice: element %d = %v, gonum %v", i, got.s[i], want.s[i])
				}
			}
		}
	})
}

// TestSdot compares Sdot with gonum's. Each sums in its own order, within
// γ_n·Σ|x·y| of the exact result, γ_n = nε/(1−nε): the two differ by at
// most twice that, computed in float64.
func TestSdot(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range lengths {
			for _, incX := range incs {
				for _, incY := range incs {
					extra := (n + incX + 2) % 2
					x, y := vector(r, n, incX, extra), vector(r, n, incY, 1-extra)
					x0, y0 := x.clone(), y.clone()
					got := impl.Sdot(n, x.s, incX, y.s, incY)
					want := ref.Sdot(n, x.s, incX, y.s, incY)
					if !sameBits(x, x0) || !sameBits(y, y0) {
						t.Fatalf("Sdot(n=%d, incX=%d, incY=%d) changed x or y", n, incX, incY)
					}
					var abs float64
					for i := 0; i < n; i++ {
						abs += math.Abs(float64(x.s[elem(n, incX, i)]) * float64(y.s[elem(n, incY, i)]))
					}
					gamma := float64(n) * eps / (1 - float64(n)*eps)
					if d := math.Abs(float64(got) - float64(want)); !(d <= 2*gamma*abs) {
						t.Fatalf("Sdot(n=%d, incX=%d, incY=%d) = %v, gonum %v", n, incX, incY, got, want)
					}
				}
			}
		}
	})
}

// TestSscal compares Sscal with gonum's, to the bit: one rounded product
// per element. x holds NaN and Inf, which alpha = 0 must turn into zeros,
// as gonum does.
func TestSscal(t *testing.T) {
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, n := range lengths {
			for _, inc := range incs {
				for _, alpha := range alphas {
					x := vector(r, n, inc, n%2)
					if n > 3 {
						step := max(inc, -inc)
						x.s[step] = float32(math.NaN())
						x.s[2*step] = float32(math.Inf(-1))
					}
					got, want := x.clone(), x.clone()
					impl.Sscal(n, alpha, got.s, inc)
					ref.Sscal(n, alpha, want.s, inc)
					if !sameBits(got, want) {
						t.Fatalf("Sscal(n=%d, alpha=%g, incX=%d) differs from gonum", n, alpha, inc)
					}
				}
			}
		}
	})
}

// TestLevel1BadArguments checks that what gonum rejects panics with its
// message, before anything is written.
func TestLevel1BadArguments(t *testing.T) {
	type call struct {
		name      string
		n, lx, ly int
		incX      int
		incY      int
	}
	cases := []call{
		{"incX = 0", 4, 4, 4, 0, 1},
		{"incY = 0", 4, 4, 4, 1, 0},
		{"n < 0", -1, 4, 4, 1, 1},
		{"short x", 5, 4, 5, 1, 1},
		{"short y", 5, 5, 4, 1, 1},
		{"short x, incX = 2", 3, 4, 5, 2, 1},
		{"short y, incY = -2", 3, 5, 4, 1, -2},
	}
	forEachPath(t, func(t *testing.T, impl gonumblas.Implementation) {
		r := rand.New(rand.NewPCG(17, 18))
		fill := func(int) float32 { return uniform(r) }
		for _, tc := range cases {
			x, y := newRegion(tc.lx, fill), newRegion(tc.ly, fill)
			routines := map[string]func(blas.Float32, region, region){
				"Saxpy": func(b blas.Float32, x, y region) {
					b.Saxpy(tc.n, 2, x.s, tc.incX, y.s, tc.incY)
				},
				"Sdot": func(b blas.Float32, x, y region) {
					b.Sdot(tc.n, x.s, tc.incX, y.s, tc.incY)
				},
				"Sscal": func(b blas.Float32, x, y region) {
					b.Sscal(tc.n, 2, x.s, tc.incX)
				},
			}
			for name, f := range routines {
				gx, gy := x.clone(), y.clone()
				got := panicOf(func() { f(impl, gx, gy) })
				want := panicOf(func() { f(ref, x.clone(), y.clone()) })
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s, %s: panicked with %v, gonum with %v", name, tc.name, got, want)
				}
				if want != nil && (!sameBits(gx, x) || !sameBits(gy, y)) {
					t.Errorf("%s, %s: wrote before panicking", name, tc.name)
				}
			}
		}
	})
}

// TestBlas32Use runs gonum's blas32 package on our kernels, then restores
// gonum's own implementation.
func TestBlas32Use(t *testing.T) {
	blas32.Use(gonumblas.Implementation{})
	defer blas32.Use(gonum.Implementation{})
	if _, ok := blas32.Implementation().(gonumblas.Implementation); !ok {
		t.Fatalf("blas32 uses %T", blas32.Implementation())
	}
	r := rand.New(rand.NewPCG(19, 20))

	// C = 0.5·A·Bᵀ − C with padded strides, through blas32.Gemm.
	g := newGemmProblem(r, blas.NoTrans, blas.Trans, 37, 29, 41, 3, 0.5, -1)
	c := g.c.clone()
	blas32.Gemm(g.tA, g.tB, g.alpha,
		blas32.General{Rows: g.m, Cols: g.k, Stride: g.lda, Data: g.a.s},
		blas32.General{Rows: g.n, Cols: g.k, Stride: g.ldb, Data: g.b.s},
		g.beta, blas32.General{Rows: g.m, Cols: g.n, Stride: g.ldc, Data: c.s})
	_, _, want := g.run(ref)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			x := i*g.ldc + j
			_, s := g.exact(i, j)
			if d := math.Abs(float64(c.s[x] - want.s[x])); !(d <= 3*float64(g.k+2)*eps*s) {
				t.Fatalf("blas32.Gemm: C[%d,%d] = %v, gonum %v", i, j, c.s[x], want.s[x])
			}
		}
	}

	// blas32.Dot on unit and non-unit strides.
	for _, inc := range []int{1, 3} {
		n := 500
		x, y := vector(r, n, inc, 0), vector(r, n, inc, 0)
		xv := blas32.Vector{N: n, Inc: inc, Data: x.s}
		yv := blas32.Vector{N: n, Inc: inc, Data: y.s}
		got := blas32.Dot(xv, yv)
		want := ref.Sdot(n, x.s, inc, y.s, inc)
		var abs float64
		for i := 0; i < n; i++ {
			abs += math.Abs(float64(x.s[i*inc]) * float64(y.s[i*inc]))
		}
		if d := math.Abs(float64(got - want)); !(d <= 2*float64(n)*eps*abs) {
			t.Errorf("blas32.Dot, inc %d: %v, gonum %v", inc, got, want)
		}
	}

	// blas32.Axpy and blas32.Scal on unit strides.
	n := 300
	x, y := vector(r, n, 1, 0), vector(r, n, 1, 0)
	got, want2 := y.clone(), y.clone()
	xv, yv := blas32.Vector{N: n, Inc: 1, Data: x.s}, blas32.Vector{N: n, Inc: 1, Data: got.s}
	blas32.Axpy(-1.5, xv, yv)
	blas32.Scal(0.25, yv)
	ref.Saxpy(n, -1.5, x.s, 1, want2.s, 1)
	ref.Sscal(n, 0.25, want2.s, 1)
	for i := range n {
		tol := 2 * eps * (math.Abs(float64(y.s[i])) + 1.5*math.Abs(float64(x.s[i])))
		if d := math.Abs(float64(got.s[i]) - float64(want2.s[i])); !(d <= tol) {
			t.Fatalf("blas32.Axpy, Scal: y[%d] = %v, gonum %v", i, got.s[i], want2.s[i])
		}
	}
}
