package amd64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Micro is the shape of a GEMM micro-kernel: an MR×NR tile of C, NR a
// multiple of the vector width, held in MR·NR/lanes accumulators.
type Micro struct {
	MR, NR int

	// Rows reads A in place from a row-major matrix instead of a packed
	// panel: a is the tile's row 0 at the first step of k, its MR rows are
	// as floats apart and its steps one float apart. Every one of the MR
	// rows must exist: the driver packs a last, partial panel instead.
	Rows bool
}

// ByRows is m reading A in place by rows.
func (m Micro) ByRows() Micro { m.Rows = true; return m }

// Narrow is the micro-kernel of the same height and half the width, for
// tiles of at most NR/2 columns. It reads the first NR/2 floats of each
// step of a panel packed NR wide.
func (m Micro) Narrow() Micro { return Micro{MR: m.MR, NR: m.NR / 2, Rows: m.Rows} }

// Name is the micro-kernel's function name on isa.
func (m Micro) Name(isa ISA) string {
	rows := ""
	if m.Rows {
		rows = "Rows"
	}
	return fmt.Sprintf("SgemmMicro%dx%d%s%s", m.MR, m.NR, rows, isa.Name)
}

// colMasks returns the table of column masks: on EVEX, 17 uint16 with the
// low i bits set at index i; on AVX2, 8 all-ones int32 then 8 zeros (the
// tail table).
func (f *File) colMaskTable() operand.Mem {
	if !f.ISA.EVEX {
		return f.tailTable()
	}
	if m, ok := f.tables["colmask"]; ok {
		return m
	}
	m := f.StaticGlobal("colmask")
	f.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i <= 16; i++ {
		f.AppendDatum(operand.U16(1<<i - 1))
	}
	f.AppendDatum(operand.U16(0)) // pad to 36 bytes
	f.tables["colmask"] = m
	return m
}

// SgemmMicro emits the micro-kernel of shape m:
//
//	C[0:mr, 0:nr] = alpha·Σ_p a[p·as : p·as+MR]ᵀ·b[p·bs : p·bs+NR] + beta·C
//
// with C rows ldc floats apart. The kernel always computes the whole
// MR×NR tile (the driver pads partial panels with zeros) and reads and
// writes only the mr×nr corner of C, under masks. beta = 0 leaves C
// unread, so a NaN there does not leak through.
func (f *File) SgemmMicro(m Micro) {
	L := f.ISA.Lanes
	V := m.NR / L
	name := m.Name(f.ISA)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.MicroSignature)
	f.Pragma("noescape")
	if m.Rows {
		f.Doc(fmt.Sprintf("%s is the %d×%d %s micro-kernel of Sgemm reading A by rows, in place:", name, m.MR, m.NR, f.ISA.Name),
			"", "\tC[0:mr, 0:nr] = alpha·Σ_p a[r·as + p]_r ⊗ b[p·bs : p·bs+NR] + beta·C",
			"", "for the MR rows r of A, all of which must exist; C rows ldc floats apart; beta = 0 leaves C unread.")
	} else {
		f.Doc(fmt.Sprintf("%s is the %d×%d %s micro-kernel of Sgemm:", name, m.MR, m.NR, f.ISA.Name),
			"", "\tC[0:mr, 0:nr] = alpha·Σ_p a[p·as : p·as+MR]ᵀ·b[p·bs : p·bs+NR] + beta·C",
			"", "with C rows ldc floats apart; beta = 0 leaves C unread.")
	}

	f.Comment("Load the arguments; strides become bytes.")
	kc := f.Load(f.Param("kc"), f.GP64())
	a := f.Load(f.Param("a"), f.GP64())
	as := f.Load(f.Param("as"), f.GP64())
	b := f.Load(f.Param("b"), f.GP64())
	bs := f.Load(f.Param("bs"), f.GP64())
	f.SHLQ(operand.U8(2), as)
	f.SHLQ(operand.U8(2), bs)

	// aAt is where A's row r is at step s of an unrolled group; nextA
	// moves A on by steps steps.
	aAt := func(r, s int) operand.Mem { return operand.Mem{Base: a, Disp: 4 * r} }
	nextA := func(steps int) {
		for range steps {
			f.ADDQ(as, a)
		}
	}
	if m.Rows {
		// Row 3j+i is at bases[j] + i·as: as scaled by 1 or 2 reaches
		// three rows from each base.
		f.Comment("Rows of A: three from each base, as bytes apart.")
		bases := []reg.Register{a}
		for j := 1; j < (m.MR+2)/3; j++ {
			p := f.GP64()
			f.LEAQ(operand.Mem{Base: bases[j-1], Index: as, Scale: 2}, p)
			f.ADDQ(as, p)
			bases = append(bases, p)
		}
		aAt = func(r, s int) operand.Mem {
			mem := operand.Mem{Base: bases[r/3], Disp: 4 * s}
			if r%3 > 0 {
				mem.Index, mem.Scale = as, uint8(r%3)
			}
			return mem
		}
		nextA = func(steps int) {
			for _, p := range bases {
				f.ADDQ(operand.U8(4*steps), p)
			}
		}
	}

	f.Comment("Prefetch the tile of C, which the last step reads and writes.")
	{
		c := f.Load(f.Param("c"), f.GP64())
		ldc := f.Load(f.Param("ldc"), f.GP64())
		f.SHLQ(operand.U8(2), ldc)
		for r := 0; r < m.MR; r++ {
			f.PREFETCHT0(operand.Mem{Base: c})
			f.PREFETCHT0(operand.Mem{Base: c, Disp: 4*m.NR - 4})
			if r < m.MR-1 {
				f.ADDQ(ldc, c)
			}
		}
	}

	f.Comment("Clear the accumulators.")
	acc := make([][]reg.VecVirtual, m.MR)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, V)
		for v := range acc[r] {
			acc[r][v] = f.vec()
			f.xor(acc[r][v])
		}
	}

	step := func(s int) {
		bv := make([]reg.VecVirtual, V)
		for v := range bv {
			bv[v] = f.vec()
			f.VMOVUPS(operand.Mem{Base: b, Disp: 4 * L * v}, bv[v])
		}
		for r := 0; r < m.MR; r++ {
			if f.ISA.EVEX && V == 1 {
				// One FMA per value of A: the broadcast folds into it.
				f.VFMADD231PS_BCST(aAt(r, s), bv[0], acc[r][0])
				continue
			}
			t := f.vec()
			f.VBROADCASTSS(aAt(r, s), t)
			for v := 0; v < V; v++ {
				f.VFMADD231PS(bv[v], t, acc[r][v])
			}
		}
		if !m.Rows {
			nextA(1)
		}
		f.ADDQ(bs, b)
	}
	loop4, loop1, store := name+"_k4", name+"_k1", name+"_store"
	f.Comment("Four steps of k at a time.")
	f.Label(loop4)
	f.CMPQ(kc, operand.U8(4))
	f.JL(operand.LabelRef(loop1))
	for s := range 4 {
		step(s)
	}
	if m.Rows {
		nextA(4)
	}
	f.SUBQ(operand.U8(4), kc)
	f.JMP(operand.LabelRef(loop4))
	f.Comment("The last steps one at a time.")
	f.Label(loop1)
	f.TESTQ(kc, kc)
	f.JZ(operand.LabelRef(store))
	step(0)
	if m.Rows {
		nextA(1)
	}
	f.DECQ(kc)
	f.JMP(operand.LabelRef(loop1))

	f.Label(store)
	f.microStore(m, name, acc)
	f.VZEROUPPER()
	f.RET()
}

// microStore writes alpha·acc + beta·C to the mr×nr corner of the tile.
func (f *File) microStore(m Micro, name string, acc [][]reg.VecVirtual) {
	L := f.ISA.Lanes
	V := m.NR / L
	c := f.Load(f.Param("c"), f.GP64())
	ldc := f.Load(f.Param("ldc"), f.GP64())
	mr := f.Load(f.Param("mr"), f.GP64())
	nr := f.Load(f.Param("nr"), f.GP64())
	f.SHLQ(operand.U8(2), ldc)

	masks := f.columnMasks(nr, V)

	alpha := f.vec()
	f.VBROADCASTSS(f.paramAddr("alpha"), alpha)
	for r := range acc {
		for v := range acc[r] {
			f.VMULPS(alpha, acc[r][v], acc[r][v])
		}
	}

	f.Comment("beta = 0 (or −0): C is written without being read.")
	zero, beta := f.XMM(), f.XMM()
	f.VXORPS(zero, zero, zero)
	f.VMOVSS(f.paramAddr("beta"), beta)
	f.VUCOMISS(zero, beta)
	withC, done := name+"_withc", name+"_done"
	f.JNE(operand.LabelRef(withC))
	f.JP(operand.LabelRef(withC))
	// AVX2's masked stores are slow on some CPUs: whole tiles use plain ones.
	full := func(label string) {
		if !f.ISA.EVEX {
			f.CMPQ(nr, operand.U32(m.NR))
			f.JEQ(operand.LabelRef(label))
		}
	}
	store := func(masked bool, src reg.Register, mem operand.Mem, mask reg.Register) {
		if masked {
			f.store(src, mem, mask)
		} else {
			f.VMOVUPS(src, mem)
		}
	}
	for _, masked := range f.maskings() {
		suffix := map[bool]string{true: "", false: "_full"}[masked]
		if masked {
			full(name + "_z_full")
		}
		f.Label(name + "_z" + suffix)
		f.rows(m, name+"_z"+suffix, c, ldc, mr, done, func(r int, row reg.Register) {
			for v := 0; v < V; v++ {
				store(masked, acc[r][v], operand.Mem{Base: row, Disp: 4 * L * v}, masks[v])
			}
		})
	}

	f.Label(withC)
	bv := f.vec()
	f.VBROADCASTSS(f.paramAddr("beta"), bv)
	for _, masked := range f.maskings() {
		suffix := map[bool]string{true: "", false: "_full"}[masked]
		if masked {
			full(name + "_c_full")
		}
		f.Label(name + "_c" + suffix)
		f.rows(m, name+"_c"+suffix, c, ldc, mr, done, func(r int, row reg.Register) {
			for v := 0; v < V; v++ {
				mem := operand.Mem{Base: row, Disp: 4 * L * v}
				t := f.vec()
				if masked {
					f.load(mem, masks[v], t)
				} else {
					f.VMOVUPS(mem, t)
				}
				f.VFMADD231PS(bv, t, acc[r][v])
				store(masked, acc[r][v], mem, masks[v])
			}
		})
	}
	f.Label(done)
}

// maskings lists the store variants: masked only on EVEX, where masked
// stores cost nothing more; masked and plain on AVX2.
func (f *File) maskings() []bool {
	if f.ISA.EVEX {
		return []bool{true}
	}
	return []bool{true, false}
}

// columnMasks returns the masks of the V vectors of a row of nr columns:
// vector v holds min(max(nr − v·lanes, 0), lanes) of them.
func (f *File) columnMasks(nr reg.Register, V int) []reg.Register {
	L := f.ISA.Lanes
	f.Comment("Column masks: vector v holds min(max(nr − v·lanes, 0), lanes) columns.")
	tbl := f.GP64()
	f.LEAQ(f.colMaskTable(), tbl)
	masks := make([]reg.Register, V)
	for v := 0; v < V; v++ {
		cnt, lim := f.GP64(), f.GP64()
		f.MOVQ(nr, cnt)
		f.SUBQ(operand.U32(v*L), cnt)
		f.XORQ(lim, lim)
		f.CMPQ(cnt, lim)
		f.CMOVQLT(lim, cnt)
		f.MOVQ(operand.U32(L), lim)
		f.CMPQ(cnt, lim)
		f.CMOVQGT(lim, cnt)
		if f.ISA.EVEX {
			k := f.K()
			f.KMOVW(operand.Mem{Base: tbl, Index: cnt, Scale: 2}, k)
			masks[v] = k
		} else {
			f.NEGQ(cnt)
			f.ADDQ(operand.U32(L), cnt)
			y := f.YMM()
			f.VMOVDQU(operand.Mem{Base: tbl, Index: cnt, Scale: 4}, y)
			masks[v] = y
		}
	}
	return masks
}

// rows emits body for rows 0 … MR−1 of C, stopping after row mr−1 by
// jumping to done; row is the address of the row.
func (f *File) rows(m Micro, prefix string, c, ldc, mr reg.Register, done string, body func(r int, row reg.Register)) {
	row := f.GP64()
	f.MOVQ(c, row)
	for r := 0; r < m.MR; r++ {
		if r > 0 {
			f.CMPQ(mr, operand.U32(r))
			f.JLE(operand.LabelRef(done))
			f.ADDQ(ldc, row)
		}
		body(r, row)
	}
	f.JMP(operand.LabelRef(done))
}

// xor clears a vector register.
func (f *File) xor(r reg.Register) {
	if f.ISA.EVEX {
		f.VPXORD(r, r, r)
	} else {
		f.VXORPS(r, r, r)
	}
}

// paramAddr is the stack address of a scalar parameter.
func (f *File) paramAddr(name string) operand.Mem {
	b, err := f.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// FMAPeak emits a function that runs n iterations of independent FMAs on
// registers, for measuring the core's peak: 2·lanes·count flops an
// iteration, count being 24 on EVEX and 12 on AVX2.
func (f *File) FMAPeak() int {
	name := "FMAPeak" + f.ISA.Name
	count := 24
	if !f.ISA.EVEX {
		count = 12
	}
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr("func(n int)")
	f.Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs: %d flops each.",
		name, count, f.ISA.Lanes, 2*count*f.ISA.Lanes))
	n := f.Load(f.Param("n"), f.GP64())
	x, y := f.vec(), f.vec()
	f.xor(x)
	f.xor(y)
	acc := make([]reg.VecVirtual, count)
	for i := range acc {
		acc[i] = f.vec()
		f.xor(acc[i])
	}
	loop, done := name+"_loop", name+"_done"
	f.Label(loop)
	f.TESTQ(n, n)
	f.JZ(operand.LabelRef(done))
	for i := range acc {
		f.VFMADD231PS(x, y, acc[i])
	}
	f.DECQ(n)
	f.JMP(operand.LabelRef(loop))
	f.Label(done)
	// Keep the accumulators live to the end.
	for i := 1; i < count; i++ {
		f.VADDPS(acc[i], acc[0], acc[0])
	}
	f.VZEROUPPER()
	f.RET()
	return 2 * count * f.ISA.Lanes
}
