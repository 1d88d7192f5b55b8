package mlp

import (
	"math"
	"slices"
	"testing"
)

// TestInitStatistics draws the weights of a 600×200 layer (120 000 of
// them) with each initialiser and compares their sample moments with the
// distribution's: the variance must be within 2% of 2/fan_in (He) or
// 2/(fan_in+fan_out) (Xavier), the mean within 0.02 standard deviations
// of 0, and the kurtosis E[w⁴]/σ⁴ within 0.1 of 1.8 (uniform) or 3
// (normal); a uniform draw must stay within ±√3·σ. At this size the
// standard error of the variance is under 0.5% and that of the kurtosis
// under 0.015, so the bounds are several standard errors wide, while a
// wrong fan (He's variance for Xavier is 4/3 of it), a wrong scale or the
// wrong distribution misses them by far. The biases must be 0, the same
// seed must give the same bits, and another seed or layer other ones.
func TestInitStatistics(t *testing.T) {
	const in, out = 600, 200
	cases := []struct {
		kind     Init
		name     string
		variance float64
		kurtosis float64
	}{
		{HeUniform, "HeUniform", 2.0 / in, 1.8},
		{HeNormal, "HeNormal", 2.0 / in, 3},
		{XavierUniform, "XavierUniform", 2.0 / (in + out), 1.8},
		{XavierNormal, "XavierNormal", 2.0 / (in + out), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			net := New(in, MSE, Layer{out, Tanh}, Layer{out, Tanh})
			for _, l := range net.Layers {
				for i := range l.B {
					l.B[i] = 1 // Init must clear them
				}
			}
			net.Init(c.kind, 42)
			w := net.Layers[0].W
			var sum, sq, q, peak float64
			for _, v := range w {
				sum += float64(v)
			}
			mean := sum / float64(len(w))
			for _, v := range w {
				d := float64(v) - mean
				sq += d * d
				q += d * d * d * d
				peak = math.Max(peak, math.Abs(float64(v)))
			}
			variance := sq / float64(len(w)-1)
			kurtosis := q / float64(len(w)) / (variance * variance)
			sd := math.Sqrt(c.variance)
			t.Logf("variance %.4g (want %.4g), mean %.2g σ, kurtosis %.3f, max |w| %.3f σ",
				variance, c.variance, mean/sd, kurtosis, peak/sd)
			if math.Abs(variance/c.variance-1) > 0.02 {
				t.Errorf("variance %.5g, want %.5g within 2%%", variance, c.variance)
			}
			if math.Abs(mean) > 0.02*sd {
				t.Errorf("mean %.3g, want |mean| < %.3g", mean, 0.02*sd)
			}
			if math.Abs(kurtosis-c.kurtosis) > 0.1 {
				t.Errorf("kurtosis %.3f, want %.1f ± 0.1", kurtosis, c.kurtosis)
			}
			if c.kurtosis == 1.8 && peak > math.Sqrt(3)*sd*(1+1e-6) {
				t.Errorf("max |w| = %.5g, beyond the uniform bound √3·σ = %.5g",
					peak, math.Sqrt(3)*sd)
			}
			for i, l := range net.Layers {
				for _, b := range l.B {
					if b != 0 {
						t.Fatalf("layer %d: bias %v after Init, want 0", i, b)
					}
				}
			}

			// Bits: the same seed gives the same weights; another seed, or
			// another layer of the same shape, others.
			again := New(in, MSE, Layer{out, Tanh}, Layer{out, Tanh})
			again.Init(c.kind, 42)
			other := New(in, MSE, Layer{out, Tanh}, Layer{out, Tanh})
			other.Init(c.kind, 43)
			for i, l := range net.Layers {
				if !sameBits(l.W, again.Layers[i].W) {
					t.Errorf("layer %d: the same seed gave other weights", i)
				}
				if sameBits(l.W, other.Layers[i].W) {
					t.Errorf("layer %d: seeds 42 and 43 gave the same weights", i)
				}
			}
			if w1 := net.Layers[1].W; sameBits(w1, net.Layers[0].W[:len(w1)]) {
				t.Error("layers 0 and 1 drew the same weights")
			}
		})
	}
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool {
		return math.Float32bits(x) == math.Float32bits(y)
	})
}
