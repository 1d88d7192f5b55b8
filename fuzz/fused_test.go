package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// The wrong arguments FuzzSgemmFused tries, chosen by the low 4 bits of
// its mode, on top of one of Sgemm's.
const (
	fusedGood      = iota
	fusedShortBias // bias one element short of n
	fusedShortZ    // Z one element short of its shape (SgemmBiasAct storing Z)
	fusedSmallLdz  // ldz one less than n
	fusedShortX    // X one element short (SgemmDelta; not read for the identity)
	fusedSmallLdx  // ldx one less than n
	fusedBadAct    // an activation kind that does not exist
	fusedShortA    // as Sgemm: A one element short
	numFusedBad
)

// activate applies act to a row with the elementwise kernels of p, from z
// to dst.
func activate(p *kernels.Impl, act kernels.Activation, dst, z []float32) {
	switch act.Kind {
	case kernels.ActIdentity:
		copy(dst, z)
	case kernels.ActReLU:
		p.ReLU(dst, z)
	case kernels.ActLeakyReLU:
		p.LeakyReLU(dst, z, act.Alpha)
	case kernels.ActSigmoid:
		p.Sigmoid(dst, z)
	case kernels.ActTanh:
		p.Tanh(dst, z)
	}
}

// deltaOf multiplies a row g in place by the derivative of act, as the
// delta kernels of p compute it from x.
func deltaOf(p *kernels.Impl, act kernels.Activation, g, x []float32) {
	switch act.Kind {
	case kernels.ActReLU:
		p.ReLUDelta(g, g, x)
	case kernels.ActLeakyReLU:
		p.LeakyReLUDelta(g, g, x, act.Alpha)
	case kernels.ActSigmoid:
		p.SigmoidDelta(g, g, x)
	case kernels.ActTanh:
		p.TanhDelta(g, g, x)
	}
}

// FuzzSgemmFused checks the fused forms of the layer passes, on every
// path: SgemmBiasAct (with and without storing Z) and SgemmDelta must give
// bit for bit (any NaN matching any NaN) what Sgemm (alpha 1, beta 0)
// followed by AddBias and the activation's kernel, or by the delta
// kernel, give on the same path. Shapes, transposes, leading dimensions
// and placement are those of FuzzSgemm; every activation, any LeakyReLU
// slope; C filled with NaN (it is not read), the gaps of A, B and X with
// NaN, Z and C kept within their rows. A wrong bias, Z, X or activation
// must panic, naming it, with nothing written.
//
// mode: bits 0–3 the wrong argument, 4–5 the profile of values, 6–8 the
// activation, 9 whether SgemmBiasAct stores Z, 10 SgemmDelta instead.
func FuzzSgemmFused(f *testing.F) {
	shapes := []uint32{0x00_01_01_01, 0x00_07_05_03, 0x08_21_11_0d, 0x10_40_20_18, 0x18_03_61_31,
		0x00_00_09_09, 0x04_ff_03_02, 0x00_80_80_80}
	for i, s := range shapes {
		for act := range uint16(5) {
			for _, form := range []uint16{0, 1 << 9, 1 << 10} {
				mode := act<<6 | form | uint16(i%4)<<4
				f.Add(s, mode, float32(0.01), uint32(i)*0x00030201, []byte{byte(i), byte(act)})
			}
		}
	}
	for bad := uint16(1); bad < numFusedBad; bad++ {
		for _, form := range []uint16{1 << 9, 1 << 10} {
			f.Add(uint32(0x08_05_04_03), bad|1<<6|form, float32(-2), uint32(0), []byte{byte(bad)})
		}
	}
	f.Fuzz(func(t *testing.T, shape uint32, mode uint16, slope float32, place uint32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		src := newSource(data, uint8(mode>>4))
		bad := int(mode&15) % numFusedBad
		delta := mode&(1<<10) != 0
		storeZ := !delta && mode&(1<<9) != 0
		act := kernels.Activation{Kind: kernels.ActivationKind((mode >> 6 & 7) % 5), Alpha: slope}
		gbad := gemmGood
		if bad == fusedShortA {
			gbad = gemmShortA
		}
		g := decodeGemm(shape, gbad, 1<<22, src)
		if g.bad == gemmGood && bad == fusedShortA {
			bad = fusedGood
		}
		m, n, k := g.m, g.n, g.k
		a, b := g.operands(src, place)
		defer a.free()
		defer b.free()
		c := newMat(m, n, g.ldc, false, uint8(place>>16), guard, src, func() float32 { return padNaN })
		defer c.free()

		// The third operand: the bias and Z, or X.
		var bias, z, x *mat
		ld := max(1, n+padChoices[src.byte()%8])
		switch {
		case delta:
			if bad == fusedSmallLdx {
				ld = n - 1
			}
			x = newMat(m, n, ld, bad == fusedShortX, uint8(place>>24), padNaN, src, nil)
			defer x.free()
			if act.Kind == kernels.ActIdentity && (bad == fusedShortX || bad == fusedSmallLdx) {
				bad = fusedGood // X is not read
			}
		default:
			blen := n + int(src.byte()%3)
			if bad == fusedShortBias && n > 0 {
				blen = n - 1
			}
			bias = newMat(1, blen, 1, false, uint8(place>>24), padNaN, src, nil)
			defer bias.free()
			if storeZ {
				if bad == fusedSmallLdz {
					ld = n - 1
				}
				z = newMat(m, n, ld, bad == fusedShortZ, uint8(place>>8)^0x55, guard, src,
					func() float32 { return guard })
				defer z.free()
			}
		}
		switch bad {
		case fusedShortBias:
			if delta || n == 0 {
				bad = fusedGood
			}
		case fusedShortZ, fusedSmallLdz:
			if !storeZ || bad == fusedShortZ && need(m, n, ld) == 0 {
				bad = fusedGood
			}
		case fusedShortX, fusedSmallLdx:
			if !delta || bad == fusedShortX && need(m, n, ld) == 0 {
				bad = fusedGood
			}
		case fusedBadAct:
			act.Kind = 5 + kernels.ActivationKind(src.byte()%3)
			if src.byte()%2 == 0 {
				act.Kind = -1
			}
		}
		var biasArg []float32
		if bias != nil {
			biasArg = bias.s()
		}
		var zs []float32
		if z != nil {
			zs = z.s()
		}
		form := "SgemmBiasAct"
		if delta {
			form = "SgemmDelta"
		}
		what := func(p *kernels.Impl) string {
			return fmt.Sprintf("%s %v %v (slope %v) storeZ=%v ld(z or x)=%d on %s",
				form, &g, act.Kind, act.Alpha, storeZ, ld, p.Name())
		}
		var wants []string
		switch bad {
		case fusedShortBias:
			wants = []string{"len(bias) = "}
		case fusedShortZ:
			wants = []string{"len(z) = ", "Z ("}
		case fusedSmallLdz:
			wants = []string{fmt.Sprintf("ldz = %d is less than", ld)}
		case fusedShortX:
			wants = []string{"len(x) = ", "X ("}
		case fusedSmallLdx:
			wants = []string{fmt.Sprintf("ldx = %d is less than", ld)}
		case fusedBadAct:
			wants = []string{"unknown activation"}
		case fusedShortA:
			wants = g.panicWants(form)
		}
		if wants != nil {
			wants = append(wants, "kernels: "+form+": ")
		}

		for _, p := range paths {
			c.reset()
			if z != nil {
				z.reset()
			}
			run := func() {
				if delta {
					p.SgemmDelta(g.tA, g.tB, m, n, k, a.s(), g.lda, b.s(), g.ldb, act, x.s(), ld,
						c.s(), g.ldc)
				} else {
					p.SgemmBiasAct(g.tA, g.tB, m, n, k, a.s(), g.lda, b.s(), g.ldb, biasArg, act, zs, ld,
						c.s(), g.ldc)
				}
			}
			if wants != nil {
				mustPanic(t, what(p), run, wants...)
				if msg := c.unchanged("c"); msg != "" {
					t.Fatalf("%s: panicked having written %s", what(p), msg)
				}
				if z != nil {
					if msg := z.unchanged("z"); msg != "" {
						t.Fatalf("%s: panicked having written %s", what(p), msg)
					}
				}
			} else {
				mustRun(t, what(p), run)
				wantC, wantZ := composeFused(p, &g, a, b, bias, x, act, delta)
				if msg := c.gapsKept("c"); msg != "" {
					t.Fatalf("%s: %s", what(p), msg)
				}
				for i := 0; i < m && n > 0; i++ {
					got, want := c.s()[i*g.ldc:i*g.ldc+n], wantC[i*n:(i+1)*n]
					if j := firstDiff(got, want); j >= 0 {
						t.Fatalf("%s: C[%d,%d] = %v (%#08x), the separate kernels give %v (%#08x)", what(p),
							i, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
					}
				}
				if z != nil {
					if msg := z.gapsKept("z"); msg != "" {
						t.Fatalf("%s: %s", what(p), msg)
					}
					for i := 0; i < m && n > 0; i++ {
						got, want := zs[i*ld:i*ld+n], wantZ[i*n:(i+1)*n]
						if j := firstDiff(got, want); j >= 0 {
							t.Fatalf("%s: Z[%d,%d] = %v (%#08x), the separate kernels give %v (%#08x)",
								what(p), i, j, got[j], math.Float32bits(got[j]),
								want[j], math.Float32bits(want[j]))
						}
					}
				}
			}
			for _, in := range []struct {
				name string
				m    *mat
			}{{"a", a}, {"b", b}, {"bias", bias}, {"x", x}} {
				if in.m == nil {
					continue
				}
				if msg := in.m.unchanged(in.name); msg != "" {
					t.Fatalf("%s: %s", what(p), msg)
				}
			}
		}
	})
}

// composeFused computes on p, with separate kernels, what a fused form
// must give: C (m×n, packed) and, for the forward form, Z.
func composeFused(p *kernels.Impl, g *gemmShape, a, b, bias, x *mat, act kernels.Activation,
	delta bool) (c, z []float32) {
	m, n := g.m, g.n
	c = make([]float32, m*n)
	for i := range c {
		c[i] = padNaN
	}
	p.Sgemm(g.tA, g.tB, m, n, g.k, 1, a.s(), g.lda, b.s(), g.ldb, 0, c, max(n, 1))
	if delta {
		if act.Kind == kernels.ActIdentity || n == 0 {
			return c, nil // X is not read
		}
		for i := 0; i < m; i++ {
			deltaOf(p, act, c[i*n:(i+1)*n], x.s()[i*x.ld:i*x.ld+n])
		}
		return c, nil
	}
	z = slices.Clone(c)
	for i := 0; i < m; i++ {
		p.AddBias(z[i*n:(i+1)*n], bias.s()[:n])
		activate(p, act, c[i*n:(i+1)*n], z[i*n:(i+1)*n])
	}
	return c, z
}
