package mlp_test

import (
	"bytes"
	"fmt"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/mlp"
	"github.com/backprop-go/backprop/sgd"
)

// Example trains a small network on three interleaved spirals (no linear
// model separates them), classifies held-out points, and round-trips the
// model through its file format.
func Example() {
	train := dataset.Spirals(300, 3, 0.02, 1) // 900 points, 2 features, 3 classes
	test := dataset.Spirals(100, 3, 0.02, 2)

	net := mlp.New(2, mlp.CrossEntropy,
		mlp.Layer{Units: 64, Act: mlp.Tanh},
		mlp.Layer{Units: 64, Act: mlp.ReLU},
		mlp.Layer{Units: 3, Act: mlp.Softmax})
	net.Init(mlp.XavierUniform, 7)

	tr := sgd.Trainer{
		Optimizer: &sgd.Adam{}, Schedule: sgd.Constant(0.01),
		BatchSize: 32, MaxEpochs: 200, TargetLoss: 0.02, Seed: 3,
	}
	s := &mlp.Samples{Net: net, X: train.X, Labels: train.Y}
	if _, err := tr.Run(s, s.Len()); err != nil {
		fmt.Println(err)
		return
	}
	_, acc := net.Evaluate(test.X, test.Y, 64)
	fmt.Println("held-out accuracy at least 95%:", acc >= 0.95)

	// Predict gives the classes themselves.
	classes := make([]int32, test.N)
	net.Predict(test.X, test.N, classes)
	right := 0
	for i, c := range classes {
		if c == test.Y[i] {
			right++
		}
	}
	fmt.Printf("%d points, predictions agree with Evaluate: %v\n", test.N, float64(right)/float64(test.N) == acc)

	// A model file round trip.
	var buf bytes.Buffer
	if _, err := net.WriteTo(&buf); err != nil {
		fmt.Println(err)
		return
	}
	back, err := mlp.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, acc2 := back.Evaluate(test.X, test.Y, 64)
	fmt.Println("same accuracy after a round trip:", acc2 == acc)
	// Output:
	// held-out accuracy at least 95%: true
	// 300 points, predictions agree with Evaluate: true
	// same accuracy after a round trip: true
}
