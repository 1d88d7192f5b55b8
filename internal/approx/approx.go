// Package approx holds the constants of the float32 approximations of exp and
// tanh that every kernel path uses: the pure-Go reference in package kernels
// and the generated assembly in gen/. Keeping them in one place means the
// paths differ only in how they round, never in what they compute.
//
// exp(x) is computed as 2^n · p(r), with n = round(x·log2(e)) and
// r = x − n·ln2 in [−ln2/2, ln2/2]; ln2 is split in a high part with 15
// significant bits (n·Ln2Hi is exact for |n| ≤ 512) and a low part. p has
// degree 6, p(r) = 1 + r + r²·(c2 + c3·r + … + c6·r⁴), with c2…c6 fitted by
// least squares to the relative error on Chebyshev nodes of the interval:
// its approximation error, with the coefficients rounded to float32, is
// below 3.8e-9 relative (0.07 ULP of float32), and p(0) = 1 exactly.
//
// tanh(x) for |x| < TanhSmall is x + x³·q(x²), with q of degree 4 fitted by
// least squares to the relative error on Chebyshev nodes of [0, TanhSmall]
// (approximation error with float32 coefficients below 1.1e-8 relative,
// 0.18 ULP); above it, tanh|x| = (1 − e)/(1 + e) with e = exp(−2|x|) ≤ 0.29,
// where neither the subtraction nor the division loses accuracy to
// cancellation.
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

// ExpPoly holds the coefficients of p(r) = Σ ExpPoly[k]·r^k.
var ExpPoly = [...]float32{
	1,
	1,
	0.4999998859512326,
	0.16666518459974483,
	0.04166953310654671,
	0.008368916341931654,
	0.001375140805128384,
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
