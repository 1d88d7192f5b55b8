package sgd

import (
	"fmt"
	"math"

	"github.com/backprop-go/backprop/kernels"
)

// Gradient clipping, applied to the gradients between the computation of
// the gradients and the optimiser's Step.

// ClipValue clamps every gradient element to [−c, c], as PyTorch's
// clip_grad_value_; a NaN stays NaN. c must not be negative.
//
//	for i := range g { g[i] = min(max(g[i], -c), c) }
func ClipValue(params []Param, c float32) {
	if !(c >= 0) {
		panic(fmt.Sprintf("sgd: ClipValue: c = %v, want c ≥ 0", c))
	}
	// TODO: a clamp kernel would make this one SIMD pass; kernels has none.
	for _, p := range params {
		for i, g := range p.G {
			p.G[i] = min(max(g, -c), c) // min and max propagate NaN
		}
	}
}

// GlobalNorm returns the Euclidean norm of all the gradients together,
// √Σ g². Each parameter's Σ g² is a float32 kernels.Dot, with its error
// bound; the sums across parameters and the root are in float64. A
// parameter whose float32 sum overflows, or falls below float32's normal
// range (gradients under about 1e-19, or all zero), is summed again in
// float64, so the norm is +Inf only if a gradient is, NaN only if one is
// NaN, and 0 only if all are 0.
func GlobalNorm(params []Param) float64 {
	var ss float64
	for _, p := range params {
		s := float64(kernels.Dot(p.G, p.G))
		if math.IsInf(s, 1) || s < 0x1p-126 {
			s = 0
			for _, g := range p.G {
				s += float64(g) * float64(g)
			}
		}
		ss += s
	}
	return math.Sqrt(ss)
}

// ClipGlobalNorm scales all the gradients by maxNorm/norm when their global
// norm exceeds maxNorm, and returns the norm before clipping. Like
// PyTorch's clip_grad_norm_, but the factor is exactly maxNorm/norm (no
// 1e-6 added to norm), and a NaN or infinite norm leaves the gradients
// untouched: the caller should check it and skip the step. maxNorm must not
// be negative.
func ClipGlobalNorm(params []Param, maxNorm float64) (norm float64) {
	if !(maxNorm >= 0) {
		panic(fmt.Sprintf("sgd: ClipGlobalNorm: maxNorm = %v, want maxNorm ≥ 0", maxNorm))
	}
	norm = GlobalNorm(params)
	clipTo(params, maxNorm, norm)
	return norm
}

// clipTo scales the gradients, whose global norm is norm, by maxNorm/norm
// if norm exceeds maxNorm and is finite.
func clipTo(params []Param, maxNorm, norm float64) {
	if norm > maxNorm && !math.IsInf(norm, 1) {
		scaleGrads(params, float32(maxNorm/norm))
	}
}

// NormalizeGlobal scales all the gradients so that their global norm is
// norm, and returns the norm before. A zero, NaN or infinite gradient norm
// leaves the gradients untouched. norm must not be negative.
func NormalizeGlobal(params []Param, norm float64) (before float64) {
	if !(norm >= 0) {
		panic(fmt.Sprintf("sgd: NormalizeGlobal: norm = %v, want norm ≥ 0", norm))
	}
	before = GlobalNorm(params)
	if before > 0 && !math.IsInf(before, 1) {
		scaleGrads(params, float32(norm/before))
	}
	return before
}

func scaleGrads(params []Param, f float32) {
	for _, p := range params {
		kernels.Scale(f, p.G)
	}
}
