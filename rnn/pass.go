package rnn

import (
	"fmt"

	"github.com/backprop-go/backprop/kernels"
)

var identity = kernels.Activation{Kind: kernels.ActIdentity}

// workspace holds the activations of one batch size and sequence length,
// time-major: block t (t = 0, …, steps−1) of x, h and d is the batch×In or
// batch×Hidden matrix of step t+1.
type workspace struct {
	batch, steps int
	x            []float32 // the inputs x_1 … x_T
	h            []float32 // the states h_1 … h_T
	y            []float32 // the outputs, batch×Out
	dy, d        []float32 // ∂loss/∂y and the deltas δ_1 … δ_T; training only
}

func (n *Network) newWorkspace(batch, steps int, backward bool) *workspace {
	w := &workspace{
		batch: batch, steps: steps,
		x: make([]float32, steps*batch*n.In),
		h: make([]float32, steps*batch*n.Hidden),
		y: make([]float32, batch*n.Out),
	}
	if backward {
		w.dy = make([]float32, batch*n.Out)
		w.d = make([]float32, steps*batch*n.Hidden)
	}
	return w
}

// trainSpace returns the training workspace of a shape, made on first use
// and kept: a training loop allocates nothing after its first step.
func (n *Network) trainSpace(batch, steps int) *workspace {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ws == nil {
		n.ws = map[shape]*workspace{}
	}
	s := shape{batch, steps}
	w := n.ws[s]
	if w == nil {
		w = n.newWorkspace(batch, steps, true)
		n.ws[s] = w
	}
	return w
}

// getEval returns a forward-only workspace of a shape, from the pool when
// one of that shape is there; put it back with n.eval.Put.
func (n *Network) getEval(batch, steps int) *workspace {
	if w, ok := n.eval.Get().(*workspace); ok && w.batch == batch && w.steps == steps {
		return w
	}
	return n.newWorkspace(batch, steps, false)
}

// checkBatch panics unless x holds batch sequences of steps rows of In
// values.
func (n *Network) checkBatch(op string, x []float32, batch, steps int) {
	if batch <= 0 || steps <= 0 || len(x) != batch*steps*n.In {
		panic(fmt.Sprintf("rnn: %s: len(x) = %d is not %d sequences of %d steps of %d inputs",
			op, len(x), batch, steps, n.In))
	}
}

// forward copies the batch x into w time-major and runs the network on
// it, leaving every state in w.h and the outputs in w.y.
func (n *Network) forward(w *workspace, x []float32) {
	B, T, I, H, O := w.batch, w.steps, n.In, n.Hidden, n.Out
	for i := 0; i < B; i++ {
		for t := 0; t < T; t++ {
			copy(w.x[(t*B+i)*I:(t*B+i+1)*I], x[(i*T+t)*I:(i*T+t+1)*I])
		}
	}

	// The input projections of every step at once: h_t ← x_t·Wxᵀ + b.
	kernels.SgemmBiasAct(false, true, T*B, H, I, w.x, I, n.Wx, I, n.B, identity, nil, 0, w.h, H)

	// The recurrence: h_t ← tanh(h_t + h_{t−1}·Whᵀ), h_0 = 0.
	bh := B * H
	kernels.Tanh(w.h[:bh], w.h[:bh])
	for t := 1; t < T; t++ {
		prev, cur := w.h[(t-1)*bh:t*bh], w.h[t*bh:(t+1)*bh]
		kernels.Sgemm(false, true, B, H, H, 1, prev, H, n.Wh, H, 1, cur, H)
		kernels.Tanh(cur, cur)
	}

	// The readout of the last state: y = h_T·Woᵀ + bo.
	kernels.SgemmBiasAct(false, true, B, O, H, w.h[(T-1)*bh:], H, n.Wo, H, n.Bo, identity, nil, 0,
		w.y, O)
}

// Forward stores in out (batch rows of Out values) the outputs of the
// network for the batch x of batch sequences, each steps rows of In
// values, one sequence after another. It is safe to call from several
// goroutines at once, as long as nothing changes the network meanwhile.
func (n *Network) Forward(x []float32, batch, steps int, out []float32) {
	n.checkBatch("Forward", x, batch, steps)
	if len(out) != batch*n.Out {
		panic(fmt.Sprintf("rnn: Forward: len(out) = %d is not %d rows of %d outputs",
			len(out), batch, n.Out))
	}
	w := n.getEval(batch, steps)
	n.forward(w, x)
	copy(out, w.y)
	n.eval.Put(w)
}

// Evaluate returns the mean loss (the MSE, as Backward computes it) of the
// network on the sequences of x, each steps rows of In values, against
// their targets y, Out values each, in batches of at most batch sequences.
// The sum is in float64. Safe for concurrent use, like Forward.
func (n *Network) Evaluate(x, y []float32, steps, batch int) float64 {
	rows := len(y) / n.Out
	if rows == 0 || len(y) != rows*n.Out || steps <= 0 || len(x) != rows*steps*n.In || batch <= 0 {
		panic(fmt.Sprintf("rnn: Evaluate: len(x) = %d, len(y) = %d: not the same number of "+
			"sequences of %d steps of %d inputs and rows of %d outputs (batch %d)",
			len(x), len(y), steps, n.In, n.Out, batch))
	}
	var loss float64
	seq := steps * n.In
	for r := 0; r < rows; r += batch {
		b := min(batch, rows-r)
		w := n.getEval(b, steps)
		n.forward(w, x[r*seq:(r+b)*seq])
		for i, v := range w.y {
			d := float64(v) - float64(y[r*n.Out+i])
			loss += d * d
		}
		n.eval.Put(w)
	}
	return loss / float64(rows)
}

// Backward runs the network forward on the batch x (batch sequences of
// steps rows of In values, one after another), computes the loss against
// the targets (batch rows of Out values), then propagates it back through
// the readout and through time, leaving ∂loss/∂θ of every parameter θ in
// DWx, DWh, DB, DWo and DBo. It returns the loss, the mean over the batch
// of Σ_j (y_j − t_j)². Only one Backward may run on a network at a time.
//
// With δ_t = ∂loss/∂(the pre-activation of h_t), a batch×Hidden matrix,
// and ⊙ the elementwise product:
//
//	dY    = 2/batch · (Y − targets)
//	dWo   = dYᵀ·h_T                    dbo = Σ_rows dY
//	δ_T   = (dY·Wo) ⊙ (1 − h_T²)
//	δ_t   = (δ_{t+1}·Wh) ⊙ (1 − h_t²)   t = T−1, …, 1
//	dWh   = Σ_{t=2…T} δ_tᵀ·h_{t−1}
//	dWx   = Σ_{t=1…T} δ_tᵀ·x_t          db  = Σ_t Σ_rows δ_t
//
// Each δ_t is one fused kernels.SgemmDelta (tanh' from the state h_t
// itself, 1 − h_t² = (1 − h_t)(1 + h_t)). The workspace keeps the steps
// one after another, so each sum over t is a single GEMM whose inner
// dimension runs over all the steps and the batch: dWh over the rows of
// δ_2 … δ_T against those of h_1 … h_{T−1}, dWx over δ_1 … δ_T against
// x_1 … x_T.
func (n *Network) Backward(x, targets []float32, batch, steps int) float64 {
	n.checkBatch("Backward", x, batch, steps)
	if len(targets) != batch*n.Out {
		panic(fmt.Sprintf("rnn: Backward: len(targets) = %d is not %d rows of %d",
			len(targets), batch, n.Out))
	}
	w := n.trainSpace(batch, steps)
	n.forward(w, x)
	B, T, I, H, O := batch, steps, n.In, n.Hidden, n.Out
	bh := B * H
	hT, dT := w.h[(T-1)*bh:], w.d[(T-1)*bh:]

	// The loss and its gradient with respect to the outputs.
	copy(w.dy, w.y)
	kernels.Axpy(-1, targets, w.dy) // y − t
	loss := float64(kernels.Dot(w.dy, w.dy))
	kernels.Scale(2/float32(B), w.dy)

	// The readout: dWo = dYᵀ·h_T, dbo = the column sums of dY, and δ_T.
	kernels.Sgemm(true, false, O, H, B, 1, w.dy, O, hT, H, 0, n.DWo, H)
	kernels.SumRows(n.DBo, w.dy)
	tanh := kernels.Activation{Kind: kernels.ActTanh}
	kernels.SgemmDelta(false, false, B, H, O, w.dy, O, n.Wo, H, tanh, hT, H, dT, H)

	// Back through time: δ_t = (δ_{t+1}·Wh) ⊙ (1 − h_t²).
	for t := T - 1; t >= 1; t-- {
		next, d, h := w.d[t*bh:(t+1)*bh], w.d[(t-1)*bh:t*bh], w.h[(t-1)*bh:t*bh]
		kernels.SgemmDelta(false, false, B, H, H, next, H, n.Wh, H, tanh, h, H, d, H)
	}

	// The weight gradients, each one GEMM over every step. With T = 1 the
	// inner dimension of dWh is 0 and Sgemm stores zeros.
	kernels.Sgemm(true, false, H, H, (T-1)*B, 1, w.d[bh:], H, w.h[:(T-1)*bh], H, 0, n.DWh, H)
	kernels.Sgemm(true, false, H, I, T*B, 1, w.d, H, w.x, I, 0, n.DWx, I)
	kernels.SumRows(n.DB, w.d)
	return loss / float64(B)
}
