package kernels

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkSgemmDirect measures the best path, one thread, with A and B
// always packed and always read in place where they can be (A transposed,
// B not), on the products of an MLP step at several batch sizes: the
// forward product X·W (NN) and the weight gradient Xᵀ·δ (TN), the output
// layer's among them. directMaxM and directMaxN were chosen from it.
// Names: mode/form/m×n×k, mode being packed or inplace.
func BenchmarkSgemmDirect(b *testing.B) {
	p := Impls()[0]
	prevT := SetThreads(1)
	defer SetThreads(prevT)
	defer func(m, n int) { directMaxM, directMaxN = m, n }(directMaxM, directMaxN)
	type shape struct {
		form    string
		tA, tB  bool
		m, n, k int
	}
	var shapes []shape
	for _, batch := range []int{32, 64, 128, 256, 512} {
		shapes = append(shapes,
			shape{"NN", false, false, batch, 256, 784},
			shape{"NN", false, false, batch, 128, 256},
			shape{"TN", true, false, 784, 256, batch},
			shape{"TN", true, false, 256, 128, batch},
			shape{"NN", false, false, batch, 10, 128},
			shape{"TN", true, false, 128, 10, batch},
		)
	}
	for _, mode := range []string{"packed", "inplace"} {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%s/%dx%dx%d", mode, s.form, s.m, s.n, s.k), func(b *testing.B) {
				directMaxM, directMaxN = 0, 0
				if mode == "inplace" {
					directMaxM, directMaxN = math.MaxInt, math.MaxInt
				}
				ar, ac := s.m, s.k
				if s.tA {
					ar, ac = ac, ar
				}
				br, bc := s.k, s.n
				if s.tB {
					br, bc = bc, br
				}
				a, bb, c := make([]float32, ar*ac), make([]float32, br*bc), make([]float32, s.m*s.n)
				for i := range a {
					a[i] = float32(i%7) - 3
				}
				for i := range bb {
					bb[i] = float32(i%5) - 2
				}
				for b.Loop() {
					p.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, bb, bc, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmThreads measures square products around minParallelFlops
// on the best path with one thread and with two, the threshold moved out
// of the way; minParallelFlops is where two threads start to win. Names:
// threads/n, the product being n×n×n (2n³ flops).
func BenchmarkSgemmThreads(b *testing.B) {
	p := Impls()[0]
	defer func(f int) { minParallelFlops = f }(minParallelFlops)
	minParallelFlops = 1
	for _, t := range []int{1, 2} {
		for _, n := range []int{32, 48, 64, 80, 96, 128, 192} {
			b.Run(fmt.Sprintf("%dT/%d", t, n), func(b *testing.B) {
				prev := SetThreads(t)
				defer SetThreads(prev)
				a, bb, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
				for b.Loop() {
					p.Sgemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
