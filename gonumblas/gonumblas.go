// Package gonumblas runs gonum's float32 BLAS on backprop's kernels.
//
// Implementation satisfies gonum's blas.Float32. Handing it to blas32.Use
// makes blas32.Gemm, blas32.Dot, blas32.Axpy and blas32.Scal, and every
// other caller of the blas32 package, run on the kernels of this module:
//
//	import (
//		"gonum.org/v1/gonum/blas/blas32"
//
//		"github.com/backprop-go/backprop/gonumblas"
//	)
//
//	blas32.Use(gonumblas.Implementation{})
//
// and blas32.Use(gonum.Implementation{}) (gonum.org/v1/gonum/blas/gonum)
// goes back to gonum's own code. gonum's mat package is float64 and does
// not use blas32.
//
// Sgemm, and Saxpy, Sdot and Sscal on unit strides, run on the kernels;
// every other routine, and every call these cannot take as it is, is
// gonum's own code. A bad argument panics with gonum's message, before
// anything is written: the arguments are checked as gonum checks them, and
// any call that fails a check is handed to gonum, which panics.
//
// Results agree with gonum's within the error bounds of the kernels (the
// order of the sums differs), except where an input is Inf or NaN: gonum's
// Sgemm skips the terms whose scaled A element is zero, so 0·Inf adds
// nothing there while it gives NaN here; and with alpha = 0 it still forms
// alpha·A·B, so an Inf or NaN in A or B reaches C, while here, as in the
// reference BLAS, alpha = 0 leaves A and B unread.
package gonumblas

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/backprop-go/backprop/kernels"
)

// Implementation is gonum's pure-Go BLAS with the routines that backprop's
// kernels do faster replaced. Its zero value runs on the current path of
// the kernels package (kernels.Current, read at each call).
type Implementation struct {
	gonum.Implementation

	// Path is the kernel path to run on; nil means kernels.Current().
	Path *kernels.Impl
}

var _ blas.Float32 = Implementation{}

// path returns the kernel path of this call.
func (impl Implementation) path() *kernels.Impl {
	if impl.Path != nil {
		return impl.Path
	}
	return kernels.Current()
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, op(X) being X or Xᵀ as
// tA and tB say (blas.ConjTrans is blas.Trans for real matrices), with
// kernels.Sgemm. As in BLAS, beta = 0 writes C without reading it.
//
// A call that gonum would reject, or whose C overlaps A or B (which the
// kernels refuse and gonum computes in its own way), is handed to gonum's
// Sgemm.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, okA := transpose(tA)
	transB, okB := transpose(tB)
	if !okA || !okB || !gemmValid(transA, transB, m, n, k, a, lda, b, ldb, c, ldc) ||
		gemmOverlaps(transA, transB, m, n, k, a, lda, b, ldb, c, ldc) {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}

	// gonum returns here before it looks at the lengths of the slices; the
	// kernels would still check A or B against m×k or k×n.
	if m == 0 || n == 0 {
		return
	}
	impl.path().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// transpose maps a blas.Transpose to the kernels' flag; ok is false for a
// value gonum rejects.
func transpose(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}

// gemmValid reports whether gonum's Sgemm accepts these arguments. It asks
// what gonum asks, in exact arithmetic: sizes not negative, leading
// dimensions at least the row length (and 1), and, unless m or n is 0,
// slices long enough for their shapes. gonum computes the needed lengths
// in int, which can wrap for a huge leading dimension; gemmValid cannot
// wrap, so it may refuse a call gonum accepts, never the other way round.
func gemmValid(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) bool {
	if m < 0 || n < 0 || k < 0 {
		return false
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	if lda < max(1, ca) || ldb < max(1, cb) || ldc < max(1, n) {
		return false
	}
	if m == 0 || n == 0 {
		return true
	}
	return fits(len(a), ra, ca, lda) && fits(len(b), rb, cb, ldb) && fits(len(c), m, n, ldc)
}

// fits reports whether a slice of length size holds (rows−1)·ld + cols
// elements, the test gonum makes; ld ≥ max(1, cols). With no rows the
// need is negative and always met; with no columns it is not zero.
func fits(size, rows, cols, ld int) bool {
	if rows == 0 {
		return true
	}
	return cols <= size && rows-1 <= (size-cols)/ld
}

// gemmOverlaps reports whether C shares memory with A or B, which the
// kernels refuse (they check it, as here, only when m, n and k are
// positive). The arguments must have passed gemmValid.
func gemmOverlaps(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) bool {
	if m == 0 || n == 0 || k == 0 {
		return false
	}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	cs := c[:(m-1)*ldc+n]
	return overlap(cs, a[:(ra-1)*lda+ca]) || overlap(cs, b[:(rb-1)*ldb+cb])
}

// overlap reports whether the non-empty slices x and y share memory.
func overlap(x, y []float32) bool {
	px := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	py := uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	return px < py+uintptr(len(y))*4 && py < px+uintptr(len(x))*4
}

// Saxpy adds alpha·x to y, n elements incX and incY apart, with
// kernels.Axpy when both strides are 1.
//
// Other strides, alpha = 0 (which gonum returns on without reading x),
// x and y overlapping without being the same elements, and bad arguments
// are gonum's.
func (impl Implementation) Saxpy(n int, alpha float32, x []float32, incX int,
	y []float32, incY int) {
	if incX != 1 || incY != 1 || n <= 0 || alpha == 0 || len(x) < n || len(y) < n {
		impl.Implementation.Saxpy(n, alpha, x, incX, y, incY)
		return
	}
	xs, ys := x[:n], y[:n]
	if unsafe.SliceData(xs) != unsafe.SliceData(ys) && overlap(xs, ys) {
		impl.Implementation.Saxpy(n, alpha, x, incX, y, incY)
		return
	}
	impl.path().Axpy(alpha, xs, ys)
}

// Sdot returns the inner product of n elements of x and y, incX and incY
// apart, with kernels.Dot when both strides are 1. The order of the sum is
// not gonum's (see kernels.Dot for the error bound).
//
// Other strides, n = 0 and bad arguments are gonum's.
func (impl Implementation) Sdot(n int, x []float32, incX int, y []float32, incY int) float32 {
	if incX != 1 || incY != 1 || n <= 0 || len(x) < n || len(y) < n {
		return impl.Implementation.Sdot(n, x, incX, y, incY)
	}
	return impl.path().Dot(x[:n], y[:n])
}

// Sscal multiplies n elements of x, incX apart, by alpha, with
// kernels.Scale when the stride is 1.
//
// Other strides, alpha = 0 (which gonum answers with zeros, where 0·NaN
// would be NaN) and bad arguments are gonum's.
func (impl Implementation) Sscal(n int, alpha float32, x []float32, incX int) {
	if incX != 1 || n <= 0 || alpha == 0 || len(x) < n {
		impl.Implementation.Sscal(n, alpha, x, incX)
		return
	}
	impl.path().Scale(alpha, x[:n])
}
