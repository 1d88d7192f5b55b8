package kernels

import (
	"fmt"
	"unsafe"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// op(X) being X or Xᵀ as transA and transB say: op(A) is m×k, op(B) is k×n
// and C is m×n. A is stored m×k (k×m if transA) with rows lda apart, B k×n
// (n×k if transB) with rows ldb apart, C with rows ldc apart.
//
//	for i < m, j < n: C[i*ldc+j] = alpha * Σ_p op(A)[i,p]*op(B)[p,j] + beta * C[i*ldc+j]
//
// As in BLAS, beta = 0 means C is written without being read (a NaN
// already in C does not leak through) and alpha = 0 skips the product.
// Each element is within about 2k·ε·Σ_p|A[i,p]·B[p,j]| of the exact
// result, ε = 2⁻²⁴; the order of the sums differs between paths.
//
// Bad arguments (a negative size, a leading dimension too small, a slice
// too short for its shape, C overlapping A or B) panic, naming the
// argument, before anything is written. Large products run on several
// goroutines (see SetThreads); concurrent calls are safe.
func (p *Impl) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("Sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	p.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue{})
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on the current path; see
// Impl.Sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	current.Load().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkGemm panics if the arguments of a GEMM do not describe matrices
// that fit their slices.
func checkGemm(op string, transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) {
	switch {
	case m < 0:
		panic(fmt.Sprintf("kernels: %s: m = %d < 0", op, m))
	case n < 0:
		panic(fmt.Sprintf("kernels: %s: n = %d < 0", op, n))
	case k < 0:
		panic(fmt.Sprintf("kernels: %s: k = %d < 0", op, k))
	}
	ra, ca, an := m, k, "m×k"
	if transA {
		ra, ca, an = k, m, "k×m (transA)"
	}
	rb, cb, bn := k, n, "k×n"
	if transB {
		rb, cb, bn = n, k, "n×k (transB)"
	}
	checkMatrix(op, "A", "a", "lda", an, ra, ca, a, lda)
	checkMatrix(op, "B", "b", "ldb", bn, rb, cb, b, ldb)
	checkMatrix(op, "C", "c", "ldc", "m×n", m, n, c, ldc)
	if m > 0 && n > 0 {
		cs := c[:(m-1)*ldc+n]
		if k > 0 && spansOverlap(cs, a[:(ra-1)*lda+ca]) {
			panic(fmt.Sprintf("kernels: %s: c overlaps a", op))
		}
		if k > 0 && spansOverlap(cs, b[:(rb-1)*ldb+cb]) {
			panic(fmt.Sprintf("kernels: %s: c overlaps b", op))
		}
	}
}

// checkMatrix panics unless s holds a rows×cols matrix with rows ld apart.
func checkMatrix(op, name, sname, ldname, shape string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: %s: %s = %d is less than the %d columns of %s, stored %s",
			op, ldname, ld, cols, name, shape))
	}
	if rows == 0 || cols == 0 {
		return
	}
	// (rows−1)·ld + cols ≤ len(s), written so that it cannot overflow.
	if len(s) < cols || rows > 1 && ld > (len(s)-cols)/(rows-1) {
		need := float64(rows-1)*float64(ld) + float64(cols)
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, but %s (%d×%d, %s = %d) needs %.0f",
			op, sname, len(s), name, rows, cols, ldname, ld, need))
	}
}

// spansOverlap reports whether a and b share any memory.
func spansOverlap(a, b []float32) bool {
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}
