package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// A mat is a rows×cols matrix with rows ld apart in a window of exactly
// (rows−1)·ld + cols elements (none when rows or cols is 0), or one fewer
// when short. The gaps between rows hold gap: padNaN in an input, which
// must not leak into a result, guard in an output, which must stay.
type mat struct {
	w              *win
	rows, cols, ld int
	gap            float32
	snap           []uint32 // the window as filled
}

// need returns the elements a rows×cols matrix with rows ld apart spans.
func need(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// newMat places a matrix as how says (see newWin), fills its elements
// from src (or with fill, if fill is not nil) and its gaps with gap.
func newMat(rows, cols, ld int, short bool, how uint8, gap float32, src *source,
	fill func() float32) *mat {
	m := &mat{rows: rows, cols: cols, ld: ld, gap: gap}
	n := need(rows, cols, max(ld, 0))
	if short && n > 0 {
		n--
	}
	m.w = newWin(n, how)
	s := m.w.s()
	for i := range s {
		s[i] = gap
		if i%max(ld, 1) < cols {
			if fill != nil {
				s[i] = fill()
			} else {
				s[i] = src.f32()
			}
		}
	}
	m.snap = snapshot(s)
	return m
}

func (m *mat) s() []float32 { return m.w.s() }

func (m *mat) at(i, j int) float32 { return m.w.s()[i*m.ld+j] }

// reset puts back the values the matrix was filled with.
func (m *mat) reset() { copy(bitsOf(m.s()), m.snap) }

// unchanged returns "" or the first element that differs from the fill.
func (m *mat) unchanged(name string) string {
	if msg := m.w.guardsOK(); msg != "" {
		return name + ": " + msg
	}
	if i := changed(m.s(), m.snap); i >= 0 {
		return fmt.Sprintf("%s[%d] (row %d, column %d) changed from %v to %v", name, i, i/max(m.ld, 1),
			i%max(m.ld, 1), math.Float32frombits(m.snap[i]), m.s()[i])
	}
	return ""
}

// gapsKept returns "" or the first write outside the matrix: in its
// window's guards or in the gaps between its rows.
func (m *mat) gapsKept(name string) string {
	if msg := m.w.guardsOK(); msg != "" {
		return name + ": " + msg
	}
	for i, v := range m.s() {
		if i%max(m.ld, 1) >= m.cols && math.Float32bits(v) != math.Float32bits(m.gap) {
			return fmt.Sprintf("%s[%d], between rows %d and %d, was overwritten with %v",
				name, i, i/m.ld, i/m.ld+1, v)
		}
	}
	return ""
}

func (m *mat) free() {
	if m != nil {
		m.w.free()
	}
}

// The wrong arguments a GEMM target tries, chosen by its mode.
const (
	gemmGood   = iota
	gemmShortA // each slice one element short of its shape
	gemmShortB
	gemmShortC
	gemmSmallLda // each leading dimension one less than the columns
	gemmSmallLdb
	gemmSmallLdc
	gemmNegative // m, n or k negative
	numGemmBad
)

// gemmShape is the decoded shape of a product: sizes, transposes,
// leading dimensions and which argument is wrong.
type gemmShape struct {
	tA, tB        bool
	m, n, k       int
	lda, ldb, ldc int
	bad           int
	neg           string // with gemmNegative: the size made negative
}

// padChoices are the extra columns of a leading dimension.
var padChoices = [8]int{0, 0, 0, 1, 2, 3, 17, 64}

// decodeGemm reads a shape. shape holds m, n and k (a byte each) and, in
// its top byte, a factor for each (m up to 2295 and n up to 4335, to cross
// the blocks of C; k up to 1275, to cross the depth block, at most 1024)
// and the transposes. Products beyond limit multiply-adds, or with C
// beyond a million elements, are cut down, the largest size first. src
// gives the leading dimensions. bad, if it names an argument that cannot
// be wrong (a slice of no elements), is dropped.
func decodeGemm(shape uint32, bad int, limit int, src *source) gemmShape {
	g := gemmShape{m: int(shape & 0xff), n: int(shape >> 8 & 0xff), k: int(shape >> 16 & 0xff)}
	top := shape >> 24
	if top&1 != 0 {
		g.m *= 9
	}
	if top&2 != 0 {
		g.n *= 17
	}
	if top&4 != 0 {
		g.k *= 5
	}
	g.tA, g.tB = top&8 != 0, top&16 != 0
	for int64(g.m)*int64(g.n)*int64(max(g.k, 1)) > int64(limit) || g.m*g.n > 1<<20 {
		switch {
		case g.k >= g.m && g.k >= g.n:
			g.k /= 2
		case g.m >= g.n:
			g.m /= 2
		default:
			g.n /= 2
		}
	}
	ra, ca := g.opA()
	rb, cb := g.opB()
	pad := func() int { return padChoices[src.byte()%8] }
	g.lda, g.ldb, g.ldc = max(1, ca+pad()), max(1, cb+pad()), max(1, g.n+pad())
	g.bad = bad % numGemmBad
	switch g.bad {
	case gemmShortA:
		if need(ra, ca, g.lda) == 0 {
			g.bad = gemmGood
		}
	case gemmShortB:
		if need(rb, cb, g.ldb) == 0 {
			g.bad = gemmGood
		}
	case gemmShortC:
		if need(g.m, g.n, g.ldc) == 0 {
			g.bad = gemmGood
		}
	case gemmSmallLda:
		g.lda = ca - 1
	case gemmSmallLdb:
		g.ldb = cb - 1
	case gemmSmallLdc:
		g.ldc = g.n - 1
	case gemmNegative:
		g.neg = [3]string{"m", "n", "k"}[src.byte()%3]
	}
	return g
}

// opA and opB return the stored shapes of A and B.
func (g *gemmShape) opA() (rows, cols int) {
	if g.tA {
		return g.k, g.m
	}
	return g.m, g.k
}

func (g *gemmShape) opB() (rows, cols int) {
	if g.tB {
		return g.n, g.k
	}
	return g.k, g.n
}

// sizes returns m, n and k as passed: one of them negative with
// gemmNegative.
func (g *gemmShape) sizes() (m, n, k int) {
	m, n, k = g.m, g.n, g.k
	switch g.neg {
	case "m":
		m = -1 - m
	case "n":
		n = -1 - n
	case "k":
		k = -1 - k
	}
	return m, n, k
}

// panicWants returns what the panic of a wrong argument must mention.
func (g *gemmShape) panicWants(op string) []string {
	pre := "kernels: " + op + ": "
	m, n, k := g.sizes()
	switch g.bad {
	case gemmShortA:
		return []string{pre, "len(a) = ", "A ("}
	case gemmShortB:
		return []string{pre, "len(b) = ", "B ("}
	case gemmShortC:
		return []string{pre, "len(c) = ", "C ("}
	case gemmSmallLda:
		return []string{pre, fmt.Sprintf("lda = %d is less than", g.lda)}
	case gemmSmallLdb:
		return []string{pre, fmt.Sprintf("ldb = %d is less than", g.ldb)}
	case gemmSmallLdc:
		return []string{pre, fmt.Sprintf("ldc = %d is less than", g.ldc)}
	case gemmNegative:
		v := map[string]int{"m": m, "n": n, "k": k}[g.neg]
		return []string{pre, fmt.Sprintf("%s = %d < 0", g.neg, v)}
	}
	return nil
}

func (g *gemmShape) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d", g.tA, g.tB, g.m, g.n, g.k,
		g.lda, g.ldb, g.ldc)
}

// operands places A and B, filled from src, their gaps NaN.
func (g *gemmShape) operands(src *source, place uint32) (a, b *mat) {
	ra, ca := g.opA()
	rb, cb := g.opB()
	a = newMat(ra, ca, g.lda, g.bad == gemmShortA, uint8(place), padNaN, src, nil)
	b = newMat(rb, cb, g.ldb, g.bad == gemmShortB, uint8(place>>8), padNaN, src, nil)
	return a, b
}

// opAt returns op(A)[i,p] and op(B)[p,j].
func (g *gemmShape) opAt(a, b *mat, i, j, p int) (float32, float32) {
	var x, y float32
	if g.tA {
		x = a.at(p, i)
	} else {
		x = a.at(i, p)
	}
	if g.tB {
		y = b.at(j, p)
	} else {
		y = b.at(p, j)
	}
	return x, y
}

// gemmRef returns what C[i,j] may be after Sgemm: alpha·Σ_p op(A)[i,p]·op(B)[p,j]
// + beta·c0, the sum skipped when alpha or k is 0 and C not read when beta
// is 0, within 2(k+2)·ε·(|alpha|·Σ|a·b| + |beta·c0|) of the exact value,
// plus what underflow may lose: half the smallest subnormal for each
// product (scaled by alpha), each scaling by alpha (one per block of the
// depth, at most one per 128) and the scaling of C. Where a product, a
// partial sum or its scaling may overflow float32, any infinity or NaN is
// acceptable too.
func gemmRef(g *gemmShape, a, b *mat, i, j int, alpha, beta, c0 float32) ref {
	var s terms
	if alpha != 0 {
		for p := 0; p < g.k; p++ {
			x, y := g.opAt(a, b, i, j, p)
			s.add(float64(x) * float64(y))
		}
	}
	var want, abs, big float64
	if s.n > 0 {
		want = float64(alpha) * s.value()
		abs = math.Abs(float64(alpha)) * s.abs
		big = max(s.abs, abs)
	}
	if beta != 0 {
		bc := float64(beta) * float64(c0)
		want += bc
		abs += math.Abs(bc)
	}
	k := float64(g.k)
	tiny := (math.Abs(float64(alpha))*k + k/128 + 3) * 0x1p-150
	// An infinite alpha times a finite sum that float32 may round to
	// either sign, or to 0, or that may overflow to either infinity, gives
	// an infinity of either sign or NaN.
	anyInf := s.n > 0 && math.IsInf(float64(alpha), 0) && finite(s.value()) &&
		(math.Abs(s.sum) <= 2*(k+2)*eps32*s.abs+k*0x1p-150 ||
			s.abs*(1+4*(k+2)*eps32) >= math.MaxFloat32)
	return ref{
		want:   want,
		bound:  2*(k+2)*eps32*abs + tiny,
		risky:  max(big, abs)*(1+4*(k+2)*eps32) >= math.MaxFloat32,
		anyInf: anyInf,
	}
}

// FuzzSgemm checks kernels.Sgemm on every path against float64, within
// 2(k+2)·ε·Σ|a·b| (see gemmRef), over shapes up to a few million
// multiply-adds (which cross the blocks of the depth and of C and the
// split between threads), all four transposes, any alpha and beta (the
// fuzzer's float32 arguments, NaN and infinities included) and padded
// leading dimensions, with every matrix flush against an unreadable page
// or between guards: gaps in A and B hold NaN, which must not leak; with
// beta = 0, C holds NaN, which must not leak either; the gaps of C and
// everything around it must stay as they were. One argument wrong (a slice
// one element short, a leading dimension one less than the columns, a
// negative size) must panic, naming it, with nothing written.
func FuzzSgemm(f *testing.F) {
	seeds := []struct {
		shape       uint32
		mode        uint16
		alpha, beta float32
	}{
		{0x00_01_01_01, 0, 1, 0},
		{0x00_07_05_03, 1 << 4, 1, 1},
		{0x08_21_11_0d, 2 << 4, -0.5, 0.25},
		{0x10_40_20_18, 3 << 4, 2, 0},
		{0x18_03_61_31, 0, 1, -1},
		{0x00_00_09_09, 0, 1, 0.5},    // k = 0: C = beta·C
		{0x00_10_09_09, 0, 0, 2},      // alpha = 0: the product is skipped
		{0x04_ff_03_02, 0, 1, 0},      // k = 1275, past the depth block
		{0x01_20_05_1f, 1 << 4, 1, 0}, // m = 279, past the row block
		{0x02_02_90_02, 0, 1, 0},      // n = 2448
		{0x00_80_80_80, 2 << 4, 1, 0}, // split between threads
		{0x00_11_11_11, 3 << 4, float32(math.Inf(1)), 0},
		{0x00_11_11_11, 3 << 4, 1, float32(math.NaN())},
		{0x00_05_04_03, gemmShortA, 1, 0},
		{0x08_05_04_03, gemmShortB, 1, 1},
		{0x18_05_04_03, 3<<4 | gemmShortC, 1, 0},
		{0x10_05_04_03, gemmSmallLda, 1, 0},
		{0x08_05_04_03, gemmSmallLdb, 1, 0},
		{0x00_05_04_03, gemmSmallLdc, 1, 0},
		{0x00_05_04_03, gemmNegative, 1, 0},
		{0x00_00_00_00, gemmSmallLdc, 1, 0},
	}
	for i, s := range seeds {
		f.Add(s.shape, s.mode, s.alpha, s.beta, uint32(i)*0x00010203, []byte{byte(i)})
	}
	f.Fuzz(func(t *testing.T, shape uint32, mode uint16, alpha, beta float32, place uint32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		src := newSource(data, uint8(mode>>4))
		g := decodeGemm(shape, int(mode&15), 1<<21, src)
		a, b := g.operands(src, place)
		defer a.free()
		defer b.free()
		c := newMat(g.m, g.n, g.ldc, g.bad == gemmShortC, uint8(place>>16), guard, src, func() float32 {
			if beta == 0 {
				return padNaN // C must not be read
			}
			return src.f32()
		})
		defer c.free()
		m, n, k := g.sizes()
		what := func(p *kernels.Impl) string {
			return fmt.Sprintf("Sgemm %v alpha=%v beta=%v on %s", &g, alpha, beta, p.Name())
		}

		var refs []ref
		if g.bad == gemmGood {
			refs = make([]ref, 0, g.m*g.n)
			for i := 0; i < g.m; i++ {
				for j := 0; j < g.n; j++ {
					refs = append(refs, gemmRef(&g, a, b, i, j, alpha, beta, c.at(i, j)))
				}
			}
		}

		for _, p := range paths {
			c.reset()
			run := func() {
				p.Sgemm(g.tA, g.tB, m, n, k, alpha, a.s(), g.lda, b.s(), g.ldb, beta, c.s(), g.ldc)
			}
			if g.bad != gemmGood {
				mustPanic(t, what(p), run, g.panicWants("Sgemm")...)
				if msg := c.unchanged("c"); msg != "" {
					t.Fatalf("%s: panicked having written: %s", what(p), msg)
				}
			} else {
				mustRun(t, what(p), run)
				if msg := c.gapsKept("c"); msg != "" {
					t.Fatalf("%s: %s", what(p), msg)
				}
				for i := 0; i < g.m; i++ {
					for j := 0; j < g.n; j++ {
						r := refs[i*g.n+j]
						if got := c.at(i, j); !r.ok(got) {
							t.Fatalf("%s: C[%d,%d] = %v (%#08x), want %s", what(p), i, j,
								got, math.Float32bits(got), r)
						}
					}
				}
			}
			if msg := a.unchanged("a"); msg != "" {
				t.Fatalf("%s: %s", what(p), msg)
			}
			if msg := b.unchanged("b"); msg != "" {
				t.Fatalf("%s: %s", what(p), msg)
			}
		}
	})
}
