package kernels

import "math"

// The generic update steps, rounded at the same points as the assembly.

func sgdStepGeneric(w, g *float32, n int, lr, wd float32) {
	ws, gs := view(w, n), view(g, n)
	for i, x := range ws {
		ws[i] = x - float32(lr*(gs[i]+float32(wd*x)))
	}
}

func momentumStepGeneric(w, v, g *float32, n int, lr, mu, wd float32) {
	ws, vs, gs := view(w, n), view(v, n), view(g, n)
	for i, x := range ws {
		d := gs[i] + float32(wd*x)
		vi := float32(mu*vs[i]) + d
		vs[i] = vi
		ws[i] = x - float32(lr*vi)
	}
}

func nesterovStepGeneric(w, v, g *float32, n int, lr, mu, wd float32) {
	ws, vs, gs := view(w, n), view(v, n), view(g, n)
	for i, x := range ws {
		d := gs[i] + float32(wd*x)
		vi := float32(mu*vs[i]) + d
		vs[i] = vi
		ws[i] = x - float32(lr*(d+float32(mu*vi)))
	}
}

func adamStepGeneric(w, m, v, g *float32, n int, b1, c1, b2, c2, a, s, eps, wd, keep float32) {
	ws, ms, vs, gs := view(w, n), view(m, n), view(v, n), view(g, n)
	for i, x := range ws {
		d := gs[i] + float32(wd*x)
		mi := float32(b1*ms[i]) + float32(c1*d)
		vi := float32(b2*vs[i]) + float32(c2*float32(d*d))
		ms[i], vs[i] = mi, vi
		den := float32(float32(math.Sqrt(float64(vi)))*s) + eps
		ws[i] = float32(keep*x) - float32(a*mi)/den
	}
}

func rmspropStepGeneric(w, v, g *float32, n int, lr, rho, c, eps, wd float32) {
	ws, vs, gs := view(w, n), view(v, n), view(g, n)
	for i, x := range ws {
		d := gs[i] + float32(wd*x)
		vi := float32(rho*vs[i]) + float32(c*float32(d*d))
		vs[i] = vi
		ws[i] = x - float32(lr*d)/(float32(math.Sqrt(float64(vi)))+eps)
	}
}
