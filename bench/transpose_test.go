package bench

import (
	"fmt"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// BenchmarkSgemmTranspose runs the four transpose combinations at n = 512
// and 1024 on every assembly path, one thread.
func BenchmarkSgemmTranspose(b *testing.B) {
	for _, p := range kernels.Impls() {
		if p.Name() == "generic" {
			continue
		}
		for _, n := range []int{512, 1024} {
			for _, tt := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				name := fmt.Sprintf("%s/%s%s/%d", p.Name(), tn(tt[0]), tn(tt[1]), n)
				s := Shape{TA: tt[0], TB: tt[1], M: n, N: n, K: n}
				b.Run(name, func(b *testing.B) {
					a, lda, bb, ldb, c, ldc := s.Operands()
					withThreads(1, func() {
						for b.Loop() {
							p.Sgemm(s.TA, s.TB, n, n, n, 1, a, lda, bb, ldb, 0, c, ldc)
						}
					})
					b.ReportMetric(s.Flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

func tn(t bool) string {
	if t {
		return "T"
	}
	return "N"
}
