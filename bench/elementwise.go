// Package bench holds the benchmark suites of backprop, run with
// go test -bench, and the cases they share with cmd/kernelinfo.
//
// Every suite runs each path this CPU offers side by side in one run, and
// names its sub-benchmarks path/shape so that benchstat can compare them.
package bench

import "github.com/backprop-go/backprop/kernels"

// Case is one elementwise kernel as the benchmarks run it, on Slices slices
// of n elements each, the first being the output.
type Case struct {
	Name   string
	Slices int

	// Bytes is the memory traffic of one call on n elements: every slice
	// element read or written, once per pass over it.
	Bytes func(n int) int64

	Run func(p *kernels.Impl, s [][]float32)
}

func perElem(k int64) func(int) int64 { return func(n int) int64 { return k * int64(n) } }

// Rows is the row length of the Softmax cases (the MLP's output layer).
const Rows = 10

// Width is the row length of the AddBias and SumRows cases (a hidden
// layer of the MLP).
const Width = 256

// Elementwise lists the elementwise kernels, with their traffic per element.
var Elementwise = []Case{
	{"Axpy", 2, perElem(12), func(p *kernels.Impl, s [][]float32) { p.Axpy(0.5, s[1], s[0]) }},
	{"Scale", 1, perElem(8), func(p *kernels.Impl, s [][]float32) { p.Scale(1, s[0]) }},
	{"Add", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.Add(s[0], s[1], s[2]) }},
	{"Mul", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.Mul(s[0], s[1], s[2]) }},
	{"Dot", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { sink = p.Dot(s[0], s[1]) }},
	{"Sum", 1, perElem(4), func(p *kernels.Impl, s [][]float32) { sink = p.Sum(s[0]) }},
	{"ReLU", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { p.ReLU(s[0], s[1]) }},
	{"LeakyReLU", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { p.LeakyReLU(s[0], s[1], 0.01) }},
	{"Exp", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { p.Exp(s[0], s[1]) }},
	{"Sigmoid", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { p.Sigmoid(s[0], s[1]) }},
	{"Tanh", 2, perElem(8), func(p *kernels.Impl, s [][]float32) { p.Tanh(s[0], s[1]) }},
	// Softmax on rows this short, on the assembly paths, reads each row
	// once and writes it once, keeping it in registers in between: 8 bytes
	// per element. (Longer rows, and the generic path, read each row twice
	// and scale it in place, 20 bytes; ns/op compares them.)
	{"Softmax", 2, func(n int) int64 { return 8 * int64(n-n%Rows) }, func(p *kernels.Impl, s [][]float32) {
		k := len(s[0]) - len(s[0])%Rows
		p.Softmax(s[0][:k], s[1][:k], Rows)
	}},
	// LogSoftmax reads each row for its maximum and Σe^(x−max), then again
	// to store x − max − log Σ: 12 bytes per element (16 on the generic
	// path, which reads the row once more for the maximum).
	{"LogSoftmax", 2, func(n int) int64 { return 12 * int64(n-n%Rows) }, func(p *kernels.Impl, s [][]float32) {
		k := len(s[0]) - len(s[0])%Rows
		p.LogSoftmax(s[0][:k], s[1][:k], Rows)
	}},
	// AddBias and SumRows work on rows of Width columns (a hidden layer);
	// the traffic counted is that of the matrix, the bias row staying in
	// L1: read and written by AddBias, read by SumRows.
	{"AddBias", 2, func(n int) int64 { return 8 * int64(n-n%Width) }, func(p *kernels.Impl, s [][]float32) {
		p.AddBias(s[0][:len(s[0])-len(s[0])%Width], s[1][:Width])
	}},
	{"SumRows", 2, func(n int) int64 { return 4 * int64(n-n%Width) }, func(p *kernels.Impl, s [][]float32) {
		p.SumRows(s[0][:Width], s[1][:len(s[1])-len(s[1])%Width])
	}},
	{"ReLUDelta", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.ReLUDelta(s[0], s[1], s[2]) }},
	{"LeakyReLUDelta", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.LeakyReLUDelta(s[0], s[1], s[2], 0.01) }},
	{"SigmoidDelta", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.SigmoidDelta(s[0], s[1], s[2]) }},
	{"TanhDelta", 3, perElem(12), func(p *kernels.Impl, s [][]float32) { p.TanhDelta(s[0], s[1], s[2]) }},
}

// Sizes are the sizes of each slice of the elementwise benchmarks: L1, L2,
// the edge of L2, and memory.
var Sizes = []struct {
	Name  string
	Bytes int
}{{"1KiB", 1 << 10}, {"8KiB", 8 << 10}, {"32KiB", 32 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}}

// sink keeps the results of reductions alive.
var sink float32

// Inputs returns k slices of n float32 holding values every kernel handles
// at full speed: finite, in (−4, 4), none subnormal.
func Inputs(k, n int) [][]float32 {
	s := make([][]float32, k)
	for j := range s {
		s[j] = make([]float32, n)
		for i := range s[j] {
			s[j][i] = float32((i*7919+j*104729)%8000)/1000 - 4 + 0.0001
		}
	}
	return s
}
