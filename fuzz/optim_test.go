package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// An optStep is an optimiser's update: the names of its slices, the
// parameters w first and the gradient g last (the kernels' argument
// names), and a call of the kernel.
type optStep struct {
	name  string
	slots []string
	run   func(p *kernels.Impl, s [][]float32, h *hyper)
}

// hyper holds the scalars of a step.
type hyper struct {
	lr, mu, wd, b1, b2, eps, rho float32
	t                            int
}

var optSteps = []optStep{
	{"SGDStep", []string{"w", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.SGDStep(s[0], s[1], h.lr, h.wd)
	}},
	{"MomentumStep", []string{"w", "v", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.MomentumStep(s[0], s[1], s[2], h.lr, h.mu, h.wd, false)
	}},
	{"MomentumStep", []string{"w", "v", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.MomentumStep(s[0], s[1], s[2], h.lr, h.mu, h.wd, true)
	}},
	{"AdamStep", []string{"w", "m", "v", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.AdamStep(s[0], s[1], s[2], s[3], h.t, h.lr, h.b1, h.b2, h.eps, h.wd)
	}},
	{"RMSPropStep", []string{"w", "v", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.RMSPropStep(s[0], s[1], s[2], h.lr, h.rho, h.eps, h.wd)
	}},
	{"AdamWStep", []string{"w", "m", "v", "g"}, func(p *kernels.Impl, s [][]float32, h *hyper) {
		p.AdamWStep(s[0], s[1], s[2], s[3], h.t, h.lr, h.b1, h.b2, h.eps, h.wd)
	}},
}

// typical values of each scalar, which the decoder picks half the time;
// the other half it decodes any float32.
var typical = struct{ lr, mu, wd, b1, b2, eps, rho [4]float32 }{
	lr:  [4]float32{0.1, 0.01, 1e-3, 3e-4},
	mu:  [4]float32{0.9, 0.99, 0, 0.5},
	wd:  [4]float32{0, 1e-4, 5e-4, 0.01},
	b1:  [4]float32{0.9, 0.8, 0, 0.95},
	b2:  [4]float32{0.999, 0.99, 0.9999, 0.5},
	eps: [4]float32{1e-8, 1e-7, 1e-6, 0},
	rho: [4]float32{0.99, 0.9, 0.95, 0.5},
}

func (s *source) scalar(typ *[4]float32) float32 {
	if b := s.byte(); b&1 == 0 {
		return typ[b>>1&3]
	}
	return s.f32()
}

// FuzzOptimizer checks the optimiser steps, SGDStep, MomentumStep (and
// Nesterov's), AdamStep, AdamWStep and RMSPropStep: on every path, for any length
// (up to 1 Ki, or across the 64Ki-element chunks), placement, values and
// scalars, every updated slice is bit for bit (any NaN matching any NaN)
// what the generic path gives, the gradient does not change and nothing
// outside the slices is written. A slice one element off, or an Adam step
// below 1, must panic, naming it, with nothing written.
//
// mode: bits 0–2 the slice whose length is wrong, 3–4 the profile of
// values, 5 a length across the chunks, 6–7 the length: 2 one short, 3
// one long. step: Adam's t, below 4096 (0 included); when its top two
// bits are 10, up to 2^30; when they are 11, negative.
func FuzzOptimizer(f *testing.F) {
	for op := range uint8(len(optSteps)) {
		for i, n := range []uint16{0, 1, 7, 8, 9, 16, 17, 31, 64, 65, 100, 1024} {
			f.Add(op, n, uint8(i%4)<<3, uint32(i)*0x01020304, uint32(i+1), []byte{byte(i), op})
		}
		f.Add(op, uint16(3), uint8(1<<5), uint32(0), uint32(10), []byte{op})
		f.Add(op, uint16(20), uint8(2<<6|1), uint32(0x0101), uint32(1), []byte(nil))
		f.Add(op, uint16(20), uint8(3<<6), uint32(0), uint32(1), []byte(nil))
	}
	f.Add(uint8(3), uint16(5), uint8(0), uint32(0), uint32(0), []byte(nil))
	f.Add(uint8(3), uint16(5), uint8(0), uint32(0), uint32(0xffffffff), []byte(nil))
	f.Fuzz(func(t *testing.T, op uint8, n uint16, mode uint8, place uint32, step uint32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		o := optSteps[int(op)%len(optSteps)]
		src := newSource(data, mode>>3)
		length := int(n) % 1025
		if mode&(1<<5) != 0 {
			length = 1<<16 - 128 + int(n)%256
		}
		k := len(o.slots)
		lens := make([]int, k)
		for i := range lens {
			lens[i] = length
		}
		var wants []string
		if w := mode >> 6; w >= 2 {
			j := int(mode&7) % k
			if w == 2 && lens[j] > 0 {
				lens[j]--
			} else {
				lens[j]++
			}
			other := o.slots[max(j, 1)]
			wants = []string{"length mismatch", "len(w) = ", "len(" + other + ") = "}
		}
		h := &hyper{
			lr: src.scalar(&typical.lr), mu: src.scalar(&typical.mu), wd: src.scalar(&typical.wd),
			b1: src.scalar(&typical.b1), b2: src.scalar(&typical.b2), eps: src.scalar(&typical.eps),
			rho: src.scalar(&typical.rho), t: int(step % 4096),
		}
		switch step >> 30 {
		case 2:
			h.t = int(step & (1<<30 - 1))
		case 3:
			h.t = int(int32(step))
		}
		if (o.name == "AdamStep" || o.name == "AdamWStep") && h.t < 1 && wants == nil {
			wants = []string{fmt.Sprintf("step t = %d < 1", h.t)}
		}
		vals := make([][]float32, k)
		snaps := make([][]uint32, k)
		for i := range vals {
			vals[i] = src.floats(lens[i])
			snaps[i] = snapshot(vals[i])
		}
		what := func(p *kernels.Impl) string {
			return fmt.Sprintf("%s (%s) lengths %v, %+v on %s", o.name, o.slots, lens, *h, p.Name())
		}

		// run returns the slices after the step on p.
		run := func(p *kernels.Impl) [][]float32 {
			wins := make([]*win, k)
			s := make([][]float32, k)
			for i := range wins {
				wins[i] = newWin(lens[i], uint8(place>>(8*(i%4)))^uint8(i))
				copy(wins[i].s(), vals[i])
				s[i] = wins[i].s()
			}
			defer freeAll(wins...)
			call := func() { o.run(p, s, h) }
			if wants != nil {
				mustPanic(t, what(p), call, append(wants, "kernels: "+o.name+": ")...)
			} else {
				mustRun(t, what(p), call)
			}
			out := make([][]float32, k)
			for i, w := range wins {
				if msg := w.guardsOK(); msg != "" {
					t.Fatalf("%s: %s: %s", what(p), o.slots[i], msg)
				}
				if wants != nil || i == k-1 {
					if j := changed(w.s(), snaps[i]); j >= 0 {
						t.Fatalf("%s: %s[%d] changed", what(p), o.slots[i], j)
					}
				}
				out[i] = slices.Clone(w.s())
			}
			return out
		}

		want := run(generic)
		for _, p := range others {
			got := run(p)
			if wants != nil {
				continue
			}
			for i := range k - 1 {
				if j := firstDiff(got[i], want[i]); j >= 0 {
					t.Fatalf("%s: %s[%d] = %v (%#08x), generic gives %v (%#08x); from %s",
						what(p), o.slots[i], j, got[i][j], math.Float32bits(got[i][j]),
						want[i][j], math.Float32bits(want[i][j]), describeAt(o.slots, vals, j))
				}
			}
		}
	})
}

// describeAt lists element j of every slice.
func describeAt(names []string, vals [][]float32, j int) string {
	s := ""
	for i, v := range vals {
		if j < len(v) {
			s += fmt.Sprintf("%s=%v (%#08x) ", names[i], v[j], math.Float32bits(v[j]))
		}
	}
	return s
}
