package kernels

import "unsafe"

// The pure-Go micro-kernels hold their tile in local accumulators, which
// pay only while the compiler keeps them in registers: 4×4 where there are
// 32 floating-point registers (arm64, riscv64, ppc64le), 3×3 where there
// are 16 (amd64, of which Go keeps X15 zero; 386, with 8, spills either
// way and was not measured). There 16 accumulators and
// the values of a step do not fit, and the compiler, which computes a
// step's products before adding any, spilled most of them; the 3×3 tile
// spills fewer and ran 1.2 to 1.6 times as fast (NN 256 and 512 and the
// MLP's products, Zen 4). genericMR, genericNR and genericMicro
// (gemm_generic_*.go) pick one per architecture.

// sgemmMicroGeneric is the 4×4 pure-Go micro-kernel: each step loads 8
// values for 16 multiply-adds.
func sgemmMicroGeneric(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr, nr int, alpha, beta float32) {
	const MR, NR = 4, 4
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	if kc > 0 {
		ap := unsafe.Slice(a, (kc-1)*as+MR)
		bp := unsafe.Slice(b, (kc-1)*bs+NR)
		for p := 0; p < kc; p++ {
			av := ap[p*as : p*as+MR : p*as+MR]
			bv := bp[p*bs : p*bs+NR : p*bs+NR]
			b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
			a0 := av[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := av[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			a2 := av[2]
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			a3 := av[3]
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
		}
	}
	tile := [MR * NR]float32{
		c00, c01, c02, c03,
		c10, c11, c12, c13,
		c20, c21, c22, c23,
		c30, c31, c32, c33,
	}
	storeTile(tile[:], NR, c, ldc, mr, nr, alpha, beta)
}

// storeTile writes alpha·t + beta·C to the mr×nr corner of the tile at c,
// t holding the tile's rows nt floats apart; beta = 0 leaves C unread.
func storeTile(t []float32, nt int, c *float32, ldc, mr, nr int, alpha, beta float32) {
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			v := alpha * t[i*nt+j]
			if beta != 0 {
				v += beta * row[j]
			}
			row[j] = v
		}
	}
}

// sgemmMicroGeneric3 is the 3×3 pure-Go micro-kernel: each step loads 6
// values for 9 multiply-adds.
func sgemmMicroGeneric3(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr, nr int, alpha, beta float32) {
	const MR, NR = 3, 3
	var t [MR * NR]float32
	if kc > 0 {
		t = sum3x3(kc, a, as, b, bs)
	}
	storeTile(t[:], NR, c, ldc, mr, nr, alpha, beta)
}

// sum3x3 is the k loop of sgemmMicroGeneric3, on its own so that alpha and
// beta do not hold two of the 15 registers: it needs 9 accumulators, 3
// values of b, one of a and a product at least.
//
//go:noinline
func sum3x3(kc int, a *float32, as int, b *float32, bs int) [9]float32 {
	const MR, NR = 3, 3
	var c00, c01, c02, c10, c11, c12, c20, c21, c22 float32
	ap := unsafe.Slice(a, (kc-1)*as+MR)
	bp := unsafe.Slice(b, (kc-1)*bs+NR)
	for p := 0; p < kc; p++ {
		av := ap[p*as : p*as+MR : p*as+MR]
		bv := bp[p*bs : p*bs+NR : p*bs+NR]
		b0, b1, b2 := bv[0], bv[1], bv[2]
		a0 := av[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		a1 := av[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a2 := av[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
	}
	return [9]float32{c00, c01, c02, c10, c11, c12, c20, c21, c22}
}
