package arm64

import "fmt"

// The instructions the kernels use. Each method appends one instruction to
// the current function, its operands in Go assembler order: sources first,
// the destination last (so FSUB(m, n, d) is d = n − m, as VSUB V1, V2, V3
// is V3 = V2 − V1). The first group are the Go assembler's own mnemonics;
// the second are encoded as WORD by the Enc functions.

// LoadParam loads the named integer or pointer argument into a new general
// register.
func (f *File) LoadParam(name string) R {
	r := f.GP()
	f.Inst("MOVD", f.Param(name), r.String())
	return r
}

// LoadScalar loads the named float32 argument into lane 0 of v.
func (f *File) LoadScalar(name string, v V) { f.Inst("FMOVS", f.Param(name), v.F()) }

// MOVD copies the general register src to dst.
func (f *File) MOVD(src, dst R) { f.Inst("MOVD", src.String(), dst.String()) }

// ADDI is dst = src + imm.
func (f *File) ADDI(imm int, src, dst R) {
	if src == dst {
		f.Inst("ADD", fmt.Sprintf("$%d", imm), dst.String())
		return
	}
	f.Inst("ADD", fmt.Sprintf("$%d", imm), src.String(), dst.String())
}

// SUBI is dst = src − imm.
func (f *File) SUBI(imm int, src, dst R) {
	if src == dst {
		f.Inst("SUB", fmt.Sprintf("$%d", imm), dst.String())
		return
	}
	f.Inst("SUB", fmt.Sprintf("$%d", imm), src.String(), dst.String())
}

// ADD is dst += src.
func (f *File) ADD(src, dst R) { f.Inst("ADD", src.String(), dst.String()) }

// LSLI is dst = src << imm.
func (f *File) LSLI(imm int, src, dst R) {
	f.Inst("LSL", fmt.Sprintf("$%d", imm), src.String(), dst.String())
}

// CMPI sets the flags from r − imm.
func (f *File) CMPI(imm int, r R) { f.Inst("CMP", fmt.Sprintf("$%d", imm), r.String()) }

// B jumps to label.
func (f *File) B(label string) { f.Inst("B", label) }

// BLT jumps to label when the last CMPI found r < imm (signed).
func (f *File) BLT(label string) { f.Inst("BLT", label) }

// BLE jumps to label when the last CMPI found r ≤ imm (signed).
func (f *File) BLE(label string) { f.Inst("BLE", label) }

// BNE jumps to label when the last comparison found its operands unequal
// (or unordered, after FCMPZ).
func (f *File) BNE(label string) { f.Inst("BNE", label) }

// CBZ jumps to label when r is zero.
func (f *File) CBZ(r R, label string) { f.Inst("CBZ", r.String(), label) }

// CBNZ jumps to label when r is not zero.
func (f *File) CBNZ(r R, label string) { f.Inst("CBNZ", r.String(), label) }

// RET returns.
func (f *File) RET() { f.Inst("RET") }

// PRFM prefetches the line at m into L1 for reading. The offset must be a
// multiple of 8: the Go assembler silently rounds others down.
func (f *File) PRFM(m Mem) {
	if m.Off%8 != 0 {
		panic(fmt.Sprintf("arm64: PRFM offset %d", m.Off))
	}
	f.Inst("PRFM", m.String(), "PLDL1KEEP")
}

// LDRQ loads the 16 bytes at m into v (FMOVQ).
func (f *File) LDRQ(m Mem, v V) { f.Inst("FMOVQ", m.String(), v.F()) }

// STRQ stores v to the 16 bytes at m (FMOVQ).
func (f *File) STRQ(v V, m Mem) { f.Inst("FMOVQ", v.F(), m.String()) }

// LDPQ loads the 32 bytes at m into v1 and v2 (FLDPQ).
func (f *File) LDPQ(m Mem, v1, v2 V) {
	f.Inst("FLDPQ", m.String(), fmt.Sprintf("(%s, %s)", v1.F(), v2.F()))
}

// STPQ stores v1 and v2 to the 32 bytes at m (FSTPQ).
func (f *File) STPQ(v1, v2 V, m Mem) {
	f.Inst("FSTPQ", fmt.Sprintf("(%s, %s)", v1.F(), v2.F()), m.String())
}

// LDRS loads the float32 at m into lane 0 of v and clears the others.
func (f *File) LDRS(m Mem, v V) { f.Inst("FMOVS", m.String(), v.F()) }

// STRS stores lane 0 of v to the float32 at m.
func (f *File) STRS(v V, m Mem) { f.Inst("FMOVS", v.F(), m.String()) }

// STRSParam stores lane 0 of v to the named float32 result.
func (f *File) STRSParam(v V, name string) { f.Inst("FMOVS", v.F(), f.Param(name)) }

// VLD1Lane loads the float32 at (base) into lane i of v; post adds 4 to
// base afterwards.
func (f *File) VLD1Lane(base R, v V, i int, post bool) {
	if post {
		f.Inst("VLD1.P", "4("+base.String()+")", v.Lane(i))
		return
	}
	f.Inst("VLD1", "("+base.String()+")", v.Lane(i))
}

// VST1Lane stores lane i of v to the float32 at (base); post adds 4 to
// base afterwards.
func (f *File) VST1Lane(v V, i int, base R, post bool) {
	if post {
		f.Inst("VST1.P", v.Lane(i), "4("+base.String()+")")
		return
	}
	f.Inst("VST1", v.Lane(i), "("+base.String()+")")
}

// VLD1Post loads consecutive vectors from (base) into the consecutive
// registers first, first+1, …, then adds step (a register) to base.
func (f *File) VLD1Post(base, step R, first V, count int) {
	f.Inst("VLD1.P", fmt.Sprintf("(%v)(%v)", base, step), vlist(first, count))
}

// VLD1PostImm loads count consecutive vectors from (base) into first,
// first+1, …, then adds their 16·count bytes to base.
func (f *File) VLD1PostImm(base R, first V, count int) {
	f.Inst("VLD1.P", fmt.Sprintf("%d(%v)", 16*count, base), vlist(first, count))
}

// VST1Post stores the consecutive registers first, first+1, … to (base),
// then adds step (a register) to base.
func (f *File) VST1Post(first V, count int, base, step R) {
	f.Inst("VST1.P", vlist(first, count), fmt.Sprintf("(%v)(%v)", base, step))
}

// VST1PostImm stores the consecutive registers first, first+1, … to
// (base), then adds their 16·count bytes to base.
func (f *File) VST1PostImm(first V, count int, base R) {
	f.Inst("VST1.P", vlist(first, count), fmt.Sprintf("%d(%v)", 16*count, base))
}

func vlist(first V, count int) string {
	list := "["
	for i := 0; i < count; i++ {
		if i > 0 {
			list += ", "
		}
		list += (first + V(i)).S4()
	}
	return list + "]"
}

// VTRN1S and VTRN2S interleave the even (odd) float32 lanes of n and m:
// d = n0, m0, n2, m2 (n1, m1, n3, m3).
func (f *File) VTRN1S(m, n, d V) { f.Inst("VTRN1", m.S4(), n.S4(), d.S4()) }
func (f *File) VTRN2S(m, n, d V) { f.Inst("VTRN2", m.S4(), n.S4(), d.S4()) }

// VTRN1D and VTRN2D do the same with 64-bit halves: d = n.lo, m.lo
// (n.hi, m.hi).
func (f *File) VTRN1D(m, n, d V) { f.Inst("VTRN1", m.D2(), n.D2(), d.D2()) }
func (f *File) VTRN2D(m, n, d V) { f.Inst("VTRN2", m.D2(), n.D2(), d.D2()) }

// VDUP broadcasts lane 0 of src to every lane of dst.
func (f *File) VDUP(src, dst V) { f.Inst("VDUP", src.Lane(0), dst.S4()) }

// VMOV copies src to dst.
func (f *File) VMOV(src, dst V) { f.Inst("VMOV", src.B16(), dst.B16()) }

// VEOR is the bitwise d = n ^ m.
func (f *File) VEOR(m, n, d V) { f.Inst("VEOR", m.B16(), n.B16(), d.B16()) }

// VAND is the bitwise d = n & m.
func (f *File) VAND(m, n, d V) { f.Inst("VAND", m.B16(), n.B16(), d.B16()) }

// VORR is the bitwise d = n | m.
func (f *File) VORR(m, n, d V) { f.Inst("VORR", m.B16(), n.B16(), d.B16()) }

// VBSL is d = d ? n : m bit by bit (d holds the mask).
func (f *File) VBSL(m, n, d V) { f.Inst("VBSL", m.B16(), n.B16(), d.B16()) }

// VBIT is d = m ? n : d bit by bit (m holds the mask).
func (f *File) VBIT(m, n, d V) { f.Inst("VBIT", m.B16(), n.B16(), d.B16()) }

// VBIF is d = m ? d : n bit by bit (m holds the mask).
func (f *File) VBIF(m, n, d V) { f.Inst("VBIF", m.B16(), n.B16(), d.B16()) }

// VADD is the int32 d = n + m.
func (f *File) VADD(m, n, d V) { f.Inst("VADD", m.S4(), n.S4(), d.S4()) }

// VSUB is the int32 d = n − m.
func (f *File) VSUB(m, n, d V) { f.Inst("VSUB", m.S4(), n.S4(), d.S4()) }

// VSHL is the int32 d = n << imm.
func (f *File) VSHL(imm int, n, d V) { f.Inst("VSHL", fmt.Sprintf("$%d", imm), n.S4(), d.S4()) }

// VFMLA is d += n·m, rounded once.
func (f *File) VFMLA(m, n, d V) { f.Inst("VFMLA", m.S4(), n.S4(), d.S4()) }

// VFMLS is d −= n·m, rounded once.
func (f *File) VFMLS(m, n, d V) { f.Inst("VFMLS", m.S4(), n.S4(), d.S4()) }

// FADDS is lane 0 of d = n + m; it clears d's other lanes.
func (f *File) FADDS(m, n, d V) { f.Inst("FADDS", m.F(), n.F(), d.F()) }

// FMAXS is lane 0 of d = max(n, m), NaN when either is NaN.
func (f *File) FMAXS(m, n, d V) { f.Inst("FMAXS", m.F(), n.F(), d.F()) }

// FCMPZ compares lane 0 of v with +0.
func (f *File) FCMPZ(v V) { f.Inst("FCMPS", "$(0.0)", v.F()) }

// The WORD-encoded instructions, on four float32 lanes (see the Enc
// functions for what each computes).

// FADD is d = n + m.
func (f *File) FADD(m, n, d V) { f.Emit(EncFADD(d, n, m)) }

// FSUB is d = n − m.
func (f *File) FSUB(m, n, d V) { f.Emit(EncFSUB(d, n, m)) }

// FMUL is d = n · m.
func (f *File) FMUL(m, n, d V) { f.Emit(EncFMUL(d, n, m)) }

// FDIV is d = n / m, correctly rounded.
func (f *File) FDIV(m, n, d V) { f.Emit(EncFDIV(d, n, m)) }

// FMAX is d = max(n, m), NaN when either is NaN.
func (f *File) FMAX(m, n, d V) { f.Emit(EncFMAX(d, n, m)) }

// FMIN is d = min(n, m), NaN when either is NaN.
func (f *File) FMIN(m, n, d V) { f.Emit(EncFMIN(d, n, m)) }

// FCMGT is the mask d = n > m.
func (f *File) FCMGT(m, n, d V) { f.Emit(EncFCMGT(d, n, m)) }

// FRECPS is d = 2 − n·m, rounded once: a Newton step for 1/n.
func (f *File) FRECPS(m, n, d V) { f.Emit(EncFRECPS(d, n, m)) }

// FADDP is d = n0+n1, n2+n3, m0+m1, m2+m3.
func (f *File) FADDP(m, n, d V) { f.Emit(EncFADDP(d, n, m)) }

// FMAXP is FADDP with max for +.
func (f *File) FMAXP(m, n, d V) { f.Emit(EncFMAXP(d, n, m)) }

// FRINTN is d = n rounded to an integer, ties to even.
func (f *File) FRINTN(n, d V) { f.Emit(EncFRINTN(d, n)) }

// FSQRT is d = √n, correctly rounded.
func (f *File) FSQRT(n, d V) { f.Emit(EncFSQRT(d, n)) }

// FRECPE is d ≈ 1/n to 8 bits.
func (f *File) FRECPE(n, d V) { f.Emit(EncFRECPE(d, n)) }

// FCVTZS is the int32 d = n truncated.
func (f *File) FCVTZS(n, d V) { f.Emit(EncFCVTZS(d, n)) }

// FCMGT0 is the mask d = n > 0.
func (f *File) FCMGT0(n, d V) { f.Emit(EncFCMGT0(d, n)) }

// FCMLT0 is the mask d = n < 0.
func (f *File) FCMLT0(n, d V) { f.Emit(EncFCMLT0(d, n)) }

// SSHR is the int32 d = n >> shift, arithmetic.
func (f *File) SSHR(shift int, n, d V) { f.Emit(EncSSHR(d, n, shift)) }

// FMLAElem is d += n·m[i], rounded once.
func (f *File) FMLAElem(m V, i int, n, d V) { f.Emit(EncFMLAElem(d, n, m, i)) }

// FADDPScalar is lane 0 of d = n0 + n1.
func (f *File) FADDPScalar(n, d V) { f.Emit(EncFADDPScalar(d, n)) }

// FMAXPScalar is lane 0 of d = max(n0, n1).
func (f *File) FMAXPScalar(n, d V) { f.Emit(EncFMAXPScalar(d, n)) }
