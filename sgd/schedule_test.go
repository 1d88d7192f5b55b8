package sgd

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	// Exponential's reference: repeated multiplication in float64.
	pow := func(g float64, n int) float64 {
		r := 1.0
		for range n {
			r *= g
		}
		return r
	}
	g99 := float64(float32(0.99))
	base, lo := float64(float32(0.1)), float64(float32(0.001))
	decay := StepDecay{Base: 0.1, Every: 2, Gamma: 0.5}

	cases := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"Constant", Constant(0.1), 0, base},
		{"Constant", Constant(0.1), 12345, base},

		{"StepDecay", StepDecay{Base: 0.1, Every: 10, Gamma: 0.5}, 0, base},
		{"StepDecay", StepDecay{Base: 0.1, Every: 10, Gamma: 0.5}, 9, base},
		{"StepDecay", StepDecay{Base: 0.1, Every: 10, Gamma: 0.5}, 10, base / 2},
		{"StepDecay", StepDecay{Base: 0.1, Every: 10, Gamma: 0.5}, 29, base / 4},
		{"StepDecay", StepDecay{Base: 0.1, Every: 10, Gamma: 0.5}, 35, base / 8},

		{"Exponential", Exponential{Base: 0.1, Gamma: 0.99}, 0, base},
		{"Exponential", Exponential{Base: 0.1, Gamma: 0.99}, 1, base * g99},
		{"Exponential", Exponential{Base: 0.1, Gamma: 0.99}, 3, base * pow(g99, 3)},
		{"Exponential", Exponential{Base: 0.1, Gamma: 0.99}, 1000, base * pow(g99, 1000)},

		// Points where the cosine is known: cos 0, cos π/3, cos π/2, cos 2π/3, cos π.
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 0, base},
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 100, lo + 0.75*(base-lo)},
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 150, lo + 0.5*(base-lo)},
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 200, lo + 0.25*(base-lo)},
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 300, lo},
		{"Cosine", Cosine{Base: 0.1, Min: 0.001, Steps: 300}, 10000, lo},
		{"Cosine", Cosine{Base: 0.1, Steps: 0}, 0, 0},

		// Warm-up over 4 steps, then decay's own steps 0, 1, 2, …
		{"Warmup", Warmup{Steps: 4, Then: decay}, 0, base / 4},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 1, base / 2},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 2, base * 3 / 4},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 3, base},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 4, base},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 5, base},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 6, base / 2},
		{"Warmup", Warmup{Steps: 4, Then: decay}, 9, base / 4},
		{"Warmup", Warmup{Steps: 0, Then: decay}, 2, base / 2},
	}
	for _, c := range cases {
		got := float64(c.s.LR(c.step))
		// One rounding to float32, plus float64 noise: within 2⁻²³ relative.
		if math.Abs(got-c.want) > 0x1p-23*math.Abs(c.want) {
			t.Errorf("%s %+v: LR(%d) = %v, want %v", c.name, c.s, c.step, got, c.want)
		}
	}

	// Cosine and Exponential only decrease; warm-up only rises.
	cos := Cosine{Base: 0.1, Min: 0.001, Steps: 1000}
	exp := Exponential{Base: 0.1, Gamma: 0.999}
	warm := Warmup{Steps: 100, Then: Constant(0.1)}
	for s := 1; s <= 1100; s++ {
		if cos.LR(s) > cos.LR(s-1) || exp.LR(s) > exp.LR(s-1) {
			t.Fatalf("Cosine or Exponential rises at step %d", s)
		}
		if s < 100 && warm.LR(s) <= warm.LR(s-1) {
			t.Fatalf("Warmup does not rise at step %d", s)
		}
	}

	if msg := catch(func() { StepDecay{Base: 1, Gamma: 0.5}.LR(3) }); msg == "" {
		t.Error("StepDecay with Every = 0 did not panic")
	}
}
