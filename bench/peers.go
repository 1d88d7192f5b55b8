package bench

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Peer is another GEMM measured side by side with ours.
type Peer struct {
	Name  string
	Sgemm func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
	// SetThreads sets its thread count, if it has one to set.
	SetThreads func(n int)
	// Info describes it (for OpenBLAS, the core type it detected).
	Info string
	// Warning, if not empty, says why a comparison with it would mislead.
	Warning string
}

// Peers lists the peers this build can run: gonum always, OpenBLAS with
// the cblas build tag.
var Peers = []Peer{{
	Name: "gonum",
	Sgemm: func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int) {
		gonum.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	},
	Info: "gonum.org/v1/gonum/blas/gonum, pure Go (it parallelizes large products on its own)",
}}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
