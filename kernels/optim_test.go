package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// f32 rounds a float64 to float32. Computing in float64 and rounding after
// every +, −, ·, / and √ gives exactly the float32 result (float64 has more
// than twice float32's precision), so the references below are an
// independent check of the kernels' rounding points.
func f32(x float64) float64 { return float64(float32(x)) }

// stepCase is one optimiser step: it updates state slices (w first) from a
// gradient, and ref updates one element's state.
type stepCase struct {
	name   string
	states int // w and its state slices
	run    func(p *Impl, s [][]float32, g []float32)
	ref    func(s []float64, g float64)
}

const (
	tLR, tMu, tWD         = 0.01, 0.9, 1e-4
	tB1, tB2, tEps, tStep = 0.9, 0.999, 1e-8, 3
	tRho                  = 0.99
)

var stepCases = []stepCase{
	{"SGD", 1,
		func(p *Impl, s [][]float32, g []float32) { p.SGDStep(s[0], g, tLR, tWD) },
		func(s []float64, g float64) {
			s[0] = f32(s[0] - f32(f32(tLR)*f32(g+f32(f32(tWD)*s[0]))))
		}},
	{"Momentum", 2,
		func(p *Impl, s [][]float32, g []float32) { p.MomentumStep(s[0], s[1], g, tLR, tMu, tWD, false) },
		func(s []float64, g float64) {
			d := f32(g + f32(f32(tWD)*s[0]))
			s[1] = f32(f32(f32(tMu)*s[1]) + d)
			s[0] = f32(s[0] - f32(f32(tLR)*s[1]))
		}},
	{"Nesterov", 2,
		func(p *Impl, s [][]float32, g []float32) { p.MomentumStep(s[0], s[1], g, tLR, tMu, tWD, true) },
		func(s []float64, g float64) {
			d := f32(g + f32(f32(tWD)*s[0]))
			s[1] = f32(f32(f32(tMu)*s[1]) + d)
			s[0] = f32(s[0] - f32(f32(tLR)*f32(d+f32(f32(tMu)*s[1]))))
		}},
	{"Adam", 3,
		func(p *Impl, s [][]float32, g []float32) {
			p.AdamStep(s[0], s[1], s[2], g, tStep, tLR, tB1, tB2, tEps, tWD)
		},
		func(s []float64, g float64) {
			a := f32(float64(float32(tLR)) / (1 - math.Pow(float64(float32(tB1)), tStep)))
			sc := f32(1 / math.Sqrt(1-math.Pow(float64(float32(tB2)), tStep)))
			c1, c2 := f32(1-f32(tB1)), f32(1-f32(tB2))
			d := f32(g + f32(f32(tWD)*s[0]))
			s[1] = f32(f32(f32(tB1)*s[1]) + f32(c1*d))
			s[2] = f32(f32(f32(tB2)*s[2]) + f32(c2*f32(d*d)))
			den := f32(f32(f32(math.Sqrt(s[2]))*sc) + f32(tEps))
			s[0] = f32(s[0] - f32(f32(a*s[1])/den))
		}},
	{"AdamW", 3,
		func(p *Impl, s [][]float32, g []float32) {
			p.AdamWStep(s[0], s[1], s[2], g, tStep, tLR, tB1, tB2, tEps, tWD)
		},
		func(s []float64, g float64) {
			a := f32(float64(float32(tLR)) / (1 - math.Pow(float64(float32(tB1)), tStep)))
			sc := f32(1 / math.Sqrt(1-math.Pow(float64(float32(tB2)), tStep)))
			c1, c2 := f32(1-f32(tB1)), f32(1-f32(tB2))
			keep := f32(1 - float64(float32(tLR))*float64(float32(tWD)))
			d := f32(g + f32(0*s[0]))
			s[1] = f32(f32(f32(tB1)*s[1]) + f32(c1*d))
			s[2] = f32(f32(f32(tB2)*s[2]) + f32(c2*f32(d*d)))
			den := f32(f32(f32(math.Sqrt(s[2]))*sc) + f32(tEps))
			s[0] = f32(f32(keep*s[0]) - f32(f32(a*s[1])/den))
		}},
	{"RMSProp", 2,
		func(p *Impl, s [][]float32, g []float32) { p.RMSPropStep(s[0], s[1], g, tLR, tRho, tEps, tWD) },
		func(s []float64, g float64) {
			c := f32(1 - f32(tRho))
			d := f32(g + f32(f32(tWD)*s[0]))
			s[1] = f32(f32(f32(tRho)*s[1]) + f32(c*f32(d*d)))
			s[0] = f32(s[0] - f32(f32(f32(tLR)*d)/f32(f32(math.Sqrt(s[1]))+f32(tEps))))
		}},
}

// TestOptimizerSteps checks every step kernel on every path against its
// float64 reference, bit for bit, over every length and offset, with guards
// around every state slice. Second moments are kept non-negative, as they
// are in use; other values include the specials.
func TestOptimizerSteps(t *testing.T) {
	for _, c := range stepCases {
		t.Run(c.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, p *Impl) {
				r := rand.New(rand.NewPCG(12, uint64(c.states)))
				for _, n := range testLengths(true) {
					off := n % 16
					s := make([][]float32, c.states)
					bufs := make([][]float32, c.states)
					for j := range s {
						s[j], bufs[j] = guarded(n, (off+3*j)%16)
						values(r, s[j])
					}
					if c.name == "Adam" || c.name == "AdamW" || c.name == "RMSProp" {
						for i := range s[c.states-1] {
							s[c.states-1][i] = float32(math.Abs(float64(s[c.states-1][i])))
						}
					}
					g := make([]float32, n)
					values(r, g)
					want := make([][]float64, n)
					for i := range want {
						want[i] = make([]float64, c.states)
						for j := range s {
							want[i][j] = float64(s[j][i])
						}
						c.ref(want[i], float64(g[i]))
					}
					gs := slices.Clone(g)
					c.run(p, s, g)
					for j := range s {
						checkGuards(t, bufs[j], (off+3*j)%16, n)
					}
					if !slices.EqualFunc(g, gs, sameBits) {
						t.Fatalf("n=%d: the gradient was modified", n)
					}
					for i := 0; i < n; i++ {
						for j := range s {
							if !sameBits(s[j][i], float32(want[i][j])) {
								t.Fatalf("n=%d: state %d of element %d = %v, want %v (gradient %v)",
									n, j, i, s[j][i], float32(want[i][j]), g[i])
							}
						}
					}
				}
			})
		})
	}
}

func TestOptimizerStepChecks(t *testing.T) {
	p := Current()
	w, v, g := make([]float32, 8), make([]float32, 8), make([]float32, 7)
	mustPanic(t, "MomentumStep: length mismatch: len(w) = 8, len(g) = 7", func() {
		p.MomentumStep(w, v, g, 1, 1, 0, false)
	})
	mustPanic(t, "AdamStep: w and v overlap", func() { p.AdamStep(w, v, w, v, 1, 1, 1, 1, 1, 0) })
	mustPanic(t, "AdamStep: step t = 0 < 1", func() { p.AdamStep(w, v, make([]float32, 8), make([]float32, 8), 0, 1, 1, 1, 1, 0) })
	mustPanic(t, fmt.Sprint("SGDStep: w and g overlap"), func() { p.SGDStep(w, w, 1, 0) })
}
