package mlp

import (
	"fmt"

	"github.com/backprop-go/backprop/sgd"
)

// Samples binds a network to a data set so that sgd.Trainer can train it:
// it is an sgd.Model and an sgd.Loader. X holds one row of Net.Inputs
// features a sample; Labels one class a sample (CrossEntropy), or Targets
// one row of Net.Outputs() values a sample (MSE).
type Samples struct {
	Net     *Network
	X       []float32
	Labels  []int32
	Targets []float32

	// The gathered batch.
	x, t []float32
	y    []int32
	n    int
}

var _ interface {
	sgd.Model
	sgd.Loader
} = (*Samples)(nil)

// Len returns the number of samples.
func (s *Samples) Len() int { return len(s.X) / s.Net.Inputs }

// Params returns the network's trainable parameters.
func (s *Samples) Params() []sgd.Param { return s.Net.Params() }

// Load gathers the samples idx into a contiguous batch.
func (s *Samples) Load(idx []int) {
	in, out := s.Net.Inputs, s.Net.Outputs()
	s.n = len(idx)
	s.x = grow(s.x, s.n*in)
	for i, j := range idx {
		copy(s.x[i*in:(i+1)*in], s.X[j*in:(j+1)*in])
	}
	if s.Net.Loss == CrossEntropy {
		s.y = grow(s.y, s.n)
		for i, j := range idx {
			s.y[i] = s.Labels[j]
		}
	} else {
		s.t = grow(s.t, s.n*out)
		for i, j := range idx {
			copy(s.t[i*out:(i+1)*out], s.Targets[j*out:(j+1)*out])
		}
	}
}

// Batch runs Backward on the batch Load gathered, which must be idx.
func (s *Samples) Batch(idx []int) float64 {
	if len(idx) != s.n {
		panic(fmt.Sprintf("mlp: Samples.Batch of %d samples after Load of %d", len(idx), s.n))
	}
	return s.Net.Backward(s.x, s.y, s.t, s.n)
}

// grow returns s resized to n, reusing its memory when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
