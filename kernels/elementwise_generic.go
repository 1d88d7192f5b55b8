package kernels

import (
	"math"
	"unsafe"

	"github.com/backprop-go/backprop/internal/approx"
	"github.com/backprop-go/backprop/kernels/asm"
)

// The pure-Go path. It is the reference every other path is tested
// against, and the fallback on CPUs and builds without assembly.
//
// Every operation is rounded to float32 exactly where the assembly rounds:
// an explicit float32(...) conversion keeps the compiler from fusing a
// multiply and an add into an FMA on the architectures where it would.

// The streaming variants are the same functions: Go has no non-temporal
// store.
var elementwiseGeneric = asm.Elementwise{
	Axpy:                 axpyGeneric,
	Scale:                scaleGeneric,
	Add:                  addGeneric,
	AddStream:            addGeneric,
	Mul:                  mulGeneric,
	MulStream:            mulGeneric,
	SubScalar:            subScalarGeneric,
	Dot:                  dotGeneric,
	Sum:                  sumGeneric,
	Max:                  maxGeneric,
	Relu:                 reluGeneric,
	ReluStream:           reluGeneric,
	LeakyRelu:            leakyReluGeneric,
	LeakyReluStream:      leakyReluGeneric,
	Exp:                  expGeneric,
	ExpStream:            expGeneric,
	ExpSubSum:            expSubSumGeneric,
	SumExpSub:            sumExpSubGeneric,
	Sigmoid:              sigmoidGeneric,
	SigmoidStream:        sigmoidGeneric,
	Tanh:                 tanhGeneric,
	TanhStream:           tanhGeneric,
	ReluDelta:            reluDeltaGeneric,
	ReluDeltaStream:      reluDeltaGeneric,
	LeakyReluDelta:       leakyReluDeltaGeneric,
	LeakyReluDeltaStream: leakyReluDeltaGeneric,
	SigmoidDelta:         sigmoidDeltaGeneric,
	SigmoidDeltaStream:   sigmoidDeltaGeneric,
	TanhDelta:            tanhDeltaGeneric,
	TanhDeltaStream:      tanhDeltaGeneric,
	SgdStep:              sgdStepGeneric,
	MomentumStep:         momentumStepGeneric,
	NesterovStep:         nesterovStepGeneric,
	AdamStep:             adamStepGeneric,
	RMSPropStep:          rmspropStepGeneric,
}

// view returns the n float32 at p as a slice; p may be nil when n is 0.
func view(p *float32, n int) []float32 { return unsafe.Slice(p, n) }

func axpyGeneric(x, y *float32, n int, alpha float32) {
	xs, ys := view(x, n), view(y, n)
	for i, v := range xs {
		ys[i] += float32(alpha * v)
	}
}

func scaleGeneric(dst, x *float32, n int, alpha float32) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		d[i] = alpha * v
	}
}

func addGeneric(dst, x, y *float32, n int) {
	d, xs, ys := view(dst, n), view(x, n), view(y, n)
	for i, v := range xs {
		d[i] = v + ys[i]
	}
}

func mulGeneric(dst, x, y *float32, n int) {
	d, xs, ys := view(dst, n), view(x, n), view(y, n)
	for i, v := range xs {
		d[i] = v * ys[i]
	}
}

func subScalarGeneric(dst, x *float32, n int, c float32) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		d[i] = v - c
	}
}

// dotGeneric keeps four partial sums, which shortens the dependency chain
// and bounds the rounding error like the assembly's partial sums do.
func dotGeneric(x, y *float32, n int) float32 {
	xs, ys := view(x, n), view(y, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += float32(xs[i] * ys[i])
		s1 += float32(xs[i+1] * ys[i+1])
		s2 += float32(xs[i+2] * ys[i+2])
		s3 += float32(xs[i+3] * ys[i+3])
	}
	for ; i < n; i++ {
		s0 += float32(xs[i] * ys[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sumGeneric(x *float32, n int) float32 {
	xs := view(x, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += xs[i]
		s1 += xs[i+1]
		s2 += xs[i+2]
		s3 += xs[i+3]
	}
	for ; i < n; i++ {
		s0 += xs[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func maxGeneric(x *float32, n int) float32 {
	m := float32(math.Inf(-1))
	for _, v := range view(x, n) {
		if v > m {
			m = v
		}
	}
	return m
}

func reluGeneric(dst, x *float32, n int) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		if v < 0 {
			v = 0
		}
		d[i] = v
	}
}

func leakyReluGeneric(dst, x *float32, n int, alpha float32) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		if v < 0 {
			v *= alpha
		}
		d[i] = v
	}
}

func expGeneric(dst, x *float32, n int) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		d[i] = exp32(v)
	}
}

func expSubSumGeneric(dst, x *float32, n int, c float32) float32 {
	d, xs := view(dst, n), view(x, n)
	var s float32
	for i, v := range xs {
		e := exp32(v - c)
		d[i] = e
		s += e
	}
	return s
}

func sumExpSubGeneric(x *float32, n int, c float32) float32 {
	var s float32
	for _, v := range view(x, n) {
		s += exp32(v - c)
	}
	return s
}

func sigmoidGeneric(dst, x *float32, n int) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		d[i] = sigmoid32(v)
	}
}

func tanhGeneric(dst, x *float32, n int) {
	d, xs := view(dst, n), view(x, n)
	for i, v := range xs {
		d[i] = tanh32(v)
	}
}

func reluDeltaGeneric(dst, grad, z *float32, n int) {
	d, gs, zs := view(dst, n), view(grad, n), view(z, n)
	for i, v := range zs {
		if v > 0 {
			d[i] = gs[i]
		} else {
			d[i] = 0
		}
	}
}

func leakyReluDeltaGeneric(dst, grad, z *float32, n int, alpha float32) {
	d, gs, zs := view(dst, n), view(grad, n), view(z, n)
	for i, v := range zs {
		if v > 0 {
			d[i] = gs[i]
		} else {
			d[i] = alpha * gs[i]
		}
	}
}

func sigmoidDeltaGeneric(dst, grad, a *float32, n int) {
	d, gs, as := view(dst, n), view(grad, n), view(a, n)
	for i, v := range as {
		d[i] = gs[i] * (v * (1 - v))
	}
}

func tanhDeltaGeneric(dst, grad, a *float32, n int) {
	d, gs, as := view(dst, n), view(grad, n), view(a, n)
	for i, v := range as {
		d[i] = gs[i] * ((1 - v) * (1 + v))
	}
}

// exp32 is e^x by the method of package approx: 2^n·p(r).
func exp32(x float32) float32 {
	// Comparisons are false for NaN, which passes through.
	if x < approx.ExpMin {
		x = approx.ExpMin
	}
	if x > approx.ExpMax {
		x = approx.ExpMax
	}
	n := roundEven32(float32(x * approx.Log2E))
	r := x - float32(n*approx.Ln2Hi) // exact: n·Ln2Hi is, and x is close to it
	r -= float32(n * approx.Ln2Lo)
	return scale2(horner32(r, approx.ExpPoly[:]), n)
}

// roundEven32 rounds |v| < 2^22 to the nearest integer, ties to even, by
// adding and removing 1.5·2^23, where the float32 spacing is 1.
func roundEven32(v float32) float32 {
	const magic = 1.5 * (1 << 23)
	return float32(v+magic) - magic
}

// horner32 is Σ c[k]·x^k.
func horner32(x float32, c []float32) float32 {
	p := c[len(c)-1]
	for k := len(c) - 2; k >= 0; k-- {
		p = float32(p*x) + c[k]
	}
	return p
}

// scale2 is p·2^n for integral n in [−150, 128], rounded once: 2^(n>>1)
// and 2^(n − n>>1) are both normal, and p·2^(n>>1) is exact.
func scale2(p, n float32) float32 {
	k := int32(n)
	k1 := k >> 1
	k2 := k - k1
	s1 := math.Float32frombits(uint32(k1+127) << 23)
	s2 := math.Float32frombits(uint32(k2+127) << 23)
	return float32(p*s1) * s2
}

// sigmoid32 is 1/(1+e^−x), from t = e^−|x| so nothing overflows.
func sigmoid32(x float32) float32 {
	t := exp32(-abs32(x))
	num := float32(1)
	if x < 0 {
		num = t
	}
	return num / (1 + t)
}

// tanh32 is e/(e + 2), e = e^(2|x|) − 1 = 2^n·p(r) + (2^n − 1), with the
// sign of x, and x itself below TanhTiny: see package approx.
func tanh32(x float32) float32 {
	ax := abs32(x)
	if ax < approx.TanhTiny {
		return x
	}
	if ax > approx.TanhMax { // false for NaN, which passes through
		ax = approx.TanhMax
	}
	a := ax + ax
	n := roundEven32(float32(a * approx.Log2E))
	r := a - float32(n*approx.Ln2Hi)
	r -= float32(n * approx.Ln2Lo)
	p := float32(float32(r*r)*horner32(r, approx.Expm1Poly[:])) + r
	s := scale2(1, n)
	e := float32(s*p) + (s - 1)
	t := e / (e + 2)
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&(1<<31))
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
