package bench

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/backprop-go/backprop/kernels"
)

// peaks caches the FMA peak of each path, one thread, measured once.
var peaks sync.Map

func peakOf(p *kernels.Impl) float64 {
	if v, ok := peaks.Load(p.Name()); ok {
		return v.(float64)
	}
	g, _ := Peak(p, 300*time.Millisecond)
	peaks.Store(p.Name(), g)
	return g
}

// threadCounts are the thread counts every GEMM is measured at: one, and
// every thread.
func threadCounts() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// withThreads runs f with t threads for us and for the peers; one thread
// also means GOMAXPROCS=1, which is how gonum is held to one.
func withThreads(t int, f func()) {
	prevProcs := runtime.GOMAXPROCS(0)
	prev := kernels.SetThreads(t)
	if t == 1 {
		runtime.GOMAXPROCS(1)
	}
	for _, p := range Peers {
		if p.SetThreads != nil {
			p.SetThreads(t)
		}
	}
	defer func() {
		runtime.GOMAXPROCS(prevProcs)
		kernels.SetThreads(prev)
	}()
	f()
}

// BenchmarkSgemm measures our GEMM on every path and the peers on the
// square and the MLP shapes, at one thread and at every thread, named
// who/threads/shape. Metrics: GFLOP/s and the percentage of the measured
// FMA peak of the best path at that thread count.
func BenchmarkSgemm(b *testing.B) {
	shapes := append(Square(), MLPShapes()...)
	best := kernels.Impls()[0]
	type who struct {
		name  string
		sgemm func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
		peak  float64
		slow  bool // skip the largest shapes
	}
	var all []who
	for _, p := range kernels.Impls() {
		all = append(all, who{p.Name(), p.Sgemm, peakOf(p), p.Name() == "generic"})
	}
	for _, p := range Peers {
		all = append(all, who{p.Name, p.Sgemm, peakOf(best), p.Name == "gonum"})
		b.Logf("%s: %s", p.Name, p.Info)
		if p.Warning != "" {
			b.Logf("WARNING: %s", p.Warning)
		}
	}
	for _, w := range all {
		for _, t := range threadCounts() {
			for _, s := range shapes {
				if w.slow && s.Flops() > 3e8 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%dT/%s", w.name, t, s.Name), func(b *testing.B) {
					a, lda, bb, ldb, c, ldc := s.Operands()
					withThreads(t, func() {
						b.ReportAllocs()
						for b.Loop() {
							w.sgemm(s.TA, s.TB, s.M, s.N, s.K, 1, a, lda, bb, ldb, 0, c, ldc)
						}
					})
					g := s.Flops() * float64(b.N) / b.Elapsed().Seconds() / 1e9
					b.ReportMetric(g, "GFLOP/s")
					if w.peak > 0 {
						b.ReportMetric(100*g/(w.peak*float64(t)), "%peak")
					}
				})
			}
		}
	}
}

// BenchmarkFMAPeak reports the FMA peak of each path, one thread.
func BenchmarkFMAPeak(b *testing.B) {
	for _, p := range kernels.Impls() {
		if _, ok := Peak(p, time.Millisecond); !ok {
			continue
		}
		b.Run(p.Name(), func(b *testing.B) {
			var g float64
			for b.Loop() {
				g, _ = Peak(p, 50*time.Millisecond)
			}
			b.ReportMetric(g, "GFLOP/s")
		})
	}
}

// BenchmarkFused measures the fused forms on the MLP's shapes next to the
// plain product they extend, on the best path, one thread: forward
// act(X·W + b) with ReLU (storing z) and Sigmoid, and the backward delta
// (δ·Wᵀ) ⊙ σ'(z) with ReLU. Names: form/shape, plain/shape being the bare
// Sgemm of the same shape.
func BenchmarkFused(b *testing.B) {
	p := kernels.Impls()[0]
	for _, s := range MLPShapes() {
		if s.Role == "wgrad" {
			continue // weight gradients have no fused form
		}
		a, lda, bb, ldb, c, ldc := s.Operands()
		bias := make([]float32, s.N)
		z := make([]float32, s.M*s.N)
		run := func(name string, f func()) {
			b.Run(name+"/"+s.Name, func(b *testing.B) {
				withThreads(1, func() {
					b.ReportAllocs()
					for b.Loop() {
						f()
					}
				})
				b.ReportMetric(s.Flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		run("plain", func() { p.Sgemm(s.TA, s.TB, s.M, s.N, s.K, 1, a, lda, bb, ldb, 0, c, ldc) })
		if s.Role == "fwd" {
			run("reluz", func() {
				p.SgemmBiasAct(s.TA, s.TB, s.M, s.N, s.K, a, lda, bb, ldb, bias,
					kernels.Activation{Kind: kernels.ActReLU}, z, s.N, c, ldc)
			})
			run("sigmoid", func() {
				p.SgemmBiasAct(s.TA, s.TB, s.M, s.N, s.K, a, lda, bb, ldb, bias,
					kernels.Activation{Kind: kernels.ActSigmoid}, nil, 0, c, ldc)
			})
		} else {
			run("reludelta", func() {
				p.SgemmDelta(s.TA, s.TB, s.M, s.N, s.K, a, lda, bb, ldb,
					kernels.Activation{Kind: kernels.ActReLU}, z, s.N, c, ldc)
			})
		}
	}
}
