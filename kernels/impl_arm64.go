//go:build !purego && gc

package kernels

import (
	"github.com/backprop-go/backprop/kernels/asm"
	"github.com/klauspost/cpuid/v2"
)

// asmBuild reports whether this build has assembly paths.
const asmBuild = true

// cpuPaths returns the assembly paths this CPU and OS can run, best first:
// NEON when the OS reports Advanced SIMD (every arm64 Linux, macOS and
// Windows system does).
func cpuPaths() []*Impl {
	if !cpuid.CPU.Supports(cpuid.ASIMD) {
		return nil
	}
	s := asm.SgemmNEON
	return []*Impl{{name: "neon", ew: asm.ElementwiseNEON,
		gm: newGemmPath(s.MR, s.NR, s.Micro, packers{
			interleave8: asm.PackInterleave8NEON, interleave4: asm.PackInterleave4NEON,
			copyA: s.CopyA, copyB: s.CopyB,
		}),
		tiles: tilesOf(s.Tiles), rows: shortRows{asm.RowsMinNEON, asm.RowsMaxNEON, rowsNEON},
		peak: s.FMAPeak, peakFlops: s.PeakFlops}}
}

func tilesOf(t asm.Tiles) tileSet {
	return tileSet{
		bias:  [...]tileFunc{t.BiasIdentity, t.BiasRelu, t.BiasLeakyRelu, t.BiasSigmoid, t.BiasTanh},
		biasZ: [...]tileFunc{t.BiasIdentityZ, t.BiasReluZ, t.BiasLeakyReluZ, t.BiasSigmoidZ, t.BiasTanhZ},
		delta: [...]tileFunc{nil, t.ReluDelta, t.LeakyReluDelta, t.SigmoidDelta, t.TanhDelta},
	}
}
