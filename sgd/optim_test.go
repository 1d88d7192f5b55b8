package sgd

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// reference computes one step of an optimiser's documented update on one
// element, in float64: x holds W then the element's state slices, updated
// in place, and t counts steps from 1. With abs set, every subtraction
// adds: called on the absolute values of the inputs it then returns, for
// each result, the sum of the magnitudes of the terms that formed it.
type reference func(x []float64, g, lr float64, t int, abs bool)

func minus(a, b float64, abs bool) float64 {
	if abs {
		return a + b
	}
	return a - b
}

// sgdRef is torch.optim.SGD with dampening 0, its momentum buffer set to
// the first gradient and accumulated after.
func sgdRef(mu, wd float32, nesterov bool) reference {
	m, l2 := float64(mu), float64(wd)
	return func(x []float64, g, lr float64, t int, abs bool) {
		d := g + l2*x[0]
		if mu != 0 {
			if t == 1 {
				x[1] = d
			} else {
				x[1] = m*x[1] + d
			}
			if nesterov {
				d += m * x[1]
			} else {
				d = x[1]
			}
		}
		x[0] = minus(x[0], lr*d, abs)
	}
}

// adamRef is torch.optim.Adam, or AdamW when decoupled, with its bias
// corrections written out.
func adamRef(b1, b2, eps, wd float32, decoupled bool) reference {
	B1, B2, E, L2 := float64(b1), float64(b2), float64(eps), float64(wd)
	return func(x []float64, g, lr float64, t int, abs bool) {
		w, m, v := x[0], x[1], x[2]
		if decoupled {
			w *= 1 - lr*L2
		} else {
			g += L2 * w
		}
		m = B1*m + (1-B1)*g
		v = B2*v + (1-B2)*g*g
		mHat := m / (1 - math.Pow(B1, float64(t)))
		vHat := v / (1 - math.Pow(B2, float64(t)))
		x[0], x[1], x[2] = minus(w, lr*mHat/(math.Sqrt(vHat)+E), abs), m, v
	}
}

// rmspropRef is torch.optim.RMSprop without momentum, not centred.
func rmspropRef(rho, eps, wd float32) reference {
	R, E, L2 := float64(rho), float64(eps), float64(wd)
	return func(x []float64, g, lr float64, t int, abs bool) {
		g += L2 * x[0]
		x[1] = R*x[1] + (1-R)*g*g
		x[0] = minus(x[0], lr*g/(math.Sqrt(x[1])+E), abs)
	}
}

type optCase struct {
	name  string
	new   func() Optimizer
	ref   reference
	kind  string
	slots int     // state slices per parameter
	gMag  float64 // gradients are drawn in ±[0.1, 1]·gMag
}

var optCases = []optCase{
	{"SGD", func() Optimizer { return &SGD{WeightDecay: 1e-3} },
		sgdRef(0, 1e-3, false), "sgd", 0, 1},
	{"Momentum", func() Optimizer { return &SGD{Momentum: 0.9, WeightDecay: 1e-3} },
		sgdRef(0.9, 1e-3, false), "momentum", 1, 1},
	{"Nesterov", func() Optimizer {
		return &SGD{Momentum: 0.8, Nesterov: true, WeightDecay: 1e-3}
	},
		sgdRef(0.8, 1e-3, true), "momentum", 1, 1},
	// Zero fields must mean 0.9, 0.999 and 1e-8; with gradients near 1e-7,
	// Eps changes the step by a quarter or more, so its default shows.
	{"AdamDefaults", func() Optimizer { return &Adam{WeightDecay: 1e-2} },
		adamRef(0.9, 0.999, 1e-8, 1e-2, false), "adam", 2, 1},
	{"AdamTinyGradients", func() Optimizer { return &Adam{} },
		adamRef(0.9, 0.999, 1e-8, 0, false), "adam", 2, 1e-7},
	{"Adam", func() Optimizer {
		return &Adam{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 1e-3}
	},
		adamRef(0.8, 0.99, 1e-6, 1e-3, false), "adam", 2, 1},
	{"AdamW", func() Optimizer {
		return &Adam{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, Decoupled: true}
	}, adamRef(0.8, 0.99, 1e-6, 0.1, true), "adam", 2, 1},
	{"RMSPropDefaults", func() Optimizer { return &RMSProp{WeightDecay: 1e-2} },
		rmspropRef(0.99, 1e-8, 1e-2), "rmsprop", 1, 1},
	{"RMSPropTinyGradients", func() Optimizer { return &RMSProp{} },
		rmspropRef(0.99, 1e-8, 0), "rmsprop", 1, 1e-7},
	{"RMSProp", func() Optimizer { return &RMSProp{Rho: 0.9, Eps: 1e-6, WeightDecay: 1e-3} },
		rmspropRef(0.9, 1e-6, 1e-3), "rmsprop", 1, 1},
}

var testLens = []int{1, 7, 64, 300}

// newParams returns parameters of testLens with weights in ±[0.5, 2].
func newParams(rng *rand.Rand) []Param {
	ps := make([]Param, len(testLens))
	for i, n := range testLens {
		name := "p" + string(rune('a'+i))
		ps[i] = Param{Name: name, W: make([]float32, n), G: make([]float32, n)}
		fill(rng, ps[i].W, 0.5, 2)
	}
	return ps
}

// fill sets x to random values of magnitude in [lo, hi) and random sign.
func fill(rng *rand.Rand, x []float32, lo, hi float64) {
	for i := range x {
		v := lo + (hi-lo)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		x[i] = float32(v)
	}
}

// testLR is the rate of step k (from 1); it varies so that a step using
// another step's rate shows.
func testLR(k int) float32 { return float32(0.01 * (1 + float64(k)/4)) }

// ulpTol is the tolerance of a result, in units of 2⁻²⁴ (the unit
// roundoff of float32, half an ULP of 1) times the magnitude of the terms
// that formed it. The kernels round every operation to float32; the longest
// chain (Adam: the decayed gradient, its square, the second moment, its
// root, the bias corrections folded into two factors, the denominator, the
// quotient and the update of w) has about a dozen roundings, each within
// 2⁻²⁴ of its result. The error analysis of sums and products (Higham,
// Accuracy and Stability of Numerical Algorithms, §3.1) bounds the total by
// about 12·2⁻²⁴ times the expression evaluated on absolute values, which is
// what the references return with abs set, so relative errors are measured
// against that, not against a result that a subtraction made small. 16
// leaves room for the reference computing in another order (the bias
// corrections applied to m and v, not folded) and for the float32 1−β being
// rounded; the largest error seen is about 3 units. A wrong formula, rate,
// step count or default moves results by far more.
const ulpTol = 16

// TestOptimizers checks several steps of every optimiser against the
// float64 reference of its documented update. Before each step the
// reference starts from the optimiser's own float32 state (W, and State's
// slices), so the tolerance bounds one step's rounding; the step count t is
// the test's own.
func TestOptimizers(t *testing.T) {
	for _, c := range optCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			params := newParams(rng)
			opt := c.new()
			worst := 0.0
			for k := 1; k <= 6; k++ {
				for _, p := range params {
					fill(rng, p.G, 0.1*c.gMag, c.gMag)
				}
				lr := testLR(k)
				before := opt.State()
				w0 := make([][]float32, len(params))
				for i, p := range params {
					w0[i] = slices.Clone(p.W)
				}

				opt.Step(params, lr)

				after := opt.State()
				nSlots := c.slots * len(params)
				if after.Kind != c.kind || after.Steps != k || len(after.Slots) != nSlots {
					t.Fatalf("step %d: State() = {Kind %q, Steps %d, %d slots}, want {%q, %d, %d}",
						k, after.Kind, after.Steps, len(after.Slots), c.kind, k, nSlots)
				}
				for i, p := range params {
					for e := range p.W {
						err := checkElement(c, k, lr, p.G[e], w0[i][e], p.W[e],
							before, after, i, e)
						worst = max(worst, err)
						if !(err <= ulpTol) {
							t.Fatalf("step %d, %s[%d]: %.1f units of the terms' magnitude off",
								k, p.Name, e, err)
						}
					}
				}
			}
			t.Logf("largest error: %.2f units of 2⁻²⁴ times the terms' magnitude", worst)
		})
	}
}

// checkElement runs the reference of c on element e of parameter i, which
// was w0 and is now w, and returns the largest difference between the
// reference's results and the optimiser's (W and the state slices), in
// units of 2⁻²⁴ times the terms' magnitude.
func checkElement(c optCase, t int, lr, g, w0, w float32, before, after State, i, e int) float64 {
	x := make([]float64, 1+c.slots)
	x[0] = float64(w0)
	for s := range c.slots {
		if len(before.Slots) > 0 { // empty before the first Step
			x[1+s] = float64(before.Slots[i*c.slots+s][e])
		}
	}
	mag := make([]float64, len(x))
	for j := range x {
		mag[j] = math.Abs(x[j])
	}
	c.ref(x, float64(g), float64(lr), t, false)
	c.ref(mag, math.Abs(float64(g)), float64(lr), t, true)

	worst := 0.0
	for j := range x {
		got := float64(w)
		if j > 0 {
			got = float64(after.Slots[i*c.slots+j-1][e])
		}
		if got != x[j] {
			worst = max(worst, math.Abs(got-x[j])/(mag[j]*0x1p-24))
		}
	}
	return worst
}

// TestStateResume checks that an optimiser restored from a State, on
// parameters restored from the same point, continues bit for bit, and that
// State is a copy.
func TestStateResume(t *testing.T) {
	for _, c := range optCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			params := newParams(rng)
			grads := make([][][]float32, 8) // per step, per parameter
			for k := range grads {
				for _, p := range params {
					g := make([]float32, len(p.G))
					fill(rng, g, 0.1*c.gMag, c.gMag)
					grads[k] = append(grads[k], g)
				}
			}
			run := func(opt Optimizer, ps []Param, from, to int) {
				for k := from; k < to; k++ {
					for i, p := range ps {
						copy(p.G, grads[k][i])
					}
					opt.Step(ps, testLR(k+1))
				}
			}

			a := c.new()
			run(a, params, 0, 4)
			saved := a.State()
			resumed := clone(params)
			run(a, params, 4, 8) // must not change saved

			b := c.new()
			if err := b.SetState(resumed, saved); err != nil {
				t.Fatal(err)
			}
			run(b, resumed, 4, 8)
			for i := range params {
				if !sameBits(params[i].W, resumed[i].W) {
					t.Fatalf("%s differs after resuming", params[i].Name)
				}
			}
			sa, sb := a.State(), b.State()
			if sa.Kind != sb.Kind || sa.Steps != sb.Steps || !sameSlots(sa.Slots, sb.Slots) {
				t.Fatalf("states differ after resuming: steps %d and %d", sa.Steps, sb.Steps)
			}

			// A state exported before the first Step restores a fresh
			// optimiser, even over one that has stepped.
			fresh := c.new()
			zero := fresh.State()
			p1, p2 := clone(params), clone(params)
			if err := b.SetState(p2, zero); err != nil {
				t.Fatal(err)
			}
			run(fresh, p1, 0, 3)
			run(b, p2, 0, 3)
			for i := range p1 {
				if !sameBits(p1[i].W, p2[i].W) {
					t.Fatalf("%s differs after restoring a fresh state", p1[i].Name)
				}
			}
		})
	}
}

// TestSetStateErrors checks that every mismatched state is an error, not a
// panic, and leaves the optimiser as it was.
func TestSetStateErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	params := newParams(rng)
	adam := &Adam{}
	adam.Step(params, 0.01)
	good := adam.State()

	withSlot := func(j int, s []float32) State {
		st := good
		st.Slots = slices.Clone(good.Slots)
		st.Slots[j] = s
		return st
	}
	cases := []struct {
		name   string
		opt    Optimizer
		params []Param
		st     State
		want   string
	}{
		{"kind", &RMSProp{}, params, good, `kind "adam"`},
		{"momentum into plain SGD", &SGD{}, params, (&SGD{Momentum: 0.9}).State(), `"momentum"`},
		{"steps", &Adam{}, params, State{Kind: "adam", Steps: -1}, "negative"},
		{"no slots after steps", &Adam{}, params, State{Kind: "adam", Steps: 3}, "0 state slices"},
		{"too few params", &Adam{}, params[:2], good, "state slices for 2 parameters"},
		{"slot length", &Adam{}, params, withSlot(3, make([]float32, 6)),
			"state slice 3 has length 6"},
		{"nil slot", &Adam{}, params, withSlot(0, nil), "state slice 0 has length 0"},
		{"W and G", &Adam{}, []Param{{Name: "x", W: make([]float32, 2), G: make([]float32, 3)}},
			State{Kind: "adam"}, `("x"): len(W) = 2, len(G) = 3`},
		{"other params than the first Step", adam, params[1:], good,
			"3 parameters, 4 at the first Step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.opt.State()
			err := c.opt.SetState(c.params, c.st)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("SetState error = %v, want one containing %q", err, c.want)
			}
			after := c.opt.State()
			if after.Steps != before.Steps || !sameSlots(after.Slots, before.Slots) {
				t.Fatalf("a failed SetState changed the state")
			}
		})
	}
}

// TestStepPanics checks the panics of a Step whose parameters are not those
// of the first Step.
func TestStepPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	params := newParams(rng)
	shorter := clone(params)
	shorter[2].W, shorter[2].G = shorter[2].W[:10], shorter[2].G[:10]
	cases := []struct {
		name   string
		params []Param
		want   string
	}{
		{"length", shorter, `parameter 2 ("pc") has length 10, 64 at the first Step`},
		{"count", params[:3], "3 parameters, 4 at the first Step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := &SGD{Momentum: 0.9}
			opt.Step(params, 0.1)
			msg := catch(func() { opt.Step(c.params, 0.1) })
			if !strings.Contains(msg, "sgd: SGD.Step: "+c.want) {
				t.Fatalf("panic %q, want one containing %q", msg, c.want)
			}
		})
	}

	// Momentum set after the first Step would need state never allocated.
	opt := &SGD{}
	opt.Step(params, 0.1)
	opt.Momentum = 0.9
	if msg := catch(func() { opt.Step(params, 0.1) }); !strings.Contains(msg, "state slices") {
		t.Fatalf("panic %q after setting Momentum, want one about the state", msg)
	}
}

// catch runs f and returns what it panicked with, or "" if it did not.
func catch(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

// TestStepAllocs checks that only the first Step allocates.
func TestStepAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range optCases {
		params := newParams(rng)
		opt := c.new()
		opt.Step(params, 0.01)
		if n := testing.AllocsPerRun(10, func() { opt.Step(params, 0.01) }); n != 0 {
			t.Errorf("%s: %v allocations per Step after the first", c.name, n)
		}
	}
}

func clone(ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, W: slices.Clone(p.W), G: slices.Clone(p.G)}
	}
	return out
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func sameSlots(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return false
		}
	}
	return true
}
