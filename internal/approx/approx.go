// Package approx holds the constants of the float32 approximations of exp and
// tanh that every kernel path uses: the pure-Go reference in package kernels
// and the generated assembly in gen/. Keeping them in one place means the
// paths differ only in how they round, never in what they compute.
//
// exp(x) is computed as 2^n · p(r), with n = round(x·log2(e)) and
// r = x − n·ln2 in [−ln2/2, ln2/2]; ln2 is split in a high part with at most 16
// significant bits (n·Ln2Hi is exact for |n| ≤ 256) and a low part. p is the
// Taylor polynomial of degree 7, whose truncation error is below
// 0.3466^8/8! ≈ 5.2e-9 relative, 0.09 ULP of float32.
//
// tanh(x) for |x| < TanhSmall is x + x³·q(x²), with q of degree 4 fitted by
// least squares to the relative error on Chebyshev nodes of [0, TanhSmall]
// (approximation error below 4.6e-9 relative, 0.08 ULP); above it,
// tanh|x| = (1 − e)/(1 + e) with e = exp(−2|x|) ≤ 0.29, where neither the
// subtraction nor the division loses accuracy to cancellation.
package approx

const (
	// Log2E is log2(e) rounded to float32.
	Log2E float32 = 1.44269504088896340736

	// Ln2Hi + Ln2Lo = ln 2 to about 2^-48; Ln2Hi = 0x3f317200 has 15
	// significant bits, so n·Ln2Hi is exact in float32 for |n| ≤ 512.
	Ln2Hi float32 = 0.693145751953125
	Ln2Lo float32 = 1.428606820309417232e-06

	// ExpMax and ExpMin bound the argument of exp before range reduction.
	// exp(ExpMax) overflows to +Inf and exp(ExpMin) rounds to zero (the
	// smallest positive subnormal is 2^-149 ≈ exp(-103.28)), so clamping
	// changes no result, and n = round(x·log2 e) stays in [-150, 128],
	// where two steps of 2^(n/2) each reach every float32 scale.
	ExpMax float32 = 89
	ExpMin float32 = -104

	// TanhSmall is where tanh switches from its odd polynomial to exp.
	TanhSmall float32 = 0.625
)

// ExpPoly holds the coefficients of p(r) = Σ ExpPoly[k]·r^k, 1/k! rounded
// to float32.
var ExpPoly = [...]float32{
	1,
	1,
	0.5,
	0.16666666666666666,
	0.041666666666666664,
	0.008333333333333333,
	0.001388888888888889,
	0.0001984126984126984,
}

// TanhPoly holds q(s) = Σ TanhPoly[k]·s^k, so that tanh(x) ≈ x + x³·q(x²)
// on [0, TanhSmall].
var TanhPoly = [...]float32{
	-0.3333328521996541,
	0.13331512675202203,
	-0.05374465869658047,
	0.02065312695071123,
	-0.00571896512376649,
}
