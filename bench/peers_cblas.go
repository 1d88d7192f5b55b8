//go:build cblas

package bench

// #cgo LDFLAGS: -lopenblas
// #include <cblas.h>
// char* openblas_get_corename(void);
// void openblas_set_num_threads(int);
import "C"

import (
	"strings"
	"unsafe"
)

// OpenBLAS through its CBLAS interface (Debian: libopenblas-dev). Debian's
// 0.3.21 does not recognise recent CPUs and falls back to its SSE3
// kernels; set OPENBLAS_CORETYPE=SkylakeX (or Zen) to compare against its
// AVX-512 (or AVX2) kernels. Info reports the core it uses.
func init() {
	core := C.GoString(C.openblas_get_corename())
	p := Peer{
		Name:       "openblas",
		Sgemm:      openblasSgemm,
		SetThreads: func(n int) { C.openblas_set_num_threads(C.int(n)) },
		Info:       "OpenBLAS, core " + core,
	}
	switch strings.ToLower(core) {
	case "skylakex", "cooperlake", "sapphirerapids", "haswell", "zen":
	default:
		p.Warning = "OpenBLAS runs its " + core + " kernels, not AVX2 or AVX-512 ones: " +
			"set OPENBLAS_CORETYPE=SkylakeX (AVX-512) or Haswell (AVX2) for a fair comparison"
	}
	Peers = append(Peers, p)
}

func openblasSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if tA {
		ta = C.CblasTrans
	}
	if tB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
