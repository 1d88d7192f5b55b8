package kernels

import (
	"runtime"
	"sync"
	"testing"
)

// TestSgemmAllocs: in steady state a GEMM, plain or fused, on one thread
// or several, allocates nothing: packing buffers and parallel jobs are
// reused.
func TestSgemmAllocs(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		const m, n, k = 150, 200, 300 // large enough to run on every thread
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		z, bias := make([]float32, m*n), make([]float32, n)
		relu := Activation{Kind: ActReLU}
		// AllocsPerRun sets GOMAXPROCS to 1: the thread count is set, not
		// left to follow it.
		for _, threads := range []int{1, 2} {
			prev := SetThreads(threads)
			if got := p.gm.threadsFor(m, n, k); got != threads {
				t.Fatalf("%d×%d×%d runs on %d threads, not %d", m, n, k, got, threads)
			}
			cases := map[string]func(){
				"Sgemm":        func() { p.Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) },
				"SgemmBiasAct": func() { p.SgemmBiasAct(false, false, m, n, k, a, k, b, n, bias, relu, z, n, c, n) },
				"SgemmDelta":   func() { p.SgemmDelta(true, false, m, n, k, a, m, b, n, relu, z, n, c, n) },
			}
			for name, f := range cases {
				f() // the first call may fill the pools
				if got := testing.AllocsPerRun(20, f); got != 0 {
					t.Errorf("%s with %d threads: %v allocations per call", name, Threads(), got)
				}
			}
			SetThreads(prev)
		}
	})
}

// TestSgemmConcurrent runs products on several goroutines at once, small
// and parallel ones, each checked, with the race detector in CI; and checks
// that the worker goroutines stay few however many products run.
func TestSgemmConcurrent(t *testing.T) {
	p := Current()
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			m, n, k := 40+g*30, 70+g*11, 90
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range b {
				b[i] = float32(i%5) - 2
			}
			c := make([]float32, m*n)
			for round := 0; round < 10; round++ {
				p.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				// Integers: every summation order gives the exact result.
				for _, ij := range [][2]int{{0, 0}, {m - 1, n - 1}, {m / 2, n / 3}} {
					var want float32
					for q := 0; q < k; q++ {
						want += a[ij[0]*k+q] * b[q*n+ij[1]]
					}
					if got := c[ij[0]*n+ij[1]]; got != want {
						errs <- "concurrent Sgemm gave a wrong result"
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if after := runtime.NumGoroutine(); after > before+Threads() {
		t.Errorf("%d goroutines after the products, %d before: more than the %d workers", after, before, Threads()-1)
	}
}
