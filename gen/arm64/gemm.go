package arm64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
)

// Micro is the shape of a GEMM micro-kernel: an MR×NR tile of C, both
// multiples of 4, held in MR·NR/4 accumulators. A step of k loads MR/4
// vectors of A and NR/4 of B and multiplies each vector of B by each
// element of A (FMLA by element), so no broadcast is needed: the
// accumulators, A and B must fit in the 32 registers.
type Micro struct {
	MR, NR int
}

// Name is the micro-kernel's function name.
func (m Micro) Name() string { return fmt.Sprintf("SgemmMicro%dx%dNEON", m.MR, m.NR) }

// registers lays the micro-kernel out: acc[r][v] holds row r, columns
// 4v … 4v+3; A's vectors from a, B's from b, each group consecutive, as
// VLD1 of several registers needs.
func (m Micro) registers() (acc [][]V, a, b V) {
	va, vb := m.MR/Lanes, m.NR/Lanes
	if m.MR%Lanes != 0 || m.NR%Lanes != 0 || va > 4 || vb > 4 || m.MR*vb+va+vb > 32 {
		panic(fmt.Sprintf("arm64: no register layout for a %d×%d micro-kernel", m.MR, m.NR))
	}
	acc = make([][]V, m.MR)
	for r := range acc {
		acc[r] = make([]V, vb)
		for v := range acc[r] {
			acc[r][v] = V(r*vb + v)
		}
	}
	a = V(m.MR * vb)
	return acc, a, a + V(va)
}

// SgemmMicro emits the micro-kernel of shape m:
//
//	C[0:mr, 0:nr] = alpha·Σ_p a[p·as : p·as+MR]ᵀ·b[p·bs : p·bs+NR] + beta·C
//
// with C rows ldc floats apart (signature kernel.MicroSignature,
// which every path shares). It always computes the whole tile (the driver
// pads partial panels with zeros) and reads and writes only the mr×nr
// corner of C: whole tiles with vector stores, others a vector and then a
// lane at a time. beta = 0 leaves C unread, so a NaN there does not leak.
func (f *File) SgemmMicro(m Micro) {
	name := m.Name()
	acc, a, b := m.registers()
	vb := m.NR / Lanes
	f.Function(name)
	f.SignatureExpr(kernel.MicroSignature)
	f.Pragma("noescape")
	f.Doc(fmt.Sprintf("%s is the %d×%d NEON micro-kernel of Sgemm:", name, m.MR, m.NR),
		"", "\tC[0:mr, 0:nr] = alpha·Σ_p a[p·as : p·as+MR]ᵀ·b[p·bs : p·bs+NR] + beta·C",
		"", "with C rows ldc floats apart; beta = 0 leaves C unread.")

	f.Comment("Load the arguments; strides become bytes.")
	kc := f.LoadParam("kc")
	ap := f.LoadParam("a")
	as := f.LoadParam("as")
	bp := f.LoadParam("b")
	bs := f.LoadParam("bs")
	c := f.LoadParam("c")
	ldc := f.LoadParam("ldc")
	f.LSLI(2, as, as)
	f.LSLI(2, bs, bs)
	f.LSLI(2, ldc, ldc)

	f.Comment("Prefetch the tile of C, which the last step reads and writes.")
	row := f.GP()
	f.MOVD(c, row)
	for r := 0; r < m.MR; r++ {
		f.PRFM(Mem{Base: row})
		f.PRFM(Mem{row, (4*m.NR - 1) &^ 7})
		if r < m.MR-1 {
			f.ADD(ldc, row)
		}
	}

	f.Comment("Clear the accumulators.")
	for _, rr := range acc {
		for _, v := range rr {
			f.VEOR(v, v, v)
		}
	}
	step := func() {
		f.VLD1Post(ap, as, a, m.MR/Lanes)
		f.VLD1Post(bp, bs, b, vb)
		for r := range acc {
			for v := range acc[r] {
				f.FMLAElem(a+V(r/Lanes), r%Lanes, b+V(v), acc[r][v])
			}
		}
	}
	loop4, loop1, store := name+"_k4", name+"_k1", name+"_store"
	f.Comment("Four steps of k at a time.")
	f.Label(loop4)
	f.CMPI(4, kc)
	f.BLT(loop1)
	for range 4 {
		step()
	}
	f.SUBI(4, kc, kc)
	f.B(loop4)
	f.Comment("The last steps one at a time.")
	f.Label(loop1)
	f.CBZ(kc, store)
	step()
	f.SUBI(1, kc, kc)
	f.B(loop1)

	f.Label(store)
	f.microStore(m, name, acc, a, c, ldc, row)
	f.RET()
}

// microStore writes alpha·acc + beta·C to the mr×nr corner of the tile;
// A's and B's registers are free by then and hold alpha, beta and C.
func (f *File) microStore(m Micro, name string, acc [][]V, a V, c, ldc, row R) {
	mr := f.LoadParam("mr")
	nr := f.LoadParam("nr")
	alpha, beta := a, a+1
	f.Comment("Scale by alpha.")
	f.LoadScalar("alpha", alpha)
	f.VDUP(alpha, alpha)
	for _, rr := range acc {
		for _, v := range rr {
			f.FMUL(alpha, v, v)
		}
	}

	f.Comment("beta = 0 (or −0): C is written without being read.")
	f.LoadScalar("beta", beta)
	withC, done := name+"_withc", name+"_done"
	f.FCMPZ(beta)
	f.BNE(withC) // also taken for a NaN beta
	f.rowsOfC(m, name+"_z", acc, c, ldc, mr, nr, row, done, nil)

	f.Comment("Otherwise C = alpha·acc + beta·C.")
	f.Label(withC)
	f.VDUP(beta, beta)
	f.rowsOfC(m, name+"_c", acc, c, ldc, mr, nr, row, done, func(t, acc V) {
		f.VFMLA(beta, t, acc)
	})
	f.Label(done)
}

// rowsOfC stores the accumulators to the mr×nr corner of C, after
// combine(t, acc) with t holding C (when combine is not nil). A whole tile
// takes straight-line vector code; others go row by row, a vector at a
// time while 4 columns remain, then a lane at a time.
func (f *File) rowsOfC(m Micro, prefix string, acc [][]V, c, ldc, mr, nr, row R, done string,
	combine func(t, acc V)) {
	vb := m.NR / Lanes
	_, _, b := m.registers()
	edge := prefix + "_edge"
	f.CMPI(m.MR, mr)
	f.BNE(edge)
	f.CMPI(m.NR, nr)
	f.BNE(edge)
	f.MOVD(c, row)
	for r := range acc {
		if r > 0 {
			f.ADD(ldc, row)
		}
		f.storeRow(acc[r], b, row, combine)
	}
	f.B(done)

	f.Label(edge)
	p := f.GP()
	defer f.FreeGP(p)
	f.MOVD(c, row)
	for r := range acc {
		next := fmt.Sprintf("%s_r%d", prefix, r+1)
		if r == len(acc)-1 {
			next = done
		}
		if r > 0 {
			f.Label(fmt.Sprintf("%s_r%d", prefix, r))
			f.CMPI(r, mr)
			f.BLE(done)
			f.ADD(ldc, row)
		}
		for v := 0; v < vb; v++ {
			f.CMPI(Lanes*(v+1), nr)
			f.BLT(fmt.Sprintf("%s_r%dv%d", prefix, r, v))
			at := Mem{row, 16 * v}
			if combine != nil {
				f.LDRQ(at, b)
				combine(b, acc[r][v])
			}
			f.STRQ(acc[r][v], at)
		}
		f.B(next)
		for v := 0; v < vb; v++ {
			// Here 4v ≤ nr < 4v+4: nr − 4v columns remain.
			f.Label(fmt.Sprintf("%s_r%dv%d", prefix, r, v))
			f.CMPI(Lanes*v+1, nr)
			f.BLT(next)
			if combine != nil {
				loaded := fmt.Sprintf("%s_r%dv%d_loaded", prefix, r, v)
				f.ADDI(16*v, row, p)
				for l := 0; l < Lanes-1; l++ {
					if l > 0 {
						f.CMPI(Lanes*v+l+1, nr)
						f.BLT(loaded)
					}
					f.VLD1Lane(p, b, l, l < Lanes-2)
				}
				f.Label(loaded)
				combine(b, acc[r][v])
			}
			f.ADDI(16*v, row, p)
			for l := 0; l < Lanes-1; l++ {
				if l > 0 {
					f.CMPI(Lanes*v+l+1, nr)
					f.BLT(next)
				}
				f.VST1Lane(acc[r][v], l, p, l < Lanes-2)
			}
			f.B(next)
		}
	}
}

// storeRow stores one whole row of accumulators at row, after combining
// each with C through the temporaries t, t+1, … when combine is not nil.
func (f *File) storeRow(accs []V, t V, row R, combine func(t, acc V)) {
	if combine != nil {
		for v := 0; v+1 < len(accs); v += 2 {
			f.LDPQ(Mem{row, 16 * v}, t+V(v), t+V(v+1))
		}
		if len(accs)%2 == 1 {
			v := len(accs) - 1
			f.LDRQ(Mem{row, 16 * v}, t+V(v))
		}
		for v, a := range accs {
			combine(t+V(v), a)
		}
	}
	for v := 0; v+1 < len(accs); v += 2 {
		f.STPQ(accs[v], accs[v+1], Mem{row, 16 * v})
	}
	if len(accs)%2 == 1 {
		v := len(accs) - 1
		f.STRQ(accs[v], Mem{row, 16 * v})
	}
}

// FMAPeak emits a function that runs n iterations of 24 independent FMLAs
// on registers, for measuring the core's peak, and returns the flops of
// one iteration.
func (f *File) FMAPeak() int {
	const count = 24
	name := "FMAPeakNEON"
	f.Function(name)
	f.SignatureExpr("func(n int)")
	f.Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs: %d flops each.",
		name, count, Lanes, 2*count*Lanes))
	n := f.LoadParam("n")
	x, y := V(count), V(count+1)
	f.VEOR(x, x, x)
	f.VEOR(y, y, y)
	for i := V(0); i < count; i++ {
		f.VEOR(i, i, i)
	}
	loop, done := name+"_loop", name+"_done"
	f.Label(loop)
	f.CBZ(n, done)
	for i := V(0); i < count; i++ {
		f.VFMLA(x, y, i)
	}
	f.SUBI(1, n, n)
	f.B(loop)
	f.Label(done)
	// Keep the accumulators live to the end.
	for i := V(1); i < count; i++ {
		f.FADD(i, 0, 0)
	}
	f.RET()
	return 2 * count * Lanes
}
