package mlp

import (
	"fmt"
	"math"
	"sync"

	"github.com/backprop-go/backprop/kernels"
)

// workspace holds the activations of one batch size: per layer, the
// outputs a, the pre-activations z (kept only where the backward pass needs
// them: ReLU and LeakyReLU), and the deltas d.
type workspace struct {
	a, z, d [][]float32
}

func (n *Network) newWorkspace(batch int, backward bool) *workspace {
	w := &workspace{}
	for _, l := range n.Layers {
		w.a = append(w.a, make([]float32, batch*l.Out))
		var z, d []float32
		if backward {
			if l.Act == ReLU || l.Act == LeakyReLU {
				z = make([]float32, batch*l.Out)
			}
			d = make([]float32, batch*l.Out)
		}
		w.z = append(w.z, z)
		w.d = append(w.d, d)
	}
	return w
}

// fits reports whether w holds the buffers of the network's layers as they
// are now, at that batch size (with backward, those of Backward too). A
// layer replaced or edited since w was made leaves it stale.
func (w *workspace) fits(n *Network, batch int, backward bool) bool {
	if len(w.a) != len(n.Layers) {
		return false
	}
	for i, l := range n.Layers {
		size := batch * l.Out
		if len(w.a[i]) != size {
			return false
		}
		keepZ := l.Act == ReLU || l.Act == LeakyReLU
		if backward && (len(w.d[i]) != size || keepZ && len(w.z[i]) != size) {
			return false
		}
	}
	return true
}

// trainSpace returns the training workspace of a batch size, made on first
// use and kept: a training loop allocates nothing after its first step.
func (n *Network) trainSpace(batch int) *workspace {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ws == nil {
		n.ws = map[int]*workspace{}
	}
	w := n.ws[batch]
	if w == nil || !w.fits(n, batch, true) {
		w = n.newWorkspace(batch, true)
		n.ws[batch] = w
	}
	return w
}

// evalSpaces holds the forward-only workspaces of Forward, Predict and
// Evaluate, so that concurrent callers each get their own. One that does
// not fit the caller's network as it is now is dropped.
var evalSpaces sync.Pool // *evalSpace

type evalSpace struct {
	net   *Network
	batch int
	w     *workspace
}

func (n *Network) getEval(batch int) *evalSpace {
	e, ok := evalSpaces.Get().(*evalSpace)
	if ok && e.net == n && e.batch == batch && e.w.fits(n, batch, false) {
		return e
	}
	return &evalSpace{net: n, batch: batch, w: n.newWorkspace(batch, false)}
}

// checkBatch panics unless x holds batch rows of the network's inputs.
func (n *Network) checkBatch(op string, x []float32, batch int) {
	if batch <= 0 || len(x) != batch*n.Inputs {
		panic(fmt.Sprintf("mlp: %s: len(x) = %d is not %d rows of %d inputs",
			op, len(x), batch, n.Inputs))
	}
}

// forward runs the layers on x; with keep, the pre-activations the
// backward pass needs are stored. The output layer of a softmax network
// holds the logits.
func (n *Network) forward(w *workspace, x []float32, batch int, keep bool) {
	in := x
	for i, l := range n.Layers {
		var z []float32
		if keep {
			z = w.z[i]
		}
		kernels.SgemmBiasAct(false, false, batch, l.Out, l.In, in, l.In, l.W, l.Out, l.B,
			n.kact(l.Act), z, l.Out, w.a[i], l.Out)
		in = w.a[i]
	}
}

// Forward stores in out the outputs of the network for the batch of rows
// x: probabilities for a softmax network. It is safe to call from several
// goroutines at once, as long as nothing changes the network meanwhile.
func (n *Network) Forward(x []float32, batch int, out []float32) {
	n.checkBatch("Forward", x, batch)
	if len(out) != batch*n.Outputs() {
		panic(fmt.Sprintf("mlp: Forward: len(out) = %d is not %d rows of %d outputs",
			len(out), batch, n.Outputs()))
	}
	e := n.getEval(batch)
	n.forward(e.w, x, batch, false)
	last := e.w.a[len(n.Layers)-1]
	if n.Layers[len(n.Layers)-1].Act == Softmax {
		kernels.Softmax(out, last, n.Outputs())
	} else {
		copy(out, last)
	}
	evalSpaces.Put(e)
}

// Predict stores in classes the index of the largest output of each row.
// It is safe for concurrent use, like Forward.
func (n *Network) Predict(x []float32, batch int, classes []int32) {
	n.checkBatch("Predict", x, batch)
	if len(classes) != batch {
		panic(fmt.Sprintf("mlp: Predict: len(classes) = %d for a batch of %d",
			len(classes), batch))
	}
	e := n.getEval(batch)
	n.forward(e.w, x, batch, false)
	argmax(e.w.a[len(n.Layers)-1], n.Outputs(), classes)
	evalSpaces.Put(e)
}

// argmax stores the index of the largest element of each row of out (the
// first, on ties; NaN is never the largest).
func argmax(out []float32, k int, classes []int32) {
	for i := range classes {
		row := out[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] || row[best] != row[best] {
				best = j
			}
		}
		classes[i] = int32(best)
	}
}

// Evaluate returns the mean loss and the accuracy (the fraction of rows
// whose largest output is the label) of the network on n rows of x with
// their labels, in batches of at most batch rows. It needs a
// classification network: one trained with CrossEntropy, or an MSE one
// whose outputs are one per class. Safe for concurrent use, like Forward.
// It panics if batch is not positive, if x does not hold one row per
// label, or if a label is not the index of an output.
func (n *Network) Evaluate(x []float32, labels []int32, batch int) (loss, accuracy float64) {
	if batch <= 0 {
		panic(fmt.Sprintf("mlp: Evaluate: batch size %d, want > 0", batch))
	}
	rows := len(labels)
	if rows == 0 || len(x) != rows*n.Inputs {
		panic(fmt.Sprintf("mlp: Evaluate: len(x) = %d is not %d rows of %d inputs",
			len(x), rows, n.Inputs))
	}
	for i, y := range labels {
		if y < 0 || int(y) >= n.Outputs() {
			panic(fmt.Sprintf("mlp: Evaluate: label %d of row %d is not a class of the %d outputs",
				y, i, n.Outputs()))
		}
	}
	k := n.Outputs()
	var correct int
	classes := make([]int32, min(batch, rows))
	targets := make([]float32, min(batch, rows)*k)
	for r := 0; r < rows; r += batch {
		b := min(batch, rows-r)
		e := n.getEval(b)
		n.forward(e.w, x[r*n.Inputs:(r+b)*n.Inputs], b, false)
		out := e.w.a[len(n.Layers)-1]
		ys := labels[r : r+b]
		argmax(out, k, classes[:b])
		for i, c := range classes[:b] {
			if c == ys[i] {
				correct++
			}
		}
		if n.Loss == CrossEntropy {
			// The gradient lands in a scratch slice; only the loss is kept.
			loss += kernels.SoftmaxCrossEntropy(targets[:b*k], out, ys, k, 0)
		} else {
			oneHot(targets[:b*k], ys, k)
			for i, t := range targets[:b*k] {
				d := float64(out[i]) - float64(t)
				loss += d * d
			}
		}
		evalSpaces.Put(e)
	}
	return loss / float64(rows), float64(correct) / float64(rows)
}

// oneHot stores the one-hot rows of labels, each in [0, k).
func oneHot(dst []float32, labels []int32, k int) {
	clear(dst)
	for i, y := range labels {
		dst[i*k+int(y)] = 1
	}
}

// Backward runs the network forward on the batch x, computes the loss
// against the labels (CrossEntropy) or the targets (MSE, batch rows of the
// output width), then propagates it back, leaving ∂loss/∂W and ∂loss/∂B of
// every layer that is not frozen in DW and DB. It returns the loss, the
// mean over the batch. Only one Backward may run on a network at a time.
func (n *Network) Backward(x []float32, labels []int32, targets []float32, batch int) float64 {
	n.checkBatch("Backward", x, batch)
	k := n.Outputs()
	switch n.Loss {
	case CrossEntropy:
		if len(labels) != batch {
			panic(fmt.Sprintf("mlp: Backward: %d labels for a batch of %d", len(labels), batch))
		}
	case MSE:
		if len(targets) != batch*k {
			panic(fmt.Sprintf("mlp: Backward: len(targets) = %d is not %d rows of %d",
				len(targets), batch, k))
		}
	}
	lowest := len(n.Layers)
	for i := len(n.Layers) - 1; i >= 0; i-- {
		if !n.Layers[i].Frozen {
			lowest = i
		}
	}
	w := n.trainSpace(batch)
	n.forward(w, x, batch, true)

	// δ of the output layer: the gradient of the mean loss.
	L := len(n.Layers) - 1
	out, d := w.a[L], w.d[L]
	var loss float64
	if n.Loss == CrossEntropy {
		loss = kernels.SoftmaxCrossEntropy(d, out, labels, k, 1/float32(batch))
	} else {
		copy(d, out)
		kernels.Axpy(-1, targets, d) // y − t
		loss = float64(kernels.Dot(d, d))
		kernels.Scale(2/float32(batch), d)
		n.delta(L, w, d)
	}
	if lowest > L {
		return loss / float64(batch) // everything frozen: nothing to compute
	}

	for i := L; i >= lowest; i-- {
		l := n.Layers[i]
		in := x
		if i > 0 {
			in = w.a[i-1]
		}
		if !l.Frozen {
			// ∂loss/∂W = inᵀ·δ, ∂loss/∂b = the column sums of δ.
			kernels.Sgemm(true, false, l.In, l.Out, batch, 1, in, l.In, w.d[i], l.Out,
				0, l.DW, l.Out)
			kernels.SumRows(l.DB, w.d[i])
		}
		if i > lowest {
			// δ of the layer below: (δ·Wᵀ) ⊙ σ'(its z or a), one fused pass.
			p := n.Layers[i-1]
			cached := w.z[i-1]
			if p.Act == Sigmoid || p.Act == Tanh {
				cached = w.a[i-1]
			}
			kernels.SgemmDelta(false, true, batch, l.In, l.Out, w.d[i], l.Out, l.W, l.Out,
				n.kact(p.Act), cached, p.Out, w.d[i-1], p.Out)
		}
	}
	return loss / float64(batch)
}

// delta multiplies d by the derivative of layer i's activation.
func (n *Network) delta(i int, w *workspace, d []float32) {
	switch n.Layers[i].Act {
	case ReLU:
		kernels.ReLUDelta(d, d, w.z[i])
	case LeakyReLU:
		kernels.LeakyReLUDelta(d, d, w.z[i], n.Slope)
	case Sigmoid:
		kernels.SigmoidDelta(d, d, w.a[i])
	case Tanh:
		kernels.TanhDelta(d, d, w.a[i])
	}
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
