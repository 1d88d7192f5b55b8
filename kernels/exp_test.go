package kernels

import (
	"math"
	"testing"
)

// Error bounds of the exp-based kernels, in ULP of the float32 result
// (fractional: the distance to the exact value over the spacing of float32
// there), over every input. TestExpFamilyDense measures them on a dense
// sample of all 2^32 inputs; these are the measured maxima of every path,
// rounded up with some room for the inputs the sample skips.
//
//   - exp: range reduction (r rounded once: ≤ 0.18 ULP), the degree-6
//     polynomial (0.07 ULP, see internal/approx) and its evaluation, and
//     the final rounding.
//   - sigmoid: exp's error shrinks through 1/(1+t) but adds the rounding of
//     1+t and of the division.
//   - tanh: e = e^(2|x|) − 1 carries the reduction's error, the expm1
//     polynomial's (0.28 ULP) and two roundings, then e + 2 and the
//     division one each; measured at every 7th input: 2.53 ULP on the
//     assembly paths, 2.58 on the generic one, near |x| = 0.06, and 2.38
//     on NEON (every 251st input, under qemu).
const (
	expULPs     = 2
	sigmoidULPs = 3
	tanhULPs    = 3
)

func TestExpFamilyDense(t *testing.T) {
	stride := uint64(251)
	if testing.Short() {
		stride = 4093
	}
	funcs := []struct {
		name  string
		run   func(p *Impl, dst, x []float32)
		truth func(float64) float64
		bound float64
	}{
		{"Exp", (*Impl).Exp, math.Exp, expULPs},
		{"Sigmoid", (*Impl).Sigmoid, sigmoid64, sigmoidULPs},
		{"Tanh", (*Impl).Tanh, math.Tanh, tanhULPs},
	}
	const batch = 1 << 14
	x := make([]float32, 0, batch)
	y := make([]float32, batch)
	for _, f := range funcs {
		t.Run(f.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, p *Impl) {
				var worst float64
				var worstX float32
				var count int
				flush := func() {
					f.run(p, y[:len(x)], x)
					for i, v := range x {
						e := ulpErr(y[i], f.truth(float64(v)))
						if e > worst || e != e {
							worst, worstX = e, v
						}
					}
					count += len(x)
					x = x[:0]
				}
				for u := uint64(0); u < 1<<32; u += stride {
					x = append(x, math.Float32frombits(uint32(u)))
					if len(x) == batch {
						flush()
					}
				}
				flush()
				t.Logf("%d inputs: max error %.3f ULP at x = %v (%#08x)", count, worst, worstX, math.Float32bits(worstX))
				if !(worst <= f.bound) {
					t.Errorf("max error %.3f ULP at x = %v exceeds the bound %v", worst, worstX, f.bound)
				}
			})
		})
	}
}

// TestExpLimits checks the saturation and the special values exactly.
func TestExpLimits(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cases := []struct {
		name string
		run  func(p *Impl, dst, x []float32)
		x    []float32
		want []float32
	}{
		{"Exp", (*Impl).Exp,
			[]float32{0, float32(math.Copysign(0, -1)), inf, -inf, nan, 88.8, 89, 1000, -104, -1000, math.MaxFloat32, -math.MaxFloat32},
			[]float32{1, 1, inf, 0, nan, inf, inf, inf, 0, 0, inf, 0}},
		{"Sigmoid", (*Impl).Sigmoid,
			[]float32{0, inf, -inf, nan, 100, -200, math.MaxFloat32, -math.MaxFloat32},
			[]float32{0.5, 1, 0, nan, 1, 0, 1, 0}},
		{"Tanh", (*Impl).Tanh,
			[]float32{0, float32(math.Copysign(0, -1)), inf, -inf, nan, 10, -10, math.MaxFloat32, -math.MaxFloat32, 1e-30, -1e-30},
			[]float32{0, float32(math.Copysign(0, -1)), 1, -1, nan, 1, -1, 1, -1, 1e-30, -1e-30}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, p *Impl) {
				// Every lane position, with the specials repeated to fill
				// whole vectors and a tail.
				for start := 0; start < len(c.x); start++ {
					var x, want []float32
					for i := 0; i < 37; i++ {
						x = append(x, c.x[(start+i)%len(c.x)])
						want = append(want, c.want[(start+i)%len(c.x)])
					}
					y := make([]float32, len(x))
					c.run(p, y, x)
					for i := range y {
						if !sameBits(y[i], want[i]) {
							t.Fatalf("%s(%v) = %v, want %v", c.name, x[i], y[i], want[i])
						}
					}
				}
			})
		})
	}
}
