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

func badLen(op, a string, na int, b string, nb int) {
	panic(fmt.Sprintf("kernels: %s: length mismatch: len(%s) = %d, len(%s) = %d", op, a, na, b, nb))
}

// overlap panics when dst and src share memory without being the same
// slice: elementwise kernels may work in place, but a shifted alias would
// read what they have already written.
func overlap(op, dn string, dst []float32, sn string, src []float32) {
	if len(dst) == 0 || len(src) == 0 {
		return
	}
	d := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	if d != s && d < s+uintptr(len(src))*4 && s < d+uintptr(len(dst))*4 {
		panic(fmt.Sprintf("kernels: %s: %s and %s overlap without being the same slice", op, dn, sn))
	}
}

func check2(op, dn string, dst []float32, sn string, src []float32) {
	if len(dst) != len(src) {
		badLen(op, dn, len(dst), sn, len(src))
	}
	overlap(op, dn, dst, sn, src)
}

func check3(op, dn string, dst []float32, an string, a []float32, bn string, b []float32) {
	check2(op, dn, dst, an, a)
	check2(op, dn, dst, bn, b)
}

// at returns a pointer to s[i]; s[i] must exist.
func at(s []float32, i int) *float32 { return &s[i] }

// Level 1.

// Axpy adds alpha·x to y. The product is rounded before the sum (no FMA),
// so every path gives the same bits.
//
//	for i := range y { y[i] += alpha * x[i] }
func (p *Impl) Axpy(alpha float32, x, y []float32) {
	check2("Axpy", "y", y, "x", x)
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
	check3("Add", "dst", dst, "x", x, "y", y)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Add(at(dst, i), at(x, i), at(y, i), n)
	}
}

// Mul stores the Hadamard (elementwise) product of x and y in dst, which may
// be x or y.
//
//	for i := range dst { dst[i] = x[i] * y[i] }
func (p *Impl) Mul(dst, x, y []float32) {
	check3("Mul", "dst", dst, "x", x, "y", y)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Mul(at(dst, i), at(x, i), at(y, i), n)
	}
}

// Dot returns the inner product of x and y. The order of summation differs
// between paths; each result is within γ_n·Σ|x[i]·y[i]| of the exact one,
// γ_n = nε/(1−nε), ε = 2⁻²⁴.
//
//	for i := range x { s += x[i] * y[i] }
func (p *Impl) Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		badLen("Dot", "x", len(x), "y", len(y))
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
	overlap("AddBias", "x", x, "bias", bias)
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
	overlap("SumRows", "dst", dst, "x", x)
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
	check2("ReLU", "dst", dst, "x", x)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Relu(at(dst, i), at(x, i), n)
	}
}

// LeakyReLU stores x where x is not negative and alpha·x where it is, in
// dst, which may be x.
//
//	for i := range dst { dst[i] = x[i]; if x[i] < 0 { dst[i] = alpha * x[i] } }
func (p *Impl) LeakyReLU(dst, x []float32, alpha float32) {
	check2("LeakyReLU", "dst", dst, "x", x)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.LeakyRelu(at(dst, i), at(x, i), n, alpha)
	}
}

// Exp stores e^x in dst, which may be x: within 2 ULP where the result is
// normal, +Inf above about 88.72, correctly rounded subnormals down to 0
// below about −103.97, and NaN for NaN.
//
//	for i := range dst { dst[i] = exp(x[i]) }
func (p *Impl) Exp(dst, x []float32) {
	check2("Exp", "dst", dst, "x", x)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Exp(at(dst, i), at(x, i), n)
	}
}

// Sigmoid stores the logistic function 1/(1+e^−x) in dst, which may be x,
// within 3 ULP (subnormal results within 3 ULP of the smallest normal).
//
//	for i := range dst { dst[i] = 1 / (1 + exp(-x[i])) }
func (p *Impl) Sigmoid(dst, x []float32) {
	check2("Sigmoid", "dst", dst, "x", x)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Sigmoid(at(dst, i), at(x, i), n)
	}
}

// Tanh stores the hyperbolic tangent of x in dst, which may be x, within
// 3 ULP.
//
//	for i := range dst { dst[i] = tanh(x[i]) }
func (p *Impl) Tanh(dst, x []float32) {
	check2("Tanh", "dst", dst, "x", x)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.Tanh(at(dst, i), at(x, i), n)
	}
}

// rows checks a row-wise operation on rows of n elements.
func rows(op string, dst, x []float32, n int) {
	check2(op, "dst", dst, "x", x)
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
	for r := 0; r < len(x); r += n {
		m := p.max(x[r : r+n])
		s := p.ew.ExpSubSum(at(dst, r), at(x, r), n, m)
		p.ew.Scale(at(dst, r), at(dst, r), n, 1/s)
	}
}

// LogSoftmax stores in each row of dst (which may be x) the logarithm of the
// softmax of that row of x: x − max − log Σe^(x−max).
//
//	for r := 0; r < len(x); r += n { dst[r+j] = x[r+j] - (m + log(Σ_j exp(x[r+j]-m))) }
func (p *Impl) LogSoftmax(dst, x []float32, n int) {
	rows("LogSoftmax", dst, x, n)
	for r := 0; r < len(x); r += n {
		m := p.max(x[r : r+n])
		s := p.ew.SumExpSub(at(x, r), n, m)
		c := float32(float64(m) + math.Log(float64(s)))
		p.ew.SubScalar(at(dst, r), at(x, r), n, c)
	}
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
	check3("ReLUDelta", "dst", dst, "g", g, "z", z)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.ReluDelta(at(dst, i), at(g, i), at(z, i), n)
	}
}

// LeakyReLUDelta stores g where z > 0 and alpha·g elsewhere.
//
//	for i := range dst { dst[i] = alpha * g[i]; if z[i] > 0 { dst[i] = g[i] } }
func (p *Impl) LeakyReLUDelta(dst, g, z []float32, alpha float32) {
	check3("LeakyReLUDelta", "dst", dst, "g", g, "z", z)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.LeakyReluDelta(at(dst, i), at(g, i), at(z, i), n, alpha)
	}
}

// SigmoidDelta stores g·a(1−a), where a is the sigmoid's output. a(1−a)
// rather than a − a² keeps full relative accuracy as a nears 1.
//
//	for i := range dst { dst[i] = g[i] * (a[i] * (1 - a[i])) }
func (p *Impl) SigmoidDelta(dst, g, a []float32) {
	check3("SigmoidDelta", "dst", dst, "g", g, "a", a)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.SigmoidDelta(at(dst, i), at(g, i), at(a, i), n)
	}
}

// TanhDelta stores g·(1−a)(1+a), where a is the tanh's output: 1 − a²
// without its cancellation as |a| nears 1.
//
//	for i := range dst { dst[i] = g[i] * ((1 - a[i]) * (1 + a[i])) }
func (p *Impl) TanhDelta(dst, g, a []float32) {
	check3("TanhDelta", "dst", dst, "g", g, "a", a)
	for i := 0; i < len(dst); i += chunk {
		n := min(chunk, len(dst)-i)
		p.ew.TanhDelta(at(dst, i), at(g, i), at(a, i), n)
	}
}
