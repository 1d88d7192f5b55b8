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
	for i := 1; i <= steps; i++ {
		x := float64(TanhSmall) * float64(i) / steps
		y := x + x*x*x*horner(x*x, TanhPoly[:])
		worst = math.Max(worst, math.Abs(y/math.Tanh(x)-1))
	}
	if worst > 1.1e-8 {
		t.Errorf("tanh polynomial: relative error %.3g > 1.1e-8", worst)
	}
	t.Logf("tanh polynomial: %.3g relative (%.3f ULP)", worst, worst/0x1p-24)

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
