// Command kernelinfo prints which kernel paths this CPU can run, which one
// is in use, and a short throughput table of the elementwise kernels on
// every path.
//
// Usage:
//
//	go run ./cmd/kernelinfo [-size 8KiB] [-time 50ms]
//
// The figures are a quick look, not a benchmark: for comparisons use
// go test -bench in bench/ with -count and benchstat.
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

func main() {
	size := flag.String("size", "8KiB", "size of each slice: one of 1KiB, 8KiB, 32KiB, 1MiB, 64MiB")
	dur := flag.Duration("time", 50*time.Millisecond, "time spent measuring each kernel on each path")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: kernelinfo [flags]\n\n"+
			"Prints the kernel paths of this CPU and the throughput (GB/s of memory\n"+
			"traffic) of every elementwise kernel on each of them.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	bytes := -1
	for _, s := range bench.Sizes {
		if strings.EqualFold(s.Name, *size) {
			bytes = s.Bytes
		}
	}
	if bytes < 0 || *dur <= 0 {
		fmt.Fprintf(os.Stderr, "kernelinfo: bad -size %q or -time %v\n", *size, *dur)
		flag.Usage()
		os.Exit(2)
	}

	fmt.Printf("cpu:       %s (%s/%s)\n", cpuid.CPU.BrandName, runtime.GOOS, runtime.GOARCH)
	fmt.Printf("paths:     %s\n", strings.Join(kernels.Available(), ", "))
	fmt.Printf("in use:    %s", kernels.Implementation())
	if v := os.Getenv(kernels.EnvVar); v != "" {
		fmt.Printf(" (forced by %s=%s)", kernels.EnvVar, v)
	}
	fmt.Printf("\n\nGB/s per slice size %s, %v per entry:\n\n", *size, *dur)

	impls := kernels.Impls()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "kernel\t")
	for _, p := range impls {
		fmt.Fprintf(w, "%s\t", p.Name())
	}
	fmt.Fprintf(w, "%s/%s\t\n", impls[0].Name(), impls[len(impls)-1].Name())
	n := bytes / 4
	s := bench.Inputs(3, n)
	for _, c := range bench.Elementwise {
		fmt.Fprintf(w, "%s\t", c.Name)
		var rates []float64
		for _, p := range impls {
			r := rate(c, p, s, n, *dur)
			rates = append(rates, r)
			fmt.Fprintf(w, "%.1f\t", r)
		}
		fmt.Fprintf(w, "%.1f×\t\n", rates[0]/rates[len(rates)-1])
	}
	w.Flush()
}

// rate runs c on p for about d and returns GB/s of memory traffic.
func rate(c bench.Case, p *kernels.Impl, s [][]float32, n int, d time.Duration) float64 {
	args := s[:c.Slices]
	c.Run(p, args) // warm up
	calls := 0
	start := time.Now()
	for time.Since(start) < d {
		for range 8 {
			c.Run(p, args)
		}
		calls += 8
	}
	return float64(c.Bytes(n)) * float64(calls) / time.Since(start).Seconds() / 1e9
}
