package arm64

import "fmt"

// The encoder of the Advanced SIMD instructions that the Go arm64
// assembler does not know. Each function returns the instruction as a Word:
// its 32 bits, which the emitter writes as WORD $0x…, and its text in the
// Arm syntax, which the emitter writes as the comment after it. Only the
// forms the kernels use are here: 128-bit vectors of four float32 (.4s),
// their lanes (.s[i]), and the scalar pairwise folds.
//
// The bit patterns follow the Arm Architecture Reference Manual (A64,
// "Advanced SIMD three same", "two-register miscellaneous", "vector x
// indexed element", "shift by immediate" and "scalar pairwise"); the
// tests check every form against the output of the GNU assembler.

// Word is one encoded instruction.
type Word struct {
	Bits uint32
	Text string
}

// three-same opcodes for .4s (Q = 1, sz = 0): d = n op m.
const (
	opFADD   = 0x4e20d400
	opFSUB   = 0x4ea0d400
	opFMUL   = 0x6e20dc00
	opFDIV   = 0x6e20fc00
	opFMAX   = 0x4e20f400
	opFMIN   = 0x4ea0f400
	opFMAXNM = 0x4e20c400
	opFMINNM = 0x4ea0c400
	opFCMEQ  = 0x4e20e400
	opFCMGE  = 0x6e20e400
	opFCMGT  = 0x6ea0e400
	opFRECPS = 0x4e20fc00
	opFADDP  = 0x6e20d400
	opFMAXP  = 0x6e20f400
)

// two-register miscellaneous opcodes for .4s: d = op n.
const (
	opFRINTN = 0x4e218800
	opFRINTM = 0x4e219800
	opFSQRT  = 0x6ea1f800
	opFRECPE = 0x4ea1d800
	opFCVTZS = 0x4ea1b800
	opFCVTNS = 0x4e21a800
	opSCVTF  = 0x4e21d800
	opFABS   = 0x4ea0f800
	opFNEG   = 0x6ea0f800
	opFCMGT0 = 0x4ea0c800
	opFCMGE0 = 0x6ea0c800
	opFCMLT0 = 0x4ea0e800
)

// by-element opcodes for .4s with a lane of Vm.s: d (op)= n · m[i].
const (
	opFMLAe = 0x4f801000
	opFMLSe = 0x4f805000
	opFMULe = 0x4f809000
)

// scalar pairwise opcodes: s_d = n[0] op n[1].
const (
	opFADDPs = 0x7e30d800
	opFMAXPs = 0x7e30f800
)

func vs(r V) string { return fmt.Sprintf("v%d.4s", r) }

func three(op uint32, name string, d, n, m V) Word {
	return Word{op | uint32(m)<<16 | uint32(n)<<5 | uint32(d),
		fmt.Sprintf("%s %s, %s, %s", name, vs(d), vs(n), vs(m))}
}

func two(op uint32, name string, d, n V) Word {
	return Word{op | uint32(n)<<5 | uint32(d), fmt.Sprintf("%s %s, %s", name, vs(d), vs(n))}
}

// EncFADD is fadd vd.4s, vn.4s, vm.4s: d = n + m.
func EncFADD(d, n, m V) Word { return three(opFADD, "fadd", d, n, m) }

// EncFSUB is fsub vd.4s, vn.4s, vm.4s: d = n − m.
func EncFSUB(d, n, m V) Word { return three(opFSUB, "fsub", d, n, m) }

// EncFMUL is fmul vd.4s, vn.4s, vm.4s: d = n · m.
func EncFMUL(d, n, m V) Word { return three(opFMUL, "fmul", d, n, m) }

// EncFDIV is fdiv vd.4s, vn.4s, vm.4s: d = n / m.
func EncFDIV(d, n, m V) Word { return three(opFDIV, "fdiv", d, n, m) }

// EncFMAX is fmax vd.4s, vn.4s, vm.4s: d = max(n, m), NaN if either is.
func EncFMAX(d, n, m V) Word { return three(opFMAX, "fmax", d, n, m) }

// EncFMIN is fmin vd.4s, vn.4s, vm.4s: d = min(n, m), NaN if either is.
func EncFMIN(d, n, m V) Word { return three(opFMIN, "fmin", d, n, m) }

// EncFMAXNM is fmaxnm vd.4s, vn.4s, vm.4s: d = max(n, m), a NaN skipped.
func EncFMAXNM(d, n, m V) Word { return three(opFMAXNM, "fmaxnm", d, n, m) }

// EncFMINNM is fminnm vd.4s, vn.4s, vm.4s: d = min(n, m), a NaN skipped.
func EncFMINNM(d, n, m V) Word { return three(opFMINNM, "fminnm", d, n, m) }

// EncFCMEQ is fcmeq vd.4s, vn.4s, vm.4s: d = n == m ? all ones : 0.
func EncFCMEQ(d, n, m V) Word { return three(opFCMEQ, "fcmeq", d, n, m) }

// EncFCMGE is fcmge vd.4s, vn.4s, vm.4s: d = n ≥ m ? all ones : 0.
func EncFCMGE(d, n, m V) Word { return three(opFCMGE, "fcmge", d, n, m) }

// EncFCMGT is fcmgt vd.4s, vn.4s, vm.4s: d = n > m ? all ones : 0.
func EncFCMGT(d, n, m V) Word { return three(opFCMGT, "fcmgt", d, n, m) }

// EncFRECPS is frecps vd.4s, vn.4s, vm.4s: d = 2 − n·m, rounded once.
func EncFRECPS(d, n, m V) Word { return three(opFRECPS, "frecps", d, n, m) }

// EncFADDP is faddp vd.4s, vn.4s, vm.4s: the sums of adjacent pairs of
// n, then of m.
func EncFADDP(d, n, m V) Word { return three(opFADDP, "faddp", d, n, m) }

// EncFMAXP is fmaxp vd.4s, vn.4s, vm.4s: the maxima of adjacent pairs.
func EncFMAXP(d, n, m V) Word { return three(opFMAXP, "fmaxp", d, n, m) }

// EncFRINTN is frintn vd.4s, vn.4s: round to nearest, ties to even.
func EncFRINTN(d, n V) Word { return two(opFRINTN, "frintn", d, n) }

// EncFRINTM is frintm vd.4s, vn.4s: round toward −∞.
func EncFRINTM(d, n V) Word { return two(opFRINTM, "frintm", d, n) }

// EncFSQRT is fsqrt vd.4s, vn.4s.
func EncFSQRT(d, n V) Word { return two(opFSQRT, "fsqrt", d, n) }

// EncFRECPE is frecpe vd.4s, vn.4s: an estimate of 1/n to 8 bits.
func EncFRECPE(d, n V) Word { return two(opFRECPE, "frecpe", d, n) }

// EncFCVTZS is fcvtzs vd.4s, vn.4s: float32 to int32, toward zero.
func EncFCVTZS(d, n V) Word { return two(opFCVTZS, "fcvtzs", d, n) }

// EncFCVTNS is fcvtns vd.4s, vn.4s: float32 to int32, ties to even.
func EncFCVTNS(d, n V) Word { return two(opFCVTNS, "fcvtns", d, n) }

// EncSCVTF is scvtf vd.4s, vn.4s: int32 to float32.
func EncSCVTF(d, n V) Word { return two(opSCVTF, "scvtf", d, n) }

// EncFABS is fabs vd.4s, vn.4s.
func EncFABS(d, n V) Word { return two(opFABS, "fabs", d, n) }

// EncFNEG is fneg vd.4s, vn.4s.
func EncFNEG(d, n V) Word { return two(opFNEG, "fneg", d, n) }

func zero(op uint32, name string, d, n V) Word {
	w := two(op, name, d, n)
	w.Text += ", #0.0"
	return w
}

// EncFCMGT0 is fcmgt vd.4s, vn.4s, #0.0: d = n > 0 ? all ones : 0.
func EncFCMGT0(d, n V) Word { return zero(opFCMGT0, "fcmgt", d, n) }

// EncFCMGE0 is fcmge vd.4s, vn.4s, #0.0: d = n ≥ 0 ? all ones : 0.
func EncFCMGE0(d, n V) Word { return zero(opFCMGE0, "fcmge", d, n) }

// EncFCMLT0 is fcmlt vd.4s, vn.4s, #0.0: d = n < 0 ? all ones : 0.
func EncFCMLT0(d, n V) Word { return zero(opFCMLT0, "fcmlt", d, n) }

// EncSSHR is sshr vd.4s, vn.4s, #shift: arithmetic shift right of each
// int32 by 1 ≤ shift ≤ 32.
func EncSSHR(d, n V, shift int) Word {
	if shift < 1 || shift > 32 {
		panic(fmt.Sprintf("arm64: sshr by %d", shift))
	}
	immhb := uint32(64 - shift) // immh = 01xx selects 32-bit elements
	return Word{0x4f000400 | immhb<<16 | uint32(n)<<5 | uint32(d),
		fmt.Sprintf("sshr %s, %s, #%d", vs(d), vs(n), shift)}
}

func elem(op uint32, name string, d, n, m V, i int) Word {
	if i < 0 || i > 3 {
		panic(fmt.Sprintf("arm64: lane %d of a .4s vector", i))
	}
	// sz = 0: the lane is H:L, and M is bit 4 of the register number.
	l, h := uint32(i&1), uint32(i>>1)
	return Word{op | l<<21 | uint32(m)<<16 | h<<11 | uint32(n)<<5 | uint32(d),
		fmt.Sprintf("%s %s, %s, v%d.s[%d]", name, vs(d), vs(n), m, i)}
}

// EncFMLAElem is fmla vd.4s, vn.4s, vm.s[i]: d += n · m[i], rounded once.
func EncFMLAElem(d, n, m V, i int) Word { return elem(opFMLAe, "fmla", d, n, m, i) }

// EncFMLSElem is fmls vd.4s, vn.4s, vm.s[i]: d −= n · m[i], rounded once.
func EncFMLSElem(d, n, m V, i int) Word { return elem(opFMLSe, "fmls", d, n, m, i) }

// EncFMULElem is fmul vd.4s, vn.4s, vm.s[i]: d = n · m[i].
func EncFMULElem(d, n, m V, i int) Word { return elem(opFMULe, "fmul", d, n, m, i) }

func pairwise(op uint32, name string, d, n V) Word {
	return Word{op | uint32(n)<<5 | uint32(d), fmt.Sprintf("%s s%d, v%d.2s", name, d, n)}
}

// EncFADDPScalar is faddp sd, vn.2s: lane 0 of d = n[0] + n[1], the other
// lanes cleared.
func EncFADDPScalar(d, n V) Word { return pairwise(opFADDPs, "faddp", d, n) }

// EncFMAXPScalar is fmaxp sd, vn.2s: lane 0 of d = max(n[0], n[1]).
func EncFMAXPScalar(d, n V) Word { return pairwise(opFMAXPs, "fmaxp", d, n) }
