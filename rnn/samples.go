package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/backprop-go/backprop/sgd"
)

// AddingProblem generates n sequences of the adding problem, a classic
// test of memory over many steps. Each of the steps time steps has two
// inputs: a value drawn uniformly from [0, 1) and a marker, 1 at exactly
// two steps and 0 elsewhere, one marked step drawn uniformly from the first
// half of the sequence (the first ⌊steps/2⌋ steps) and one from the rest.
// The target is the sum of the two marked values.
//
// x holds the sequences one after another, each steps rows of (value,
// marker), and y the n targets, as Samples, Backward and Evaluate take
// them. Predicting the mean, 1, gives an MSE of 1/6 (the variance of the
// sum of two uniform values); a network that has learnt the task does far
// better. A seed gives the same data, bit for bit. steps must be at
// least 2.
func AddingProblem(n, steps int, seed uint64) (x, y []float32) {
	if n < 0 || steps < 2 {
		panic(fmt.Sprintf("rnn: AddingProblem: %d sequences of %d steps", n, steps))
	}
	r := rand.New(rand.NewPCG(seed, 0xadd))
	x = make([]float32, n*steps*2)
	y = make([]float32, n)
	half := steps / 2
	for s := 0; s < n; s++ {
		seq := x[s*steps*2 : (s+1)*steps*2]
		for t := 0; t < steps; t++ {
			seq[2*t] = float32(r.Float64())
		}
		a, b := r.IntN(half), half+r.IntN(steps-half)
		seq[2*a+1], seq[2*b+1] = 1, 1
		y[s] = seq[2*a] + seq[2*b]
	}
	return x, y
}

// Samples binds a network to a set of sequences so that sgd.Trainer can
// train it: it is an sgd.Model and an sgd.Loader. X holds the sequences one
// after another, each Steps rows of Net.In values, and Y one row of
// Net.Out targets a sequence.
type Samples struct {
	Net   *Network
	Steps int
	X, Y  []float32

	// The gathered batch.
	x, y []float32
	n    int
}

var _ interface {
	sgd.Model
	sgd.Loader
} = (*Samples)(nil)

// Len returns the number of sequences.
func (s *Samples) Len() int { return len(s.Y) / s.Net.Out }

// Params returns the network's parameters.
func (s *Samples) Params() []sgd.Param { return s.Net.Params() }

// Load gathers the sequences idx into a contiguous batch.
func (s *Samples) Load(idx []int) {
	seq, out := s.Steps*s.Net.In, s.Net.Out
	s.n = len(idx)
	s.x = grow(s.x, s.n*seq)
	s.y = grow(s.y, s.n*out)
	for i, j := range idx {
		copy(s.x[i*seq:(i+1)*seq], s.X[j*seq:(j+1)*seq])
		copy(s.y[i*out:(i+1)*out], s.Y[j*out:(j+1)*out])
	}
}

// Batch runs Backward on the batch Load gathered, which must be idx.
func (s *Samples) Batch(idx []int) float64 {
	if len(idx) != s.n {
		panic(fmt.Sprintf("rnn: Samples.Batch of %d sequences after Load of %d", len(idx), s.n))
	}
	return s.Net.Backward(s.x, s.y, s.n, s.Steps)
}

// grow returns s resized to n, reusing its memory when it can.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
