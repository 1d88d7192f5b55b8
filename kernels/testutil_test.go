package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachPath runs f as a subtest for every path this CPU can run.
func forEachPath(t *testing.T, f func(t *testing.T, p *Impl)) {
	t.Helper()
	for _, p := range Impls() {
		t.Run(p.Name(), func(t *testing.T) { f(t, p) })
	}
}

// guard is the value around every output window; a kernel that writes
// outside its slice changes it. It is a NaN with a payload no arithmetic
// produces, so any write is seen.
var guard = math.Float32frombits(0x7fa5a5a5)

// guardLead is the length of the guard band before every output window:
// a whole vector of the widest path, so that a write one vector early is
// caught whatever the offset, and so that the window's alignment is that
// of off alone.
const guardLead = 16

// guarded returns a slice of n elements starting guardLead+off elements
// into a larger buffer whose other elements hold guard, and that buffer.
func guarded(n, off int) (s, buf []float32) {
	buf = make([]float32, guardLead+off+n+37)
	for i := range buf {
		buf[i] = guard
	}
	at := guardLead + off
	return buf[at : at+n : at+n], buf
}

// checkGuards fails the test if anything of buf outside the window that
// guarded(n, off) returned changed.
func checkGuards(t *testing.T, buf []float32, off, n int) {
	t.Helper()
	lo, hi := guardLead+off, guardLead+off+n
	for i, v := range buf {
		if (i < lo || i >= hi) && math.Float32bits(v) != math.Float32bits(guard) {
			t.Fatalf("write outside the output: element %d of the buffer (output is [%d, %d)) = %v", i, lo, hi, v)
		}
	}
}

// specials are the values every kernel meets in its inputs.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1.1754942e-38, -1.1754942e-38, // largest subnormal
	1.17549435e-38, // smallest normal
	0.625, -0.625, 0.62499994, 88.72, 88.7228, 88.73, -87.33, -103.97, -103.98, -104, 89, -150,
	1e-7, -1e-7, 20, -20, 9, -9,
	// tanh's edges: where 2|x| first rounds to n = 1 (ln2/4), where tanh
	// rounds to 1 (13·ln2), and its clamp.
	0.1732868, -0.17328681, 9.010913, -9.010914, 9.1, 9.099999, -9.1,
	0x1p-12, -0x1p-12, 0.00024414061, // where tanh stops returning x
}

// values fills s with a mix: specials, raw bit patterns, ordinary numbers of
// every magnitude, and numbers in the range where exp is interesting.
func values(r *rand.Rand, s []float32) {
	for i := range s {
		switch k := r.IntN(20); {
		case k < 2:
			s[i] = specials[r.IntN(len(specials))]
		case k < 4:
			s[i] = math.Float32frombits(r.Uint32())
		case k < 8:
			s[i] = float32(math.Ldexp(r.Float64()+0.5, r.IntN(38)-30))
			if r.IntN(2) == 0 {
				s[i] = -s[i]
			}
		case k < 12:
			s[i] = float32(r.Float64()*220 - 110)
		default:
			s[i] = float32(r.Float64()*8 - 4)
		}
	}
}

// finite fills s with numbers whose sums and products cannot overflow.
func finite(r *rand.Rand, s []float32) {
	for i := range s {
		s[i] = float32(math.Ldexp(r.Float64()*2-1, r.IntN(20)-10))
	}
}

// sameBits reports whether a and b are the same float32, counting every NaN
// as the same.
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// ulpAt returns the spacing of float32 numbers at |t|.
func ulpAt(t float64) float64 {
	t = math.Abs(t)
	if t < 0x1p-126 {
		return 0x1p-149
	}
	if t >= math.MaxFloat32 {
		return 0x1p104
	}
	_, e := math.Frexp(t) // t = f·2^e, f in [0.5, 1)
	return math.Ldexp(1, e-24)
}

// ulpErr returns |y − t| in ULP of float32 at t, where t is exact. An
// infinite y counts as one step beyond MaxFloat32; a mismatch of NaN or of
// infinities is +Inf.
func ulpErr(y float32, t float64) float64 {
	switch {
	case math.IsNaN(t) || y != y:
		if math.IsNaN(t) && y != y {
			return 0
		}
		return math.Inf(1)
	case math.IsInf(t, 0) && math.IsInf(float64(y), 0):
		if math.Signbit(t) == math.Signbit(float64(y)) {
			return 0
		}
		return math.Inf(1)
	}
	if math.IsInf(float64(float32(t)), 0) {
		t = math.Inf(int(math.Copysign(1, t))) // t rounds to an infinity
		if math.IsInf(float64(y), 0) && math.Signbit(t) == math.Signbit(float64(y)) {
			return 0
		}
	}
	yy := float64(y)
	if math.IsInf(yy, 0) {
		yy = math.Copysign(math.MaxFloat32+0x1p104, yy)
	}
	if math.IsInf(t, 0) {
		t = math.Copysign(math.MaxFloat32+0x1p104, t)
	}
	return math.Abs(yy-t) / ulpAt(t)
}

// unsafeData returns &buf[off], valid even when the window there is empty.
func unsafeData(buf []float32, off int) *float32 { return &buf[off] }
