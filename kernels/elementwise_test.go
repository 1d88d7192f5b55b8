package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// An ewCase is one elementwise kernel with its reference.
//
// Exact kernels (ulps == 0) must give, on every path, the same bits as
// want, the documented Go loop: their operations are the IEEE ones, rounded
// at the same points, so there is no excuse for a difference. The exp-based
// kernels are compared with truth, computed in float64, within ulps.
type ewCase struct {
	name    string
	inputs  int       // slices read
	scalars []float32 // values tried for the scalar argument, if any
	run     func(p *Impl, dst []float32, in [][]float32, s float32)
	want    func(in []float32, s float32) float32
	ulps    float64
	truth   func(x float64) float64
}

var alphas = []float32{0.01, -2.5, 0, 1}

var ewCases = []ewCase{
	{name: "Axpy", inputs: 2, scalars: alphas,
		// Axpy works in place on y: run copies y to dst first.
		run: func(p *Impl, dst []float32, in [][]float32, s float32) {
			copy(dst, in[1])
			p.Axpy(s, in[0], dst)
		},
		want: func(in []float32, s float32) float32 { return in[1] + float32(s*in[0]) }},
	{name: "Scale", inputs: 1, scalars: alphas,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) {
			copy(dst, in[0])
			p.Scale(s, dst)
		},
		want: func(in []float32, s float32) float32 { return s * in[0] }},
	{name: "Add", inputs: 2,
		run:  func(p *Impl, dst []float32, in [][]float32, s float32) { p.Add(dst, in[0], in[1]) },
		want: func(in []float32, s float32) float32 { return in[0] + in[1] }},
	{name: "Mul", inputs: 2,
		run:  func(p *Impl, dst []float32, in [][]float32, s float32) { p.Mul(dst, in[0], in[1]) },
		want: func(in []float32, s float32) float32 { return in[0] * in[1] }},
	{name: "ReLU", inputs: 1,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.ReLU(dst, in[0]) },
		want: func(in []float32, s float32) float32 {
			if in[0] < 0 {
				return 0
			}
			return in[0]
		}},
	{name: "LeakyReLU", inputs: 1, scalars: alphas,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.LeakyReLU(dst, in[0], s) },
		want: func(in []float32, s float32) float32 {
			if in[0] < 0 {
				return s * in[0]
			}
			return in[0]
		}},
	{name: "ReLUDelta", inputs: 2,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.ReLUDelta(dst, in[0], in[1]) },
		want: func(in []float32, s float32) float32 {
			if in[1] > 0 {
				return in[0]
			}
			return 0
		}},
	{name: "LeakyReLUDelta", inputs: 2, scalars: alphas,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) {
			p.LeakyReLUDelta(dst, in[0], in[1], s)
		},
		want: func(in []float32, s float32) float32 {
			if in[1] > 0 {
				return in[0]
			}
			return s * in[0]
		}},
	{name: "SigmoidDelta", inputs: 2,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.SigmoidDelta(dst, in[0], in[1]) },
		want: func(in []float32, s float32) float32 {
			a := in[1]
			return in[0] * float32(a*float32(1-a))
		}},
	{name: "TanhDelta", inputs: 2,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.TanhDelta(dst, in[0], in[1]) },
		want: func(in []float32, s float32) float32 {
			a := in[1]
			return in[0] * float32(float32(1-a)*float32(1+a))
		}},
	// The bounds of the exp-based kernels are measured over all float32 by
	// TestExpFamilyDense, which states the figures; here they are checked on
	// every length, offset and special value.
	{name: "Exp", inputs: 1, ulps: expULPs, truth: math.Exp,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.Exp(dst, in[0]) }},
	{name: "Sigmoid", inputs: 1, ulps: sigmoidULPs, truth: sigmoid64,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.Sigmoid(dst, in[0]) }},
	{name: "Tanh", inputs: 1, ulps: tanhULPs, truth: math.Tanh,
		run: func(p *Impl, dst []float32, in [][]float32, s float32) { p.Tanh(dst, in[0]) }},
}

func sigmoid64(x float64) float64 {
	if x < 0 {
		e := math.Exp(x)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(-x))
}

// testLengths covers every length up to three times the widest vector times
// the widest unroll, plus one, and some beyond, including the chunking.
func testLengths(short bool) []int {
	var ns []int
	for n := 0; n <= 3*16*4+1; n++ {
		ns = append(ns, n)
	}
	ns = append(ns, 255, 256, 257, 1000, 4099)
	if !short {
		ns = append(ns, chunk-1, chunk+17, 2*chunk+5, streamMin+19)
	}
	return ns
}

func TestElementwise(t *testing.T) {
	for _, c := range ewCases {
		t.Run(c.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, p *Impl) { testElementwise(t, p, c) })
		})
	}
}

func testElementwise(t *testing.T, p *Impl, c ewCase) {
	r := rand.New(rand.NewPCG(1, uint64(len(c.name))))
	scalars := c.scalars
	if scalars == nil {
		scalars = []float32{0}
	}
	for _, n := range testLengths(testing.Short()) {
		offs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
		if n > 200 {
			offs = []int{0, 1, 9, 15} // the loops are those of the short lengths
		}
		for _, off := range offs {
			s := scalars[(n+off)%len(scalars)]

			// Inputs at their own offsets, so that no two are aligned alike.
			in := make([][]float32, c.inputs)
			saved := make([][]float32, c.inputs)
			for j := range in {
				o := (off + 5*j) % 16
				in[j] = make([]float32, n+o)[o:]
				values(r, in[j])
				saved[j] = slices.Clone(in[j])
			}
			dst, buf := guarded(n, off)
			c.run(p, dst, in, s)

			checkGuards(t, buf, off, n)
			for j := range in {
				if !slices.EqualFunc(in[j], saved[j], sameBits) {
					t.Fatalf("n=%d off=%d: input %d was modified", n, off, j)
				}
			}
			args := make([]float32, c.inputs)
			for i := range dst {
				for j := range in {
					args[j] = in[j][i]
				}
				if msg := c.check(dst[i], args, s); msg != "" {
					t.Fatalf("n=%d off=%d s=%v: element %d of %v: %s", n, off, s, i, args, msg)
				}
			}

			// In place: dst is each input in turn (Axpy and Scale work in
			// place already).
			if n > 0 && c.name != "Axpy" && c.name != "Scale" {
				want := make([]float32, n)
				c.run(p, want, in, s)
				for j := range in {
					copy(dst, in[j])
					alias := slices.Clone(in)
					alias[j] = dst
					c.run(p, dst, alias, s)
					checkGuards(t, buf, off, n)
					if !slices.EqualFunc(dst, want, sameBits) {
						t.Fatalf("n=%d off=%d: dst as input %d differs from out of place", n, off, j)
					}
				}
			}
		}
	}
}

// check returns what is wrong with y as the result for args, or "".
func (c ewCase) check(y float32, args []float32, s float32) string {
	if c.ulps == 0 {
		if w := c.want(args, s); !sameBits(y, w) {
			return fmt.Sprintf("got %v (%#08x), want %v (%#08x)", y, math.Float32bits(y), w, math.Float32bits(w))
		}
		return ""
	}
	t := c.truth(float64(args[0]))
	if e := ulpErr(y, t); e > c.ulps {
		return fmt.Sprintf("got %v, want %v: %.2f ULP > %v", y, t, e, c.ulps)
	}
	if math.Signbit(float64(y)) != math.Signbit(t) && y == y {
		return fmt.Sprintf("got %v, want %v: wrong sign", y, t)
	}
	return ""
}

// wantOf returns the reference of the ewCase called name.
func wantOf(name string) func(in []float32, s float32) float32 {
	for _, c := range ewCases {
		if c.name == name {
			return c.want
		}
	}
	panic("no ewCase " + name)
}

// TestElementwiseGenericMatchesFloat64 checks the reference loops of the
// exact kernels against float64 arithmetic rounded after each operation,
// which gives the same result for +, −, ·: float64 holds more than twice
// float32's precision, so the double rounding is harmless.
func TestElementwiseGenericMatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	x := make([]float32, 4096)
	y := make([]float32, 4096)
	values(r, x)
	values(r, y)
	f := func(v float64) float32 { return float32(v) }
	for i := range x {
		a, b := float64(x[i]), float64(y[i])
		checks := []struct {
			name string
			got  float32
			want float32
		}{
			{"Axpy", wantOf("Axpy")([]float32{x[i], y[i]}, 0.01), f(b + float64(f(float64(float32(0.01))*a)))},
			{"Add", wantOf("Add")([]float32{x[i], y[i]}, 0), f(a + b)},
			{"Mul", wantOf("Mul")([]float32{x[i], y[i]}, 0), f(a * b)},
			{"SigmoidDelta", wantOf("SigmoidDelta")([]float32{x[i], y[i]}, 0), f(a * float64(f(b*float64(f(1-b)))))},
			{"TanhDelta", wantOf("TanhDelta")([]float32{x[i], y[i]}, 0), f(a * float64(f(float64(f(1-b))*float64(f(1+b)))))},
		}
		for _, c := range checks {
			if !sameBits(c.got, c.want) {
				t.Fatalf("%s(%v, %v) = %v, float64 gives %v", c.name, x[i], y[i], c.got, c.want)
			}
		}
	}
}
