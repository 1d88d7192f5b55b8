package mlp

import (
	"math/rand/v2"
	"testing"

	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/sgd"
)

// allocNet returns a network whose products at batch 128 are big enough
// (128·128·64 multiply-adds for each product of the first two layers, 2.1
// Mflop) for the GEMM to cut them between two threads, and rows of random
// inputs and labels.
func allocNet(rows int) (*Network, []float32, []int32) {
	net := New(64, CrossEntropy, Layer{128, ReLU}, Layer{64, Tanh}, Layer{10, Softmax})
	net.Init(HeUniform, 1)
	r := rand.New(rand.NewPCG(5, 5))
	x, labels := make([]float32, rows*64), make([]int32, rows)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for i := range labels {
		labels[i] = int32(r.IntN(10))
	}
	return net, x, labels
}

// TestStepAllocs: after the first step at a batch size, a training step
// (Backward, gradient clipping, an optimiser's Step) allocates nothing, with
// the GEMMs on two threads, with every layer trained and with one frozen;
// each optimiser's Step allocates nothing after its first; and a step of
// sgd.Trainer on Samples allocates nothing either: a run of more steps
// allocates no more than a run of fewer.
func TestStepAllocs(t *testing.T) {
	if raceEnabled {
		// Such as those of fmt, which a Trainer run uses for the names of
		// the parameters.
		t.Skip("the race detector makes sync.Pools drop items at random")
	}
	prev := kernels.SetThreads(2)
	defer kernels.SetThreads(prev)
	const batch = 128
	for _, frozen := range []int{0, 1} {
		net, x, labels := allocNet(batch)
		net.Freeze(frozen)
		opt, params := &sgd.SGD{Momentum: 0.9}, net.Params()
		step := func() {
			net.Backward(x, labels, nil, batch)
			sgd.ClipGlobalNorm(params, 1)
			opt.Step(params, 0.01)
		}
		step() // makes the workspace and the optimiser's state
		if got := testing.AllocsPerRun(5, step); got != 0 {
			t.Errorf("%d layers frozen: %v allocations per step", frozen, got)
		}
	}

	net, _, _ := allocNet(batch)
	params := net.Params()
	for i, p := range params {
		for j := range p.G {
			p.G[j] = float32((i+j)%7) - 3
		}
	}
	opts := map[string]sgd.Optimizer{
		"SGD":      &sgd.SGD{WeightDecay: 1e-4},
		"Momentum": &sgd.SGD{Momentum: 0.9},
		"Nesterov": &sgd.SGD{Momentum: 0.9, Nesterov: true},
		"Adam":     &sgd.Adam{},
		"AdamW":    &sgd.Adam{WeightDecay: 0.01, Decoupled: true},
		"RMSProp":  &sgd.RMSProp{},
	}
	for name, opt := range opts {
		opt.Step(params, 1e-3) // allocates the state
		if got := testing.AllocsPerRun(5, func() { opt.Step(params, 1e-3) }); got != 0 {
			t.Errorf("%s: %v allocations per Step", name, got)
		}
	}

	// A Trainer run allocates per run (the batch order, the parameter list)
	// and per epoch, but not per step: runs of 1 and of 3 steps in one
	// epoch must allocate alike.
	net, x, labels := allocNet(3 * batch)
	s := &Samples{Net: net, X: x, Labels: labels}
	tr := sgd.Trainer{Optimizer: &sgd.Adam{}, Schedule: sgd.Constant(0.01), BatchSize: batch,
		MaxEpochs: 1, ClipNorm: 1, Seed: 1}
	runs := func(steps int) float64 {
		tr.MaxSteps = steps
		run := func() {
			if _, err := tr.Run(s, s.Len()); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(2, run)
	}
	if few, more := runs(1), runs(3); few != more {
		t.Errorf("a Trainer run of 1 step allocates %v times, one of 3 steps %v", few, more)
	}
}
