//go:build !purego && gc

package kernels

import (
	"github.com/backprop-go/backprop/kernels/asm"
	"github.com/klauspost/cpuid/v2"
)

// asmBuild reports whether this build has assembly paths.
const asmBuild = true

// cpuPaths returns the assembly paths this CPU and OS can run, best first.
// cpuid reports a feature only when the OS also saves its registers.
func cpuPaths() []*Impl {
	var out []*Impl
	c := cpuid.CPU
	if c.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL,
		cpuid.AVX2, cpuid.FMA3) {
		out = append(out, &Impl{name: "avx512", ew: asm.ElementwiseAVX512, gm: gemmOf(asm.SgemmAVX512), tiles: tilesOf(asm.SgemmAVX512.Tiles), rows: shortRows{1, asm.RowsMaxAVX512, rowsAVX512},
			peak: asm.SgemmAVX512.FMAPeak, peakFlops: asm.SgemmAVX512.PeakFlops})
	}
	if c.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3) {
		out = append(out, &Impl{name: "avx2", ew: asm.ElementwiseAVX2, gm: gemmOf(asm.SgemmAVX2), tiles: tilesOf(asm.SgemmAVX2.Tiles), rows: shortRows{1, asm.RowsMaxAVX2, rowsAVX2},
			peak: asm.SgemmAVX2.FMAPeak, peakFlops: asm.SgemmAVX2.PeakFlops})
	}
	return out
}

func gemmOf(s asm.Sgemm) *gemmPath {
	g := newGemmPath(s.MR, s.NR, s.Micro, packers{
		interleave8: asm.PackInterleave8, interleave4: asm.PackInterleave4,
		copyA: s.CopyA, copyB: s.CopyB,
	})
	g.narrow = s.Narrow
	g.microRows, g.narrowRows = s.MicroRows, s.NarrowRows
	return g
}

func tilesOf(t asm.Tiles) tileSet {
	return tileSet{
		bias:  [...]tileFunc{t.BiasIdentity, t.BiasRelu, t.BiasLeakyRelu, t.BiasSigmoid, t.BiasTanh},
		biasZ: [...]tileFunc{t.BiasIdentityZ, t.BiasReluZ, t.BiasLeakyReluZ, t.BiasSigmoidZ, t.BiasTanhZ},
		delta: [...]tileFunc{nil, t.ReluDelta, t.LeakyReluDelta, t.SigmoidDelta, t.TanhDelta},
	}
}
