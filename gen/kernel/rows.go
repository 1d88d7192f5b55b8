package kernel

// The short-row kernels work on batches of rows that fit in at most two
// vectors each (a classifier's output layer of 10 classes), one row after
// another, instead of calling a kernel per pass over each row: the row
// stays in registers from its load to its store, and its reductions
// across lanes are shuffles. Package kernels knows which paths have them,
// and for which row lengths (shortRows), and runs its per-row passes on
// the others.

// SoftmaxRowsSignature is the Go signature of SoftmaxRows: for each of
// rows rows of n elements at x (1 ≤ n ≤ 2·lanes), m = max(row),
// s = Σ exp(row − m), and, unless dst is nil, dst's row = exp(row − m)·
// (scale/s); stats[2r] = m and stats[2r+1] = s.
const SoftmaxRowsSignature = "func(dst, x, stats *float32, rows, n int, scale float32)"

// SubRowsSignature is the Go signature of SubRows: dst's row r =
// x's row r − c[r], for rows rows of n elements (1 ≤ n ≤ 2·lanes).
const SubRowsSignature = "func(dst, x, c *float32, rows, n int)"

// SoftmaxRowsBody is what SoftmaxRows computes on each vector of a row:
// e^(x − m), with m the row's maximum in every lane. In a row of numbers
// x − m is ≤ 0, so exp needs no upper clamp, and every result is that of
// the ExpSubSum kernel, which clamps both ends; in a row with a NaN the
// sum is NaN, and so is every output, whatever the other lanes computed.
func SoftmaxRowsBody() *Body {
	b := &Builder{}
	return b.Finish(expNonPositive(b, b.Sub(b.Input(0), b.Input(1))))
}
