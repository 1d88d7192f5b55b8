package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sumBound is the error bound the doc comments of Dot and Sum state: a
// float32 sum of n terms (for Dot, products rounded or fused into the
// sums) in any order and grouping is within γ_n·Σ|terms| of the exact
// one, γ_n = nε/(1−nε), ε = 2⁻²⁴, since no term goes through more than n
// roundings. Subnormal inputs add an absolute error: a product that
// underflows is off by up to half the smallest subnormal, 2⁻¹⁵⁰, so Dot
// adds n·2⁻¹⁵⁰. A wrong index or a lost lane changes the sum by far more.
func sumBound(n int, abs float64, products bool) float64 {
	e := 0x1p-24 * float64(n)
	b := e / (1 - e) * abs
	if products {
		b += float64(n) * 0x1p-150
	}
	return b
}

// tinies are the values that sprinkle the reductions' inputs: signed
// zeros, subnormals and the smallest normals.
var tinies = []float32{
	0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1.1754942e-38, -1.1754942e-38, 1.17549435e-38, -1.17549435e-38,
}

func TestReductions(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(3, 3))
		for _, n := range testLengths(testing.Short()) {
			for off := range 16 {
				x := make([]float32, n+off)[off:]
				y := make([]float32, n+off+3)[off+3:]
				finite(r, x)
				finite(r, y)
				for _, v := range [][]float32{x, y} {
					for i := range v {
						if r.IntN(8) == 0 {
							v[i] = tinies[r.IntN(len(tinies))]
						}
					}
				}
				xs, ys := slices.Clone(x), slices.Clone(y)

				var dot, dotAbs, sum, sumAbs float64
				for i := range x {
					d := float64(x[i]) * float64(y[i])
					dot += d
					dotAbs += math.Abs(d)
					sum += float64(x[i])
					sumAbs += math.Abs(float64(x[i]))
				}
				if got, b := p.Dot(x, y), sumBound(n, dotAbs, true); math.Abs(float64(got)-dot) > b {
					t.Fatalf("n=%d off=%d: Dot = %v, want %v within %g", n, off, got, dot, b)
				}
				if got, b := p.Sum(x), sumBound(n, sumAbs, false); math.Abs(float64(got)-sum) > b {
					t.Fatalf("n=%d off=%d: Sum = %v, want %v within %g", n, off, got, sum, b)
				}
				if got, want := p.max(x), slices.Max(append([]float32{float32(math.Inf(-1))}, x...)); got != want {
					t.Fatalf("n=%d off=%d: max = %v, want %v", n, off, got, want)
				}
				if !slices.Equal(x, xs) || !slices.Equal(y, ys) {
					t.Fatalf("n=%d: an input was modified", n)
				}
			}
		}
	})
}

// TestReductionSpecials checks that a NaN anywhere, or infinities of both
// signs, give NaN, and infinities of one sign give that infinity, whatever
// lane they fall in.
func TestReductionSpecials(t *testing.T) {
	inf := float32(math.Inf(1))
	forEachPath(t, func(t *testing.T, p *Impl) {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 63, 64, 65, 200} {
			for pos := 0; pos < n; pos += 1 + n/9 {
				x := make([]float32, n)
				ones := make([]float32, n)
				for i := range x {
					x[i], ones[i] = 1, 1
				}
				x[pos] = float32(math.NaN())
				if s, d := p.Sum(x), p.Dot(x, ones); s == s || d == d {
					t.Fatalf("n=%d NaN at %d: Sum = %v, Dot = %v, want NaN", n, pos, s, d)
				}
				x[pos] = -inf
				if s, d := p.Sum(x), p.Dot(ones, x); s != -inf || d != -inf {
					t.Fatalf("n=%d -Inf at %d: Sum = %v, Dot = %v, want -Inf", n, pos, s, d)
				}
				if m := p.max(x); n > 1 && m != 1 {
					t.Fatalf("n=%d -Inf at %d: max = %v, want 1", n, pos, m)
				}
				x[(pos+1)%n] = inf
				if s := p.Sum(x); n > 1 && s == s {
					t.Fatalf("n=%d ±Inf: Sum = %v, want NaN", n, s)
				}
			}
		}
		if s, d, m := p.Sum(nil), p.Dot(nil, nil), p.max(nil); s != 0 || d != 0 || m != float32(math.Inf(-1)) {
			t.Fatalf("empty: Sum = %v, Dot = %v, max = %v", s, d, m)
		}
	})
}
