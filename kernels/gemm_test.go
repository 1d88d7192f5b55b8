package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// gemmCase is one GEMM problem with its storage.
type gemmCase struct {
	tA, tB       bool
	m, n, k      int
	alpha, beta  float32
	a, b, c      []float32
	lda, ldb     int
	ldc, offC    int // C starts offC into c, which has guards around it
	padA, padB   int
	c0           []float32 // C before the call
	cView        []float32 // the slice passed as C
	aView, bView []float32
}

var nan32 = float32(math.NaN())

// newGemmCase fills A and B with values in [−1, 1), their padding with
// NaN (a kernel that reads it poisons its result), and C with values, or
// with NaN when beta is 0 (a kernel that reads it leaks NaN).
func newGemmCase(r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32, pad int) *gemmCase {
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ra, ca := m, k
	if tA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB {
		rb, cb = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ca+pad), max(1, cb+(pad*7)%5), max(1, n+(pad*3)%7)
	fill := func(rows, cols, ld int) []float32 {
		s := make([]float32, max(0, (rows-1)*ld+cols)+(pad%2))
		for i := range s {
			s[i] = nan32
		}
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s[i*ld+j] = float32(r.Float64()*2 - 1)
			}
		}
		return s
	}
	g.a, g.b = fill(ra, ca, g.lda), fill(rb, cb, g.ldb)
	if ra == 0 || ca == 0 {
		g.a = nil
	}
	if rb == 0 || cb == 0 {
		g.b = nil
	}
	g.aView, g.bView = g.a, g.b
	g.offC = 5
	size := 0
	if m > 0 && n > 0 {
		size = (m-1)*g.ldc + n
	}
	g.c = make([]float32, g.offC+size+9)
	for i := range g.c {
		g.c[i] = guard
	}
	g.cView = g.c[g.offC : g.offC+size]
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := float32(r.Float64()*2 - 1)
			if beta == 0 {
				v = nan32
			}
			g.cView[i*g.ldc+j] = v
		}
	}
	g.c0 = slices.Clone(g.cView)
	return g
}

func (g *gemmCase) opA(i, p int) float32 {
	if g.tA {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

func (g *gemmCase) opB(p, j int) float32 {
	if g.tB {
		return g.b[j*g.ldb+p]
	}
	return g.b[p*g.ldb+j]
}

func (g *gemmCase) run(p *Impl) {
	p.Sgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.aView, g.lda, g.bView, g.ldb, g.beta, g.cView, g.ldc)
}

// check compares C with a float64 reference. The bound: each element is a
// dot product of length k, and any order of summation in float32 is within
// γ_k·Σ|a_p·b_p| of the exact value (γ_k = kε/(1−kε), ε = 2⁻²⁴); scaling by
// alpha and adding beta·C add a rounding each. We allow
// 2(k+2)·ε·(|alpha|·Σ|a_p·b_p| + |beta·c|), twice the worst case: tight
// enough that one wrong or missing term (each about 1/k of Σ) fails.
func (g *gemmCase) check(t *testing.T, what string) {
	t.Helper()
	checkGuardsBetween(t, g.c, g.offC, g.m, g.n, g.ldc, what)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, abs float64
			for p := 0; p < g.k; p++ {
				v := float64(g.opA(i, p)) * float64(g.opB(p, j))
				s += v
				abs += math.Abs(v)
			}
			want := float64(g.alpha) * s
			bound := math.Abs(float64(g.alpha)) * abs
			if g.beta != 0 {
				c0 := float64(g.c0[i*g.ldc+j])
				want += float64(g.beta) * c0
				bound += math.Abs(float64(g.beta) * c0)
			}
			bound *= 2 * float64(g.k+2) * 0x1p-24
			got := float64(g.cView[i*g.ldc+j])
			if !(math.Abs(got-want) <= bound+0x1p-140) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v within %g", what, i, j, got, want, bound)
			}
		}
	}
}

// checkGuardsBetween checks the guards before and after C and in the gaps
// between its rows.
func checkGuardsBetween(t *testing.T, c []float32, off, m, n, ldc int, what string) {
	t.Helper()
	for i, v := range c {
		in := false
		if j := i - off; j >= 0 && m > 0 && n > 0 && j < (m-1)*ldc+n {
			in = j%ldc < n
		}
		if !in && math.Float32bits(v) != math.Float32bits(guard) {
			t.Fatalf("%s: write outside C at element %d of the buffer", what, i-off)
		}
	}
}

// gemmSizes returns the sizes every GEMM dimension is tested at on p: the
// edges of its micro-kernel, of its narrow one (NR/2), and of its blocking
// (KC for k only: m and n meet their blocking edges MC and NC in
// TestSgemmBlocks).
func gemmSizes(p *Impl, k bool) []int {
	g := p.gm
	s := []int{0, 1, 2, 3, g.mr - 1, g.mr, g.mr + 1, g.nr/2 - 1, g.nr / 2, g.nr/2 + 1,
		g.nr - 1, g.nr, g.nr + 1, 257}
	if k {
		s = append(s, g.kc-1, g.kc+1)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

var gemmScalars = []float32{0, 1, -1, 0.5}

func TestSgemm(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(7, 7))
		sizes, ks := gemmSizes(p, false), gemmSizes(p, true)
		combo := 0
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range ks {
					// Walk the transposes and the scalars so that every
					// combination meets every size many times.
					c := combo
					combo++
					tA, tB := c%2 == 1, c/2%2 == 1
					alpha := gemmScalars[c/4%4]
					beta := gemmScalars[c/16%4]
					if m*n*k > 257*257*257 || testing.Short() && m*n*k > 64*64*64 {
						continue
					}
					g := newGemmCase(r, tA, tB, m, n, k, alpha, beta, c%5)
					g.run(p)
					g.check(t, fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
						tA, tB, m, n, k, alpha, beta, g.lda, g.ldb, g.ldc))
				}
			}
		}
	})
}

// TestSgemmBlocks crosses the MC and NC block edges (and KC) with one
// large dimension at a time, and runs a product big enough to be cut
// between threads, on every path.
func TestSgemmBlocks(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		g := p.gm
		r := rand.New(rand.NewPCG(9, 9))
		shapes := [][3]int{
			{g.mc + 1, 33, 20}, {g.mc - 1, 17, 3}, {2*g.mc + g.mr + 1, 5, 9},
			{13, g.nc + 1, 11}, {7, g.nc - 1, 5}, {3, 2*g.nc + 3, 2},
			{9, 10, 2*g.kc + 3},
			{200, 300, 150}, // cut between threads when there are several
		}
		if testing.Short() {
			shapes = shapes[len(shapes)-1:]
		}
		for i, s := range shapes {
			tA, tB := i%2 == 1, i/2%2 == 1
			gc := newGemmCase(r, tA, tB, s[0], s[1], s[2], 0.5, -1, i%3)
			gc.run(p)
			gc.check(t, fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d", tA, tB, s[0], s[1], s[2]))
		}
	})
}

// TestSgemmSpecials puts NaN and ±Inf in A and B: the result must be NaN
// where the exact arithmetic gives NaN, the same infinity where it gives
// one, and correct elsewhere.
func TestSgemmSpecials(t *testing.T) {
	inf := float32(math.Inf(1))
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(8, 8))
		for trial := 0; trial < 40; trial++ {
			tA, tB := trial%2 == 1, trial/2%2 == 1
			m, n, k := 1+r.IntN(40), 1+r.IntN(70), 1+r.IntN(300)
			g := newGemmCase(r, tA, tB, m, n, k, 1, 0, 0)
			for range 1 + r.IntN(3) {
				v := []float32{nan32, inf, -inf}[r.IntN(3)]
				if r.IntN(2) == 0 {
					i, q := r.IntN(m), r.IntN(k)
					if tA {
						g.a[q*g.lda+i] = v
					} else {
						g.a[i*g.lda+q] = v
					}
				} else {
					q, j := r.IntN(k), r.IntN(n)
					if tB {
						g.b[j*g.ldb+q] = v
					} else {
						g.b[q*g.ldb+j] = v
					}
				}
			}
			g.run(p)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s float64
					for q := 0; q < k; q++ {
						s += float64(g.opA(i, q)) * float64(g.opB(q, j))
					}
					got := g.cView[i*g.ldc+j]
					switch {
					case math.IsNaN(s):
						if got == got {
							t.Fatalf("trial %d: C[%d,%d] = %v, want NaN", trial, i, j, got)
						}
					case math.IsInf(s, 0):
						if float64(got) != s {
							t.Fatalf("trial %d: C[%d,%d] = %v, want %v", trial, i, j, got, s)
						}
					default:
						if math.Abs(float64(got)-s) > 2*float64(k+2)*0x1p-24*float64(k) {
							t.Fatalf("trial %d: C[%d,%d] = %v, want %v", trial, i, j, got, s)
						}
					}
				}
			}
		}
	})
}

func TestSgemmArgumentChecks(t *testing.T) {
	p := Current()
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	mustPanic(t, "m = -1 < 0", func() { p.Sgemm(false, false, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2) })
	mustPanic(t, "lda = 2 is less than the 3 columns of A", func() { p.Sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) })
	mustPanic(t, "ldb = 1 is less than the 2 columns of B", func() { p.Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 1, 0, c, 2) })
	mustPanic(t, "ldc = 1 is less than the 2 columns of C", func() { p.Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 1) })
	mustPanic(t, "len(a) = 12, but A (4×4, lda = 4) needs 16", func() { p.Sgemm(false, false, 4, 2, 4, 1, a, 4, b, 2, 0, c, 2) })
	mustPanic(t, "len(b) = 12, but B (5×3, ldb = 3) needs 15", func() { p.Sgemm(true, true, 2, 5, 3, 1, a, 2, b, 3, 0, c, 5) })
	mustPanic(t, "len(c) = 12, but C (3×5, ldc = 5) needs 15", func() { p.Sgemm(false, false, 3, 5, 1, 1, a, 1, b, 5, 0, c, 5) })
	// A leading dimension so large that (m−1)·ldc overflows.
	huge := math.MaxInt/8 + 1
	mustPanic(t, fmt.Sprintf("len(c) = 9, but C (9×1, ldc = %d) needs", huge), func() {
		p.Sgemm(false, false, 9, 1, 1, 1, a, 1, b, 1, 0, c[:9], huge)
	})
	mustPanic(t, fmt.Sprintf("len(a) = 12, but A (3×1, lda = %d) needs", math.MaxInt), func() {
		p.Sgemm(false, false, 3, 1, 1, 1, a, math.MaxInt, b, 1, 0, c, 1)
	})
	mustPanic(t, "c overlaps a", func() { p.Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, a[2:], 2) })
	mustPanic(t, "c overlaps b", func() { p.Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, b[3:], 2) })

	// Nothing is written before a panic.
	for i := range c {
		c[i] = 7
	}
	func() {
		defer func() { recover() }()
		p.Sgemm(false, false, 3, 5, 1, 1, a, 1, b, 4, 0, c, 5)
	}()
	for _, v := range c {
		if v != 7 {
			t.Fatal("Sgemm wrote before panicking")
		}
	}
	// Empty problems need no storage at all.
	p.Sgemm(false, false, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1)
	p.Sgemm(true, true, 0, 3, 0, 1, nil, 1, nil, 1, 0, nil, 3)
}

// TestSgemmInPlace runs products of every transpose with A and B always
// read in place where the micro-kernel can (whole panels, A transposed, B
// not) and never, whatever the size: directMaxM and directMaxN otherwise
// choose by size alone.
func TestSgemmInPlace(t *testing.T) {
	defer func(m, n int) { directMaxM, directMaxN = m, n }(directMaxM, directMaxN)
	for _, always := range []bool{true, false} {
		directMaxM, directMaxN = 0, 0
		if always {
			directMaxM, directMaxN = math.MaxInt, math.MaxInt
		}
		forEachPath(t, func(t *testing.T, p *Impl) {
			g := p.gm
			r := rand.New(rand.NewPCG(11, 11))
			shapes := [][3]int{
				{g.mr, g.nr, 5}, {2*g.mr + 1, 3*g.nr - 1, 17}, {g.mc + g.mr + 3, g.nr + 1, g.kc + 2},
				{g.mr - 1, g.nc + g.nr + 1, 9}, {300, 200, 150}, {1, 1, 1},
				{3*g.mr + 2, g.nr / 2, 40}, {g.mc + 1, 10, 33},
			}
			for i, s := range shapes {
				for c := range 4 {
					tA, tB := c%2 == 1, c/2 == 1
					gc := newGemmCase(r, tA, tB, s[0], s[1], s[2], 0.5, gemmScalars[(i+c)%4], (i+c)%3)
					gc.run(p)
					gc.check(t, fmt.Sprintf("in place %v: tA=%v tB=%v m=%d n=%d k=%d", always, tA, tB, s[0], s[1], s[2]))
				}
			}
		})
	}
}

// TestGenericMicroKernels checks both pure-Go micro-kernels directly, on
// every architecture: each build's generic path runs only one of them
// (specials and edge tiles go through TestSgemm). Bound: kc products and
// sums, alpha and beta, each rounded once: (kc + 3)·ε relative to
// Σ|alpha·a·b| + |beta·c|.
func TestGenericMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	for _, k := range []struct {
		name   string
		mr, nr int
		f      func(int, *float32, int, *float32, int, *float32, int, int, int, float32, float32)
	}{{"4x4", 4, 4, sgemmMicroGeneric}, {"3x3", 3, 3, sgemmMicroGeneric3}} {
		for _, kc := range []int{0, 1, 2, 7, 33} {
			for mr := 1; mr <= k.mr; mr++ {
				for nr := 1; nr <= k.nr; nr++ {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1, -0.5}} {
						alpha, beta := ab[0], ab[1]
						as, bs, ldc := k.mr+r.IntN(3), k.nr+r.IntN(3), k.nr+1+r.IntN(4)
						a := make([]float32, max(kc-1, 0)*as+k.mr)
						b := make([]float32, max(kc-1, 0)*bs+k.nr)
						for i := range a {
							a[i] = float32(r.NormFloat64())
						}
						for i := range b {
							b[i] = float32(r.NormFloat64())
						}
						c, buf := guarded(k.mr*ldc, 5)
						for i := range c {
							c[i] = float32(r.NormFloat64())
						}
						c0 := slices.Clone(c)
						k.f(kc, &a[0], as, &b[0], bs, &c[0], ldc, mr, nr, alpha, beta)
						checkGuards(t, buf, 5, len(c))
						for i := 0; i < k.mr; i++ {
							for j := 0; j < ldc; j++ {
								got := float64(c[i*ldc+j])
								if i >= mr || j >= nr {
									if !sameBits(c[i*ldc+j], c0[i*ldc+j]) {
										t.Fatalf("%s kc=%d mr=%d nr=%d: C[%d][%d] outside the tile written", k.name, kc, mr, nr, i, j)
									}
									continue
								}
								var s, abs float64
								for p := 0; p < kc; p++ {
									v := float64(a[p*as+i]) * float64(b[p*bs+j])
									s, abs = s+v, abs+math.Abs(v)
								}
								want := float64(alpha)*s + float64(beta)*float64(c0[i*ldc+j])
								bound := float64(kc+3) * 0x1p-24 * (math.Abs(float64(alpha))*abs + math.Abs(float64(beta)*float64(c0[i*ldc+j])))
								if math.IsNaN(want) || math.Abs(got-want) > bound {
									t.Fatalf("%s kc=%d mr=%d nr=%d alpha=%v beta=%v: C[%d][%d] = %v, want %v within %g",
										k.name, kc, mr, nr, alpha, beta, i, j, got, want, bound)
								}
							}
						}
					}
				}
			}
		}
	}
}
