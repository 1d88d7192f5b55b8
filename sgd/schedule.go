package sgd

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each step, counted from 0 in
// mini-batches (updates). Schedules compute in float64 and round once.
type Schedule interface {
	LR(step int) float32
}

// Constant is a fixed learning rate.
type Constant float32

// LR returns c.
func (c Constant) LR(int) float32 { return float32(c) }

// StepDecay multiplies the rate by Gamma every Every steps, as PyTorch's
// StepLR counted in steps: Base·Gamma^⌊step/Every⌋. Every must be positive.
type StepDecay struct {
	Base  float32
	Every int
	Gamma float32
}

// LR returns the rate of step.
func (s StepDecay) LR(step int) float32 {
	if s.Every <= 0 {
		panic(fmt.Sprintf("sgd: StepDecay: Every = %d, want Every > 0", s.Every))
	}
	return float32(float64(s.Base) * math.Pow(float64(s.Gamma), float64(step/s.Every)))
}

// Exponential multiplies the rate by Gamma every step: Base·Gamma^step.
type Exponential struct {
	Base, Gamma float32
}

// LR returns the rate of step.
func (e Exponential) LR(step int) float32 {
	return float32(float64(e.Base) * math.Pow(float64(e.Gamma), float64(step)))
}

// Cosine anneals the rate from Base at step 0 to Min at step Steps along a
// half cosine, then stays at Min (PyTorch's CosineAnnealingLR would rise
// again):
//
//	Min + (Base−Min)·(1 + cos(π·step/Steps))/2   for step < Steps
type Cosine struct {
	Base, Min float32
	Steps     int
}

// LR returns the rate of step.
func (c Cosine) LR(step int) float32 {
	if step >= c.Steps {
		return c.Min
	}
	f := (1 + math.Cos(math.Pi*float64(step)/float64(c.Steps))) / 2
	return float32(float64(c.Min) + (float64(c.Base)-float64(c.Min))*f)
}

// Warmup rises linearly over its first Steps steps, then hands over to
// Then, shifted to start at its own step 0:
//
//	Then.LR(0)·(step+1)/Steps   for step < Steps (Then.LR(0)/Steps at step 0)
//	Then.LR(step − Steps)       from step Steps on
//
// so the last warm-up step and the first one after both run at Then.LR(0),
// and a Cosine's Steps count the steps after the warm-up.
type Warmup struct {
	Steps int
	Then  Schedule
}

// LR returns the rate of step.
func (w Warmup) LR(step int) float32 {
	if step < w.Steps {
		return float32(float64(w.Then.LR(0)) * float64(step+1) / float64(w.Steps))
	}
	return w.Then.LR(step - w.Steps)
}
