package amd64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The packing kernels of Sgemm, in AVX2 (which every path here has). They
// lay a block of a matrix out as the micro-kernel reads it: for each step p
// of k, W consecutive values. When the block's rows are its steps (A
// transposed, B not), that is a copy of each row into a W-wide slot; when
// its columns are, it is a transpose, done 8×8 (or 4×4) in registers.

// PackInterleave emits the transposing packer of R = 8 or 4 rows.
func (f *File) PackInterleave(R int) {
	name := fmt.Sprintf("PackInterleave%d", R)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.InterleaveSignature)
	f.Pragma("noescape")
	f.Doc(fmt.Sprintf("%s transposes %d rows of src into dst, %dx%d at a time:", name, R, R, R),
		"", "\tfor p := 0; p < cols; p++ { for r := 0; r < "+fmt.Sprint(R)+"; r++ { dst[p*w+r] = src[r*ld+p] } }",
		"", "cols must be a multiple of "+fmt.Sprint(R)+".")
	dst := f.Load(f.Param("dst"), f.GP64())
	w := f.Load(f.Param("w"), f.GP64())
	src := f.Load(f.Param("src"), f.GP64())
	ld := f.Load(f.Param("ld"), f.GP64())
	cols := f.Load(f.Param("cols"), f.GP64())
	f.SHLQ(operand.U8(2), w)
	f.SHLQ(operand.U8(2), ld)

	// Row r of the block is at src + r·ld: keep src, src + 3·ld and
	// src + 5·ld (for R = 8) and reach the others with scaled indexes.
	rowAt := f.rowAddressing(src, ld, R)
	loop, done := name+"_loop", name+"_done"
	f.Label(loop)
	f.TESTQ(cols, cols)
	f.JZ(operand.LabelRef(done))
	if R == 8 {
		f.transpose8(rowAt, dst, w)
	} else {
		f.transpose4(rowAt, dst, w)
	}
	f.ADDQ(operand.U32(4*R), src)
	for _, b := range rowAt.extra {
		f.ADDQ(operand.U32(4*R), b)
	}
	f.SUBQ(operand.U32(R), cols)
	f.JMP(operand.LabelRef(loop))
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}

// rows addresses the R rows of a block from a few base registers.
type rows struct {
	at    []operand.Mem
	extra []reg.Register // base registers to advance with src
}

func (f *File) rowAddressing(src, ld reg.Register, R int) rows {
	var rs rows
	// Rows 0, 1, 2, 4 from src; 3, 5, 6 from src3 = src + 3·ld; 7 from
	// src3 + 4·ld.
	src3 := f.GP64()
	f.LEAQ(operand.Mem{Base: src, Index: ld, Scale: 2}, src3)
	f.ADDQ(ld, src3)
	rs.extra = append(rs.extra, src3)
	rs.at = []operand.Mem{
		{Base: src},
		{Base: src, Index: ld, Scale: 1},
		{Base: src, Index: ld, Scale: 2},
		{Base: src3},
		{Base: src, Index: ld, Scale: 4},
		{Base: src3, Index: ld, Scale: 2},
		{Base: src3, Index: ld, Scale: 1}, // placeholder, fixed below
		{Base: src3, Index: ld, Scale: 4},
	}
	if R == 8 {
		// Row 6 = src3 + 3·ld: a third base.
		src6 := f.GP64()
		f.LEAQ(operand.Mem{Base: src3, Index: ld, Scale: 2}, src6)
		f.ADDQ(ld, src6)
		rs.extra = append(rs.extra, src6)
		rs.at[6] = operand.Mem{Base: src6}
	}
	rs.at = rs.at[:R]
	return rs
}

// transpose8 loads an 8×8 block, transposes it in registers and stores
// column j at dst + j·w.
func (f *File) transpose8(rs rows, dst, w reg.Register) {
	r := make([]reg.VecVirtual, 8)
	for i := range r {
		r[i] = f.YMM()
		f.VMOVUPS(rs.at[i], r[i])
	}
	t := make([]reg.VecVirtual, 8)
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = f.YMM(), f.YMM()
		f.VUNPCKLPS(r[i+1], r[i], t[i])   // r0[0] r1[0] r0[1] r1[1] | …
		f.VUNPCKHPS(r[i+1], r[i], t[i+1]) // r0[2] r1[2] r0[3] r1[3] | …
	}
	u := make([]reg.VecVirtual, 8)
	for h := 0; h < 8; h += 4 {
		for j := 0; j < 2; j++ {
			u[h+2*j], u[h+2*j+1] = f.YMM(), f.YMM()
			f.VSHUFPS(operand.U8(0x44), t[h+2+j], t[h+j], u[h+2*j])
			f.VSHUFPS(operand.U8(0xee), t[h+2+j], t[h+j], u[h+2*j+1])
		}
	}
	// u[0..3] hold columns 0..3 of rows 0–3 (low lane: columns 0–3, high
	// lane: 4–7); u[4..7] the same for rows 4–7.
	row := f.GP64()
	f.MOVQ(dst, row)
	for j := 0; j < 8; j++ {
		o := f.YMM()
		imm := uint8(0x20)
		if j >= 4 {
			imm = 0x31
		}
		f.VPERM2F128(operand.U8(imm), u[4+j%4], u[j%4], o)
		f.VMOVUPS(o, operand.Mem{Base: row})
		if j < 7 {
			f.ADDQ(w, row)
		}
	}
	f.LEAQ(operand.Mem{Base: dst, Index: w, Scale: 8}, dst)
}

// transpose4 does the same for a 4×4 block in xmm registers.
func (f *File) transpose4(rs rows, dst, w reg.Register) {
	r := make([]reg.VecVirtual, 4)
	for i := range r {
		r[i] = f.XMM()
		f.VMOVUPS(rs.at[i], r[i])
	}
	t0, t1, t2, t3 := f.XMM(), f.XMM(), f.XMM(), f.XMM()
	f.VUNPCKLPS(r[1], r[0], t0) // 00 10 01 11
	f.VUNPCKHPS(r[1], r[0], t1) // 02 12 03 13
	f.VUNPCKLPS(r[3], r[2], t2) // 20 30 21 31
	f.VUNPCKHPS(r[3], r[2], t3) // 22 32 23 33
	o := []reg.VecVirtual{f.XMM(), f.XMM(), f.XMM(), f.XMM()}
	f.VMOVLHPS(t2, t0, o[0]) // 00 10 20 30
	f.VMOVHLPS(t0, t2, o[1]) // 01 11 21 31
	f.VMOVLHPS(t3, t1, o[2])
	f.VMOVHLPS(t1, t3, o[3])
	row := f.GP64()
	f.MOVQ(dst, row)
	for j := 0; j < 4; j++ {
		f.VMOVUPS(o[j], operand.Mem{Base: row})
		if j < 3 {
			f.ADDQ(w, row)
		}
	}
	f.LEAQ(operand.Mem{Base: dst, Index: w, Scale: 4}, dst)
}

// PackCopyName is the name of the copying packer of slot width w.
func PackCopyName(w int) string { return fmt.Sprintf("PackCopy%d", w) }

// PackCopy emits the copying packer of slot width W ≤ 32 (even): each of
// rows rows of cols ≤ W floats into a W-float slot, zero-filled past cols.
// Loads are masked; stores are plain, exactly W floats wide.
func (f *File) PackCopy(W int) {
	name := PackCopyName(W)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.CopySignature)
	f.Pragma("noescape")
	f.Doc(fmt.Sprintf("%s copies rows of cols floats into slots of %d, zero-filling each slot:", name, W), "",
		fmt.Sprintf("\tfor p := 0; p < rows; p++ { copy(dst[p*%d:p*%d+%d], src[p*ld:p*ld+cols]); clear(dst[p*%d+cols:p*%d+%d]) }", W, W, W, W, W, W),
		"", fmt.Sprintf("cols must be at most %d.", W))
	dst := f.Load(f.Param("dst"), f.GP64())
	src := f.Load(f.Param("src"), f.GP64())
	ld := f.Load(f.Param("ld"), f.GP64())
	nrows := f.Load(f.Param("rows"), f.GP64())
	cols := f.Load(f.Param("cols"), f.GP64())

	V := (W + 7) / 8
	tbl := f.GP64()
	f.LEAQ(f.laneMaskTable(), tbl)
	lm := make([]reg.VecVirtual, V)
	for v := range lm {
		cnt, lim := f.GP64(), f.GP64()
		f.MOVQ(cols, cnt)
		f.SUBQ(operand.U32(8*v), cnt)
		f.XORQ(lim, lim)
		f.CMPQ(cnt, lim)
		f.CMOVQLT(lim, cnt)
		f.MOVQ(operand.U32(8), lim)
		f.CMPQ(cnt, lim)
		f.CMOVQGT(lim, cnt)
		f.NEGQ(cnt)
		f.ADDQ(operand.U32(8), cnt)
		lm[v] = f.YMM()
		f.VMOVDQU(operand.Mem{Base: tbl, Index: cnt, Scale: 4}, lm[v])
	}
	f.SHLQ(operand.U8(2), ld)

	loop, done := name+"_loop", name+"_done"
	f.Label(loop)
	f.TESTQ(nrows, nrows)
	f.JZ(operand.LabelRef(done))
	for v := range V {
		t := f.YMM()
		f.VMASKMOVPS(operand.Mem{Base: src, Disp: 32 * v}, lm[v], t)
		at := operand.Mem{Base: dst, Disp: 32 * v}
		switch r := W - 8*v; {
		case r >= 8:
			f.VMOVUPS(t, at)
		case r >= 4:
			f.VMOVUPS(t.AsX(), at)
			if r == 6 {
				h := f.XMM()
				f.VEXTRACTF128(operand.U8(1), t, h)
				f.VMOVQ(h, operand.Mem{Base: dst, Disp: 32*v + 16})
			}
		case r == 2:
			f.VMOVQ(t.AsX(), at)
		default:
			panic(fmt.Sprintf("PackCopy: odd width %d", W))
		}
	}
	f.ADDQ(ld, src)
	f.ADDQ(operand.U32(4*W), dst)
	f.DECQ(nrows)
	f.JMP(operand.LabelRef(loop))
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}
