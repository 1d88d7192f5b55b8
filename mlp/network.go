// Package mlp is a minimal multilayer perceptron on the kernels of package
// kernels: dense layers with activations, a loss, initialisers, batched
// forward and backward passes, and a file format.
//
// A network maps a batch of rows (one sample a row, row-major) through its
// layers. Train it with package sgd: Network implements sgd.Model through
// Trainer (see NewTrainer), or drive Forward and Backward yourself:
//
//	net := mlp.New(784, mlp.CrossEntropy,
//		mlp.Layer{Units: 256, Act: mlp.ReLU},
//		mlp.Layer{Units: 128, Act: mlp.ReLU},
//		mlp.Layer{Units: 10, Act: mlp.Softmax})
//	net.Init(mlp.HeUniform, seed)
//	loss := net.Backward(x, labels, nil, batch) // forward, loss, gradients
//	opt.Step(net.Params(), lr)
//
// The forward pass of each layer is one fused GEMM (the product, the bias
// and the activation in one pass over the output); the backward pass
// computes each delta δ^l = (δ^(l+1)·W^(l+1)ᵀ) ⊙ σ'(z^l) with one fused GEMM
// too. After the first step at a batch size, a step allocates nothing.
package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/sgd"
)

// Act is the activation of a layer.
type Act uint8

const (
	Identity  Act = iota // z
	ReLU                 // max(z, 0)
	LeakyReLU            // z, or Network.Slope·z where z < 0
	Sigmoid              // 1/(1+e^−z)
	Tanh                 // tanh(z)
	Softmax              // e^z / Σe^z over the row: the output layer only, with CrossEntropy
)

var actNames = [...]string{"identity", "relu", "leakyrelu", "sigmoid", "tanh", "softmax"}

func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// ParseAct returns the activation of that name (as String gives it).
func ParseAct(s string) (Act, error) {
	for i, n := range actNames {
		if n == s {
			return Act(i), nil
		}
	}
	return 0, fmt.Errorf("mlp: unknown activation %q", s)
}

// Loss is the loss a network is trained on.
type Loss uint8

const (
	// CrossEntropy is the softmax cross-entropy of class labels, averaged
	// over the batch; the output layer must be Softmax.
	CrossEntropy Loss = iota
	// MSE is the mean over the batch of the squared error Σ_j (y_j − t_j)²,
	// for any output activation but Softmax.
	MSE
)

func (l Loss) String() string {
	switch l {
	case CrossEntropy:
		return "crossentropy"
	case MSE:
		return "mse"
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

// Layer describes a dense layer: its width and activation.
type Layer struct {
	Units int
	Act   Act
}

// Dense is a dense layer: out = act(in·W + B). W is stored input by input
// (In×Out), so that the forward product reads it as it lies in memory and
// only the smaller products of the backward pass transpose it.
type Dense struct {
	In, Out int
	Act     Act
	W       []float32 // In×Out, row-major: W[i*Out+j] weighs input i in unit j
	B       []float32 // Out
	DW, DB  []float32 // the gradients of the last Backward

	// Frozen layers are not updated by Params' consumers (they are left out
	// of Params), and Backward computes no gradient for them, nor any delta
	// below the lowest layer that is not frozen.
	Frozen bool
}

// Network is a stack of dense layers and a loss. Its passes keep their
// activations in workspaces made for the layers as they are at a batch
// size; a change of shape (ReplaceOutput, or an edit of Layers between
// calls) makes the next call use new ones.
type Network struct {
	Inputs int
	Layers []*Dense
	Loss   Loss
	Slope  float32 // of LeakyReLU's negative side; New sets 0.01

	mu sync.Mutex
	ws map[int]*workspace // by batch size, for Backward
}

// New returns a network of the given layers on inputs features, with
// zero parameters: call Init. It panics if the layers cannot be trained
// with that loss (Softmax anywhere but the output, or without
// CrossEntropy; CrossEntropy without Softmax), or if the model file could
// not hold the network: more than 1<<24 inputs or units in a layer, more
// than 256 layers, or more than 1<<28 weights and biases in all. Those
// limits are checked before anything is allocated.
func New(inputs int, loss Loss, layers ...Layer) *Network {
	if inputs <= 0 || len(layers) == 0 {
		panic(fmt.Sprintf("mlp: New: %d inputs and %d layers", inputs, len(layers)))
	}
	units := make([]int, len(layers))
	for i, l := range layers {
		if l.Units <= 0 || l.Act > Softmax {
			panic(fmt.Sprintf("mlp: New: layer %d: %d units, activation %v", i, l.Units, l.Act))
		}
		units[i] = l.Units
	}
	if err := checkSize(inputs, units); err != nil {
		panic("mlp: New: " + err.Error())
	}
	n := &Network{Inputs: inputs, Loss: loss, Slope: 0.01}
	in := inputs
	for _, l := range layers {
		n.Layers = append(n.Layers, newDense(in, l.Units, l.Act))
		in = l.Units
	}
	if err := n.check(); err != nil {
		panic("mlp: New: " + err.Error())
	}
	return n
}

// checkSize reports a network of these widths that the model file cannot
// hold: the limits are the ones Read enforces. The sizes are summed in
// uint64, where they cannot overflow, even where int has 32 bits.
func checkSize(inputs int, units []int) error {
	if inputs < 1 || inputs > maxUnits {
		return fmt.Errorf("%d inputs, want 1 to %d", inputs, maxUnits)
	}
	if len(units) < 1 || len(units) > maxLayers {
		return fmt.Errorf("%d layers, want 1 to %d", len(units), maxLayers)
	}
	in, params := uint64(inputs), uint64(0)
	for i, u := range units {
		if u < 1 || u > maxUnits {
			return fmt.Errorf("layer %d: %d units, want 1 to %d", i, u, maxUnits)
		}
		params += uint64(u)*in + uint64(u)
		if params > maxParams {
			return fmt.Errorf("more than %d parameters (weights and biases)", maxParams)
		}
		in = uint64(u)
	}
	return nil
}

func newDense(in, out int, act Act) *Dense {
	return &Dense{
		In: in, Out: out, Act: act,
		W: make([]float32, in*out), B: make([]float32, out),
		DW: make([]float32, in*out), DB: make([]float32, out),
	}
}

// check reports a network that cannot be evaluated or trained, or that
// the model file cannot hold (anything Read would reject).
func (n *Network) check() error {
	units := make([]int, len(n.Layers))
	for i, l := range n.Layers {
		units[i] = l.Out
	}
	if err := checkSize(n.Inputs, units); err != nil {
		return err
	}
	if s := float64(n.Slope); math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("LeakyReLU slope %v", n.Slope)
	}
	in := n.Inputs
	for i, l := range n.Layers {
		if l.In != in || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return fmt.Errorf("layer %d is %d×%d with %d weights and %d biases after %d inputs",
				i, l.Out, l.In, len(l.W), len(l.B), in)
		}
		if l.Act > Softmax {
			return fmt.Errorf("layer %d: unknown activation %v", i, l.Act)
		}
		if l.Act == Softmax && i != len(n.Layers)-1 {
			return fmt.Errorf("layer %d: softmax is only for the output layer", i)
		}
		in = l.Out
	}
	out := n.Layers[len(n.Layers)-1].Act
	switch {
	case n.Loss == CrossEntropy && out != Softmax:
		return fmt.Errorf("cross-entropy needs a softmax output layer, not %v", out)
	case n.Loss == MSE && out == Softmax:
		return fmt.Errorf("a softmax output layer needs the cross-entropy loss")
	case n.Loss > MSE:
		return fmt.Errorf("unknown loss %v", n.Loss)
	}
	return nil
}

// Outputs returns the width of the output layer.
func (n *Network) Outputs() int { return n.Layers[len(n.Layers)-1].Out }

// Init is a weight initialiser.
type Init uint8

const (
	// HeUniform and HeNormal suit ReLU layers: variance 2/fan_in.
	HeUniform Init = iota
	HeNormal
	// XavierUniform and XavierNormal (Glorot) suit Sigmoid and Tanh
	// layers: variance 2/(fan_in + fan_out).
	XavierUniform
	XavierNormal
)

// Init sets every weight from the initialiser and every bias to zero. The
// weights come from a PCG generator seeded with seed and the layer's index,
// so a seed reproduces a network bit for bit. It panics if kind is not one
// of the initialisers above.
func (n *Network) Init(kind Init, seed uint64) {
	kind.mustBeKnown("Init")
	for i, l := range n.Layers {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		variance := 2 / float64(l.In)
		if kind == XavierUniform || kind == XavierNormal {
			variance = 2 / float64(l.In+l.Out)
		}
		sd := math.Sqrt(variance)
		for j := range l.W {
			switch kind {
			case HeUniform, XavierUniform:
				l.W[j] = float32((2*r.Float64() - 1) * sd * math.Sqrt(3))
			default:
				l.W[j] = float32(r.NormFloat64() * sd)
			}
		}
		clear(l.B)
	}
}

// mustBeKnown panics, naming op, unless k is one of the initialisers.
func (k Init) mustBeKnown(op string) {
	if k > XavierNormal {
		panic(fmt.Sprintf("mlp: %s: unknown initialiser Init(%d)", op, uint8(k)))
	}
}

// Params returns the weights and biases of every layer that is not
// frozen, with their gradients, in a fixed order, named "W0", "B0", "W1"…
// after their layer.
func (n *Network) Params() []sgd.Param {
	var ps []sgd.Param
	for i, l := range n.Layers {
		if !l.Frozen {
			ps = append(ps,
				sgd.Param{Name: fmt.Sprintf("W%d", i), W: l.W, G: l.DW},
				sgd.Param{Name: fmt.Sprintf("B%d", i), W: l.B, G: l.DB})
		}
	}
	return ps
}

// ReplaceOutput replaces the output layer by a new one of classes units
// with the same activation, not frozen, its weights drawn by Init from
// seed: the start of fine-tuning on a new set of classes. It panics if
// classes is not positive, or if the model file could not hold the new
// network (see New), leaving the network as it was.
func (n *Network) ReplaceOutput(classes int, kind Init, seed uint64) {
	if classes < 1 || classes > maxUnits {
		panic(fmt.Sprintf("mlp: ReplaceOutput: %d classes, want 1 to %d", classes, maxUnits))
	}
	kind.mustBeKnown("ReplaceOutput")
	units := make([]int, len(n.Layers))
	for i, l := range n.Layers {
		units[i] = l.Out
	}
	units[len(units)-1] = classes
	if err := checkSize(n.Inputs, units); err != nil {
		panic("mlp: ReplaceOutput: " + err.Error())
	}
	last := n.Layers[len(n.Layers)-1]
	l := newDense(last.In, classes, last.Act)
	n.Layers[len(n.Layers)-1] = l
	tmp := &Network{Inputs: l.In, Layers: []*Dense{l}}
	tmp.Init(kind, seed)

	// The workspaces of the old shapes are stale: drop the training ones
	// now; pooled evaluation ones are refused by getEval.
	n.mu.Lock()
	n.ws = nil
	n.mu.Unlock()
}

// Freeze freezes the first k layers and unfreezes the others.
func (n *Network) Freeze(k int) {
	for i, l := range n.Layers {
		l.Frozen = i < k
	}
}

// kact returns the kernels' activation of a layer (Softmax is computed by
// the loss: the layer itself is the identity).
func (n *Network) kact(a Act) kernels.Activation {
	switch a {
	case ReLU:
		return kernels.Activation{Kind: kernels.ActReLU}
	case LeakyReLU:
		return kernels.Activation{Kind: kernels.ActLeakyReLU, Alpha: n.Slope}
	case Sigmoid:
		return kernels.Activation{Kind: kernels.ActSigmoid}
	case Tanh:
		return kernels.Activation{Kind: kernels.ActTanh}
	}
	return kernels.Activation{Kind: kernels.ActIdentity}
}
