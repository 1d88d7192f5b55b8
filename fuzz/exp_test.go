package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"testing"
)

// An expKind names a function of the exp family, which the paths compute
// within a bound of the exact value rather than bit for bit.
type expKind uint8

const (
	expNone expKind = iota // not of the exp family: compared bit for bit
	expExp
	expSigmoid
	expTanh
)

// The bounds in ULP of the float32 result (the distance to the exact value
// over the spacing of float32 there, that of the subnormals below the
// smallest normal): those of the kernels' own tests and doc comments.
var expBounds = [...]float64{expExp: 2, expSigmoid: 3, expTanh: 3}

var expNames = [...]string{"", "Exp", "Sigmoid", "Tanh"}

func sigmoid64(x float64) float64 {
	if x < 0 {
		e := math.Exp(x)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(-x))
}

// exact returns the exact value of k at x (to float64 precision, some
// 2^29 times finer than the bounds).
func (k expKind) exact(x float32) float64 {
	switch k {
	case expExp:
		return math.Exp(float64(x))
	case expSigmoid:
		return sigmoid64(float64(x))
	}
	return math.Tanh(float64(x))
}

// saturated returns the value that k must give exactly at x, if there is
// one: NaN for NaN; at ±Inf, ±0 and where the function has reached its
// limit far beyond the bound (exp above its overflow and below its
// underflow, sigmoid and tanh where they are 0, 1 or ±1 to many ULP, tanh
// near 0 where tanh(x) rounds to x), the value itself.
func (k expKind) saturated(x float32) (float32, bool) {
	if x != x {
		return x, true
	}
	switch k {
	case expExp:
		switch {
		case x == 0:
			return 1, true
		case x >= 89:
			return float32(math.Inf(1)), true
		case x <= -104:
			return 0, true
		}
	case expSigmoid:
		switch {
		case x == 0:
			return 0.5, true
		case x >= 20:
			return 1, true
		case x <= -104:
			return 0, true
		}
	case expTanh:
		switch {
		case x >= 10:
			return 1, true
		case x <= -10:
			return -1, true
		case math.Abs(float64(x)) <= 0x1p-13:
			return x, true // tanh(x) = x(1 − x²/3 …) and x²/3 < 2^−27
		}
	}
	return 0, false
}

// checkExp returns "" if y is a good value of k at x, or what is wrong:
// the exact value where one is required, the sign and range of the
// function everywhere, and the ULP bound.
func checkExp(k expKind, x, y float32) string {
	if want, ok := k.saturated(x); ok {
		if !sameBits(y, want) {
			return fmt.Sprintf("%s(%v (%#08x)) = %v (%#08x), want exactly %v",
				expNames[k], x, math.Float32bits(x), y, math.Float32bits(y), want)
		}
		return ""
	}
	neg := math.Signbit(float64(y))
	var inRange bool
	switch k {
	case expExp:
		inRange = !neg && y == y
	case expSigmoid:
		inRange = !neg && y <= 1
	case expTanh:
		inRange = neg == math.Signbit(float64(x)) && y >= -1 && y <= 1
	}
	t := k.exact(x)
	if !inRange {
		return fmt.Sprintf("%s(%v (%#08x)) = %v (%#08x): out of the range of the function (exact %v)",
			expNames[k], x, math.Float32bits(x), y, math.Float32bits(y), t)
	}
	if e := ulpErr(y, t); !(e <= expBounds[k]) {
		return fmt.Sprintf("%s(%v (%#08x)) = %v (%#08x), exact %v: %.3g ULP, bound %v",
			expNames[k], x, math.Float32bits(x), y, math.Float32bits(y), t, e, expBounds[k])
	}
	return ""
}

// expOps are Exp, Sigmoid and Tanh, as ewOps.
var expOps = streamOps[len(streamOps)-3:]

// FuzzExpFamily checks Exp, Sigmoid and Tanh on every path, the generic
// one included, against float64: within 2 ULP (exp) and 3 ULP (sigmoid,
// tanh), special values and saturated results exact; with the placements,
// aliasing and wrong lengths of FuzzElementwise. The values are dense
// where the functions are interesting (|x| up to 256) and, when nudge is
// set, moved by up to ±8 ULP each, so that the thresholds among the
// special values are approached from both sides.
func FuzzExpFamily(f *testing.F) {
	for op := range expOps {
		for _, n := range []uint16{0, 1, 15, 16, 17, 64, 65, 100, 200, 1024} {
			mode := uint8(op+int(n))%2 | uint8(n%4)<<3
			f.Add(uint8(op), n, mode, uint32(n)*0x03050709, false, []byte{byte(n), byte(op)})
			f.Add(uint8(op), n, uint8(3<<3), uint32(n), true, []byte{0x40, byte(n)})
		}
		f.Add(uint8(op), uint16(33), uint8(6<<5|1), uint32(0x0101), false, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, op uint8, n uint16, mode uint8, place uint32, nudge bool, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		o := expOps[int(op)%len(expOps)]
		c := decodeEW(o, int(n)%1025, mode, place, 0, data)
		if nudge {
			s := newSource(data, 0)
			for _, v := range c.vals {
				for i, x := range v {
					d := int32(s.byte()%17) - 8
					v[i] = math.Float32frombits(uint32(int32(math.Float32bits(x)) + d))
				}
			}
		}
		x := c.vals[1]
		if c.rep[1] == 0 {
			x = c.vals[0]
		}
		for _, p := range paths {
			got := c.run(t, p)
			if c.panics {
				continue
			}
			for i, v := range x {
				if msg := checkExp(o.ulp, v, got[i]); msg != "" {
					t.Fatalf("%s on %s: element %d: %s", c, p.Name(), i, msg)
				}
			}
		}
	})
}
