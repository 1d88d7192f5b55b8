package arm64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
)

// The packing kernels of Sgemm. They lay a block of a matrix out as the
// micro-kernel reads it: for each step p of k, W consecutive values. When
// the block's rows are its steps that is a copy of each row into a W-wide
// slot; when its columns are, a transpose, done 4×4 in registers.

// PackCopyName is the function name of the copying packer of width w.
func PackCopyName(w int) string { return fmt.Sprintf("PackCopy%dNEON", w) }

// PackInterleaveName is the function name of the transposing packer of r
// rows.
func PackInterleaveName(r int) string { return fmt.Sprintf("PackInterleave%dNEON", r) }

// PackCopy emits the copying packer of slot width w, a multiple of 4 up to
// 16, with the signature kernel.CopySignature:
//
//	for p < rows: dst[p·w : p·w+w] = src[p·ld : p·ld+cols] followed by w − cols zeros
//
// Full rows (cols = w) are a vector copy; narrower ones clear the slot and
// copy a float at a time, reading nothing past column cols.
func (f *File) PackCopy(w int) {
	if w%Lanes != 0 || w > 16 {
		panic(fmt.Sprintf("arm64: packing slots of %d", w))
	}
	name := PackCopyName(w)
	f.Function(name)
	f.SignatureExpr(kernel.CopySignature)
	f.Pragma("noescape")
	f.Doc(fmt.Sprintf("%s copies rows of at most %d floats into slots of %d:", name, w, w),
		"", fmt.Sprintf("\tfor p := 0; p < rows; p++ { copy(dst[p*%d:], src[p*ld:p*ld+cols]); "+
			"clear(dst[p*%d+cols : p*%d+%d]) }", w, w, w, w))
	dst := f.LoadParam("dst")
	src := f.LoadParam("src")
	ld := f.LoadParam("ld")
	rows := f.LoadParam("rows")
	cols := f.LoadParam("cols")
	f.LSLI(2, ld, ld)
	full, part, done := name+"_full", name+"_part", name+"_done"
	f.CBZ(rows, done)
	f.CMPI(w, cols)
	f.BNE(part)

	f.Comment("Whole rows: a vector copy.")
	f.Label(full)
	f.VLD1Post(src, ld, 0, w/Lanes)
	f.VST1PostImm(0, w/Lanes, dst)
	f.SUBI(1, rows, rows)
	f.CBNZ(rows, full)
	f.B(done)

	f.Comment("Narrower rows: clear the slot, then copy a float at a time.")
	f.Label(part)
	zero := V(31)
	f.VEOR(zero, zero, zero)
	s, d, n := f.GP(), f.GP(), f.GP()
	row, col, next := name+"_row", name+"_col", name+"_next"
	f.Label(row)
	for v := 0; v < w/Lanes; v++ {
		f.STRQ(zero, Mem{dst, 16 * v})
	}
	f.MOVD(src, s)
	f.MOVD(dst, d)
	f.MOVD(cols, n)
	f.Label(col)
	f.CBZ(n, next)
	f.LDRS(Mem{Base: s}, 0)
	f.STRS(0, Mem{Base: d})
	f.ADDI(4, s, s)
	f.ADDI(4, d, d)
	f.SUBI(1, n, n)
	f.B(col)
	f.Label(next)
	f.ADD(ld, src)
	f.ADDI(4*w, dst, dst)
	f.SUBI(1, rows, rows)
	f.CBNZ(rows, row)
	f.Label(done)
	f.RET()
}

// PackInterleave emits the transposing packer of r = 4 or 8 rows, with the
// signature kernel.InterleaveSignature:
//
//	for p < cols: for i < r: dst[p·w + i] = src[i·ld + p]
//
// cols must be a multiple of r. Each block of 4 rows and 4 columns is
// transposed with TRN1 and TRN2, on lanes and then on halves.
func (f *File) PackInterleave(r int) {
	if r != 4 && r != 8 {
		panic(fmt.Sprintf("arm64: interleaving %d rows", r))
	}
	name := PackInterleaveName(r)
	f.Function(name)
	f.SignatureExpr(kernel.InterleaveSignature)
	f.Pragma("noescape")
	f.Doc(fmt.Sprintf("%s transposes %d rows of src into dst, 4×4 at a time:", name, r),
		"", fmt.Sprintf("\tfor p := 0; p < cols; p++ { for r := 0; r < %d; r++ { dst[p*w+r] = src[r*ld+p] } }", r),
		"", fmt.Sprintf("cols must be a multiple of %d.", r))
	dst := f.LoadParam("dst")
	w := f.LoadParam("w")
	src := f.LoadParam("src")
	ld := f.LoadParam("ld")
	cols := f.LoadParam("cols")
	f.LSLI(2, w, w)
	f.LSLI(2, ld, ld)

	f.Comment("A pointer to each row of src, and one into dst for each block of 4 rows.")
	rowp := []R{src}
	for i := 1; i < r; i++ {
		p := f.GP()
		f.Inst("ADD", ld.String(), rowp[i-1].String(), p.String())
		rowp = append(rowp, p)
	}
	dstp := []R{dst}
	if r == 8 {
		d := f.GP()
		f.ADDI(16, dst, d)
		dstp = append(dstp, d)
	}

	loop, done := name+"_loop", name+"_done"
	f.Comment("4 columns at a time: rows in, 4 columns of dst out.")
	f.Label(loop)
	f.CBZ(cols, done)
	for b := range r / 4 {
		x := V(12 * b) // rows x…x+3, then t x+4…x+7, then columns x+8…x+11
		for i := range 4 {
			f.VLD1PostImm(rowp[4*b+i], x+V(i), 1)
		}
		t, c := x+4, x+8
		f.VTRN1S(x+1, x, t)     // r0[0] r1[0] r0[2] r1[2]
		f.VTRN2S(x+1, x, t+1)   // r0[1] r1[1] r0[3] r1[3]
		f.VTRN1S(x+3, x+2, t+2) // r2[0] r3[0] r2[2] r3[2]
		f.VTRN2S(x+3, x+2, t+3) // r2[1] r3[1] r2[3] r3[3]
		f.VTRN1D(t+2, t, c)     // column 0
		f.VTRN1D(t+3, t+1, c+1) // column 1
		f.VTRN2D(t+2, t, c+2)   // column 2
		f.VTRN2D(t+3, t+1, c+3) // column 3
		for j := range 4 {
			f.VST1Post(c+V(j), 1, dstp[b], w)
		}
	}
	f.SUBI(4, cols, cols)
	f.B(loop)
	f.Label(done)
	f.RET()
}
