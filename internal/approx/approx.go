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
// tanh|x| is e/(e + 2) with e = e^(2|x|) − 1 = 2^n·m + (2^n − 1) on the
// same reduction of 2|x|, where m = r + r²·q(r) ≈ e^r − 1, q of degree 4
// fitted like p's but to the relative error of e^r − 1 (0.28 ULP with its
// float32 coefficients): both terms are ≥ 0, so nothing cancels,
// and for |x| < ln2/4, where n = 0, e keeps its relative accuracy however
// small |x| is. One exponential and one division, and below TanhTiny x
// itself.
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

	// TanhTiny bounds where tanh returns x itself: below it x³/3 is under
	// a third of x's ULP, so tanh x rounds to x (as it does up to about
	// 1.44·2^-12), where the quotient could be a rounding or two off.
	TanhTiny float32 = 0x1p-12

	// TanhMax bounds |x| before tanh: tanh x rounds to 1 in float32 for
	// x > 13·ln 2 ≈ 9.011, and e^(2·TanhMax) is far from overflowing.
	TanhMax float32 = 9.1
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

// Expm1Poly holds q(r) = Σ Expm1Poly[k]·r^k, so that e^r − 1 ≈ r + r²·q(r)
// on [−ln2/2, ln2/2].
var Expm1Poly = [...]float32{
	0.4999999701976776,
	0.1666654348373413,
	0.04166720062494278,
	0.00836651585996151,
	0.0013882495695725083,
}
