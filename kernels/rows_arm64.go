//go:build !purego && gc

package kernels

import "github.com/backprop-go/backprop/kernels/asm"

// softmax runs the path's SoftmaxRows: for each of rows rows of n elements
// (s.takes(n)) at x, stats[2r] = max, stats[2r+1] = Σ exp(row − max), and,
// unless dst is nil, dst's row = exp(row − max)·(scale/Σ).
func (s shortRows) softmax(dst, x, stats *float32, rows, n int, scale float32) {
	if s.kind != rowsNEON {
		panic("kernels: no short-row kernels on this path")
	}
	asm.SoftmaxRowsNEON(dst, x, stats, rows, n, scale)
}

// sub runs the path's SubRows: dst's row r = x's row r − c[r].
func (s shortRows) sub(dst, x, c *float32, rows, n int) {
	if s.kind != rowsNEON {
		panic("kernels: no short-row kernels on this path")
	}
	asm.SubRowsNEON(dst, x, c, rows, n)
}
