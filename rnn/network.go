// Package rnn is a minimal Elman recurrent network on the kernels of
// package kernels, trained by backpropagation through time (BPTT).
//
// A network reads a sequence of T steps of In values each and keeps a
// hidden state of Hidden units, h_0 = 0:
//
//	h_t = tanh(x_t·Wxᵀ + h_{t−1}·Whᵀ + b)    t = 1, …, T
//	y   = h_T·Woᵀ + bo                       a dense readout of the last state
//
// and is trained on the mean squared error of y against a target row of Out
// values, the mean over the batch of Σ_j (y_j − t_j)², as mlp's MSE.
//
// A batch holds one sequence after another, each T rows of In values
// (sample-major, as a data set keeps them); the passes copy it into a
// time-major workspace, where step t of the whole batch is one batch×In
// matrix. Every product is a kernels GEMM: the input projection of all T
// steps at once, one recurrent product per step, and in the backward pass
// one fused delta product per step and one GEMM for each weight gradient
// over all the steps. After the first step at a batch size and sequence
// length, a training step allocates nothing.
//
// Train it with package sgd, through Samples (an sgd.Model and sgd.Loader),
// or drive Backward yourself:
//
//	net := rnn.New(2, 64, 1)
//	net.Init(seed)
//	loss := net.Backward(x, y, batch, steps) // forward, loss, gradients
//	sgd.ClipGlobalNorm(net.Params(), 1)
//	opt.Step(net.Params(), lr)
package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/backprop-go/backprop/sgd"
)

// Network is an Elman network with a tanh hidden state and a dense linear
// readout of the last state. The weight matrices are row-major, row j
// holding the weights into unit j.
type Network struct {
	In, Hidden, Out int

	Wx []float32 // Hidden×In: input to hidden
	Wh []float32 // Hidden×Hidden: hidden to hidden, from h_{t−1} to h_t
	B  []float32 // Hidden: the hidden bias
	Wo []float32 // Out×Hidden: the readout
	Bo []float32 // Out: the readout's bias

	// The gradients of the last Backward, of the shapes above.
	DWx, DWh, DB, DWo, DBo []float32

	mu   sync.Mutex
	ws   map[shape]*workspace // by batch size and length, for Backward
	eval sync.Pool            // *workspace, forward only, for Forward and Evaluate
}

// shape is the size of a batch of sequences.
type shape struct{ batch, steps int }

// New returns a network of in inputs per step, hidden units and out
// outputs, with zero parameters: call Init.
func New(in, hidden, out int) *Network {
	if in <= 0 || hidden <= 0 || out <= 0 {
		panic(fmt.Sprintf("rnn: New: %d inputs, %d hidden units, %d outputs", in, hidden, out))
	}
	f := func(n int) []float32 { return make([]float32, n) }
	return &Network{
		In: in, Hidden: hidden, Out: out,
		Wx: f(hidden * in), Wh: f(hidden * hidden), B: f(hidden), Wo: f(out * hidden), Bo: f(out),
		DWx: f(hidden * in), DWh: f(hidden * hidden), DB: f(hidden), DWo: f(out * hidden), DBo: f(out),
	}
}

// Init sets the weights from seed and the biases to zero:
//
//   - Wx and Wo Xavier (Glorot) uniform, U(±√(6/(fan_in+fan_out))), which
//     suits tanh units and a linear readout;
//   - Wh a random orthogonal matrix (the Q of a Gaussian matrix, by
//     modified Gram–Schmidt in float64): every singular value is 1, so at
//     the start a state is carried through the steps neither shrunk nor
//     blown up by Wh, and the gradient through time neither vanishes nor
//     explodes faster than tanh' makes it.
//
// Each matrix comes from its own PCG stream seeded with seed, and the
// arithmetic is rounded at every step (no fused multiply-add), so a seed
// gives the same weights, bit for bit, on every platform.
func (n *Network) Init(seed uint64) {
	xavier(n.Wx, n.In, n.Hidden, rand.New(rand.NewPCG(seed, 1)))
	orthogonal(n.Wh, n.Hidden, rand.New(rand.NewPCG(seed, 2)))
	xavier(n.Wo, n.Hidden, n.Out, rand.New(rand.NewPCG(seed, 3)))
	clear(n.B)
	clear(n.Bo)
}

// xavier fills w with U(±√(6/(fanIn+fanOut))).
func xavier(w []float32, fanIn, fanOut int, r *rand.Rand) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32(float64(2*r.Float64()-1) * limit)
	}
}

// orthogonal fills the n×n matrix w with the orthonormal rows that modified
// Gram–Schmidt makes of a Gaussian matrix. A row that comes out (nearly)
// dependent on the ones before is drawn again; with Gaussian rows this
// happens with probability 0.
func orthogonal(w []float32, n int, r *rand.Rand) {
	q := make([]float64, n*n)
	for i := 0; i < n; i++ {
		row := q[i*n : (i+1)*n]
		for {
			for j := range row {
				row[j] = r.NormFloat64()
			}
			for p := 0; p < i; p++ {
				prev := q[p*n : (p+1)*n]
				d := dot64(row, prev)
				for j := range row {
					row[j] -= float64(d * prev[j])
				}
			}
			if norm := math.Sqrt(dot64(row, row)); norm > 1e-6 {
				for j := range row {
					row[j] /= norm
				}
				break
			}
		}
	}
	for i, v := range q {
		w[i] = float32(v)
	}
}

// dot64 is Σ a_i·b_i, each product rounded (the compiler may not fuse it).
func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += float64(a[i] * b[i])
	}
	return s
}

// Params returns the weights and biases with their gradients, in a fixed
// order, named "Wx", "Wh", "B", "Wo" and "Bo".
func (n *Network) Params() []sgd.Param {
	return []sgd.Param{
		{Name: "Wx", W: n.Wx, G: n.DWx},
		{Name: "Wh", W: n.Wh, G: n.DWh},
		{Name: "B", W: n.B, G: n.DB},
		{Name: "Wo", W: n.Wo, G: n.DWo},
		{Name: "Bo", W: n.Bo, G: n.DBo},
	}
}
