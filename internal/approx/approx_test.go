package approx

import (
	"math"
	"testing"
)

func horner(x float64, c []float32) float64 {
	p := float64(c[len(c)-1])
	for k := len(c) - 2; k >= 0; k-- {
		p = p*x + float64(c[k])
	}
	return p
}

// TestApproximationErrors checks, in float64, the approximation errors the
// package documents for the coefficients as stored (rounded to float32):
// the bounds the kernels' error budgets start from.
func TestApproximationErrors(t *testing.T) {
	const steps = 200000
	h := math.Ln2 / 2
	var worst float64
	for i := -steps; i <= steps; i++ {
		r := h * float64(i) / steps
		worst = math.Max(worst, math.Abs(horner(r, ExpPoly[:])/math.Exp(r)-1))
	}
	if worst > 3.8e-9 {
		t.Errorf("exp polynomial: relative error %.3g > 3.8e-9", worst)
	}
	t.Logf("exp polynomial: %.3g relative (%.3f ULP)", worst, worst/0x1p-24)

	worst = 0
	for i := -steps; i <= steps; i++ {
		if i == 0 {
			continue
		}
		r := h * float64(i) / steps
		worst = math.Max(worst, math.Abs((r+r*r*horner(r, Expm1Poly[:]))/math.Expm1(r)-1))
	}
	if worst > 0.3*0x1p-24 {
		t.Errorf("expm1 polynomial: relative error %.3g > 0.3 ULP", worst)
	}
	t.Logf("expm1 polynomial: %.3g relative (%.3f ULP)", worst, worst/0x1p-24)

	for x := math.Nextafter32(TanhTiny, 0); x > 0x1p-30; x *= 0.99 {
		if y := float32(math.Tanh(float64(x))); y != x {
			t.Fatalf("tanh(%v) = %v in float32, not %v: TanhTiny is too large", x, y, x)
		}
	}
	if y := math.Tanh(13 * math.Ln2 * 1.0001); float32(y) != 1 {
		t.Errorf("tanh just above 13·ln2 = %v does not round to 1", y)
	}
	if TanhMax < 13*math.Ln2 || math.Expm1(2*float64(TanhMax)) > 0x1p30 {
		t.Errorf("TanhMax = %v: tanh(TanhMax) must round to 1 and e^(2·TanhMax) stay far from overflow", TanhMax)
	}

	if float64(Ln2Hi)+float64(Ln2Lo)-math.Ln2 > 0x1p-48 {
		t.Errorf("Ln2Hi + Ln2Lo is off ln 2 by %g", float64(Ln2Hi)+float64(Ln2Lo)-math.Ln2)
	}
	if m := math.Float32bits(Ln2Hi); m&0x1ff != 0 {
		t.Errorf("Ln2Hi = %#x has more than 15 significant bits", m)
	}
	if !math.IsInf(math.Exp(float64(ExpMax)), 0) && math.Exp(float64(ExpMax)) < math.MaxFloat32 {
		t.Errorf("exp(ExpMax) = %g does not overflow float32", math.Exp(float64(ExpMax)))
	}
	if math.Exp(float64(ExpMin)) >= 0x1p-150 {
		t.Errorf("exp(ExpMin) = %g does not round to 0 in float32", math.Exp(float64(ExpMin)))
	}
}
