package bench

import (
	"fmt"
	"testing"

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
