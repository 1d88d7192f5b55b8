package kernel

// The signatures of the GEMM functions every backend emits, in one place
// so that the Go declarations of all paths agree.

// MicroSignature is the Go signature of every micro-kernel: kc steps of
// a (MR floats per step, as floats apart) times b (NR floats per step, bs
// floats apart), into the mr×nr corner of the tile at c.
const MicroSignature = "func(kc int, a *float32, as int, b *float32, bs int, c *float32, ldc int, mr int, nr int, alpha float32, beta float32)"

// InterleaveSignature is the signature of the transposing packers: for
// p < cols (a multiple of R), dst[p·w + r] = src[r·ld + p] for the R rows r.
const InterleaveSignature = "func(dst *float32, w int, src *float32, ld int, cols int)"

// CopySignature is the signature of the copying packers of slot width W:
// for p < rows, dst[p·W : p·W+W] = src[p·ld : p·ld+cols] followed by
// W − cols zeros.
const CopySignature = "func(dst *float32, src *float32, ld int, rows int, cols int)"
