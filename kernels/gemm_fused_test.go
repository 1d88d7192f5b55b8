package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

var testActs = []Activation{
	{Kind: ActIdentity}, {Kind: ActReLU}, {Kind: ActLeakyReLU, Alpha: 0.01},
	{Kind: ActSigmoid}, {Kind: ActTanh},
}

// activateRow applies act to a row on p with the elementwise kernels.
func activateRow(p *Impl, act Activation, dst, z []float32) {
	switch act.Kind {
	case ActIdentity:
		copy(dst, z)
	case ActReLU:
		p.ReLU(dst, z)
	case ActLeakyReLU:
		p.LeakyReLU(dst, z, act.Alpha)
	case ActSigmoid:
		p.Sigmoid(dst, z)
	case ActTanh:
		p.Tanh(dst, z)
	}
}

// deltaRow applies the delta of act to a row on p with the delta kernels.
func deltaRow(p *Impl, act Activation, dst, x []float32) {
	switch act.Kind {
	case ActReLU:
		p.ReLUDelta(dst, dst, x)
	case ActLeakyReLU:
		p.LeakyReLUDelta(dst, dst, x, act.Alpha)
	case ActSigmoid:
		p.SigmoidDelta(dst, dst, x)
	case ActTanh:
		p.TanhDelta(dst, dst, x)
	}
}

// fusedShapes are the (m, n, k) every fused form is tested at on p: the
// micro-tile edges, those of the narrow micro-kernel and of the epilogues'
// vectors (NR/2, NR/2 + 1 columns; the epilogues do rows in groups of up
// to four, so m also leaves every remainder), k = 0, and a product large
// enough to run on several threads.
func fusedShapes(p *Impl) [][3]int {
	g := p.gm
	return [][3]int{
		{1, 1, 1}, {g.mr, g.nr, 7}, {g.mr + 1, g.nr + 1, 3}, {g.mr - 1, g.nr - 1, 33},
		{2*g.mr + 3, 3*g.nr - 5, 65}, {5, 10, 0}, {37, 10, 129}, {130, 260, 150},
		{g.mr + 3, g.nr / 2, 9}, {g.mr + 2, g.nr/2 + 1, 5}, {6, 3, 4}, {g.mr + 1, max(g.nr/2-1, 1), 2},
	}
}

// TestSgemmBiasAct checks that the fused forward pass gives, bit for bit,
// what Sgemm, a bias add and the activation's kernel give on the same path,
// with and without storing z, and writes nothing outside C and Z.
func TestSgemmBiasAct(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(10, 10))
		for si, s := range fusedShapes(p) {
			m, n, k := s[0], s[1], s[2]
			for ai, act := range testActs {
				tA, tB := (si+ai)%2 == 1, (si+ai)/2%2 == 0
				what := fmt.Sprintf("%v m=%d n=%d k=%d tA=%v tB=%v", act.Kind, m, n, k, tA, tB)
				g := newGemmCase(r, tA, tB, m, n, k, 1, 0, si%3)
				bias := make([]float32, n+si%2)
				values(r, bias[:n])
				for i := range bias[:n] {
					bias[i] = bias[i] * 1e-30 // keep z finite and varied in sign
					bias[i] += float32(r.NormFloat64())
				}

				// The composition, on a copy.
				want := slices.Clone(g.c)
				wantZ := make([]float32, m*n)
				cv := want[g.offC : g.offC+len(g.cView)]
				p.Sgemm(tA, tB, m, n, k, 1, g.aView, g.lda, g.bView, g.ldb, 0, cv, g.ldc)
				for i := 0; i < m; i++ {
					row := cv[i*g.ldc : i*g.ldc+n]
					p.Add(wantZ[i*n:(i+1)*n], row, bias[:n])
					activateRow(p, act, row, wantZ[i*n:(i+1)*n])
				}

				for _, storeZ := range []bool{false, true} {
					got := slices.Clone(g.c)
					gv := got[g.offC : g.offC+len(g.cView)]
					var z []float32
					var zbuf []float32
					ldz := n + 3
					if storeZ {
						z, zbuf = guarded(max(0, (m-1)*ldz+n), 4)
					}
					p.SgemmBiasAct(tA, tB, m, n, k, g.aView, g.lda, g.bView, g.ldb, bias, act, z, ldz, gv, g.ldc)
					checkGuardsBetween(t, got, g.offC, m, n, g.ldc, what)
					if !slices.EqualFunc(got, want, sameBits) {
						t.Fatalf("%s storeZ=%v: C differs from Sgemm + bias + activation", what, storeZ)
					}
					if storeZ {
						checkGuardsBetween(t, zbuf, guardLead+4, m, n, ldz, what+" (z)")
						for i := 0; i < m; i++ {
							if !slices.EqualFunc(z[i*ldz:i*ldz+n], wantZ[i*n:(i+1)*n], sameBits) {
								t.Fatalf("%s: row %d of Z differs", what, i)
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmDelta checks the fused backward delta the same way.
func TestSgemmDelta(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		r := rand.New(rand.NewPCG(11, 11))
		for si, s := range fusedShapes(p) {
			m, n, k := s[0], s[1], s[2]
			for ai, act := range testActs {
				tA, tB := (si+ai)%2 == 0, (si+ai)/2%2 == 1
				what := fmt.Sprintf("%v m=%d n=%d k=%d tA=%v tB=%v", act.Kind, m, n, k, tA, tB)
				g := newGemmCase(r, tA, tB, m, n, k, 1, 0, si%4)
				ldx := n + si%3
				x := make([]float32, max(0, (m-1)*ldx+n))
				values(r, x)

				want := slices.Clone(g.c)
				cv := want[g.offC : g.offC+len(g.cView)]
				p.Sgemm(tA, tB, m, n, k, 1, g.aView, g.lda, g.bView, g.ldb, 0, cv, g.ldc)
				for i := 0; i < m; i++ {
					deltaRow(p, act, cv[i*g.ldc:i*g.ldc+n], x[i*ldx:i*ldx+n])
				}
				xs := slices.Clone(x)
				p.SgemmDelta(tA, tB, m, n, k, g.aView, g.lda, g.bView, g.ldb, act, x, ldx, g.cView, g.ldc)
				checkGuardsBetween(t, g.c, g.offC, m, n, g.ldc, what)
				if !slices.EqualFunc(g.c, want, sameBits) {
					t.Fatalf("%s: C differs from Sgemm + delta kernel", what)
				}
				if !slices.EqualFunc(x, xs, sameBits) {
					t.Fatalf("%s: X was modified", what)
				}
			}
		}
	})
}

func TestFusedArgumentChecks(t *testing.T) {
	p := Current()
	a, b, c := make([]float32, 16), make([]float32, 16), make([]float32, 16)
	z, bias := make([]float32, 16), make([]float32, 4)
	relu := Activation{Kind: ActReLU}
	mustPanic(t, "len(bias) = 2 < n = 4", func() {
		p.SgemmBiasAct(false, false, 4, 4, 4, a, 4, b, 4, bias[:2], relu, nil, 0, c, 4)
	})
	mustPanic(t, "unknown activation ActivationKind(9)", func() {
		p.SgemmBiasAct(false, false, 4, 4, 4, a, 4, b, 4, bias, Activation{Kind: 9}, nil, 0, c, 4)
	})
	mustPanic(t, "ldz = 3 is less than the 4 columns of Z", func() {
		p.SgemmBiasAct(false, false, 4, 4, 4, a, 4, b, 4, bias, relu, z, 3, c, 4)
	})
	mustPanic(t, "z overlaps c", func() {
		p.SgemmBiasAct(false, false, 2, 4, 4, a, 4, b, 4, bias, relu, c[4:], 4, c, 4)
	})
	mustPanic(t, "z overlaps a", func() {
		p.SgemmBiasAct(false, false, 2, 4, 4, a, 4, b, 4, bias, relu, a[4:], 4, c, 4)
	})
	mustPanic(t, "c overlaps bias", func() {
		p.SgemmBiasAct(false, false, 2, 4, 4, a, 4, b, 4, c[4:], relu, nil, 0, c, 4)
	})
	mustPanic(t, "x overlaps c", func() {
		p.SgemmDelta(false, false, 2, 4, 4, a, 4, b, 4, relu, c[2:], 4, c, 4)
	})
	mustPanic(t, "len(x) = 3, but X (2×4, ldx = 4) needs 8", func() {
		p.SgemmDelta(false, false, 2, 4, 4, a, 4, b, 4, relu, z[:3], 4, c, 4)
	})
}
