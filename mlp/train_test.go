package mlp

import (
	"testing"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/sgd"
)

// TestTrainSpirals trains a small network on three interleaved spirals,
// which no linear model separates, with sgd.Trainer and Samples, and
// requires it to classify held-out points well; a seed reproduces the run
// bit for bit.
func TestTrainSpirals(t *testing.T) {
	run := func() (*Network, float64, float64) {
		train := dataset.Spirals(300, 3, 0.02, 1)
		test := dataset.Spirals(100, 3, 0.02, 2)
		net := New(2, CrossEntropy, Layer{64, Tanh}, Layer{64, ReLU}, Layer{3, Softmax})
		net.Init(XavierUniform, 7)
		s := &Samples{Net: net, X: train.X, Labels: train.Y}
		tr := sgd.Trainer{
			Optimizer: &sgd.Adam{}, Schedule: sgd.Constant(0.01),
			BatchSize: 32, MaxEpochs: 200, TargetLoss: 0.02, Seed: 3,
		}
		if _, err := tr.Run(s, s.Len()); err != nil {
			t.Fatal(err)
		}
		loss, acc := net.Evaluate(test.X, test.Y, 64)
		return net, loss, acc
	}
	a, loss, acc := run()
	t.Logf("test loss %.4f, accuracy %.3f", loss, acc)
	if acc < 0.95 {
		t.Fatalf("accuracy %.3f on held-out spirals, want ≥ 0.95", acc)
	}
	b, _, _ := run()
	sameNetwork(t, a, b)
}
