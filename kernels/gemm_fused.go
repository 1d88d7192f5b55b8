package kernels

import (
	"fmt"
	"unsafe"
)

// The fused forms of backpropagation are SgemmBiasAct (the forward pass of
// a layer) and SgemmDelta (the δ of the layer below). The weight gradient
// needs no form of its own: it is Sgemm with op(A) = inᵀ, alpha and beta
// (beta = 1 accumulates over batches). The bias gradient, the column sums
// of δ, is SumRows, one pass over δ: in a profile of the MNIST training
// step (BenchmarkTrainStep, batch 32 and 128) it took under 0.5% of the
// time, so folding it into the packing of δ would not pay for the code.

// ActivationKind names an activation function of the fused GEMM forms.
type ActivationKind int

const (
	ActIdentity  ActivationKind = iota // z
	ActReLU                            // max(z, 0), as ReLU
	ActLeakyReLU                       // z, or Alpha·z where z < 0, as LeakyReLU
	ActSigmoid                         // 1/(1+e^−z), as Sigmoid
	ActTanh                            // tanh(z), as Tanh
)

var actNames = [...]string{"identity", "relu", "leakyrelu", "sigmoid", "tanh"}

func (k ActivationKind) String() string {
	if k < 0 || int(k) >= len(actNames) {
		return fmt.Sprintf("ActivationKind(%d)", int(k))
	}
	return actNames[k]
}

// Activation is an activation function: its kind and, for LeakyReLU, the
// slope of its negative side.
type Activation struct {
	Kind  ActivationKind
	Alpha float32
}

func (a Activation) valid() bool { return a.Kind >= ActIdentity && a.Kind <= ActTanh }

// tileFunc is a tile epilogue: see asm.Tiles.
type tileFunc = func(c *float32, ldc int, bias *float32, x *float32, ldx int, mr, nr int, alpha float32)

// epilogue is applied to each tile of C once the tile's sum is complete.
type epilogue struct {
	fn    tileFunc
	bias  []float32 // per column, or nil
	x     []float32 // the cached or pre-activation matrix, or nil
	ldx   int
	alpha float32
}

// apply runs the epilogue on the mr×nr tile of C at (i0, j0), nr at most
// the path's NR.
func (e *epilogue) apply(c []float32, ldc, i0, j0, mr, nr int) {
	cp := &c[i0*ldc+j0]
	bp, xp := cp, cp // never read when the kernel does not use them
	if e.bias != nil {
		bp = &e.bias[j0]
	}
	if e.x != nil {
		xp = &e.x[i0*e.ldx+j0]
	}
	e.fn(cp, ldc, bp, xp, e.ldx, mr, nr, e.alpha)
}

// applyAll runs the epilogue on the whole m×n matrix C, a tile of NR
// columns at a time.
func (e *epilogue) applyAll(nrMax int, c []float32, ldc, m, n int) {
	for j := 0; j < n; j += nrMax {
		e.apply(c, ldc, 0, j, m, min(nrMax, n-j))
	}
}

// SgemmBiasAct computes the forward pass of a dense layer in one pass over
// C: C = act(op(A)·op(B) + bias), bias being added to every row. If z is
// not nil it also stores the pre-activation Z = op(A)·op(B) + bias (m×n,
// rows ldz apart), which the backward pass of ReLU and LeakyReLU needs.
// Sigmoid and Tanh need only their output, C.
//
//	for i < m, j < n: z := Σ_p op(A)[i,p]*op(B)[p,j] + bias[j]; Z[i,j] = z; C[i,j] = act(z)
//
// The activation is applied to each tile of C as soon as its sum is
// complete, while it is in cache: every element is computed exactly as
// Sgemm, AddBias and the activation's own kernel would compute it. Arguments
// are checked as by Sgemm; bias must hold n values and Z must not overlap
// A, B, C or bias.
func (p *Impl) SgemmBiasAct(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, bias []float32, act Activation, z []float32, ldz int, c []float32, ldc int) {
	const op = "SgemmBiasAct"
	checkGemm(op, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if len(bias) < n {
		panic(fmt.Sprintf("kernels: %s: len(bias) = %d < n = %d", op, len(bias), n))
	}
	if !act.valid() {
		panic(fmt.Sprintf("kernels: %s: unknown activation %v", op, act.Kind))
	}
	t := p.tiles.bias[act.Kind]
	if z != nil {
		checkMatrix(op, "Z", "z", "ldz", "m×n", m, n, z, ldz)
		checkDisjoint(op, "z", z, ldz, m, n, "c", c, ldc, m, n)
		checkDisjoint(op, "z", z, ldz, m, n, "bias", bias, n, 1, n)
		checkDisjointOperands(op, "z", z, ldz, m, n, transA, transB, k, a, lda, b, ldb)
		t = p.tiles.biasZ[act.Kind]
	}
	checkDisjoint(op, "c", c, ldc, m, n, "bias", bias, n, 1, n)
	ep := epilogue{fn: t, bias: bias, x: z, ldx: ldz, alpha: act.Alpha}
	p.gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, ep)
}

// SgemmDelta computes the delta of backpropagation through an activation
// in one pass over C: C = (op(A)·op(B)) ⊙ σ'(X), X (m×n, rows ldx apart)
// holding what the forward pass kept: the pre-activation z for ReLU and
// LeakyReLU, the output a for Sigmoid and Tanh, as the delta kernels take
// them. For the identity, X is not read and this is Sgemm with alpha 1 and
// beta 0.
//
//	for i < m, j < n: C[i,j] = delta(Σ_p op(A)[i,p]*op(B)[p,j], X[i,j])
//
// Each element is computed exactly as Sgemm and the delta kernel of the
// activation would. X must not overlap C.
func (p *Impl) SgemmDelta(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, act Activation, x []float32, ldx int, c []float32, ldc int) {
	const op = "SgemmDelta"
	checkGemm(op, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if !act.valid() {
		panic(fmt.Sprintf("kernels: %s: unknown activation %v", op, act.Kind))
	}
	if act.Kind == ActIdentity {
		p.gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, epilogue{})
		return
	}
	checkMatrix(op, "X", "x", "ldx", "m×n", m, n, x, ldx)
	checkDisjoint(op, "x", x, ldx, m, n, "c", c, ldc, m, n)
	ep := epilogue{fn: p.tiles.delta[act.Kind], x: x, ldx: ldx, alpha: act.Alpha}
	p.gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, ep)
}

// SgemmBiasAct computes C = act(op(A)·op(B) + bias) on the current path;
// see Impl.SgemmBiasAct.
func SgemmBiasAct(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, bias []float32, act Activation, z []float32, ldz int, c []float32, ldc int) {
	current.Load().SgemmBiasAct(transA, transB, m, n, k, a, lda, b, ldb, bias, act, z, ldz, c, ldc)
}

// SgemmDelta computes C = (op(A)·op(B)) ⊙ σ'(X) on the current path; see
// Impl.SgemmDelta.
func SgemmDelta(transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, act Activation, x []float32, ldx int, c []float32, ldc int) {
	current.Load().SgemmDelta(transA, transB, m, n, k, a, lda, b, ldb, act, x, ldx, c, ldc)
}

// span returns the memory of a rows×cols matrix with rows ld apart.
func span(s []float32, ld, rows, cols int) []float32 {
	if rows == 0 || cols == 0 {
		return nil
	}
	return s[:(rows-1)*ld+cols]
}

// checkDisjoint panics if two checked matrices share memory.
func checkDisjoint(op, an string, a []float32, lda, ra, ca int, bn string, b []float32, ldb, rb, cb int) {
	if spansOverlap(span(a, lda, ra, ca), span(b, ldb, rb, cb)) {
		panic(fmt.Sprintf("kernels: %s: %s overlaps %s", op, an, bn))
	}
}

// checkDisjointOperands panics if x (m×n) shares memory with A or B.
func checkDisjointOperands(op, xn string, x []float32, ldx, m, n int, tA, tB bool, k int,
	a []float32, lda int, b []float32, ldb int) {
	ra, ca := m, k
	if tA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB {
		rb, cb = n, k
	}
	checkDisjoint(op, xn, x, ldx, m, n, "a", a, lda, ra, ca)
	checkDisjoint(op, xn, x, ldx, m, n, "b", b, ldb, rb, cb)
}

// tileSet is a path's tile epilogues, indexed by activation.
type tileSet struct {
	bias, biasZ, delta [ActTanh + 1]tileFunc
}

// genericTiles are the pure-Go tile epilogues: each element goes through
// the same function as the generic elementwise kernels.
var genericTiles = func() tileSet {
	acts := [ActTanh + 1]func(z, alpha float32) float32{
		func(z, _ float32) float32 { return z },
		func(z, _ float32) float32 {
			if z < 0 {
				return 0
			}
			return z
		},
		func(z, alpha float32) float32 {
			if z < 0 {
				return alpha * z
			}
			return z
		},
		func(z, _ float32) float32 { return sigmoid32(z) },
		func(z, _ float32) float32 { return tanh32(z) },
	}
	deltas := [ActTanh + 1]func(dst, g, z *float32, n int, alpha float32){
		nil,
		func(dst, g, z *float32, n int, _ float32) { reluDeltaGeneric(dst, g, z, n) },
		leakyReluDeltaGeneric,
		func(dst, g, a *float32, n int, _ float32) { sigmoidDeltaGeneric(dst, g, a, n) },
		func(dst, g, a *float32, n int, _ float32) { tanhDeltaGeneric(dst, g, a, n) },
	}
	var t tileSet
	for k := range acts {
		f := acts[k]
		rows := func(storeZ bool) tileFunc {
			return func(c *float32, ldc int, bias *float32, x *float32, ldx int, mr, nr int, alpha float32) {
				bs := view(bias, nr)
				for i := 0; i < mr; i++ {
					cs := view((*float32)(unsafe.Add(unsafe.Pointer(c), 4*i*ldc)), nr)
					var zs []float32
					if storeZ {
						zs = view((*float32)(unsafe.Add(unsafe.Pointer(x), 4*i*ldx)), nr)
					}
					for j, v := range cs {
						z := v + bs[j]
						if storeZ {
							zs[j] = z
						}
						cs[j] = f(z, alpha)
					}
				}
			}
		}
		t.bias[k], t.biasZ[k] = rows(false), rows(true)
		if d := deltas[k]; d != nil {
			t.delta[k] = func(c *float32, ldc int, _ *float32, x *float32, ldx int, mr, nr int, alpha float32) {
				for i := 0; i < mr; i++ {
					cp := (*float32)(unsafe.Add(unsafe.Pointer(c), 4*i*ldc))
					d(cp, cp, (*float32)(unsafe.Add(unsafe.Pointer(x), 4*i*ldx)), nr, alpha)
				}
			}
		}
	}
	return t
}()
