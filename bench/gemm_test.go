package bench

import (
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

func BenchmarkSgemm(b *testing.B) {
	shapes := append(Square(), MLPShapes()...)
	for _, p := range kernels.Impls() {
		for _, s := range shapes {
			if p.Name() == "generic" && s.Flops() > 3e8 {
				continue
			}
			b.Run(p.Name()+"/"+s.Name, func(b *testing.B) {
				a, lda, bb, ldb, c, ldc := s.Operands()
				b.ReportAllocs()
				for b.Loop() {
					p.Sgemm(s.TA, s.TB, s.M, s.N, s.K, 1, a, lda, bb, ldb, 0, c, ldc)
				}
				b.ReportMetric(s.Flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
