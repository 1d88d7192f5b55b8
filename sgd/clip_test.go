package sgd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestClipValue(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	in := []float32{-3, -1, -0.5, negZero, 0, 1e-40, 0.5, 1, 1.5, inf, -inf, nan}
	for _, c := range []float32{1, 0.75, 0} {
		params := []Param{
			{W: make([]float32, 2), G: slices.Clone(in[:2])},
			{W: make([]float32, 10), G: slices.Clone(in[2:])},
		}
		ClipValue(params, c)
		got := append(slices.Clone(params[0].G), params[1].G...)
		for i, x := range in {
			want := x
			if x > c {
				want = c
			} else if x < -c {
				want = -c
			}
			if math.IsNaN(float64(x)) {
				if !math.IsNaN(float64(got[i])) {
					t.Errorf("c = %v: ClipValue(NaN) = %v, want NaN", c, got[i])
				}
			} else if got[i] != want {
				t.Errorf("c = %v: ClipValue(%v) = %v, want %v", c, x, got[i], want)
			}
		}
	}
	if msg := catch(func() { ClipValue(nil, -1) }); msg == "" {
		t.Error("ClipValue with c < 0 did not panic")
	}
}

// normRef is the global norm in float64.
func normRef(params []Param) float64 {
	var s float64
	for _, p := range params {
		for _, g := range p.G {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

func randomGrads(seed uint64, scale float64) []Param {
	rng := rand.New(rand.NewPCG(seed, 0))
	params := newParams(rng)
	for _, p := range params {
		fill(rng, p.G, 0, scale)
	}
	return params
}

// normTol bounds the relative error of GlobalNorm: a float32 sum of n
// non-negative squares (Dot) is within n·2⁻²⁴ of Σ g² (Higham §3.1), and
// the root halves relative errors; n is at most 300 here.
const normTol = 300 * 0x1p-24 / 2

func TestGlobalNorm(t *testing.T) {
	for _, scale := range []float64{1e-30, 1, 1e20} { // 1e20² overflows float32
		params := randomGrads(1, scale)
		got, want := GlobalNorm(params), normRef(params)
		if math.Abs(got-want) > normTol*want || want == 0 {
			t.Errorf("scale %g: GlobalNorm = %v, want %v", scale, got, want)
		}
	}
	if got := GlobalNorm(nil); got != 0 {
		t.Errorf("GlobalNorm(nil) = %v, want 0", got)
	}
	for _, special := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		params := randomGrads(2, 1)
		params[1].G[3] = float32(special)
		got := GlobalNorm(params)
		if math.IsNaN(special) != math.IsNaN(got) || !math.IsNaN(special) && !math.IsInf(got, 1) {
			t.Errorf("GlobalNorm with a gradient %v = %v", special, got)
		}
	}
}

func TestClipGlobalNorm(t *testing.T) {
	// Above the limit: every gradient scaled by one factor, once rounded.
	params := randomGrads(3, 1)
	orig := clone(params)
	want := normRef(orig)
	maxNorm := want / 3
	norm := ClipGlobalNorm(params, maxNorm)
	if math.Abs(norm-want) > normTol*want {
		t.Fatalf("ClipGlobalNorm returned %v, want the norm before, %v", norm, want)
	}
	f := float32(maxNorm / norm)
	for i, p := range params {
		for e, g := range p.G {
			if g != orig[i].G[e]*f {
				t.Fatalf("%s[%d] = %v, want %v·%v", p.Name, e, g, orig[i].G[e], f)
			}
		}
	}
	if after := normRef(params); math.Abs(after-maxNorm) > normTol*maxNorm {
		t.Fatalf("norm after clipping %v, want %v", after, maxNorm)
	}

	// At or below the limit, or not finite: untouched.
	for _, c := range []struct {
		name    string
		special float64
		max     float64
	}{{"below", 0, 2 * want}, {"NaN", math.NaN(), 1}, {"Inf", math.Inf(-1), 1}} {
		params := randomGrads(3, 1)
		if c.special != 0 {
			params[2].G[5] = float32(c.special)
		}
		orig := clone(params)
		norm := ClipGlobalNorm(params, c.max)
		for i := range params {
			if !sameBits(params[i].G, orig[i].G) {
				t.Errorf("%s: gradients changed", c.name)
			}
		}
		if c.special != 0 && isFinite(norm) {
			t.Errorf("%s: norm %v, want it not finite", c.name, norm)
		}
	}
}

func TestNormalizeGlobal(t *testing.T) {
	for _, target := range []float64{0.01, 1, 1000} {
		params := randomGrads(4, 1)
		orig := clone(params)
		want := normRef(orig)
		before := NormalizeGlobal(params, target)
		if math.Abs(before-want) > normTol*want {
			t.Fatalf("NormalizeGlobal returned %v, want the norm before, %v", before, want)
		}
		f := float32(target / before)
		for i, p := range params {
			for e, g := range p.G {
				if g != orig[i].G[e]*f {
					t.Fatalf("%s[%d] = %v, want %v·%v", p.Name, e, g, orig[i].G[e], f)
				}
			}
		}
		if after := normRef(params); math.Abs(after-target) > normTol*target {
			t.Fatalf("norm after normalising %v, want %v", after, target)
		}
	}

	// A zero gradient stays zero (not NaN); so does a NaN one stay as it was.
	zero := []Param{{W: make([]float32, 5), G: make([]float32, 5)}}
	if before := NormalizeGlobal(zero, 1); before != 0 || slices.Max(zero[0].G) != 0 ||
		slices.Min(zero[0].G) != 0 {
		t.Errorf("NormalizeGlobal of a zero gradient returned %v and left %v", before, zero[0].G)
	}
	params := randomGrads(5, 1)
	params[0].G[0] = float32(math.NaN())
	orig := clone(params)
	if before := NormalizeGlobal(params, 1); !math.IsNaN(before) {
		t.Errorf("NormalizeGlobal with a NaN gradient returned %v", before)
	}
	for i := range params {
		if !sameBits(params[i].G, orig[i].G) {
			t.Errorf("NormalizeGlobal changed a NaN gradient")
		}
	}
}
