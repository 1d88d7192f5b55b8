package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/backprop-go/backprop/kernels"
)

// BenchmarkCopy is the baseline of the streaming kernels: Go's copy on the
// same sizes, 8 bytes of traffic per element.
func BenchmarkCopy(b *testing.B) {
	for _, sz := range Sizes {
		n := sz.Bytes / 4
		s := Inputs(2, n)
		b.Run(sz.Name, func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				copy(s[0], s[1])
			}
		})
	}
}

// BenchmarkElementwise runs every elementwise kernel on every path at every
// size, named kernel/path/size.
func BenchmarkElementwise(b *testing.B) {
	maxN := Sizes[len(Sizes)-1].Bytes / 4
	bufs := Inputs(3, maxN)
	for _, c := range Elementwise {
		b.Run(c.Name, func(b *testing.B) {
			for _, p := range kernels.Impls() {
				for _, sz := range Sizes {
					n := sz.Bytes / 4
					b.Run(fmt.Sprintf("%s/%s", p.Name(), sz.Name), func(b *testing.B) {
						s := make([][]float32, c.Slices)
						for j := range s {
							s[j] = bufs[j][:n]
						}
						b.SetBytes(c.Bytes(n))
						b.ReportAllocs()
						for b.Loop() {
							c.Run(p, s)
						}
					})
				}
			}
		})
	}
}

// BenchmarkStreamVsCopy measures every elementwise kernel on the assembly
// paths at 64 MiB per slice against Go's copy of the same slices, the two
// alternating call by call, so that the drift of memory bandwidth on a
// shared machine (measured here between 12 and 43 GB/s for copy within an
// hour) hits both alike. Metrics: the kernel's GB/s, copy's, and the
// kernel's as a percentage of copy's; ns/op is the time of both calls.
// Named kernel/path.
func BenchmarkStreamVsCopy(b *testing.B) {
	n := Sizes[len(Sizes)-1].Bytes / 4
	bufs := Inputs(3, n)
	for _, c := range Elementwise {
		for _, p := range kernels.Impls() {
			if p.Name() == "generic" {
				continue
			}
			b.Run(c.Name+"/"+p.Name(), func(b *testing.B) {
				s := bufs[:c.Slices]
				var tk, tc time.Duration
				for b.Loop() {
					t0 := time.Now()
					c.Run(p, s)
					t1 := time.Now()
					copy(bufs[0], bufs[1])
					tc += time.Since(t1)
					tk += t1.Sub(t0)
				}
				kernel := float64(c.Bytes(n)) * float64(b.N) / tk.Seconds() / 1e9
				cp := float64(8*n) * float64(b.N) / tc.Seconds() / 1e9
				b.ReportMetric(kernel, "GB/s")
				b.ReportMetric(cp, "copyGB/s")
				b.ReportMetric(100*kernel/cp, "%copy")
			})
		}
	}
}
