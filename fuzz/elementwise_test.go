package fuzz

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/backprop-go/backprop/kernels"
)

// An ewOp is a kernel over slices of one length (or, for AddBias and
// SumRows, a matrix and a row). Slice 0 is the one the kernel writes; the
// others are only read.
type ewOp struct {
	name  string
	args  []string // the names the kernel's panics use, slice 0 first
	alias [][]int  // the aliasings the kernel allows: slice i is slice rep[i]
	rows  bool     // AddBias and SumRows
	ulp   expKind  // the exp family (FuzzStream only): compared with float64
	run   func(p *kernels.Impl, s [][]float32, alpha float32)
}

var (
	alias2 = [][]int{{0, 1}, {0, 0}}
	alias3 = [][]int{{0, 1, 2}, {0, 0, 2}, {0, 1, 0}, {0, 1, 1}, {0, 0, 0}}
)

var ewOps = []ewOp{
	{name: "Add", args: []string{"dst", "x", "y"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.Add(s[0], s[1], s[2]) }},
	{name: "Mul", args: []string{"dst", "x", "y"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.Mul(s[0], s[1], s[2]) }},
	{name: "Axpy", args: []string{"y", "x"}, alias: alias2,
		run: func(p *kernels.Impl, s [][]float32, a float32) { p.Axpy(a, s[1], s[0]) }},
	{name: "Scale", args: []string{"x"}, alias: [][]int{{0}},
		run: func(p *kernels.Impl, s [][]float32, a float32) { p.Scale(a, s[0]) }},
	{name: "ReLU", args: []string{"dst", "x"}, alias: alias2,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.ReLU(s[0], s[1]) }},
	{name: "LeakyReLU", args: []string{"dst", "x"}, alias: alias2,
		run: func(p *kernels.Impl, s [][]float32, a float32) { p.LeakyReLU(s[0], s[1], a) }},
	{name: "ReLUDelta", args: []string{"dst", "g", "z"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.ReLUDelta(s[0], s[1], s[2]) }},
	{name: "LeakyReLUDelta", args: []string{"dst", "g", "z"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, a float32) { p.LeakyReLUDelta(s[0], s[1], s[2], a) }},
	{name: "SigmoidDelta", args: []string{"dst", "g", "a"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.SigmoidDelta(s[0], s[1], s[2]) }},
	{name: "TanhDelta", args: []string{"dst", "g", "a"}, alias: alias3,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.TanhDelta(s[0], s[1], s[2]) }},
	{name: "AddBias", args: []string{"x", "bias"}, alias: [][]int{{0, 1}}, rows: true,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.AddBias(s[0], s[1]) }},
	{name: "SumRows", args: []string{"dst", "x"}, alias: [][]int{{0, 1}}, rows: true,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.SumRows(s[0], s[1]) }},
}

// streamOps are the kernels that write a long output that is not one of
// their inputs with non-temporal stores.
var streamOps = []ewOp{
	ewOps[0], ewOps[1], ewOps[4], ewOps[5], ewOps[6], ewOps[7], ewOps[8], ewOps[9],
	{name: "Exp", args: []string{"dst", "x"}, alias: alias2, ulp: expExp,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.Exp(s[0], s[1]) }},
	{name: "Sigmoid", args: []string{"dst", "x"}, alias: alias2, ulp: expSigmoid,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.Sigmoid(s[0], s[1]) }},
	{name: "Tanh", args: []string{"dst", "x"}, alias: alias2, ulp: expTanh,
		run: func(p *kernels.Impl, s [][]float32, _ float32) { p.Tanh(s[0], s[1]) }},
}

// ewCase is one decoded call: the lengths of the slices, how they alias,
// where they are placed, their values, and whether the lengths are wrong.
type ewCase struct {
	op     ewOp
	lens   []int
	rep    []int
	how    []uint8
	vals   [][]float32 // by slice; aliased slices share rep's values
	alpha  float32
	panics bool // the arguments are wrong: the kernel must panic
	bad    string
}

// decodeEW reads a case. mode: bits 0–2 choose the aliasing (or the slice
// whose length is wrong), bits 3–4 the profile of values, bits 5–7 the
// lengths: 6 makes one slice one element short, 7 one element long.
func decodeEW(op ewOp, n int, mode uint8, place uint32, alpha float32, data []byte) *ewCase {
	c := &ewCase{op: op, alpha: alpha}
	k := len(op.args)
	c.lens = make([]int, k)
	if op.rows {
		// n encodes the row length and the number of rows.
		cols, rows := n%67, n/67%17
		c.lens[0], c.lens[1] = rows*cols, cols // AddBias: x, bias
		if op.name == "SumRows" {
			c.lens[0], c.lens[1] = cols, rows*cols // dst, x
		}
	} else {
		for i := range c.lens {
			c.lens[i] = n
		}
	}
	c.rep = op.alias[int(mode&7)%len(op.alias)]
	if wrong := mode >> 5; wrong >= 6 && k > 1 {
		j := int(mode&7) % k
		c.rep = op.alias[0]
		if wrong == 6 && c.lens[j] > 0 {
			c.lens[j]--
		} else {
			c.lens[j]++
		}
		c.bad = op.args[j]
		c.panics = true
		if op.rows {
			x, row := c.lens[0], c.lens[1]
			if op.name == "SumRows" {
				x, row = row, x
			}
			c.panics = row == 0 && x != 0 || row != 0 && x%row != 0
		}
	}
	c.how = make([]uint8, k)
	for i := range c.how {
		c.how[i] = uint8(place >> (8 * i))
	}
	src := newSource(data, mode>>3)
	if op.ulp != expNone {
		src.lo, src.hi = -24, 7 // dense where the exp family is interesting, up to 256
	}
	c.vals = make([][]float32, k)
	for i := range c.vals {
		if c.rep[i] == i {
			c.vals[i] = src.floats(c.lens[i])
		}
	}
	return c
}

func (c *ewCase) String() string {
	return fmt.Sprintf("%s lens=%v alias=%v alpha=%v", c.op.name, c.lens, c.rep, c.alpha)
}

// run calls the kernel on p with every slice in a window of its own and
// checks what must hold on every path: the guards, the inputs unchanged,
// and, when the arguments are wrong, a panic naming the argument before
// anything is written. It returns slice 0 after the call.
func (c *ewCase) run(t *testing.T, p *kernels.Impl) []float32 {
	t.Helper()
	k := len(c.lens)
	wins := make([]*win, k)
	s := make([][]float32, k)
	snaps := make([][]uint32, k)
	for i := range wins {
		if c.rep[i] == i {
			wins[i] = newWin(c.lens[i], c.how[i])
			copy(wins[i].s(), c.vals[i])
			snaps[i] = snapshot(wins[i].s())
		}
	}
	defer freeAll(wins...)
	for i := range s {
		s[i] = wins[c.rep[i]].s()
	}
	what := fmt.Sprintf("%s on %s", c, p.Name())
	call := func() { c.op.run(p, s, c.alpha) }
	if c.panics {
		mustPanic(t, what, call, "kernels: "+c.op.name+":", "len("+c.bad+")")
	} else {
		mustRun(t, what, call)
	}
	for i, w := range wins {
		if w == nil {
			continue
		}
		if msg := w.guardsOK(); msg != "" {
			t.Fatalf("%s: %s: %s", what, c.op.args[i], msg)
		}
		if i != 0 || c.panics {
			if j := changed(w.s(), snaps[i]); j >= 0 {
				t.Fatalf("%s: %s[%d] changed from %v to %v", what, c.op.args[i], j,
					math.Float32frombits(snaps[i][j]), w.s()[j])
			}
		}
	}
	return slices.Clone(wins[0].s())
}

// FuzzElementwise checks the exact elementwise kernels: on every path, for
// any length, placement, aliasing the kernel allows and values, the output
// is bit for bit that of the generic path (any NaN matching any NaN),
// nothing outside it is written and no input changes; a length one off
// panics, naming the argument, with nothing written.
func FuzzElementwise(f *testing.F) {
	for op := range ewOps {
		for _, n := range []uint16{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 129, 193, 200, 1024} {
			f.Add(uint8(op), n, uint8(op+int(n))%8|uint8(n%4)<<3, uint32(n)*0x01020304, float32(0.25), []byte{byte(n), byte(op)})
		}
		f.Add(uint8(op), uint16(77), uint8(6<<5|1), uint32(0), float32(-2), []byte(nil))
		f.Add(uint8(op), uint16(70), uint8(7<<5), uint32(0x0105), float32(-2), []byte(nil))
		f.Add(uint8(op), uint16(45), uint8(3<<3|2), uint32(0x00040108), float32(math.NaN()), []byte{1, 2, 3, 4})
	}
	f.Fuzz(func(t *testing.T, op uint8, n uint16, mode uint8, place uint32, alpha float32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		c := decodeEW(ewOps[int(op)%len(ewOps)], int(n)%1025, mode, place, alpha, data)
		want := c.run(t, generic)
		for _, p := range others {
			got := c.run(t, p)
			if i := firstDiff(got, want); i >= 0 && !c.panics {
				t.Fatalf("%s on %s: %s[%d] = %v (%#08x), generic gives %v (%#08x)%s",
					c, p.Name(), c.op.args[0], i, got[i], math.Float32bits(got[i]),
					want[i], math.Float32bits(want[i]), c.inputsAt(i))
			}
		}
	})
}

// inputsAt describes the inputs that element i of the output came from.
func (c *ewCase) inputsAt(i int) string {
	if c.op.rows {
		return ""
	}
	s := " from"
	for j := range c.lens {
		v := c.vals[c.rep[j]]
		if i < len(v) {
			s += fmt.Sprintf(" %s=%v (%#08x)", c.op.args[j], v[i], math.Float32bits(v[i]))
		}
	}
	return s
}

// streamMin is the output length from which the kernels write with
// non-temporal stores (kernels.streamMin, unexported).
const streamMin = 1 << 19

// FuzzStream is FuzzElementwise at the lengths where the assembly kernels
// write their output with non-temporal stores, at least 2 MiB: the exact
// kernels bit for bit equal to the generic path, the exp family within its
// ULP bounds of float64. It also crosses the 64Ki-element chunks the
// kernels cut long slices into. Each call moves tens of MiB: expect
// tens of executions per second.
func FuzzStream(f *testing.F) {
	for op := range streamOps {
		f.Add(uint8(op), uint16(op*7), uint8(op%4)<<3, uint32(op*0x01030507), float32(0.5), []byte{byte(op)})
	}
	f.Add(uint8(1), uint16(4095), uint8(1), uint32(0x0202), float32(3), []byte(nil))
	f.Fuzz(func(t *testing.T, op uint8, extra uint16, mode uint8, place uint32, alpha float32, data []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		o := streamOps[int(op)%len(streamOps)]
		c := decodeEW(o, streamMin+int(extra)%4096, mode&^(7<<5), place, alpha, data)
		if o.ulp != expNone {
			x := c.vals[1]
			if c.rep[1] == 0 {
				x = c.vals[0]
			}
			for _, p := range paths {
				got := c.run(t, p)
				for i, v := range x {
					if msg := checkExp(o.ulp, v, got[i]); msg != "" {
						t.Fatalf("%s on %s: element %d: %s", c, p.Name(), i, msg)
					}
				}
			}
			return
		}
		want := c.run(t, generic)
		for _, p := range others {
			got := c.run(t, p)
			if i := firstDiff(got, want); i >= 0 {
				t.Fatalf("%s on %s: %s[%d] = %v (%#08x), generic gives %v (%#08x)%s",
					c, p.Name(), c.op.args[0], i, got[i], math.Float32bits(got[i]),
					want[i], math.Float32bits(want[i]), c.inputsAt(i))
			}
		}
	})
}
