package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// chunk bounds the elements one assembly call handles. The Go scheduler
// cannot preempt assembly, so a 64 MiB slice is cut into calls of about
// 20 µs each at memory speed.
const chunk = 1 << 16

// Argument checks. They panic, in the style of the standard library, with
// the kernel and the argument named, before anything is written.

// overlaps reports whether a and b share memory without being the same
// slice. Elementwise kernels may work in place, but a shifted alias would
// read what they have already written. Cheap enough to inline: the messages
// come from the functions below, called only on failure.
func overlaps(a, b []float32) bool {
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa != pb && len(a) > 0 && len(b) > 0 &&
		pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}

// bad2 panics with what is wrong with the output dst and the input src.
func bad2(op, dn string, dst []float32, sn string, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels: %s: length mismatch: len(%s) = %d, len(%s) = %d",
			op, dn, len(dst), sn, len(src)))
	}
	if overlaps(dst, src) {
		panic(fmt.Sprintf("kernels: %s: %s and %s overlap without being the same slice", op, dn, sn))
	}
}

// bad3 panics with what is wrong with dst and its inputs a and b.
func bad3(op, dn string, dst []float32, an string, a []float32, bn string, b []float32) {
	bad2(op, dn, dst, an, a)
	bad2(op, dn, dst, bn, b)
}

// ok2 and ok3 are the checks of one output and its inputs: equal lengths,
// and no input sharing memory with dst unless it is dst. Written to fit
// the inliner's budget: the call they replace spilled every argument to
// the stack (Add and Mul on 1 KiB: 8% and 19% less time, benchstat of 8
// runs).
func ok2(dst, a []float32) bool { return len(a) == len(dst) && !shifted(dst, a) }

func ok3(dst, a, b []float32) bool {
	d, w := uintptr(unsafe.Pointer(unsafe.SliceData(dst))), uintptr(len(dst))*4
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return len(a) == len(dst) && len(b) == len(dst) &&
		(pa == d || pa-d >= w && d-pa >= w) && (pb == d || pb-d >= w && d-pb >= w)
}

// shifted is overlaps for slices of equal length: their starts differ by
// less than the length, and are not the same.
func shifted(a, b []float32) bool {
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	n := uintptr(len(a)) * 4
	return pa != pb && (pa-pb < n || pb-pa < n)
}

// streamMin is the output length from which a kernel whose output is not
// one of its inputs writes it with non-temporal stores: 2 MiB, beyond the
// L2 of the CPUs we run on, where keeping the output in cache would only
// evict what is useful, and reading its lines before writing them would
// cost a third more memory traffic.
const streamMin = 1 << 19

// distinct reports whether dst does not start where a does.
func distinct(dst, a []float32) bool { return unsafe.SliceData(dst) != unsafe.SliceData(a) }

// at returns a pointer to s[i]; s[i] must exist.
func at(s []float32, i int) *float32 { return &s[i] }

// Level 1.

// Axpy adds alpha·x to y. The product is rounded before the sum (no FMA),
// so every path gives the same bits.
//
//	for i := range y { y[i] += alpha * x[i] }
func (p *Impl) Axpy(alpha float32, x, y []float32) {
	if !ok2(y, x) {
		bad2("Axpy", "y", y, "x", x)
	}
	for i := 0; i < len(y); i += chunk {
		n := min(chunk, len(y)-i)
		p.ew.Axpy(at(x, i), at(y, i), n, alpha)
	}
}

// Scale multiplies x by alpha in place.
//
//	for i := range x { x[i] *= alpha }
func (p *Impl) Scale(alpha float32, x []float32) {
	for i := 0; i < len(x); i += chunk {
		n := min(chunk, len(x)-i)
		p.ew.Scale(at(x, i), at(x, i), n, alpha)
	}
}

// Add stores x + y in dst, which may be x or y.
//
//	for i := range dst { dst[i] = x[i] + y[i] }
func (p *Impl) Add(dst, x, y []float32) {
	if !ok3(dst, x, y) {
		bad3("Add", "dst", dst, "x", x, "y", y)
	}
	f := p.ew.Add
	if len(dst) >= streamMin && distinct(dst, x) && distinct(dst, y) {
		f = p.ew.AddStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), at(y, i), n)
	}
}

// Mul stores the Hadamard (elementwise) product of x and y in dst, which may
// be x or y.
//
//	for i := range dst { dst[i] = x[i] * y[i] }
func (p *Impl) Mul(dst, x, y []float32) {
	if !ok3(dst, x, y) {
		bad3("Mul", "dst", dst, "x", x, "y", y)
	}
	f := p.ew.Mul
	if len(dst) >= streamMin && distinct(dst, x) && distinct(dst, y) {
		f = p.ew.MulStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), at(y, i), n)
	}
}

// Dot returns the inner product of x and y. The order of summation differs
// between paths; each result is within γ_n·Σ|x[i]·y[i]| of the exact one,
// γ_n = nε/(1−nε), ε = 2⁻²⁴.
//
//	for i := range x { s += x[i] * y[i] }
func (p *Impl) Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		bad2("Dot", "x", x, "y", y)
	}
	var s float32
	for i := 0; i < len(x); i += chunk {
		n := min(chunk, len(x)-i)
		s += p.ew.Dot(at(x, i), at(y, i), n)
	}
	return s
}

// Sum returns the sum of x, in an order that differs between paths (see
// Dot for the error bound).
//
//	for i := range x { s += x[i] }
func (p *Impl) Sum(x []float32) float32 {
	var s float32
	for i := 0; i < len(x); i += chunk {
		n := min(chunk, len(x)-i)
		s += p.ew.Sum(at(x, i), n)
	}
	return s
}

// Rows of a row-major matrix stored contiguously.

// AddBias adds bias to every row of x, a matrix of len(bias) columns stored
// row after row.
//
//	for r := 0; r < len(x); r += len(bias) { Add(x[r:r+len(bias)], x[r:r+len(bias)], bias) }
func (p *Impl) AddBias(x, bias []float32) {
	n := len(bias)
	if n == 0 && len(x) == 0 {
		return
	}
	if n == 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("kernels: AddBias: len(x) = %d is not a multiple of len(bias) = %d", len(x), n))
	}
	if overlaps(x, bias) {
		bad2("AddBias", "x", x, "bias", bias)
	}
	for r := 0; r < len(x); r += n {
		p.ew.Add(at(x, r), at(x, r), at(bias, 0), n)
	}
}

// SumRows stores in dst the sum of the rows of x, a matrix of len(dst)
// columns stored row after row: the bias gradient of a batch.
//
//	for j := range dst { dst[j] = Σ_r x[r*len(dst)+j] }
func (p *Impl) SumRows(dst, x []float32) {
	n := len(dst)
	if n == 0 && len(x) == 0 {
		return
	}
	if n == 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("kernels: SumRows: len(x) = %d is not a multiple of len(dst) = %d", len(x), n))
	}
	if overlaps(dst, x) {
		bad2("SumRows", "dst", dst, "x", x)
	}
	if len(x) == 0 {
		clear(dst)
		return
	}
	copy(dst, x[:n])
	for r := n; r < len(x); r += n {
		p.ew.Add(at(dst, 0), at(dst, 0), at(x, r), n)
	}
}

// Activations.

// ReLU stores max(x, 0) in dst, which may be x. A NaN passes through and
// −0 stays −0.
//
//	for i := range dst { dst[i] = x[i]; if x[i] < 0 { dst[i] = 0 } }
func (p *Impl) ReLU(dst, x []float32) {
	if !ok2(dst, x) {
		bad2("ReLU", "dst", dst, "x", x)
	}
	f := p.ew.Relu
	if len(dst) >= streamMin && distinct(dst, x) {
		f = p.ew.ReluStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), n)
	}
}

// LeakyReLU stores x where x is not negative and alpha·x where it is, in
// dst, which may be x.
//
//	for i := range dst { dst[i] = x[i]; if x[i] < 0 { dst[i] = alpha * x[i] } }
func (p *Impl) LeakyReLU(dst, x []float32, alpha float32) {
	if !ok2(dst, x) {
		bad2("LeakyReLU", "dst", dst, "x", x)
	}
	f := p.ew.LeakyRelu
	if len(dst) >= streamMin && distinct(dst, x) {
		f = p.ew.LeakyReluStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), n, alpha)
	}
}

// Exp stores e^x in dst, which may be x: within 2 ULP where the result is
// normal, +Inf above about 88.72, correctly rounded subnormals down to 0
// below about −103.97, and NaN for NaN.
//
//	for i := range dst { dst[i] = exp(x[i]) }
func (p *Impl) Exp(dst, x []float32) {
	if !ok2(dst, x) {
		bad2("Exp", "dst", dst, "x", x)
	}
	f := p.ew.Exp
	if len(dst) >= streamMin && distinct(dst, x) {
		f = p.ew.ExpStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), n)
	}
}

// Sigmoid stores the logistic function 1/(1+e^−x) in dst, which may be x,
// within 3 ULP (subnormal results within 3 ULP of the smallest normal).
//
//	for i := range dst { dst[i] = 1 / (1 + exp(-x[i])) }
func (p *Impl) Sigmoid(dst, x []float32) {
	if !ok2(dst, x) {
		bad2("Sigmoid", "dst", dst, "x", x)
	}
	f := p.ew.Sigmoid
	if len(dst) >= streamMin && distinct(dst, x) {
		f = p.ew.SigmoidStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), n)
	}
}

// Tanh stores the hyperbolic tangent of x in dst, which may be x, within
// 3 ULP.
//
//	for i := range dst { dst[i] = tanh(x[i]) }
func (p *Impl) Tanh(dst, x []float32) {
	if !ok2(dst, x) {
		bad2("Tanh", "dst", dst, "x", x)
	}
	f := p.ew.Tanh
	if len(dst) >= streamMin && distinct(dst, x) {
		f = p.ew.TanhStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(x, i), n)
	}
}

// rows checks a row-wise operation on rows of n elements.
func rows(op string, dst, x []float32, n int) {
	if !ok2(dst, x) {
		bad2(op, "dst", dst, "x", x)
	}
	if n <= 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("kernels: %s: len(x) = %d is not a multiple of the row length %d", op, len(x), n))
	}
}

// Softmax stores in each row of dst (which may be x) the softmax of that
// row of x, rows being n elements long: e^(x−max)/Σe^(x−max), so no
// exponential overflows. A row with a NaN or +Inf gives NaN.
//
//	for r := 0; r < len(x); r += n { m := max(x[r:r+n]); s := Σ_j exp(x[r+j]-m); dst[r+j] = exp(x[r+j]-m)/s }
func (p *Impl) Softmax(dst, x []float32, n int) {
	rows("Softmax", dst, x, n)
	if p.rows.takes(n) {
		var stats [2 * rowBlock]float32
		for r := 0; r < len(x); r += rowBlock * n {
			k := min(rowBlock, (len(x)-r)/n)
			p.rows.softmax(at(dst, r), at(x, r), &stats[0], k, n, 1)
		}
		return
	}
	for r := 0; r < len(x); r += n {
		m := p.max(x[r : r+n])
		s := p.ew.ExpSubSum(at(dst, r), at(x, r), n, m)
		p.ew.Scale(at(dst, r), at(dst, r), n, 1/s)
	}
}

// rowBlock is how many short rows one call of a short-row kernel takes:
// their maxima and sums, and LogSoftmax's constants, are held on the stack.
const rowBlock = 64

// LogSoftmax stores in each row of dst (which may be x) the logarithm of the
// softmax of that row of x: x − max − log Σe^(x−max).
//
//	for r := 0; r < len(x); r += n { dst[r+j] = x[r+j] - (m + log(Σ_j exp(x[r+j]-m))) }
func (p *Impl) LogSoftmax(dst, x []float32, n int) {
	rows("LogSoftmax", dst, x, n)
	if p.rows.takes(n) {
		var stats [2 * rowBlock]float32
		var c [rowBlock]float32
		for r := 0; r < len(x); r += rowBlock * n {
			k := min(rowBlock, (len(x)-r)/n)
			p.rows.softmax(nil, at(x, r), &stats[0], k, n, 1)
			for i := range k {
				c[i] = float32(float64(stats[2*i]) + math.Log(float64(stats[2*i+1])))
			}
			p.rows.sub(at(dst, r), at(x, r), &c[0], k, n)
		}
		return
	}
	for r := 0; r < len(x); r += n {
		m := p.max(x[r : r+n])
		s := p.ew.SumExpSub(at(x, r), n, m)
		c := float32(float64(m) + math.Log(float64(s)))
		p.ew.SubScalar(at(dst, r), at(x, r), n, c)
	}
}

// SoftmaxCrossEntropy is the loss of classification and its gradient in
// one pass over logits, rows of n classes with one label each: it returns
// Σ_rows −log softmax(z)[label], computed as log Σe^(z−max) + max − z[label]
// (no exponential overflows, and a tiny probability costs no accuracy), and
// stores in dst (which may be logits) the gradient of scale times that sum
// with respect to the logits, scale·(softmax(z) − onehot(label)). A label
// outside [0, n) panics before anything is written; a row with NaN or +Inf
// gives a NaN loss.
func (p *Impl) SoftmaxCrossEntropy(dst, logits []float32, labels []int32, n int, scale float32) float64 {
	rows("SoftmaxCrossEntropy", dst, logits, n)
	if len(labels)*n != len(logits) {
		panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: %d labels for %d rows", len(labels), len(logits)/n))
	}
	for i, y := range labels {
		if y < 0 || int(y) >= n {
			panic(fmt.Sprintf("kernels: SoftmaxCrossEntropy: label %d of row %d is not in [0, %d)", y, i, n))
		}
	}
	var loss float64
	if p.rows.takes(n) {
		var stats [2 * rowBlock]float32
		var zy [rowBlock]float32
		for b := 0; b < len(labels); b += rowBlock {
			k := min(rowBlock, len(labels)-b)
			for i, y := range labels[b : b+k] {
				zy[i] = logits[(b+i)*n+int(y)] // before dst, which may be logits, is written
			}
			p.rows.softmax(at(dst, b*n), at(logits, b*n), &stats[0], k, n, scale)
			for i, y := range labels[b : b+k] {
				loss += math.Log(float64(stats[2*i+1])) + float64(stats[2*i]) - float64(zy[i])
				dst[(b+i)*n+int(y)] -= scale
			}
		}
		return loss
	}
	for i, y := range labels {
		r := i * n
		zy := float64(logits[r+int(y)])
		m := p.max(logits[r : r+n])
		s := p.ew.ExpSubSum(at(dst, r), at(logits, r), n, m)
		loss += math.Log(float64(s)) + float64(m) - zy
		p.ew.Scale(at(dst, r), at(dst, r), n, scale/s)
		dst[r+int(y)] -= scale
	}
	return loss
}

// max returns the largest element of a row of at most a few chunks.
func (p *Impl) max(x []float32) float32 {
	m := float32(math.Inf(-1))
	for i := 0; i < len(x); i += chunk {
		n := min(chunk, len(x)-i)
		m = max(m, p.ew.Max(at(x, i), n))
	}
	return m
}

// Deltas of backpropagation: dst = g ⊙ σ'(·), from what the forward pass
// kept. dst may be g.

// ReLUDelta stores g where z > 0 and 0 elsewhere. It is a select, not a
// product: a NaN in g where z ≤ 0 gives 0.
//
//	for i := range dst { dst[i] = 0; if z[i] > 0 { dst[i] = g[i] } }
func (p *Impl) ReLUDelta(dst, g, z []float32) {
	if !ok3(dst, g, z) {
		bad3("ReLUDelta", "dst", dst, "g", g, "z", z)
	}
	f := p.ew.ReluDelta
	if len(dst) >= streamMin && distinct(dst, g) && distinct(dst, z) {
		f = p.ew.ReluDeltaStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(g, i), at(z, i), n)
	}
}

// LeakyReLUDelta stores g where z > 0 and alpha·g elsewhere.
//
//	for i := range dst { dst[i] = alpha * g[i]; if z[i] > 0 { dst[i] = g[i] } }
func (p *Impl) LeakyReLUDelta(dst, g, z []float32, alpha float32) {
	if !ok3(dst, g, z) {
		bad3("LeakyReLUDelta", "dst", dst, "g", g, "z", z)
	}
	f := p.ew.LeakyReluDelta
	if len(dst) >= streamMin && distinct(dst, g) && distinct(dst, z) {
		f = p.ew.LeakyReluDeltaStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(g, i), at(z, i), n, alpha)
	}
}

// SigmoidDelta stores g·a(1−a), where a is the sigmoid's output. a(1−a)
// rather than a − a² keeps full relative accuracy as a nears 1.
//
//	for i := range dst { dst[i] = g[i] * (a[i] * (1 - a[i])) }
func (p *Impl) SigmoidDelta(dst, g, a []float32) {
	if !ok3(dst, g, a) {
		bad3("SigmoidDelta", "dst", dst, "g", g, "a", a)
	}
	f := p.ew.SigmoidDelta
	if len(dst) >= streamMin && distinct(dst, g) && distinct(dst, a) {
		f = p.ew.SigmoidDeltaStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(g, i), at(a, i), n)
	}
}

// TanhDelta stores g·(1−a)(1+a), where a is the tanh's output: 1 − a²
// without its cancellation as |a| nears 1.
//
//	for i := range dst { dst[i] = g[i] * ((1 - a[i]) * (1 + a[i])) }
func (p *Impl) TanhDelta(dst, g, a []float32) {
	if !ok3(dst, g, a) {
		bad3("TanhDelta", "dst", dst, "g", g, "a", a)
	}
	f := p.ew.TanhDelta
	if len(dst) >= streamMin && distinct(dst, g) && distinct(dst, a) {
		f = p.ew.TanhDeltaStream
	}
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		f(at(dst, i), at(g, i), at(a, i), n)
	}
}
