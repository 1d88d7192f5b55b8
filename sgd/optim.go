package sgd

import (
	"cmp"
	"fmt"

	"github.com/backprop-go/backprop/kernels"
)

// Param is one parameter slice of a model and its gradient, of the same
// length. Name, if set, identifies it in panics and errors.
type Param struct {
	Name string
	W, G []float32
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step updates every parameter from its gradient with learning rate lr,
	// in one pass over each. params must be the same slices in the same
	// order at every call; Step panics if their number or lengths change.
	Step(params []Param, lr float32)

	// State returns a copy of the optimiser's state, for a checkpoint.
	State() State

	// SetState restores a state returned by State, for these parameters,
	// so that the Steps that follow continue bit for bit. If the state does
	// not fit this optimiser or these parameters, it returns an error and
	// leaves the optimiser unchanged.
	SetState(params []Param, s State) error
}

// State is everything an optimiser remembers between Steps: what a
// checkpoint must save for a resumed run to continue bit for bit. The
// hyperparameters are not part of it; they belong to the code.
type State struct {
	// Kind names the layout of Slots: "sgd" (none), "momentum" (one
	// velocity per parameter), "adam" (m then v per parameter) or
	// "rmsprop" (one mean square per parameter).
	Kind string

	// Steps counts the Steps taken; Adam's next step is Steps+1.
	Steps int

	// Slots holds the state slices parameter after parameter, those of
	// parameter i at Slots[i*k : (i+1)*k] for k slices per parameter, each
	// of the parameter's length. It is empty before the first Step.
	Slots [][]float32
}

// SGD is stochastic gradient descent with optional momentum and L2 weight
// decay, as PyTorch's torch.optim.SGD with dampening 0. With d = G + WeightDecay·W:
//
//	W -= lr·d                 // Momentum = 0: plain SGD, no state
//	v = Momentum·v + d        // otherwise, v starting at 0 (so the first v is d)
//	W -= lr·v                 // or, with Nesterov, W -= lr·(d + Momentum·v)
//
// Nesterov has no effect when Momentum is 0. Momentum must not change
// between 0 and non-zero after the first Step (the state would not fit).
type SGD struct {
	Momentum    float32
	Nesterov    bool
	WeightDecay float32

	s slots
}

func (o *SGD) kind() (string, int) {
	if o.Momentum == 0 {
		return "sgd", 0
	}
	return "momentum", 1
}

// Step takes one step; see Optimizer.
func (o *SGD) Step(params []Param, lr float32) {
	_, k := o.kind()
	o.s.bind("SGD", params, k)
	for i, p := range params {
		if k == 0 {
			kernels.SGDStep(p.W, p.G, lr, o.WeightDecay)
		} else {
			kernels.MomentumStep(p.W, o.s.buf[i], p.G, lr, o.Momentum, o.WeightDecay, o.Nesterov)
		}
	}
	o.s.steps++
}

// State returns a copy of the state; see Optimizer.
func (o *SGD) State() State { kind, _ := o.kind(); return o.s.export(kind) }

// SetState restores a state; see Optimizer.
func (o *SGD) SetState(params []Param, s State) error {
	kind, k := o.kind()
	return o.s.restore("SGD", kind, k, params, s)
}

// Adam is Adam with bias correction, as PyTorch's torch.optim.Adam, or
// AdamW (torch.optim.AdamW) when Decoupled is set. Zero Beta1, Beta2 and
// Eps stand for the usual 0.9, 0.999 and 1e-8 (so none of them can be 0).
// At step t = 1, 2, …, with d = G + WeightDecay·W (d = G when Decoupled):
//
//	W *= 1 − lr·WeightDecay          // only when Decoupled
//	m = Beta1·m + (1−Beta1)·d
//	v = Beta2·v + (1−Beta2)·d²
//	W -= lr · (m/(1−Beta1^t)) / (√(v/(1−Beta2^t)) + Eps)
//
// m and v start at 0. The factor 1 − lr·WeightDecay is computed in float64
// and rounded once.
type Adam struct {
	Beta1, Beta2, Eps float32
	WeightDecay       float32
	Decoupled         bool

	s slots
}

// Step takes one step; see Optimizer.
func (o *Adam) Step(params []Param, lr float32) {
	o.s.bind("Adam", params, 2)
	b1, b2, eps := cmp.Or(o.Beta1, 0.9), cmp.Or(o.Beta2, 0.999), cmp.Or(o.Eps, 1e-8)
	t := o.s.steps + 1
	for i, p := range params {
		m, v := o.s.buf[2*i], o.s.buf[2*i+1]
		if o.Decoupled {
			kernels.AdamWStep(p.W, m, v, p.G, t, lr, b1, b2, eps, o.WeightDecay)
		} else {
			kernels.AdamStep(p.W, m, v, p.G, t, lr, b1, b2, eps, o.WeightDecay)
		}
	}
	o.s.steps = t
}

// State returns a copy of the state; see Optimizer.
func (o *Adam) State() State { return o.s.export("adam") }

// SetState restores a state; see Optimizer.
func (o *Adam) SetState(params []Param, s State) error {
	return o.s.restore("Adam", "adam", 2, params, s)
}

// RMSProp is RMSProp, as PyTorch's torch.optim.RMSprop without momentum and
// not centred. Zero Rho and Eps stand for PyTorch's defaults 0.99 and 1e-8.
// With d = G + WeightDecay·W:
//
//	v = Rho·v + (1−Rho)·d²           // v starting at 0
//	W -= lr·d / (√v + Eps)
type RMSProp struct {
	Rho, Eps    float32
	WeightDecay float32

	s slots
}

// Step takes one step; see Optimizer.
func (o *RMSProp) Step(params []Param, lr float32) {
	o.s.bind("RMSProp", params, 1)
	rho, eps := cmp.Or(o.Rho, 0.99), cmp.Or(o.Eps, 1e-8)
	for i, p := range params {
		kernels.RMSPropStep(p.W, o.s.buf[i], p.G, lr, rho, eps, o.WeightDecay)
	}
	o.s.steps++
}

// State returns a copy of the state; see Optimizer.
func (o *RMSProp) State() State { return o.s.export("rmsprop") }

// SetState restores a state; see Optimizer.
func (o *RMSProp) SetState(params []Param, s State) error {
	return o.s.restore("RMSProp", "rmsprop", 1, params, s)
}

// slots is the bookkeeping the optimisers share: the step count, the
// parameter lengths seen at the first Step, and k state slices per
// parameter, cut from one allocation.
type slots struct {
	steps int
	lens  []int // nil until the first Step or SetState
	buf   [][]float32
}

// name identifies parameter i in messages.
func name(params []Param, i int) string {
	if params[i].Name != "" {
		return fmt.Sprintf("parameter %d (%q)", i, params[i].Name)
	}
	return fmt.Sprintf("parameter %d", i)
}

// check reports how params differ from the lengths of the first Step, or
// whether a parameter's W and G differ in length.
func (s *slots) check(params []Param) error {
	if s.lens != nil && len(params) != len(s.lens) {
		return fmt.Errorf("%d parameters, %d at the first Step", len(params), len(s.lens))
	}
	for i, p := range params {
		if len(p.W) != len(p.G) {
			return fmt.Errorf("%s: len(W) = %d, len(G) = %d", name(params, i), len(p.W), len(p.G))
		}
		if s.lens != nil && len(p.W) != s.lens[i] {
			return fmt.Errorf("%s has length %d, %d at the first Step",
				name(params, i), len(p.W), s.lens[i])
		}
	}
	return nil
}

// bind checks params, allocating k zero state slices per parameter on the
// first call; it panics if params do not match those of the first call.
func (s *slots) bind(op string, params []Param, k int) {
	if err := s.check(params); err != nil {
		panic(fmt.Sprintf("sgd: %s.Step: %v", op, err))
	}
	if s.lens == nil {
		s.alloc(params, k)
	}
	if len(s.buf) != k*len(s.lens) {
		panic(fmt.Sprintf("sgd: %s.Step: %d state slices per parameter, %d at the first Step",
			op, k, len(s.buf)/max(len(s.lens), 1)))
	}
}

func (s *slots) alloc(params []Param, k int) {
	s.lens = make([]int, len(params))
	total := 0
	for i, p := range params {
		s.lens[i] = len(p.W)
		total += k * len(p.W)
	}
	arena := make([]float32, total)
	s.buf = make([][]float32, 0, k*len(params))
	for _, n := range s.lens {
		for range k {
			s.buf = append(s.buf, arena[:n:n])
			arena = arena[n:]
		}
	}
}

func (s *slots) export(kind string) State {
	st := State{Kind: kind, Steps: s.steps}
	if len(s.buf) > 0 {
		st.Slots = make([][]float32, len(s.buf))
		for i, b := range s.buf {
			st.Slots[i] = append([]float32(nil), b...)
		}
	}
	return st
}

// restore checks st against the optimiser (kind, k slices per parameter)
// and params, then copies it in.
func (s *slots) restore(op, kind string, k int, params []Param, st State) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("sgd: %s.SetState: "+format, append([]any{op}, args...)...)
	}
	if st.Kind != kind {
		return fail("state of kind %q, this optimiser keeps %q", st.Kind, kind)
	}
	if st.Steps < 0 {
		return fail("negative step count %d", st.Steps)
	}
	if err := s.check(params); err != nil {
		return fail("%v", err)
	}
	if s.lens != nil && len(s.buf) != k*len(s.lens) {
		return fail("the optimiser's state layout changed since its first Step")
	}
	fresh := len(st.Slots) == 0 && st.Steps == 0 // exported before any Step
	if !fresh {
		if len(st.Slots) != k*len(params) {
			return fail("%d state slices for %d parameters, want %d",
				len(st.Slots), len(params), k*len(params))
		}
		for j, sl := range st.Slots {
			if i := j / k; len(sl) != len(params[i].W) {
				return fail("state slice %d has length %d, %s has length %d",
					j, len(sl), name(params, i), len(params[i].W))
			}
		}
	}

	if s.lens == nil {
		s.alloc(params, k)
	}
	for j, b := range s.buf {
		if fresh {
			clear(b)
		} else {
			copy(b, st.Slots[j])
		}
	}
	s.steps = st.Steps
	return nil
}
