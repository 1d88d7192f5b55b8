package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// loss64 is the network's mean loss on a batch (sample-major, as Backward
// takes it), computed from scratch in float64 with the weights as they
// are, one sequence at a time: the reference the gradients are checked
// against.
func loss64(n *Network, x, targets []float32, batch, steps int) float64 {
	var total float64
	h, next := make([]float64, n.Hidden), make([]float64, n.Hidden)
	for s := 0; s < batch; s++ {
		clear(h)
		for t := 0; t < steps; t++ {
			in := x[(s*steps+t)*n.In : (s*steps+t+1)*n.In]
			for j := range next {
				z := float64(n.B[j])
				for p, v := range in {
					z += float64(n.Wx[j*n.In+p]) * float64(v)
				}
				for p, v := range h {
					z += float64(n.Wh[j*n.Hidden+p]) * v
				}
				next[j] = math.Tanh(z)
			}
			h, next = next, h
		}
		for j := 0; j < n.Out; j++ {
			y := float64(n.Bo[j])
			for p, v := range h {
				y += float64(n.Wo[j*n.Hidden+p]) * v
			}
			d := y - float64(targets[s*n.Out+j])
			total += d * d
		}
	}
	return total / float64(batch)
}

// TestGradients compares every gradient Backward computes (all of Wx, Wh,
// B, Wo and Bo) with central finite differences of loss64, on odd sizes
// (one of them a single step, where dWh must be 0, and one with more
// hidden units than an AVX-512 vector holds), on every kernel path.
//
// The finite differences are taken in float64 with h = 1e-6·max(1, |θ|),
// the step the float32 weight really takes: their error (h² truncation,
// 1e-16/h rounding of a loss of order 1) is below 1e-9 relative.
// Backward works in float32: every product sums at most 30 terms, each
// rounding about 2⁻²⁴ relative, and tanh is within 1.5 ULP; through six
// steps forward and six back, with |tanh'| ≤ 1 and an orthogonal Wh
// damping rather than amplifying errors, its gradients are within a few
// 1e-6 of exact relative to the largest. We allow 1e-4 of the largest
// gradient plus 1e-3 relative: a wrong transpose, a missing step, a
// gradient taken against h_t instead of h_{t−1} or a missing tanh' are off
// by far more (each was tried, and fails by 1e-2 to 1 of the largest).
func TestGradients(t *testing.T) {
	sizes := []struct{ in, hidden, out, steps, batch int }{
		{3, 7, 3, 5, 4},
		{2, 5, 1, 1, 3},
		{3, 17, 1, 6, 5},
	}
	prev := kernels.Current().Name()
	defer kernels.SetImplementation(prev)
	for _, path := range kernels.Available() {
		if err := kernels.SetImplementation(path); err != nil {
			t.Fatal(err)
		}
		for i, s := range sizes {
			name := fmt.Sprintf("%s/in%d-h%d-out%d-T%d-b%d", path, s.in, s.hidden, s.out, s.steps, s.batch)
			t.Run(name, func(t *testing.T) {
				checkGradients(t, New(s.in, s.hidden, s.out), s.steps, s.batch, uint64(i))
			})
		}
	}
}

func checkGradients(t *testing.T, net *Network, steps, batch int, seed uint64) {
	net.Init(seed)
	r := rand.New(rand.NewPCG(seed, 99))
	for _, b := range [][]float32{net.B, net.Bo} {
		for j := range b {
			b[j] = float32(r.NormFloat64() * 0.1)
		}
	}
	x := make([]float32, batch*steps*net.In)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	targets := make([]float32, batch*net.Out)
	for i := range targets {
		targets[i] = float32(r.NormFloat64())
	}
	params := net.Params()
	for _, p := range params {
		for j := range p.G {
			p.G[j] = float32(math.NaN()) // Backward must write every gradient
		}
	}

	got := net.Backward(x, targets, batch, steps)
	want := loss64(net, x, targets, batch, steps)
	if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Fatalf("loss = %v, float64 gives %v", got, want)
	}

	var gmax float64
	for _, p := range params {
		for _, g := range p.G {
			gmax = math.Max(gmax, math.Abs(float64(g)))
		}
	}
	if !(gmax > 0) {
		t.Fatalf("largest gradient %v", gmax)
	}
	var worst float64 // the largest |g − fd| / gmax, logged
	for _, p := range params {
		for j := range p.W {
			old := p.W[j]
			h := 1e-6 * math.Max(1, math.Abs(float64(old)))
			// The perturbed weights are float32: use the step they
			// really take.
			up, down := float32(float64(old)+h), float32(float64(old)-h)
			p.W[j] = up
			lu := loss64(net, x, targets, batch, steps)
			p.W[j] = down
			ld := loss64(net, x, targets, batch, steps)
			p.W[j] = old
			fd := (lu - ld) / (float64(up) - float64(down))
			g := float64(p.G[j])
			worst = math.Max(worst, math.Abs(g-fd)/gmax)
			if d := math.Abs(g - fd); !(d <= 1e-4*gmax+1e-3*math.Abs(fd)) {
				t.Fatalf("%s[%d]: gradient %v, finite difference %v (largest gradient %v)",
					p.Name, j, g, fd, gmax)
			}
		}
	}
	t.Logf("largest gradient %.3g, largest error %.2g of it", gmax, worst)
}
