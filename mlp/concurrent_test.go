package mlp

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// TestConcurrentUse calls Forward, Predict and Evaluate of one network
// from many goroutines at once, at batch sizes large enough for the GEMM
// to split its products between threads and small enough not to, and
// requires every result to be the one a lone call gives, bit for bit.
// Under -race it also checks that the calls share nothing unguarded.
func TestConcurrentUse(t *testing.T) {
	prev := kernels.SetThreads(2)
	defer kernels.SetThreads(prev)
	net := New(96, CrossEntropy, Layer{128, ReLU}, Layer{64, Tanh}, Layer{10, Softmax})
	net.Init(HeNormal, 1)
	r := rand.New(rand.NewPCG(2, 2))
	batches := []int{1, 7, 64, 300} // 300 rows: 2·300·96·128 flops, cut between threads
	type want struct {
		x       []float32
		labels  []int32
		out     []float32
		classes []int32
		loss    float64
		acc     float64
	}
	var wants []want
	for _, b := range batches {
		w := want{x: make([]float32, b*96), labels: make([]int32, b)}
		for i := range w.x {
			w.x[i] = float32(r.NormFloat64())
		}
		for i := range w.labels {
			w.labels[i] = int32(r.IntN(10))
		}
		w.out = make([]float32, b*10)
		net.Forward(w.x, b, w.out)
		w.classes = make([]int32, b)
		net.Predict(w.x, b, w.classes)
		w.loss, w.acc = net.Evaluate(w.x, w.labels, b)
		wants = append(wants, w)
	}

	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := (g + i) % len(batches)
				b, w := batches[k], wants[k]
				out := make([]float32, b*10)
				net.Forward(w.x, b, out)
				if !slices.Equal(out, w.out) {
					errs <- fmt.Errorf("goroutine %d: Forward at batch %d differs", g, b)
					return
				}
				classes := make([]int32, b)
				net.Predict(w.x, b, classes)
				if !slices.Equal(classes, w.classes) {
					errs <- fmt.Errorf("goroutine %d: Predict at batch %d differs", g, b)
					return
				}
				if loss, acc := net.Evaluate(w.x, w.labels, b); loss != w.loss || acc != w.acc {
					errs <- fmt.Errorf("goroutine %d: Evaluate at batch %d = %v, %v, want %v, %v",
						g, b, loss, acc, w.loss, w.acc)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
