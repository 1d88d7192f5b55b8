package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/mlp"
)

// BenchmarkTrainStep measures one training step of the MNIST network
// 784-256-128-10 (ReLU, softmax cross-entropy, SGD with momentum 0.9):
// forward, backward and update, at batch 32, 128 and 256, one thread and
// every thread, reporting samples/s.
func BenchmarkTrainStep(b *testing.B) {
	for _, t := range threadCounts() {
		for _, batch := range []int{32, 128, 256} {
			b.Run(fmt.Sprintf("%dT/batch%d", t, batch), func(b *testing.B) {
				net := mlp.New(784, mlp.CrossEntropy,
					mlp.Layer{Units: 256, Act: mlp.ReLU}, mlp.Layer{Units: 128, Act: mlp.ReLU},
					mlp.Layer{Units: 10, Act: mlp.Softmax})
				net.Init(mlp.HeUniform, 1)
				r := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, batch*784)
				for i := range x {
					x[i] = r.Float32()
				}
				labels := make([]int32, batch)
				for i := range labels {
					labels[i] = int32(r.IntN(10))
				}
				params := net.Params()
				vel := make([][]float32, len(params))
				for i, p := range params {
					vel[i] = make([]float32, len(p.W))
				}
				step := func() {
					net.Backward(x, labels, nil, batch)
					for i, p := range params {
						kernels.MomentumStep(p.W, vel[i], p.G, 0.01, 0.9, 0, false)
					}
				}
				withThreads(t, func() {
					step()
					b.ReportAllocs()
					for b.Loop() {
						step()
					}
				})
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}
