package kernels

import "unsafe"

// sgemmMicroGeneric is the pure-Go micro-kernel: a 4×4 tile held in 16
// local accumulators, which the compiler keeps in registers on amd64 and
// arm64, so each step loads 8 values for 16 multiply-adds.
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
	tile := [MR][NR]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			v := alpha * tile[i][j]
			if beta != 0 {
				v += beta * row[j]
			}
			row[j] = v
		}
	}
}
