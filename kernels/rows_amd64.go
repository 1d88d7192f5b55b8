//go:build !purego && gc

package kernels

import "github.com/backprop-go/backprop/kernels/asm"

// softmax runs the path's SoftmaxRows: for each of rows rows of n ≤ s.max
// elements at x, stats[2r] = max, stats[2r+1] = Σ exp(row − max), and,
// unless dst is nil, dst's row = exp(row − max)·(scale/Σ).
func (s shortRows) softmax(dst, x, stats *float32, rows, n int, scale float32) {
	switch s.kind {
	case rowsAVX512:
		asm.SoftmaxRowsAVX512(dst, x, stats, rows, n, scale)
	case rowsAVX2:
		asm.SoftmaxRowsAVX2(dst, x, stats, rows, n, scale)
	default:
		panic("kernels: no short-row kernels on this path")
	}
}

// sub runs the path's SubRows: dst's row r = x's row r − c[r].
func (s shortRows) sub(dst, x, c *float32, rows, n int) {
	switch s.kind {
	case rowsAVX512:
		asm.SubRowsAVX512(dst, x, c, rows, n)
	case rowsAVX2:
		asm.SubRowsAVX2(dst, x, c, rows, n)
	default:
		panic("kernels: no short-row kernels on this path")
	}
}
