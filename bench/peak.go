package bench

import (
	"time"

	"github.com/backprop-go/backprop/kernels"
)

// Peak measures the FMA peak of one core on path p in GFLOP/s, running
// its generated FMA-throughput kernel for about d; ok is false when the
// path has none (the generic one).
func Peak(p *kernels.Impl, d time.Duration) (gflops float64, ok bool) {
	return kernels.MeasurePeak(p, d)
}
