package kernels

import (
	"sync"
	"time"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// The GEMM of every path has the structure of Goto's algorithm as BLIS
// writes it: five loops around a micro-kernel that computes an MR×NR tile
// of C from an MR-row panel of A and an NR-column panel of B, both packed
// so that the micro-kernel reads them contiguously.
//
//	for jc over n, NC at a time:
//	  for pc over k, KC at a time:       pack B[pc:pc+KC, jc:jc+NC] in NR-column panels (L3)
//	    for ic over m, MC at a time:     pack A[ic:ic+MC, pc:pc+KC] in MR-row panels (L2)
//	      for jr over NC, NR at a time:  one B panel (L1)
//	        for ir over MC, MR at a time: micro-kernel
//
// Packing absorbs the transposes: the micro-kernel never knows whether A
// or B was transposed. Partial panels are padded with zeros; the
// micro-kernel computes whole tiles and writes only the valid corner of C.
// A product with few rows reads the whole panels of an untransposed B
// where they lie instead (see bInPlace).

// gemmPath is one path's GEMM: its micro-kernel and cache blocking.
type gemmPath struct {
	mr, nr     int
	micro      func(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr, nr int, alpha, beta float32)
	pk         packers
	kc, mc, nc int

	// narrow, if not nil, is micro for tiles of at most nr/2 columns; it
	// reads the first nr/2 floats of each step of a B panel. A product
	// whose last panel is that narrow (10 classes, with NR = 32) would
	// otherwise spend most of that panel's FMAs on zeros.
	narrow func(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr, nr int, alpha, beta float32)

	// microRows and narrowRows, if not nil, are micro and narrow reading A
	// in place from its rows: a is the tile's row 0 at the first step, as
	// the distance between rows, and all mr rows must exist (see
	// aInPlace).
	microRows, narrowRows func(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr, nr int, alpha, beta float32)

	// free holds packing buffers no product is using. Unlike a sync.Pool
	// it is never emptied by the garbage collector: buffers of a few MiB
	// would otherwise be allocated and cleared again after every GC. It
	// holds as many as products have run at once on this path.
	mu   sync.Mutex
	free []*gemmWork
}

// gemmWork holds one goroutine's packing buffers, 64-byte aligned.
type gemmWork struct {
	a, b []float32
}

// newGemmPath sizes the blocking of an mr×nr micro-kernel from the L2 size
// cpuid reports (1 MiB when it reports none). KC is long, so that a tile of
// C is loaded and stored once per KC steps: the KC×NR panel of B takes a
// sixteenth of L2 and is read from there, which measured as fast as
// keeping it in L1 with a KC a quarter as long, and the MC×KC block of A a
// quarter. NC makes a KC×NC block of B about 4 MiB. On Zen 4 (1 MiB L2)
// this gives KC = 512 and MC = 120 for the AVX-512 12×32 kernel; a sweep
// of KC from 128 to 1024 and MC from 96 to 1020 found nothing faster.
func newGemmPath(mr, nr int, micro func(int, *float32, int, *float32, int, *float32, int, int, int, float32, float32), pk packers) *gemmPath {
	l2 := cpuid.CPU.Cache.L2
	if l2 <= 0 {
		l2 = 1 << 20
	}
	g := &gemmPath{mr: mr, nr: nr, micro: micro, pk: pk}
	g.kc = clamp(l2/16/(4*nr), 128, 1024) &^ 7
	g.mc = max(clamp(l2/4/(4*g.kc), mr, 4096)/mr*mr, mr)
	g.nc = max(clamp((4<<20)/(4*g.kc), nr, 8192)/nr*nr, nr)
	return g
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

func (g *gemmPath) getWork() *gemmWork {
	g.mu.Lock()
	if n := len(g.free); n > 0 {
		w := g.free[n-1]
		g.free = g.free[:n-1]
		g.mu.Unlock()
		return w
	}
	g.mu.Unlock()
	return &gemmWork{
		a: alignedFloats(g.mc * g.kc),
		b: alignedFloats(g.kc * g.nc),
	}
}

func (g *gemmPath) putWork(w *gemmWork) {
	g.mu.Lock()
	g.free = append(g.free, w)
	g.mu.Unlock()
}

// alignedFloats returns n float32 starting on a 64-byte boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(s)))&63) / 4
	return s[off : off+n : off+n]
}

// gemmArgs are the checked arguments of one GEMM.
type gemmArgs struct {
	p           *Impl
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	a, b, c     []float32
	lda, ldb    int
	ldc         int
	ep          epilogue // none when ep.fn is nil
}

// gemm runs C = alpha·op(A)·op(B) + beta·C on checked arguments, then ep
// (unless ep.fn is nil) on every tile of C once its sum is complete. ep is
// passed by value so that nothing of the call escapes to the heap.
func (p *Impl) gemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep epilogue) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		p.scaleRows(c, m, n, ldc, beta)
		if ep.fn != nil {
			ep.applyAll(p.gm.nr, c, ldc, m, n)
		}
		return
	}
	args := gemmArgs{p: p, tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, ep: ep}
	if t := p.gm.threadsFor(m, n, k); t > 1 {
		parallelGemm(&args, t)
		return
	}
	p.gm.block(&args, 0, m, 0, n)
}

// block computes the rows [i0, i1) and columns [j0, j1) of C.
func (g *gemmPath) block(x *gemmArgs, i0, i1, j0, j1 int) {
	w := g.getWork()
	defer g.putWork(w)
	c, ldc := x.c, x.ldc
	bIn, aIn := g.bInPlace(x, i1-i0), g.aInPlace(x, j1-j0)
	aRows := aIn && !x.tA
	for jc := j0; jc < j1; jc += g.nc {
		nc := min(g.nc, j1-jc)
		// With B read in place, its whole panels come straight from b and
		// only the last, partial one is packed (at the start of w.b).
		nfull := 0
		if bIn {
			nfull = nc / g.nr * g.nr
		}
		for pc := 0; pc < x.k; pc += g.kc {
			kc := min(g.kc, x.k-pc)
			bet := x.beta
			if pc > 0 {
				bet = 1
			}
			last := pc+kc == x.k
			if nfull < nc {
				g.packB(w.b, x.b, x.ldb, x.tB, pc, jc+nfull, kc, nc-nfull)
			}
			for ic := i0; ic < i1; ic += g.mc {
				mc := min(g.mc, i1-ic)
				// The same for A: whole panels in place, the last packed.
				mfull := 0
				if aIn {
					mfull = mc / g.mr * g.mr
				}
				if mfull < mc {
					g.packA(w.a, x.a, x.lda, x.tA, ic+mfull, pc, mc-mfull, kc)
				}
				for jr := 0; jr < nc; jr += g.nr {
					nr := min(g.nr, nc-jr)
					micro, microRows := g.micro, g.microRows
					if 2*nr <= g.nr && g.narrow != nil {
						micro, microRows = g.narrow, g.narrowRows
					}
					var bp *float32
					bs := g.nr
					if jr < nfull {
						bp, bs = &x.b[pc*x.ldb+jc+jr], x.ldb
					} else {
						bp = &w.b[(jr-nfull)*kc]
					}
					for ir := 0; ir < mc; ir += g.mr {
						mr := min(g.mr, mc-ir)
						var ap *float32
						as, mk := g.mr, micro
						switch {
						case ir >= mfull:
							ap = &w.a[(ir-mfull)*kc]
						case aRows:
							ap, as, mk = &x.a[(ic+ir)*x.lda+pc], x.lda, microRows
						default:
							ap, as = &x.a[pc*x.lda+ic+ir], x.lda
						}
						mk(kc, ap, as, bp, bs, &c[(ic+ir)*ldc+jc+jr], ldc, mr, nr, x.alpha, bet)
						if last && x.ep.fn != nil {
							x.ep.apply(c, ldc, ic+ir, jc+jr, mr, nr)
						}
					}
				}
			}
		}
	}
}

// Reading B in place. The micro-kernel takes the distance between the
// steps of k of each operand, so when B is not transposed (the NR values
// of a step of op(B) are contiguous in a row of B) it can read a whole
// panel of B where it lies; the last, partial panel is still packed, since
// the micro-kernel reads whole ones.
//
// Packing pays when a packed panel is read many times, once per MR rows of
// C. A small batch's forward product has few: packing the weights then
// costs a quarter of the product, and reading them in place made the
// products of a step at batch 32 and 64 1.1 to 1.2 times as fast, at 128
// about 1.05 times, and larger ones no faster or slower
// (BenchmarkSgemmDirect, Zen 4).
var directMaxM = 128

// bInPlace reports whether block reads B in place for a part of C of m
// rows.
func (g *gemmPath) bInPlace(x *gemmArgs, m int) bool {
	return !x.tB && m <= directMaxM
}

// Reading A in place is the same trick for A. A packed panel of A is read
// once per NR columns of C, so when C is at most one panel wide (the
// products of an output layer of 10 classes) packing A only copies it.
// A transposed A (the MR values of a step of op(A) contiguous in a row of
// A) is read by the ordinary micro-kernel with A's row length as the
// step: that made the weight gradients of such a layer 1.2 to 1.4 times
// as fast at batch 32 to 512, while wider ones with a short k (784×256×32)
// lost up to a quarter (BenchmarkSgemmDirect, Zen 4). An untransposed A
// (the forward product X·W) is read by the micro-kernels that take A by
// rows, where the path has them; its last, partial panel is packed, as
// those kernels read all MR rows.
var directMaxN = -1 // -1: at most one panel, NR columns

// aInPlace reports whether block reads A in place for a part of C of n
// columns.
func (g *gemmPath) aInPlace(x *gemmArgs, n int) bool {
	if !x.tA && (g.microRows == nil || g.narrow != nil && g.narrowRows == nil) {
		return false
	}
	if directMaxN < 0 {
		return n <= g.nr
	}
	return n <= directMaxN
}

// scaleRows sets C = beta·C (C = 0 when beta is 0, whatever C held).
func (p *Impl) scaleRows(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			p.Scale(beta, row)
		}
	}
}

// packA packs the mc×kc block of op(A) at (i0, p0) into MR-row panels: panel
// r holds, for each step p, the MR values op(A)[i0+r·MR … +MR, p0+p], rows
// past mc being zero.
func (g *gemmPath) packA(dst, a []float32, lda int, tA bool, i0, p0, mc, kc int) {
	mr := g.mr
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if tA {
			// op(A)[i, p] = a[p·lda + i]: each step's values are contiguous.
			copyRows(g.pk.copyA, panel, mr, a[p0*lda+i0+ir:], lda, kc, rows)
		} else {
			// op(A)[i, p] = a[i·lda + p]: a transpose.
			g.pk.interleave(panel, mr, a[(i0+ir)*lda+p0:], lda, rows, kc)
		}
	}
}

// packB packs the kc×nc block of op(B) at (p0, j0) into NR-column panels:
// panel j holds, for each step p, the NR values op(B)[p0+p, j0+j·NR … +NR],
// columns past nc being zero.
func (g *gemmPath) packB(dst, b []float32, ldb int, tB bool, p0, j0, kc, nc int) {
	nr := g.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !tB {
			copyRows(g.pk.copyB, panel, nr, b[p0*ldb+j0+jr:], ldb, kc, cols)
		} else {
			g.pk.interleave(panel, nr, b[(j0+jr)*ldb+p0:], ldb, cols, kc)
		}
	}
}

// packers are the packing kernels of a path; nil ones fall back to Go.
type packers struct {
	// interleave8 and interleave4 set dst[p·w + r] = src[r·ld + p] for
	// r < 8 (or 4) and p < cols, cols a multiple of 8 (or 4).
	interleave8, interleave4 func(dst *float32, w int, src *float32, ld int, cols int)
	// copyA and copyB set dst[p·W : p·W+W] to src[p·ld : p·ld+cols] and
	// zeros, W being MR (for A) or NR (for B).
	copyA, copyB func(dst *float32, src *float32, ld int, rows, cols int)
}

// interleave sets dst[p·w + r] = src[r·ld + p] for r < rows and p < cols,
// and dst[p·w + r] = 0 for rows ≤ r < w: rows of src become the
// interleaved columns of dst.
func (pk *packers) interleave(dst []float32, w int, src []float32, ld, rows, cols int) {
	r := 0
	scalar := func(r0, r1, p0 int) {
		for r := r0; r < r1; r++ {
			row := src[r*ld : r*ld+cols]
			for p := p0; p < cols; p++ {
				dst[p*w+r] = row[p]
			}
		}
	}
	if c8 := cols &^ 7; pk.interleave8 != nil && c8 > 0 {
		for ; r+8 <= rows; r += 8 {
			pk.interleave8(&dst[r], w, &src[r*ld], ld, c8)
			scalar(r, r+8, c8)
		}
	}
	if c4 := cols &^ 3; pk.interleave4 != nil && c4 > 0 && r+4 <= rows {
		pk.interleave4(&dst[r], w, &src[r*ld], ld, c4)
		scalar(r, r+4, c4)
		r += 4
	}
	scalar(r, rows, 0)
	if rows < w {
		for p := 0; p < cols; p++ {
			clear(dst[p*w+rows : p*w+w])
		}
	}
}

// copyRows sets dst[p·w : p·w+w] to src[p·ld : p·ld+cols] followed by
// zeros, for p < rows, with the kernel k for width w if there is one.
func copyRows(k func(dst *float32, src *float32, ld int, rows, cols int),
	dst []float32, w int, src []float32, ld, rows, cols int) {
	if rows == 0 {
		return
	}
	if k != nil {
		_ = src[(rows-1)*ld+cols-1] // the kernel reads no further
		_ = dst[rows*w-1]
		k(&dst[0], &src[0], ld, rows, cols)
		return
	}
	for p := 0; p < rows; p++ {
		d := dst[p*w : p*w+w]
		copy(d, src[p*ld:p*ld+cols])
		clear(d[cols:])
	}
}

// MeasurePeak runs the FMA-throughput kernel of path p, independent FMAs on
// registers, for about d and returns the rate in GFLOP/s: the ceiling its
// GEMM is measured against. ok is false for paths without one.
func MeasurePeak(p *Impl, d time.Duration) (gflops float64, ok bool) {
	if p.peak == nil {
		return 0, false
	}
	const iters = 1 << 16
	p.peak(iters) // warm up: the clock ramps, the AVX-512 units power on
	var n int
	start := time.Now()
	for time.Since(start) < d {
		p.peak(iters)
		n++
	}
	return float64(n) * iters * float64(p.peakFlops) / time.Since(start).Seconds() / 1e9, true
}
