//go:build purego || !gc || !(amd64 || arm64)

package kernels

// No path of this build has short-row kernels: every shortRows has max 0,
// and these are never called.

func (s shortRows) softmax(dst, x, stats *float32, rows, n int, scale float32) {
	panic("kernels: no short-row kernels on this path")
}

func (s shortRows) sub(dst, x, c *float32, rows, n int) {
	panic("kernels: no short-row kernels on this path")
}
