package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentKernels runs, on every path, 8 goroutines at once, each
// calling every kernel on data of its own: the elementwise kernels and
// reductions, softmax, the deltas, the optimiser steps, Sgemm on products
// big enough to run on 2 threads, and the fused SgemmBiasAct and
// SgemmDelta. Every result must be, bit for bit, the one computed
// beforehand on one thread, one call at a time. The parallel products
// share the workers and the pools of jobs and packing buffers, which the
// race detector (go test -race) watches.
func TestConcurrentKernels(t *testing.T) {
	const goroutines = 8
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	prev := SetThreads(1)
	t.Cleanup(func() { SetThreads(prev) })
	forEachPath(t, func(t *testing.T, p *Impl) {
		SetThreads(1)
		jobs := make([]*concJob, goroutines)
		want := make([][]concResult, goroutines)
		for g := range jobs {
			jobs[g] = newConcJob(g)
			want[g] = jobs[g].run(p)
		}

		SetThreads(2)
		for _, j := range jobs {
			if got := p.gm.threadsFor(j.m, j.n, j.k); got != 2 {
				t.Fatalf("a %d×%d×%d product runs on %d threads, not 2", j.m, j.n, j.k, got)
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g, j := range jobs {
			wg.Go(func() {
				<-start
				for r := range rounds {
					if msg := concDiff(j.run(p), want[g]); msg != "" {
						t.Errorf("goroutine %d, round %d: %s", g, r, msg)
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
	})
}

// A concJob is the data of one goroutine of TestConcurrentKernels: inputs
// that no call changes (those of the kernels that work in place are
// copied first) and the shape of its products.
type concJob struct {
	rows, cols  int       // x, y, gr and z are rows×cols, bias cols long
	x, y, gr, z []float32 // values of every kind, specials included
	bias        []float32
	labels      []int32 // one per row, for SoftmaxCrossEntropy

	w, g, mom, sq []float32 // the optimisers' weights, gradient and state

	tA, tB      bool
	m, n, k     int
	a, b, c     []float32 // op(A) m×k, op(B) k×n, C m×n
	gbias, dx   []float32 // SgemmBiasAct's bias (n), SgemmDelta's X (m×n)
	act         Activation
	withZ       bool // SgemmBiasAct stores Z too
	delta       Activation
	alpha, beta float32 // of the Sgemm
}

// newConcJob makes the data of goroutine i: sizes, transpositions and
// activations differ from one goroutine to the next, and half the
// products are cut along m by the parallel GEMM, half along n.
func newConcJob(i int) *concJob {
	r := rand.New(rand.NewPCG(uint64(i), 0xc0c0))
	j := &concJob{rows: 61 + 7*i, cols: 10 + 3*i}
	size := j.rows * j.cols
	mk := func(n int, fill func(*rand.Rand, []float32)) []float32 {
		s := make([]float32, n)
		fill(r, s)
		return s
	}
	j.x, j.y, j.gr, j.z = mk(size, values), mk(size, values), mk(size, values), mk(size, values)
	j.bias = mk(j.cols, values)
	j.labels = make([]int32, j.rows)
	for l := range j.labels {
		j.labels[l] = int32(r.IntN(j.cols))
	}

	// The optimisers get finite values, v and its kin not negative.
	n := 3000 + 101*i
	j.w, j.g, j.mom, j.sq = mk(n, finite), mk(n, finite), mk(n, finite), mk(n, finite)
	for l, v := range j.sq {
		j.sq[l] = float32(math.Abs(float64(v)))
	}

	// 2·m·n·k ≥ 2·minParallelFlops: two threads.
	j.m, j.n, j.k = 150+8*i, 70+4*i, 112
	if i%2 == 1 {
		j.m, j.n = j.n, j.m
	}
	j.tA, j.tB = i&2 != 0, i&4 != 0
	j.a, j.b, j.c = mk(j.m*j.k, finite), mk(j.k*j.n, finite), mk(j.m*j.n, finite)
	j.gbias, j.dx = mk(j.n, finite), mk(j.m*j.n, values)
	kinds := []ActivationKind{ActIdentity, ActReLU, ActLeakyReLU, ActSigmoid, ActTanh}
	j.act = Activation{Kind: kinds[i%5], Alpha: 0.125}
	j.delta = Activation{Kind: kinds[(i+2)%5], Alpha: -0.5}
	j.withZ = i%3 != 0
	j.alpha, j.beta = 1.25, float32(i%2)*0.5
	return j
}

// A concResult is one output of a kernel, as bits.
type concResult struct {
	name string
	bits []uint64
}

// run calls every kernel on the job's data on path p and returns the
// outputs.
func (j *concJob) run(p *Impl) []concResult {
	var out []concResult
	add := func(name string, v any) {
		var bits []uint64
		switch v := v.(type) {
		case []float32:
			for _, f := range v {
				bits = append(bits, uint64(math.Float32bits(f)))
			}
		case float32:
			bits = []uint64{uint64(math.Float32bits(v))}
		case float64:
			bits = []uint64{math.Float64bits(v)}
		default:
			panic(fmt.Sprintf("concJob.run: %T", v))
		}
		out = append(out, concResult{name, bits})
	}
	size := j.rows * j.cols
	dst := func() []float32 { return make([]float32, size) }

	// Elementwise kernels and reductions.
	d := dst()
	p.Add(d, j.x, j.y)
	add("Add", d)
	d = dst()
	p.Mul(d, j.x, j.y)
	add("Mul", d)
	d = slices.Clone(j.y)
	p.Axpy(0.75, j.x, d)
	add("Axpy", d)
	d = slices.Clone(j.x)
	p.Scale(-1.5, d)
	add("Scale", d)
	add("Dot", p.Dot(j.x, j.y))
	add("Sum", p.Sum(j.x))
	d = slices.Clone(j.x)
	p.AddBias(d, j.bias)
	add("AddBias", d)
	s := make([]float32, j.cols)
	p.SumRows(s, j.x)
	add("SumRows", s)
	for _, f := range []struct {
		name string
		f    func(dst, x []float32)
	}{
		{"ReLU", p.ReLU}, {"Exp", p.Exp}, {"Sigmoid", p.Sigmoid}, {"Tanh", p.Tanh},
		{"LeakyReLU", func(dst, x []float32) { p.LeakyReLU(dst, x, 0.01) }},
		{"Softmax", func(dst, x []float32) { p.Softmax(dst, x, j.cols) }},
		{"LogSoftmax", func(dst, x []float32) { p.LogSoftmax(dst, x, j.cols) }},
	} {
		d = dst()
		f.f(d, j.x)
		add(f.name, d)
	}
	d = dst()
	add("SoftmaxCrossEntropy loss", p.SoftmaxCrossEntropy(d, j.x, j.labels, j.cols, 0.5))
	add("SoftmaxCrossEntropy", d)
	for _, f := range []struct {
		name string
		f    func(dst, g, z []float32)
	}{
		{"ReLUDelta", p.ReLUDelta}, {"SigmoidDelta", p.SigmoidDelta}, {"TanhDelta", p.TanhDelta},
		{"LeakyReLUDelta", func(dst, g, z []float32) { p.LeakyReLUDelta(dst, g, z, 0.1) }},
	} {
		d = dst()
		f.f(d, j.gr, j.z)
		add(f.name, d)
	}

	// Optimiser steps.
	w := slices.Clone(j.w)
	p.SGDStep(w, j.g, 0.1, 0.01)
	add("SGDStep w", w)
	for _, nesterov := range []bool{false, true} {
		w, v := slices.Clone(j.w), slices.Clone(j.mom)
		p.MomentumStep(w, v, j.g, 0.1, 0.9, 0.01, nesterov)
		add(fmt.Sprintf("MomentumStep (nesterov %v) w", nesterov), w)
		add(fmt.Sprintf("MomentumStep (nesterov %v) v", nesterov), v)
	}
	w, m, v := slices.Clone(j.w), slices.Clone(j.mom), slices.Clone(j.sq)
	p.AdamStep(w, m, v, j.g, 3, 1e-3, 0.9, 0.999, 1e-8, 0.01)
	add("AdamStep w", w)
	add("AdamStep m", m)
	add("AdamStep v", v)
	w, m, v = slices.Clone(j.w), slices.Clone(j.mom), slices.Clone(j.sq)
	p.AdamWStep(w, m, v, j.g, 3, 1e-3, 0.9, 0.999, 1e-8, 0.01)
	add("AdamWStep w", w)
	add("AdamWStep m", m)
	add("AdamWStep v", v)
	w, v = slices.Clone(j.w), slices.Clone(j.sq)
	p.RMSPropStep(w, v, j.g, 1e-3, 0.99, 1e-8, 0.01)
	add("RMSPropStep w", w)
	add("RMSPropStep v", v)

	// Products, on two threads when the test sets them.
	lda, ldb := j.k, j.n
	if j.tA {
		lda = j.m
	}
	if j.tB {
		ldb = j.k
	}
	c := slices.Clone(j.c)
	p.Sgemm(j.tA, j.tB, j.m, j.n, j.k, j.alpha, j.a, lda, j.b, ldb, j.beta, c, j.n)
	add("Sgemm", c)
	c = make([]float32, j.m*j.n)
	var z []float32
	if j.withZ {
		z = make([]float32, j.m*j.n)
	}
	p.SgemmBiasAct(j.tA, j.tB, j.m, j.n, j.k, j.a, lda, j.b, ldb, j.gbias, j.act, z, j.n, c, j.n)
	add("SgemmBiasAct "+j.act.Kind.String(), c)
	if z != nil {
		add("SgemmBiasAct Z", z)
	}
	c = make([]float32, j.m*j.n)
	p.SgemmDelta(j.tA, j.tB, j.m, j.n, j.k, j.a, lda, j.b, ldb, j.delta, j.dx, j.n, c, j.n)
	add("SgemmDelta "+j.delta.Kind.String(), c)
	return out
}

// concDiff returns "" or where got differs from want.
func concDiff(got, want []concResult) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.name != w.name || len(g.bits) != len(w.bits) {
			return fmt.Sprintf("result %d is %s of %d values, want %s of %d",
				i, g.name, len(g.bits), w.name, len(w.bits))
		}
		for e, b := range w.bits {
			if g.bits[e] != b {
				return fmt.Sprintf("%s: element %d of %d has bits %#x, %#x on one thread",
					w.name, e, len(w.bits), g.bits[e], b)
			}
		}
	}
	return ""
}
