package kernel

import (
	"fmt"
	"strings"

	"github.com/backprop-go/backprop/internal/approx"
)

// ArgKind says how a kernel uses one of its arguments.
type ArgKind int

const (
	In     ArgKind = iota // a slice read lane by lane
	Out                   // a slice written lane by lane
	InOut                 // a slice read, then written
	Scalar                // a float32 broadcast to every lane
)

// Arg is one argument of a kernel, in signature order.
type Arg struct {
	Name string
	Kind ArgKind
}

// Reduction says whether and how a kernel folds its body's results.
type Reduction int

const (
	NoReduce  Reduction = iota
	SumReduce           // returns Σ body
	MaxReduce           // returns max body
)

// Kernel is one elementwise kernel: for i < n, body(inputs[i], scalars),
// stored to the output slice, folded into the returned value, or both.
type Kernel struct {
	Name   string   // Go name without the path suffix
	Doc    []string // the doc comment: one sentence and the equivalent Go loop
	Args   []Arg
	Reduce Reduction

	// Unroll is how many vectors one iteration of the main loop handles.
	Unroll int

	// Stream asks for a second variant with non-temporal stores, for
	// outputs too large to stay in cache.
	Stream bool

	// Body computes one vector of results from the read slices (in
	// argument order) and the scalars (in argument order).
	Body func(b *Builder, in, scalars []Value) Value
}

// Pointers returns the slice arguments, in order.
func (k *Kernel) Pointers() []Arg { return k.filter(func(a Arg) bool { return a.Kind != Scalar }) }

// Inputs returns the slice arguments the body reads, in order.
func (k *Kernel) Inputs() []Arg {
	return k.filter(func(a Arg) bool { return a.Kind == In || a.Kind == InOut })
}

// Scalars returns the scalar arguments, in order.
func (k *Kernel) Scalars() []Arg { return k.filter(func(a Arg) bool { return a.Kind == Scalar }) }

// Output returns the slice the body's result is stored to, if any.
func (k *Kernel) Output() (Arg, bool) {
	o := k.Outputs()
	if len(o) == 0 {
		return Arg{}, false
	}
	return o[0], true
}

// Outputs returns every slice the kernel writes, in order: the body's
// result goes to the first, the values it sets with Builder.Output to the
// others.
func (k *Kernel) Outputs() []Arg {
	return k.filter(func(a Arg) bool { return a.Kind == Out || a.Kind == InOut })
}

func (k *Kernel) filter(keep func(Arg) bool) []Arg {
	var out []Arg
	for _, a := range k.Args {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}

// Signature is the Go signature of every path's function: the slices as
// pointers, then the length, then the scalars.
func (k *Kernel) Signature() string {
	var ptrs, scal []string
	for _, a := range k.Pointers() {
		ptrs = append(ptrs, a.Name)
	}
	for _, a := range k.Scalars() {
		scal = append(scal, a.Name)
	}
	s := "func(" + strings.Join(ptrs, ", ") + " *float32, n int"
	if len(scal) > 0 {
		s += ", " + strings.Join(scal, ", ") + " float32"
	}
	s += ")"
	if k.Reduce != NoReduce {
		s += " float32"
	}
	return s
}

// Record runs the body once on a fresh Builder.
func (k *Kernel) Record() *Body {
	b := &Builder{}
	var in, sc []Value
	for i := range k.Inputs() {
		in = append(in, b.Input(i))
	}
	for i := range k.Scalars() {
		sc = append(sc, b.Scalar(i))
	}
	return b.Finish(k.Body(b, in, sc))
}

// Check reports a description that no backend could lower.
func (k *Kernel) Check() error {
	if _, ok := k.Output(); !ok && k.Reduce == NoReduce {
		return fmt.Errorf("kernel %s: neither stores nor reduces", k.Name)
	}
	if n := len(k.Outputs()); n > 1 && (k.Stream || k.Reduce != NoReduce) {
		return fmt.Errorf("kernel %s: %d outputs, and streams or reduces", k.Name, n)
	}
	if n := len(k.Outputs()); n > 1 && len(k.Record().Extra) != n-1 {
		return fmt.Errorf("kernel %s: %d outputs but the body sets %d", k.Name, n, 1+len(k.Record().Extra))
	}
	if o, ok := k.Output(); k.Stream && (!ok || o.Kind != Out) {
		return fmt.Errorf("kernel %s: only a pure output can be streamed", k.Name)
	}
	if k.Unroll < 1 {
		return fmt.Errorf("kernel %s: unroll %d", k.Name, k.Unroll)
	}
	return nil
}

// Exp is e^x: 2^n·p(r) with n = round(x·log2 e), r = x − n·ln 2
// (see internal/approx). Clamping first makes overflow give +Inf and
// underflow give 0 (with correctly rounded subnormals in between) and keeps
// n in range; a NaN passes through every step.
func Exp(b *Builder, x Value) Value {
	return expClamped(b, b.Min(b.Max(x, b.Const(approx.ExpMin)), b.Const(approx.ExpMax)))
}

// expNonPositive is Exp for x ≤ 0 (or NaN), which needs no upper clamp.
func expNonPositive(b *Builder, x Value) Value {
	return expClamped(b, b.Max(x, b.Const(approx.ExpMin)))
}

// expClamped is Exp for x in [approx.ExpMin, approx.ExpMax] (or NaN).
func expClamped(b *Builder, x Value) Value {
	n := b.Round(b.Mul(x, b.Const(approx.Log2E)))
	r := b.FNMA(n, b.Const(approx.Ln2Hi), x)
	r = b.FNMA(n, b.Const(approx.Ln2Lo), r)
	return b.Scale2(b.Horner(r, approx.ExpPoly[:]), n)
}

// Sigmoid is 1/(1+e^−x) for x ≥ 0 and e^x/(1+e^x) below, both from
// t = e^−|x|, so that neither overflows and small results keep their
// relative accuracy down to the subnormals.
func Sigmoid(b *Builder, x Value) Value {
	one := b.Const(1)
	t := expNonPositive(b, b.NegAbs(x))
	num := b.Select(b.Less(x, b.Const(0)), t, one)
	return b.DivNormal(num, b.Add(one, t)) // 1 + t is in [1, 2]
}

// Tanh is e/(e + 2) with e = e^(2|x|) − 1 (see internal/approx), with the
// sign of x put back: e = 2^n·p + (2^n − 1), p = r + r²·q(r) being
// e^r − 1 on the reduced argument, both terms ≥ 0. |x| is clamped first,
// which keeps e + 2 normal and a NaN passes through; below TanhTiny the
// result is |x| itself.
func Tanh(b *Builder, x Value) Value {
	ax := b.Min(b.Abs(x), b.Const(approx.TanhMax))
	a := b.Add(ax, ax) // 2|x|, exact
	n := b.Round(b.Mul(a, b.Const(approx.Log2E)))
	r := b.FNMA(n, b.Const(approx.Ln2Hi), a)
	r = b.FNMA(n, b.Const(approx.Ln2Lo), r)
	p := b.FMA(b.Mul(r, r), b.Horner(r, approx.Expm1Poly[:]), r)
	s := b.Scale2Normal(b.Const(1), n) // n is in [0, 27]
	e := b.FMA(s, p, b.Sub(s, b.Const(1)))
	t := b.DivNormal(e, b.Add(e, b.Const(2))) // e + 2 is in [2, 2^27]
	return b.WithSignOf(b.Select(b.Less(ax, b.Const(approx.TanhTiny)), ax, t), x)
}

func doc(sentence string, loop ...string) []string {
	out := []string{sentence, ""}
	for _, l := range loop {
		out = append(out, "\t"+l)
	}
	return out
}

// Elementwise lists every elementwise kernel, in the order of the table
// that package kernels dispatches through.
var Elementwise = []*Kernel{
	{
		Name: "Axpy",
		Doc:  doc("Axpy adds alpha·x to y; the product is rounded before the sum.", "for i := range n { y[i] += alpha * x[i] }"),
		Args: []Arg{{"x", In}, {"y", InOut}, {"alpha", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Add(in[1], b.Mul(s[0], in[0])) },
	},
	{
		Name: "Scale",
		Doc:  doc("Scale stores alpha·x.", "for i := range n { dst[i] = alpha * x[i] }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"alpha", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Mul(s[0], in[0]) },
	},
	{
		Name: "Add", Stream: true,
		Doc:  doc("Add stores the sum of x and y.", "for i := range n { dst[i] = x[i] + y[i] }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"y", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Add(in[0], in[1]) },
	},
	{
		Name: "Mul", Stream: true,
		Doc:  doc("Mul stores the Hadamard product of x and y.", "for i := range n { dst[i] = x[i] * y[i] }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"y", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Mul(in[0], in[1]) },
	},
	{
		Name: "SubScalar",
		Doc:  doc("SubScalar stores x less c.", "for i := range n { dst[i] = x[i] - c }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"c", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Sub(in[0], s[0]) },
	},
	{
		Name: "Dot", Reduce: SumReduce,
		Doc:  doc("Dot returns the inner product of x and y, summed in several partial sums.", "for i := range n { s += x[i] * y[i] }"),
		Args: []Arg{{"x", In}, {"y", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return b.Mul(in[0], in[1]) },
	},
	{
		Name: "Sum", Reduce: SumReduce,
		Doc:  doc("Sum returns the sum of x, in several partial sums.", "for i := range n { s += x[i] }"),
		Args: []Arg{{"x", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return in[0] },
	},
	{
		Name: "Max", Reduce: MaxReduce,
		Doc:  doc("Max returns the largest element of x (−Inf when n is 0); NaNs may be skipped.", "for i := range n { m = max(m, x[i]) }"),
		Args: []Arg{{"x", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return in[0] },
	},
	{
		Name: "Relu", Stream: true,
		Doc:  doc("Relu stores x where x is not negative and 0 where it is; NaN passes.", "for i := range n { dst[i] = x[i]; if x[i] < 0 { dst[i] = 0 } }"),
		Args: []Arg{{"dst", Out}, {"x", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			return b.Select(b.Less(in[0], b.Const(0)), b.Const(0), in[0])
		},
	},
	{
		Name: "LeakyRelu", Stream: true,
		Doc:  doc("LeakyRelu stores x where x is not negative and alpha·x where it is.", "for i := range n { dst[i] = x[i]; if x[i] < 0 { dst[i] = alpha * x[i] } }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"alpha", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			return b.Select(b.Less(in[0], b.Const(0)), b.Mul(s[0], in[0]), in[0])
		},
	},
	{
		Name: "Exp", Stream: true,
		Doc:  doc("Exp stores e^x.", "for i := range n { dst[i] = exp(x[i]) }"),
		Args: []Arg{{"dst", Out}, {"x", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return Exp(b, in[0]) },
	},
	{
		Name: "ExpSubSum", Reduce: SumReduce,
		Doc:  doc("ExpSubSum stores e^(x−c) and returns the sum of what it stored.", "for i := range n { dst[i] = exp(x[i] - c); s += dst[i] }"),
		Args: []Arg{{"dst", Out}, {"x", In}, {"c", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return Exp(b, b.Sub(in[0], s[0])) },
	},
	{
		Name: "SumExpSub", Reduce: SumReduce,
		Doc:  doc("SumExpSub returns the sum of e^(x−c).", "for i := range n { s += exp(x[i] - c) }"),
		Args: []Arg{{"x", In}, {"c", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return Exp(b, b.Sub(in[0], s[0])) },
	},
	{
		Name: "Sigmoid", Stream: true,
		Doc:  doc("Sigmoid stores the logistic function of x.", "for i := range n { dst[i] = 1 / (1 + exp(-x[i])) }"),
		Args: []Arg{{"dst", Out}, {"x", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value { return Sigmoid(b, in[0]) },
	},
	{
		Name: "Tanh", Stream: true,
		Doc:  doc("Tanh stores the hyperbolic tangent of x.", "for i := range n { dst[i] = tanh(x[i]) }"),
		Args: []Arg{{"dst", Out}, {"x", In}}, Unroll: 2,
		Body: func(b *Builder, in, s []Value) Value { return Tanh(b, in[0]) },
	},
	{
		Name: "ReluDelta", Stream: true,
		Doc:  doc("ReluDelta stores grad where z is positive and 0 elsewhere (a select: a NaN grad where z ≤ 0 gives 0).", "for i := range n { dst[i] = 0; if z[i] > 0 { dst[i] = grad[i] } }"),
		Args: []Arg{{"dst", Out}, {"grad", In}, {"z", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			return b.Select(b.Less(b.Const(0), in[1]), in[0], b.Const(0))
		},
	},
	{
		Name: "LeakyReluDelta", Stream: true,
		Doc:  doc("LeakyReluDelta stores grad where z is positive and alpha·grad elsewhere.", "for i := range n { dst[i] = alpha * grad[i]; if z[i] > 0 { dst[i] = grad[i] } }"),
		Args: []Arg{{"dst", Out}, {"grad", In}, {"z", In}, {"alpha", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			return b.Select(b.Less(b.Const(0), in[1]), in[0], b.Mul(s[0], in[0]))
		},
	},
	{
		Name: "SigmoidDelta", Stream: true,
		Doc:  doc("SigmoidDelta stores grad·a(1−a), the delta through a sigmoid whose output was a.", "for i := range n { dst[i] = grad[i] * (a[i] * (1 - a[i])) }"),
		Args: []Arg{{"dst", Out}, {"grad", In}, {"a", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			return b.Mul(in[0], b.Mul(in[1], b.Sub(b.Const(1), in[1])))
		},
	},
	{
		Name: "TanhDelta", Stream: true,
		Doc:  doc("TanhDelta stores grad·(1−a)(1+a), the delta through a tanh whose output was a.", "for i := range n { dst[i] = grad[i] * ((1 - a[i]) * (1 + a[i])) }"),
		Args: []Arg{{"dst", Out}, {"grad", In}, {"a", In}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			one := b.Const(1)
			return b.Mul(in[0], b.Mul(b.Sub(one, in[1]), b.Add(one, in[1])))
		},
	},
	{
		Name: "SgdStep",
		Doc: doc("SgdStep takes a step of plain gradient descent with L2 weight decay wd.",
			"for i := range n { w[i] -= lr * (grad[i] + wd*w[i]) }"),
		Args: []Arg{{"w", InOut}, {"grad", In}, {"lr", Scalar}, {"wd", Scalar}}, Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			w, g := in[0], in[1] // g is the gradient
			return b.Sub(w, b.Mul(s[0], b.Add(g, b.Mul(s[1], w))))
		},
	},
	{
		Name: "MomentumStep",
		Doc: doc("MomentumStep takes a step of gradient descent with momentum mu (the velocity v sums the gradients) and L2 weight decay wd.",
			"for i := range n { d := grad[i] + wd*w[i]; v[i] = mu*v[i] + d; w[i] -= lr * v[i] }"),
		Args:   []Arg{{"w", InOut}, {"v", InOut}, {"grad", In}, {"lr", Scalar}, {"mu", Scalar}, {"wd", Scalar}},
		Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			w, v, g := in[0], in[1], in[2]
			d := b.Add(g, b.Mul(s[2], w))
			v = b.Add(b.Mul(s[1], v), d)
			b.Output(1, v)
			return b.Sub(w, b.Mul(s[0], v))
		},
	},
	{
		Name: "NesterovStep",
		Doc: doc("NesterovStep is MomentumStep with Nesterov's correction: the step looks ahead along the velocity.",
			"for i := range n { d := grad[i] + wd*w[i]; v[i] = mu*v[i] + d; w[i] -= lr * (d + mu*v[i]) }"),
		Args:   []Arg{{"w", InOut}, {"v", InOut}, {"grad", In}, {"lr", Scalar}, {"mu", Scalar}, {"wd", Scalar}},
		Unroll: 4,
		Body: func(b *Builder, in, s []Value) Value {
			w, v, g := in[0], in[1], in[2]
			d := b.Add(g, b.Mul(s[2], w))
			v = b.Add(b.Mul(s[1], v), d)
			b.Output(1, v)
			return b.Sub(w, b.Mul(s[0], b.Add(d, b.Mul(s[1], v))))
		},
	},
	{
		Name: "AdamStep",
		Doc: doc("AdamStep takes a step of Adam: m and v are the moving averages of the gradient and of its square; a is the learning rate over 1−β1^t, s is 1/√(1−β2^t), c1 = 1−β1, c2 = 1−β2; wd is L2 weight decay, added to the gradient, and keep = 1 − lr·λ is AdamW's decoupled decay, a scaling of w (1 for Adam).",
			"for i := range n { d := grad[i] + wd*w[i]; m[i] = b1*m[i] + c1*d; v[i] = b2*v[i] + c2*(d*d); w[i] = keep*w[i] - a*m[i]/(sqrt(v[i])*s + eps) }"),
		Args: []Arg{{"w", InOut}, {"m", InOut}, {"v", InOut}, {"grad", In},
			{"b1", Scalar}, {"c1", Scalar}, {"b2", Scalar}, {"c2", Scalar},
			{"a", Scalar}, {"s", Scalar}, {"eps", Scalar}, {"wd", Scalar}, {"keep", Scalar}},
		Unroll: 2,
		Body: func(b *Builder, in, s []Value) Value {
			w, m, v, g := in[0], in[1], in[2], in[3]
			b1, c1, b2, c2, a, sc, eps, wd, keep := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]
			d := b.Add(g, b.Mul(wd, w))
			m = b.Add(b.Mul(b1, m), b.Mul(c1, d))
			v = b.Add(b.Mul(b2, v), b.Mul(c2, b.Mul(d, d)))
			b.Output(1, m)
			b.Output(2, v)
			den := b.Add(b.Mul(b.Sqrt(v), sc), eps)
			return b.Sub(b.Mul(keep, w), b.Div(b.Mul(a, m), den))
		},
	},
	{
		Name: "RMSPropStep",
		Doc: doc("RMSPropStep takes a step of RMSProp: v is the moving average of the squared gradient, c = 1−rho; wd is L2 weight decay.",
			"for i := range n { d := grad[i] + wd*w[i]; v[i] = rho*v[i] + c*(d*d); w[i] -= lr * d / (sqrt(v[i]) + eps) }"),
		Args: []Arg{{"w", InOut}, {"v", InOut}, {"grad", In},
			{"lr", Scalar}, {"rho", Scalar}, {"c", Scalar}, {"eps", Scalar}, {"wd", Scalar}},
		Unroll: 2,
		Body: func(b *Builder, in, s []Value) Value {
			w, v, g := in[0], in[1], in[2]
			lr, rho, c, eps, wd := s[0], s[1], s[2], s[3], s[4]
			d := b.Add(g, b.Mul(wd, w))
			v = b.Add(b.Mul(rho, v), b.Mul(c, b.Mul(d, d)))
			b.Output(1, v)
			return b.Sub(w, b.Div(b.Mul(lr, d), b.Add(b.Sqrt(v), eps)))
		},
	},
}
