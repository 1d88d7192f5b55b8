package arm64

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// encodingCases are the instructions the encoder is checked on: every
// form, with low, high and mixed register numbers, every lane and the
// extreme shifts.
func encodingCases() []Word {
	var out []Word
	regs := [][3]V{{1, 2, 3}, {0, 0, 0}, {31, 30, 29}, {7, 16, 31}, {24, 8, 19}}
	for _, r := range regs {
		d, n, m := r[0], r[1], r[2]
		for _, enc := range []func(d, n, m V) Word{EncFADD, EncFSUB, EncFMUL, EncFDIV,
			EncFMAX, EncFMIN, EncFMAXNM, EncFMINNM, EncFCMEQ, EncFCMGE, EncFCMGT,
			EncFRECPS, EncFADDP, EncFMAXP} {
			out = append(out, enc(d, n, m))
		}
		for _, enc := range []func(d, n V) Word{EncFRINTN, EncFRINTM, EncFSQRT, EncFRECPE,
			EncFCVTZS, EncFCVTNS, EncSCVTF, EncFABS, EncFNEG, EncFCMGT0, EncFCMGE0, EncFCMLT0,
			EncFADDPScalar, EncFMAXPScalar} {
			out = append(out, enc(d, n))
		}
		for i := 0; i < 4; i++ {
			out = append(out, EncFMLAElem(d, n, m, i), EncFMLSElem(d, n, m, i), EncFMULElem(d, n, m, i))
		}
		for _, s := range []int{1, 2, 23, 31, 32} {
			out = append(out, EncSSHR(d, n, s))
		}
	}
	return out
}

// TestEncodings checks each instruction's bits against those the GNU
// assembler gives for its text, in gnuEncodings. With ARM64_ENCODINGS set
// to a file name, it writes the texts and bits there instead, for
// testdata/encodings.sh to assemble and compare.
func TestEncodings(t *testing.T) {
	cases := encodingCases()
	if path := os.Getenv("ARM64_ENCODINGS"); path != "" {
		var b strings.Builder
		for _, w := range cases {
			fmt.Fprintf(&b, "%08x %s\n", w.Bits, w.Text)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := map[string]uint32{}
	for _, l := range strings.Split(strings.TrimSpace(gnuEncodings), "\n") {
		var bits uint32
		l = strings.TrimSpace(l)
		if _, err := fmt.Sscanf(l, "%x", &bits); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		want[strings.TrimSpace(l[8:])] = bits
	}
	for _, w := range cases {
		g, ok := want[w.Text]
		if !ok {
			t.Errorf("%s: no reference encoding (run testdata/encodings.sh)", w.Text)
			continue
		}
		if w.Bits != g {
			t.Errorf("%s: encoded %#08x, the GNU assembler gives %#08x", w.Text, w.Bits, g)
		}
	}
	if len(want) != len(cases) {
		t.Errorf("%d reference encodings for %d cases", len(want), len(cases))
	}
}

func TestEncodingPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"sshr 0":   func() { EncSSHR(0, 0, 0) },
		"sshr 33":  func() { EncSSHR(0, 0, 33) },
		"lane 4":   func() { EncFMLAElem(0, 0, 0, 4) },
		"lane -1":  func() { EncFMULElem(0, 0, 0, -1) },
		"prfm +44": func() { f := NewFile(); f.Function("x"); f.PRFM(Mem{0, 44}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// gnuEncodings is the output of testdata/encodings.sh: the words that the
// GNU assembler (binutils 2.40, Debian 12) gives for each case's text.
const gnuEncodings = `
4e23d441 fadd v1.4s, v2.4s, v3.4s
4ea3d441 fsub v1.4s, v2.4s, v3.4s
6e23dc41 fmul v1.4s, v2.4s, v3.4s
6e23fc41 fdiv v1.4s, v2.4s, v3.4s
4e23f441 fmax v1.4s, v2.4s, v3.4s
4ea3f441 fmin v1.4s, v2.4s, v3.4s
4e23c441 fmaxnm v1.4s, v2.4s, v3.4s
4ea3c441 fminnm v1.4s, v2.4s, v3.4s
4e23e441 fcmeq v1.4s, v2.4s, v3.4s
6e23e441 fcmge v1.4s, v2.4s, v3.4s
6ea3e441 fcmgt v1.4s, v2.4s, v3.4s
4e23fc41 frecps v1.4s, v2.4s, v3.4s
6e23d441 faddp v1.4s, v2.4s, v3.4s
6e23f441 fmaxp v1.4s, v2.4s, v3.4s
4e218841 frintn v1.4s, v2.4s
4e219841 frintm v1.4s, v2.4s
6ea1f841 fsqrt v1.4s, v2.4s
4ea1d841 frecpe v1.4s, v2.4s
4ea1b841 fcvtzs v1.4s, v2.4s
4e21a841 fcvtns v1.4s, v2.4s
4e21d841 scvtf v1.4s, v2.4s
4ea0f841 fabs v1.4s, v2.4s
6ea0f841 fneg v1.4s, v2.4s
4ea0c841 fcmgt v1.4s, v2.4s, #0.0
6ea0c841 fcmge v1.4s, v2.4s, #0.0
4ea0e841 fcmlt v1.4s, v2.4s, #0.0
7e30d841 faddp s1, v2.2s
7e30f841 fmaxp s1, v2.2s
4f831041 fmla v1.4s, v2.4s, v3.s[0]
4f835041 fmls v1.4s, v2.4s, v3.s[0]
4f839041 fmul v1.4s, v2.4s, v3.s[0]
4fa31041 fmla v1.4s, v2.4s, v3.s[1]
4fa35041 fmls v1.4s, v2.4s, v3.s[1]
4fa39041 fmul v1.4s, v2.4s, v3.s[1]
4f831841 fmla v1.4s, v2.4s, v3.s[2]
4f835841 fmls v1.4s, v2.4s, v3.s[2]
4f839841 fmul v1.4s, v2.4s, v3.s[2]
4fa31841 fmla v1.4s, v2.4s, v3.s[3]
4fa35841 fmls v1.4s, v2.4s, v3.s[3]
4fa39841 fmul v1.4s, v2.4s, v3.s[3]
4f3f0441 sshr v1.4s, v2.4s, #1
4f3e0441 sshr v1.4s, v2.4s, #2
4f290441 sshr v1.4s, v2.4s, #23
4f210441 sshr v1.4s, v2.4s, #31
4f200441 sshr v1.4s, v2.4s, #32
4e20d400 fadd v0.4s, v0.4s, v0.4s
4ea0d400 fsub v0.4s, v0.4s, v0.4s
6e20dc00 fmul v0.4s, v0.4s, v0.4s
6e20fc00 fdiv v0.4s, v0.4s, v0.4s
4e20f400 fmax v0.4s, v0.4s, v0.4s
4ea0f400 fmin v0.4s, v0.4s, v0.4s
4e20c400 fmaxnm v0.4s, v0.4s, v0.4s
4ea0c400 fminnm v0.4s, v0.4s, v0.4s
4e20e400 fcmeq v0.4s, v0.4s, v0.4s
6e20e400 fcmge v0.4s, v0.4s, v0.4s
6ea0e400 fcmgt v0.4s, v0.4s, v0.4s
4e20fc00 frecps v0.4s, v0.4s, v0.4s
6e20d400 faddp v0.4s, v0.4s, v0.4s
6e20f400 fmaxp v0.4s, v0.4s, v0.4s
4e218800 frintn v0.4s, v0.4s
4e219800 frintm v0.4s, v0.4s
6ea1f800 fsqrt v0.4s, v0.4s
4ea1d800 frecpe v0.4s, v0.4s
4ea1b800 fcvtzs v0.4s, v0.4s
4e21a800 fcvtns v0.4s, v0.4s
4e21d800 scvtf v0.4s, v0.4s
4ea0f800 fabs v0.4s, v0.4s
6ea0f800 fneg v0.4s, v0.4s
4ea0c800 fcmgt v0.4s, v0.4s, #0.0
6ea0c800 fcmge v0.4s, v0.4s, #0.0
4ea0e800 fcmlt v0.4s, v0.4s, #0.0
7e30d800 faddp s0, v0.2s
7e30f800 fmaxp s0, v0.2s
4f801000 fmla v0.4s, v0.4s, v0.s[0]
4f805000 fmls v0.4s, v0.4s, v0.s[0]
4f809000 fmul v0.4s, v0.4s, v0.s[0]
4fa01000 fmla v0.4s, v0.4s, v0.s[1]
4fa05000 fmls v0.4s, v0.4s, v0.s[1]
4fa09000 fmul v0.4s, v0.4s, v0.s[1]
4f801800 fmla v0.4s, v0.4s, v0.s[2]
4f805800 fmls v0.4s, v0.4s, v0.s[2]
4f809800 fmul v0.4s, v0.4s, v0.s[2]
4fa01800 fmla v0.4s, v0.4s, v0.s[3]
4fa05800 fmls v0.4s, v0.4s, v0.s[3]
4fa09800 fmul v0.4s, v0.4s, v0.s[3]
4f3f0400 sshr v0.4s, v0.4s, #1
4f3e0400 sshr v0.4s, v0.4s, #2
4f290400 sshr v0.4s, v0.4s, #23
4f210400 sshr v0.4s, v0.4s, #31
4f200400 sshr v0.4s, v0.4s, #32
4e3dd7df fadd v31.4s, v30.4s, v29.4s
4ebdd7df fsub v31.4s, v30.4s, v29.4s
6e3ddfdf fmul v31.4s, v30.4s, v29.4s
6e3dffdf fdiv v31.4s, v30.4s, v29.4s
4e3df7df fmax v31.4s, v30.4s, v29.4s
4ebdf7df fmin v31.4s, v30.4s, v29.4s
4e3dc7df fmaxnm v31.4s, v30.4s, v29.4s
4ebdc7df fminnm v31.4s, v30.4s, v29.4s
4e3de7df fcmeq v31.4s, v30.4s, v29.4s
6e3de7df fcmge v31.4s, v30.4s, v29.4s
6ebde7df fcmgt v31.4s, v30.4s, v29.4s
4e3dffdf frecps v31.4s, v30.4s, v29.4s
6e3dd7df faddp v31.4s, v30.4s, v29.4s
6e3df7df fmaxp v31.4s, v30.4s, v29.4s
4e218bdf frintn v31.4s, v30.4s
4e219bdf frintm v31.4s, v30.4s
6ea1fbdf fsqrt v31.4s, v30.4s
4ea1dbdf frecpe v31.4s, v30.4s
4ea1bbdf fcvtzs v31.4s, v30.4s
4e21abdf fcvtns v31.4s, v30.4s
4e21dbdf scvtf v31.4s, v30.4s
4ea0fbdf fabs v31.4s, v30.4s
6ea0fbdf fneg v31.4s, v30.4s
4ea0cbdf fcmgt v31.4s, v30.4s, #0.0
6ea0cbdf fcmge v31.4s, v30.4s, #0.0
4ea0ebdf fcmlt v31.4s, v30.4s, #0.0
7e30dbdf faddp s31, v30.2s
7e30fbdf fmaxp s31, v30.2s
4f9d13df fmla v31.4s, v30.4s, v29.s[0]
4f9d53df fmls v31.4s, v30.4s, v29.s[0]
4f9d93df fmul v31.4s, v30.4s, v29.s[0]
4fbd13df fmla v31.4s, v30.4s, v29.s[1]
4fbd53df fmls v31.4s, v30.4s, v29.s[1]
4fbd93df fmul v31.4s, v30.4s, v29.s[1]
4f9d1bdf fmla v31.4s, v30.4s, v29.s[2]
4f9d5bdf fmls v31.4s, v30.4s, v29.s[2]
4f9d9bdf fmul v31.4s, v30.4s, v29.s[2]
4fbd1bdf fmla v31.4s, v30.4s, v29.s[3]
4fbd5bdf fmls v31.4s, v30.4s, v29.s[3]
4fbd9bdf fmul v31.4s, v30.4s, v29.s[3]
4f3f07df sshr v31.4s, v30.4s, #1
4f3e07df sshr v31.4s, v30.4s, #2
4f2907df sshr v31.4s, v30.4s, #23
4f2107df sshr v31.4s, v30.4s, #31
4f2007df sshr v31.4s, v30.4s, #32
4e3fd607 fadd v7.4s, v16.4s, v31.4s
4ebfd607 fsub v7.4s, v16.4s, v31.4s
6e3fde07 fmul v7.4s, v16.4s, v31.4s
6e3ffe07 fdiv v7.4s, v16.4s, v31.4s
4e3ff607 fmax v7.4s, v16.4s, v31.4s
4ebff607 fmin v7.4s, v16.4s, v31.4s
4e3fc607 fmaxnm v7.4s, v16.4s, v31.4s
4ebfc607 fminnm v7.4s, v16.4s, v31.4s
4e3fe607 fcmeq v7.4s, v16.4s, v31.4s
6e3fe607 fcmge v7.4s, v16.4s, v31.4s
6ebfe607 fcmgt v7.4s, v16.4s, v31.4s
4e3ffe07 frecps v7.4s, v16.4s, v31.4s
6e3fd607 faddp v7.4s, v16.4s, v31.4s
6e3ff607 fmaxp v7.4s, v16.4s, v31.4s
4e218a07 frintn v7.4s, v16.4s
4e219a07 frintm v7.4s, v16.4s
6ea1fa07 fsqrt v7.4s, v16.4s
4ea1da07 frecpe v7.4s, v16.4s
4ea1ba07 fcvtzs v7.4s, v16.4s
4e21aa07 fcvtns v7.4s, v16.4s
4e21da07 scvtf v7.4s, v16.4s
4ea0fa07 fabs v7.4s, v16.4s
6ea0fa07 fneg v7.4s, v16.4s
4ea0ca07 fcmgt v7.4s, v16.4s, #0.0
6ea0ca07 fcmge v7.4s, v16.4s, #0.0
4ea0ea07 fcmlt v7.4s, v16.4s, #0.0
7e30da07 faddp s7, v16.2s
7e30fa07 fmaxp s7, v16.2s
4f9f1207 fmla v7.4s, v16.4s, v31.s[0]
4f9f5207 fmls v7.4s, v16.4s, v31.s[0]
4f9f9207 fmul v7.4s, v16.4s, v31.s[0]
4fbf1207 fmla v7.4s, v16.4s, v31.s[1]
4fbf5207 fmls v7.4s, v16.4s, v31.s[1]
4fbf9207 fmul v7.4s, v16.4s, v31.s[1]
4f9f1a07 fmla v7.4s, v16.4s, v31.s[2]
4f9f5a07 fmls v7.4s, v16.4s, v31.s[2]
4f9f9a07 fmul v7.4s, v16.4s, v31.s[2]
4fbf1a07 fmla v7.4s, v16.4s, v31.s[3]
4fbf5a07 fmls v7.4s, v16.4s, v31.s[3]
4fbf9a07 fmul v7.4s, v16.4s, v31.s[3]
4f3f0607 sshr v7.4s, v16.4s, #1
4f3e0607 sshr v7.4s, v16.4s, #2
4f290607 sshr v7.4s, v16.4s, #23
4f210607 sshr v7.4s, v16.4s, #31
4f200607 sshr v7.4s, v16.4s, #32
4e33d518 fadd v24.4s, v8.4s, v19.4s
4eb3d518 fsub v24.4s, v8.4s, v19.4s
6e33dd18 fmul v24.4s, v8.4s, v19.4s
6e33fd18 fdiv v24.4s, v8.4s, v19.4s
4e33f518 fmax v24.4s, v8.4s, v19.4s
4eb3f518 fmin v24.4s, v8.4s, v19.4s
4e33c518 fmaxnm v24.4s, v8.4s, v19.4s
4eb3c518 fminnm v24.4s, v8.4s, v19.4s
4e33e518 fcmeq v24.4s, v8.4s, v19.4s
6e33e518 fcmge v24.4s, v8.4s, v19.4s
6eb3e518 fcmgt v24.4s, v8.4s, v19.4s
4e33fd18 frecps v24.4s, v8.4s, v19.4s
6e33d518 faddp v24.4s, v8.4s, v19.4s
6e33f518 fmaxp v24.4s, v8.4s, v19.4s
4e218918 frintn v24.4s, v8.4s
4e219918 frintm v24.4s, v8.4s
6ea1f918 fsqrt v24.4s, v8.4s
4ea1d918 frecpe v24.4s, v8.4s
4ea1b918 fcvtzs v24.4s, v8.4s
4e21a918 fcvtns v24.4s, v8.4s
4e21d918 scvtf v24.4s, v8.4s
4ea0f918 fabs v24.4s, v8.4s
6ea0f918 fneg v24.4s, v8.4s
4ea0c918 fcmgt v24.4s, v8.4s, #0.0
6ea0c918 fcmge v24.4s, v8.4s, #0.0
4ea0e918 fcmlt v24.4s, v8.4s, #0.0
7e30d918 faddp s24, v8.2s
7e30f918 fmaxp s24, v8.2s
4f931118 fmla v24.4s, v8.4s, v19.s[0]
4f935118 fmls v24.4s, v8.4s, v19.s[0]
4f939118 fmul v24.4s, v8.4s, v19.s[0]
4fb31118 fmla v24.4s, v8.4s, v19.s[1]
4fb35118 fmls v24.4s, v8.4s, v19.s[1]
4fb39118 fmul v24.4s, v8.4s, v19.s[1]
4f931918 fmla v24.4s, v8.4s, v19.s[2]
4f935918 fmls v24.4s, v8.4s, v19.s[2]
4f939918 fmul v24.4s, v8.4s, v19.s[2]
4fb31918 fmla v24.4s, v8.4s, v19.s[3]
4fb35918 fmls v24.4s, v8.4s, v19.s[3]
4fb39918 fmul v24.4s, v8.4s, v19.s[3]
4f3f0518 sshr v24.4s, v8.4s, #1
4f3e0518 sshr v24.4s, v8.4s, #2
4f290518 sshr v24.4s, v8.4s, #23
4f210518 sshr v24.4s, v8.4s, #31
4f200518 sshr v24.4s, v8.4s, #32
`
