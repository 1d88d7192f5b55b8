package kernels

import (
	"fmt"
	"math"
)

// The update steps of the optimisers, each one pass over the parameters.
// Like the other exact kernels they give the same bits on every path. The
// state slices (velocity, moments) and the gradient must all have the
// length of w, and none may share memory with another.

// checkStep panics unless the slices have w's length and are disjoint.
func checkStep(op string, names []string, s ...[]float32) {
	for i := 1; i < len(s); i++ {
		if len(s[i]) != len(s[0]) {
			panic(fmt.Sprintf("kernels: %s: length mismatch: len(%s) = %d, len(%s) = %d",
				op, names[0], len(s[0]), names[i], len(s[i])))
		}
	}
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if spansOverlap(s[i], s[j]) {
				panic(fmt.Sprintf("kernels: %s: %s and %s overlap", op, names[i], names[j]))
			}
		}
	}
}

// SGDStep takes a step of plain gradient descent with L2 weight decay wd.
//
//	for i := range w { w[i] -= lr * (g[i] + wd*w[i]) }
func (p *Impl) SGDStep(w, g []float32, lr, wd float32) {
	checkStep("SGDStep", []string{"w", "g"}, w, g)
	for i := 0; i < len(w); i += chunk {
		n := min(chunk, len(w)-i)
		p.ew.SgdStep(at(w, i), at(g, i), n, lr, wd)
	}
}

// MomentumStep takes a step of gradient descent with momentum mu and L2
// weight decay wd; v is the velocity, which sums the gradients. With
// nesterov, the step looks ahead along the new velocity.
//
//	for i := range w { d := g[i] + wd*w[i]; v[i] = mu*v[i] + d; w[i] -= lr * v[i] }
//	for i := range w { d := g[i] + wd*w[i]; v[i] = mu*v[i] + d; w[i] -= lr * (d + mu*v[i]) } // nesterov
func (p *Impl) MomentumStep(w, v, g []float32, lr, mu, wd float32, nesterov bool) {
	checkStep("MomentumStep", []string{"w", "v", "g"}, w, v, g)
	f := p.ew.MomentumStep
	if nesterov {
		f = p.ew.NesterovStep
	}
	for i := 0; i < len(w); i += chunk {
		n := min(chunk, len(w)-i)
		f(at(w, i), at(v, i), at(g, i), n, lr, mu, wd)
	}
}

// AdamStep takes step t ≥ 1 of Adam with learning rate lr, decay rates b1
// and b2 of the moving averages m (of the gradient) and v (of its square),
// eps, and L2 weight decay wd added to the gradient. The bias corrections
// are folded into two scalars, a = lr/(1−b1^t) and s = 1/√(1−b2^t), computed
// in float64.
//
//	for i := range w {
//		d := g[i] + wd*w[i]
//		m[i] = b1*m[i] + (1-b1)*d
//		v[i] = b2*v[i] + (1-b2)*(d*d)
//		w[i] -= a * m[i] / (sqrt(v[i])*s + eps)
//	}
func (p *Impl) AdamStep(w, m, v, g []float32, t int, lr, b1, b2, eps, wd float32) {
	p.adam("AdamStep", w, m, v, g, t, lr, b1, b2, eps, wd, 1)
}

// AdamWStep is AdamStep with AdamW's decoupled weight decay wd: w is
// scaled by 1 − lr·wd (computed in float64, then rounded) in the same pass
// as the step, instead of wd·w being added to the gradient. It gives the
// bits of Scale(1 − lr·wd, w) followed by AdamStep with no decay (whose
// d = g + 0·w is NaN where w is infinite or NaN, here too).
//
//	for i := range w {
//		d := g[i] + 0*w[i]
//		m[i] = b1*m[i] + (1-b1)*d
//		v[i] = b2*v[i] + (1-b2)*(d*d)
//		w[i] = (1-lr*wd)*w[i] - a*m[i]/(sqrt(v[i])*s + eps)
//	}
func (p *Impl) AdamWStep(w, m, v, g []float32, t int, lr, b1, b2, eps, wd float32) {
	p.adam("AdamWStep", w, m, v, g, t, lr, b1, b2, eps, 0, float32(1-float64(lr)*float64(wd)))
}

func (p *Impl) adam(op string, w, m, v, g []float32, t int, lr, b1, b2, eps, wd, keep float32) {
	checkStep(op, []string{"w", "m", "v", "g"}, w, m, v, g)
	if t < 1 {
		panic(fmt.Sprintf("kernels: %s: step t = %d < 1", op, t))
	}
	a := float32(float64(lr) / (1 - math.Pow(float64(b1), float64(t))))
	s := float32(1 / math.Sqrt(1-math.Pow(float64(b2), float64(t))))
	for i := 0; i < len(w); i += chunk {
		n := min(chunk, len(w)-i)
		p.ew.AdamStep(at(w, i), at(m, i), at(v, i), at(g, i), n, b1, 1-b1, b2, 1-b2, a, s, eps, wd, keep)
	}
}

// RMSPropStep takes a step of RMSProp with learning rate lr, decay rate
// rho of the moving average v of the squared gradient, eps, and L2 weight
// decay wd.
//
//	for i := range w { d := g[i] + wd*w[i]; v[i] = rho*v[i] + (1-rho)*(d*d); w[i] -= lr * d / (sqrt(v[i]) + eps) }
func (p *Impl) RMSPropStep(w, v, g []float32, lr, rho, eps, wd float32) {
	checkStep("RMSPropStep", []string{"w", "v", "g"}, w, v, g)
	for i := 0; i < len(w); i += chunk {
		n := min(chunk, len(w)-i)
		p.ew.RMSPropStep(at(w, i), at(v, i), at(g, i), n, lr, rho, 1-rho, eps, wd)
	}
}

// SGDStep takes a step of plain gradient descent; see Impl.SGDStep.
func SGDStep(w, g []float32, lr, wd float32) { current.Load().SGDStep(w, g, lr, wd) }

// MomentumStep takes a step of gradient descent with momentum; see
// Impl.MomentumStep.
func MomentumStep(w, v, g []float32, lr, mu, wd float32, nesterov bool) {
	current.Load().MomentumStep(w, v, g, lr, mu, wd, nesterov)
}

// AdamStep takes a step of Adam; see Impl.AdamStep.
func AdamStep(w, m, v, g []float32, t int, lr, b1, b2, eps, wd float32) {
	current.Load().AdamStep(w, m, v, g, t, lr, b1, b2, eps, wd)
}

// AdamWStep takes a step of AdamW; see Impl.AdamWStep.
func AdamWStep(w, m, v, g []float32, t int, lr, b1, b2, eps, wd float32) {
	current.Load().AdamWStep(w, m, v, g, t, lr, b1, b2, eps, wd)
}

// RMSPropStep takes a step of RMSProp; see Impl.RMSPropStep.
func RMSPropStep(w, v, g []float32, lr, rho, eps, wd float32) {
	current.Load().RMSPropStep(w, v, g, lr, rho, eps, wd)
}
