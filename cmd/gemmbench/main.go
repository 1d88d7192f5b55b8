// Command gemmbench prints a GEMM table: GFLOP/s of our Sgemm on the best
// path (and optionally every path) next to gonum and, when built with the
// cblas tag, OpenBLAS, at one thread and at every thread, with the
// percentage of each path's measured FMA peak and the ratios of the best
// path to the peers.
//
// Usage:
//
//	go run ./cmd/gemmbench [-shapes square,mlp] [-time 300ms] [-all]
//	OPENBLAS_CORETYPE=SkylakeX go run -tags cblas ./cmd/gemmbench
//
// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and silently
// runs its SSE3 kernels; OPENBLAS_CORETYPE=SkylakeX selects its AVX-512
// ones. The table says which core it reports. For comparisons that decide
// something, use go test -bench in bench/ with -count and benchstat.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backprop-go/backprop/bench"
	"github.com/backprop-go/backprop/kernels"
	"github.com/klauspost/cpuid/v2"
)

type who struct {
	name       string
	sgemm      func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	setThreads func(int)
}

func main() {
	shapes := flag.String("shapes", "square,mlp", "comma-separated shape sets: square, mlp")
	dur := flag.Duration("time", 300*time.Millisecond, "time spent on each entry")
	all := flag.Bool("all", false, "every kernel path, not only the best")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gemmbench [flags]\n\n"+
			"Prints GFLOP/s of Sgemm next to its peers, at one thread and at every thread.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var list []bench.Shape
	for _, s := range strings.Split(*shapes, ",") {
		switch s {
		case "square":
			list = append(list, bench.Square()...)
		case "mlp":
			list = append(list, bench.MLPShapes()...)
		default:
			fmt.Fprintf(os.Stderr, "gemmbench: unknown shape set %q\n", s)
			os.Exit(2)
		}
	}
	if *dur <= 0 {
		fmt.Fprintln(os.Stderr, "gemmbench: -time must be positive")
		os.Exit(2)
	}

	impls := kernels.Impls()
	if !*all {
		impls = impls[:1]
	}
	var ws []who
	for _, p := range impls {
		ws = append(ws, who{"ours/" + p.Name(), p.Sgemm, nil})
	}
	for _, p := range bench.Peers {
		ws = append(ws, who{p.Name, p.Sgemm, p.SetThreads})
	}

	peaks := make([]float64, len(impls))
	for i, p := range impls {
		peaks[i], _ = bench.Peak(p, 500*time.Millisecond)
	}
	fmt.Printf("cpu:   %s, %d threads\n", cpuid.CPU.BrandName, runtime.GOMAXPROCS(0))
	fmt.Printf("paths: %s (best: %s)\n", strings.Join(kernels.Available(), ", "), kernels.Impls()[0].Name())
	for i, p := range impls {
		if peaks[i] > 0 {
			fmt.Printf("peak:  %s %.1f GFLOP/s per thread (measured FMA throughput)\n", p.Name(), peaks[i])
		}
	}
	for _, p := range bench.Peers {
		fmt.Printf("peer:  %s: %s\n", p.Name, p.Info)
		if p.Warning != "" {
			fmt.Fprintf(os.Stderr, "gemmbench: warning: %s\n", p.Warning)
		}
	}
	fmt.Println()

	threads := []int{1}
	if n := runtime.GOMAXPROCS(0); n > 1 {
		threads = append(threads, n)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "shape\tthreads\t")
	for _, x := range ws {
		fmt.Fprintf(w, "%s\t", x.name)
	}
	for _, p := range impls {
		fmt.Fprintf(w, "%%peak/%s\t", p.Name())
	}
	for _, x := range ws[len(impls):] {
		fmt.Fprintf(w, "÷%s\t", x.name)
	}
	fmt.Fprintln(w)
	for _, s := range list {
		for _, t := range threads {
			fmt.Fprintf(w, "%s\t%d\t", s.Name, t)
			var g []float64
			for _, x := range ws {
				r := measure(x, s, t, *dur)
				g = append(g, r)
				fmt.Fprintf(w, "%.1f\t", r)
			}
			for i := range impls {
				if peaks[i] > 0 {
					fmt.Fprintf(w, "%.0f%%\t", 100*g[i]/(peaks[i]*float64(t)))
				} else {
					fmt.Fprint(w, "–\t")
				}
			}
			for i := len(impls); i < len(ws); i++ {
				fmt.Fprintf(w, "%.2f×\t", g[0]/g[i])
			}
			fmt.Fprintln(w)
		}
	}
	w.Flush()
}

// measure returns the GFLOP/s of x on s with t threads, timed for about d.
func measure(x who, s bench.Shape, t int, d time.Duration) float64 {
	a, lda, b, ldb, c, ldc := s.Operands()
	prevProcs := runtime.GOMAXPROCS(0)
	prev := kernels.SetThreads(t)
	if t == 1 {
		runtime.GOMAXPROCS(1)
	}
	if x.setThreads != nil {
		x.setThreads(t)
	}
	defer func() {
		runtime.GOMAXPROCS(prevProcs)
		kernels.SetThreads(prev)
	}()
	run := func() { x.sgemm(s.TA, s.TB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, ldc) }
	run()
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		run()
		n++
	}
	return s.Flops() * float64(n) / time.Since(start).Seconds() / 1e9
}
