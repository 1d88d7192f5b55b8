package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// loss64 is the network's mean loss on a batch, computed from scratch in
// float64 with the weights as they are: the reference the gradients are
// checked against.
func loss64(n *Network, x []float32, labels []int32, targets []float32, batch int) float64 {
	var total float64
	for r := 0; r < batch; r++ {
		in := make([]float64, n.Inputs)
		for j := range in {
			in[j] = float64(x[r*n.Inputs+j])
		}
		for _, l := range n.Layers {
			out := make([]float64, l.Out)
			for j := range out {
				z := float64(l.B[j])
				for p := 0; p < l.In; p++ {
					z += float64(l.W[p*l.Out+j]) * in[p]
				}
				out[j] = act64(l.Act, z, float64(n.Slope))
			}
			in = out
		}
		if n.Loss == CrossEntropy {
			m := math.Inf(-1)
			for _, v := range in {
				m = math.Max(m, v)
			}
			var s float64
			for _, v := range in {
				s += math.Exp(v - m)
			}
			total += math.Log(s) + m - in[labels[r]]
		} else {
			for j, v := range in {
				d := v - float64(targets[r*len(in)+j])
				total += d * d
			}
		}
	}
	return total / float64(batch)
}

func act64(a Act, z, slope float64) float64 {
	switch a {
	case ReLU:
		return math.Max(z, 0)
	case LeakyReLU:
		if z < 0 {
			return slope * z
		}
		return z
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case Tanh:
		return math.Tanh(z)
	}
	return z // Identity, and Softmax, which the loss applies
}

// TestGradients compares every gradient Backward computes with central
// finite differences of loss64, for every hidden activation, both losses
// and every output activation, on odd widths, on every kernel path.
//
// The finite differences are taken in float64 with h = 1e-6·max(1, |θ|):
// their error (h² truncation, 1e-16/h rounding) is below 1e-9 relative.
// Backward works in float32: each product of the forward and backward
// passes sums at most 13 terms, each rounding about 2⁻²⁴ relative, through
// three layers, so its gradients are within a few 1e-6 relative of exact.
// We allow 1e-4 of the largest gradient plus 1e-3 relative: a wrong
// transpose, a missing term or a wrong derivative is off by far more.
// Weights whose change moves a ReLU pre-activation across 0 within h are
// rare (probability about 1e-6 each) and would show as a failure.
func TestGradients(t *testing.T) {
	hidden := []Act{Identity, ReLU, LeakyReLU, Sigmoid, Tanh}
	outputs := []struct {
		loss Loss
		act  Act
	}{{CrossEntropy, Softmax}, {MSE, Identity}, {MSE, Sigmoid}, {MSE, Tanh}, {MSE, ReLU}}
	prev := kernels.Current().Name()
	defer kernels.SetImplementation(prev)
	for _, path := range kernels.Available() {
		if err := kernels.SetImplementation(path); err != nil {
			t.Fatal(err)
		}
		for hi, h := range hidden {
			for oi, o := range outputs {
				name := fmt.Sprintf("%s/%v-%v-%v", path, h, o.act, o.loss)
				t.Run(name, func(t *testing.T) {
					checkGradients(t, h, o.act, o.loss, uint64(hi*10+oi))
				})
			}
		}
	}
}

func checkGradients(t *testing.T, hidden, out Act, loss Loss, seed uint64) {
	const batch = 6
	net := New(7, loss, Layer{13, hidden}, Layer{5, hidden}, Layer{3, out})
	net.Init(XavierNormal, seed)
	r := rand.New(rand.NewPCG(seed, 99))
	for _, l := range net.Layers {
		for j := range l.B {
			l.B[j] = float32(r.NormFloat64() * 0.1)
		}
	}
	x := make([]float32, batch*net.Inputs)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	labels := make([]int32, batch)
	targets := make([]float32, batch*net.Outputs())
	for i := range labels {
		labels[i] = int32(r.IntN(net.Outputs()))
	}
	for i := range targets {
		targets[i] = float32(r.Float64())
	}

	got := net.Backward(x, labels, targets, batch)
	want := loss64(net, x, labels, targets, batch)
	if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
		t.Fatalf("loss = %v, float64 gives %v", got, want)
	}

	var gmax float64
	for _, l := range net.Layers {
		for _, g := range append(append([]float32(nil), l.DW...), l.DB...) {
			gmax = math.Max(gmax, math.Abs(float64(g)))
		}
	}
	for li, l := range net.Layers {
		for _, p := range []struct {
			name string
			w, g []float32
		}{{"W", l.W, l.DW}, {"B", l.B, l.DB}} {
			for j := range p.w {
				old := p.w[j]
				h := 1e-6 * math.Max(1, math.Abs(float64(old)))
				// The perturbed weights are float32: use the step they
				// really take.
				up, down := float32(float64(old)+h), float32(float64(old)-h)
				p.w[j] = up
				lu := loss64(net, x, labels, targets, batch)
				p.w[j] = down
				ld := loss64(net, x, labels, targets, batch)
				p.w[j] = old
				fd := (lu - ld) / (float64(up) - float64(down))
				if d := math.Abs(float64(p.g[j]) - fd); d > 1e-4*gmax+1e-3*math.Abs(fd) {
					t.Fatalf("layer %d %s[%d]: gradient %v, finite difference %v", li, p.name, j, p.g[j], fd)
				}
			}
		}
	}
}
