package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// reduceRef returns what Dot (y not nil) or Sum (y nil) may give: the
// exact sum of the terms, x[i]·y[i] or x[i], within γ_n·Σ|terms| of it.
// float32 rounds each product of Dot before it is summed (or not at all,
// with an FMA); a product that is subnormal in float32 may be off by half
// the smallest subnormal, an absolute error the relative bound does not
// cover. Sums of subnormals are exact. When Σ|terms| comes near
// MaxFloat32 a partial sum may overflow, and any infinity or NaN is
// acceptable too.
func reduceRef(x, y []float32) ref {
	var s terms
	for i, v := range x {
		t := float64(v)
		if y != nil {
			t *= float64(y[i])
			if a := math.Abs(t); a != 0 && a < 0x1p-126 {
				s.tinyProducts++
			}
		}
		s.add(t)
	}
	n := len(x)
	g := gamma(n)
	return ref{
		want:  s.value(),
		bound: g*s.abs + float64(s.tinyProducts)*0x1p-150,
		risky: s.abs*(1+2*g) >= math.MaxFloat32,
	}
}

// FuzzReduce checks Dot and Sum on every path against a float64 sum: within
// γ_n·Σ|terms|, γ_n = nε/(1−nε); NaN for a NaN term or infinities of both
// signs, the infinity for infinities of one sign. It also crosses the
// 64Ki-element chunks the kernels cut long slices into, places x and y
// as FuzzElementwise does (Dot(x, x) included), and checks that slices of
// different lengths panic, naming them, and that no input changes.
func FuzzReduce(f *testing.F) {
	for _, n := range []uint32{0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4097} {
		for dot := range uint8(2) {
			f.Add(dot, n, uint8(n%4)<<3|uint8(n%2), uint32(n)*0x01010101, []byte{byte(n), dot})
		}
	}
	f.Add(uint8(1), uint32(1<<16+5), uint8(0), uint32(0), []byte{1})
	f.Add(uint8(0), uint32(3<<16), uint8(2<<3), uint32(0x0100), []byte{2})
	f.Add(uint8(1), uint32(40), uint8(3<<3|4), uint32(0), []byte{0x80, 0x7f, 0, 0x80})
	f.Add(uint8(1), uint32(9), uint8(6<<5), uint32(0), []byte(nil))
	f.Add(uint8(1), uint32(9), uint8(7<<5|1), uint32(0x0101), []byte(nil))
	f.Fuzz(func(t *testing.T, op uint8, n uint32, mode uint8, place uint32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		// Lengths up to 1 Ki mostly; the chunk edges (64 Ki) one time in 8.
		length := int(n % 1025)
		if n>>29 == 7 {
			length = int(n % (3<<16 + 2))
		}
		dot := op%2 == 1
		src := newSource(data, mode>>3)
		lx, ly := length, length
		same := dot && mode&7 == 1 // Dot(x, x)
		panics := false
		if w := mode >> 5; dot && w >= 6 {
			same = false
			panics = true
			if w == 6 {
				if ly == 0 {
					ly = 1
				} else {
					ly--
				}
			} else {
				lx++
			}
		}
		wx := newWin(lx, uint8(place))
		defer wx.free()
		src.fill(wx.s())
		x := wx.s()
		var y []float32
		var wy *win
		if dot {
			y = x
			if !same {
				wy = newWin(ly, uint8(place>>8))
				defer wy.free()
				src.fill(wy.s())
				y = wy.s()
			}
		}
		sx, sy := snapshot(x), snapshot(y)
		what := func(p *kernels.Impl) string {
			name := "Sum"
			if dot {
				name = "Dot"
			}
			return fmt.Sprintf("%s of %d and %d elements (same slice: %v) on %s",
				name, len(x), len(y), same, p.Name())
		}
		var r ref
		if !panics {
			if dot {
				r = reduceRef(x, y)
			} else {
				r = reduceRef(x, nil)
			}
		}
		for _, p := range paths {
			var got float32
			run := func() {
				if dot {
					got = p.Dot(x, y)
				} else {
					got = p.Sum(x)
				}
			}
			if panics {
				mustPanic(t, what(p), run, "kernels: Dot:", "len(x) = ", "len(y) = ")
			} else {
				mustRun(t, what(p), run)
				if !r.ok(got) {
					t.Fatalf("%s = %v (%#08x), want %s", what(p), got, math.Float32bits(got), r)
				}
			}
			if msg := wx.guardsOK(); msg != "" {
				t.Fatalf("%s: x: %s", what(p), msg)
			}
			if wy != nil {
				if msg := wy.guardsOK(); msg != "" {
					t.Fatalf("%s: y: %s", what(p), msg)
				}
			}
			if i := changed(x, sx); i >= 0 {
				t.Fatalf("%s: x[%d] changed", what(p), i)
			}
			if i := changed(y, sy); i >= 0 {
				t.Fatalf("%s: y[%d] changed", what(p), i)
			}
		}
	})
}
