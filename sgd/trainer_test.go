package sgd

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// line is least-squares regression of y = a·x + b on points of the line
// y = 2x − 1, from a = b = 0; its loss is the mean of r²/2 over a batch, r
// being the residual. W holds a then b.
type line struct {
	x, y   []float64
	params []Param
	calls  int // Batch calls so far

	// If bad is set, Batch returns badLoss at call number badAt (from 0)
	// and fills the gradient with badGrad.
	bad              bool
	badAt            int
	badLoss, badGrad float64
}

func newLine(n int) *line {
	m := &line{params: []Param{{Name: "ab", W: make([]float32, 2), G: make([]float32, 2)}}}
	for i := range n {
		x := -1 + 2*float64(i)/float64(n-1)
		m.x, m.y = append(m.x, x), append(m.y, 2*x-1)
	}
	return m
}

func (m *line) Params() []Param { return m.params }

func (m *line) Batch(idx []int) float64 {
	defer func() { m.calls++ }()
	w, g := m.params[0].W, m.params[0].G
	if m.bad && m.calls == m.badAt {
		g[0], g[1] = float32(m.badGrad), float32(m.badGrad)
		return m.badLoss
	}
	var loss, ga, gb float64
	for _, i := range idx {
		r := float64(w[0])*m.x[i] + float64(w[1]) - m.y[i]
		loss += r * r / 2
		ga += r * m.x[i]
		gb += r
	}
	k := float64(len(idx))
	g[0], g[1] = float32(ga/k), float32(gb/k)
	return loss / k
}

// loss is the loss over every point.
func (m *line) loss() float64 {
	w := m.params[0].W
	var s float64
	for i := range m.x {
		r := float64(w[0])*m.x[i] + float64(w[1]) - m.y[i]
		s += r * r / 2
	}
	return s / float64(len(m.x))
}

func TestTrainerConverges(t *testing.T) {
	cases := []struct {
		name string
		opt  Optimizer
		lr   Schedule
	}{
		{"SGD", &SGD{}, Constant(0.5)},
		{"Momentum", &SGD{Momentum: 0.9}, Warmup{Steps: 10, Then: Constant(0.1)}},
		{"Nesterov", &SGD{Momentum: 0.9, Nesterov: true}, Constant(0.1)},
		{"Adam", &Adam{}, Cosine{Base: 0.1, Min: 1e-3, Steps: 1000}},
		{"AdamW", &Adam{WeightDecay: 1e-4, Decoupled: true}, Exponential{Base: 0.1, Gamma: 0.997}},
		{"RMSProp", &RMSProp{}, StepDecay{Base: 0.01, Every: 200, Gamma: 0.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newLine(20)
			const target = 1e-5
			var losses []float64
			tr := Trainer{Optimizer: c.opt, Schedule: c.lr, BatchSize: 6, MaxEpochs: 1000,
				TargetLoss: target, Seed: 1,
				OnEpoch: func(s EpochStats) error { losses = append(losses, s.Loss); return nil }}
			res, err := tr.Run(m, 20)
			if err != nil {
				t.Fatal(err)
			}
			if res.Stop != StopTarget || !(res.Loss < target) || losses[0] < target {
				t.Fatalf("stopped by %v after %d epochs at loss %g (first epoch %g), want < %g",
					res.Stop, res.Epochs, res.Loss, losses[0], target)
			}
			// The loss of the whole set agrees, and so do the parameters.
			w := m.params[0].W
			a, b, l := float64(w[0]), float64(w[1]), m.loss()
			if l > 10*target || math.Abs(a-2) > 0.02 || math.Abs(b+1) > 0.02 {
				t.Fatalf("a = %v, b = %v, loss %g: want 2, −1 and a loss near %g", a, b, l, target)
			}
			t.Logf("%d epochs", res.Epochs)
		})
	}
}

// means is a model whose loss per sample is the sample's number; it records
// the batches it sees.
type means struct {
	params  []Param
	batches [][]int
}

func (m *means) Params() []Param { return m.params }

func (m *means) Batch(idx []int) float64 {
	m.batches = append(m.batches, slices.Clone(idx))
	s := 0
	for _, i := range idx {
		s += i
	}
	return float64(s) / float64(len(idx))
}

func newMeans() *means {
	return &means{params: []Param{{W: make([]float32, 3), G: make([]float32, 3)}}}
}

func TestTrainerStops(t *testing.T) {
	// 10 samples in batches of 4, 4 and 2. The loss of a sample is its
	// number, so the mean loss of a full epoch is 4.5 when the batches are
	// weighted by their sizes (not 3.83, the mean of the batch means).
	cases := []struct {
		name  string
		tr    Trainer
		val   []float64 // what Validate returns, epoch after epoch
		steps []int     // at the end of each epoch
		stop  StopReason
	}{
		{"MaxEpochs", Trainer{MaxEpochs: 3}, nil, []int{3, 6, 9}, StopMaxEpochs},
		{"MaxSteps", Trainer{MaxSteps: 7}, nil, []int{3, 6, 7}, StopMaxSteps},
		{"MaxStepsAtEpochEnd", Trainer{MaxSteps: 6, MaxEpochs: 5}, nil, []int{3, 6}, StopMaxSteps},
		{"MaxEpochsFirst", Trainer{MaxSteps: 100, MaxEpochs: 2}, nil, []int{3, 6}, StopMaxEpochs},
		{"TargetTraining", Trainer{TargetLoss: 4.6, MaxEpochs: 5}, nil, []int{3}, StopTarget},
		{"TargetMissed", Trainer{TargetLoss: 4.5, MaxEpochs: 2}, nil, []int{3, 6}, StopMaxEpochs},
		{"TargetValidation", Trainer{TargetLoss: 1}, []float64{5, 3, 0.5, 0.1},
			[]int{3, 6, 9}, StopTarget},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMeans()
			var stats []EpochStats
			tr := c.tr
			tr.Optimizer, tr.Schedule, tr.BatchSize, tr.Seed = &SGD{}, Constant(0.1), 4, 1
			tr.OnEpoch = func(s EpochStats) error { stats = append(stats, s); return nil }
			if c.val != nil {
				k := 0
				tr.Validate = func() float64 { k++; return c.val[k-1] }
			}
			res, err := tr.Run(m, 10)
			if err != nil {
				t.Fatal(err)
			}
			epochs, steps := len(c.steps), c.steps[len(c.steps)-1]
			if res.Epochs != epochs || res.Steps != steps || res.Stop != c.stop {
				t.Fatalf("%d epochs, %d steps, stopped by %v; want %d, %d, %v",
					res.Epochs, res.Steps, res.Stop, epochs, steps, c.stop)
			}
			if len(m.batches) != steps || len(stats) != epochs {
				t.Fatalf("Batch called %d times, OnEpoch %d times; want %d, %d",
					len(m.batches), len(stats), steps, epochs)
			}
			from := 0
			for e, s := range stats {
				if s.Epoch != e || s.Steps != c.steps[e] {
					t.Fatalf("OnEpoch %d: epoch %d, steps %d; want %d, %d",
						e, s.Epoch, s.Steps, e, c.steps[e])
				}
				wantVal := math.NaN()
				if c.val != nil {
					wantVal = c.val[e]
				}
				if !sameFloat(s.ValLoss, wantVal) {
					t.Fatalf("OnEpoch %d: validation loss %v", e, s.ValLoss)
				}
				// The mean over the samples of the epoch's batches.
				sum, k := 0, 0
				for _, b := range m.batches[from:s.Steps] {
					for _, i := range b {
						sum, k = sum+i, k+1
					}
				}
				if want := float64(sum) / float64(k); math.Abs(s.Loss-want) > 1e-12 {
					t.Fatalf("OnEpoch %d: loss %v, want %v", e, s.Loss, want)
				}
				if full := s.Steps-from == 3; full && s.Loss != 4.5 || !full && k != 4 {
					t.Fatalf("OnEpoch %d: %d batches of %d samples, loss %v",
						e, s.Steps-from, k, s.Loss)
				}
				from = s.Steps
			}
			last := stats[len(stats)-1]
			if res.Loss != last.Loss || !sameFloat(res.ValLoss, last.ValLoss) {
				t.Fatalf("Result has losses %v and %v, the last epoch %v and %v",
					res.Loss, res.ValLoss, last.Loss, last.ValLoss)
			}
		})
	}
}

// sameFloat reports whether a and b are equal or both NaN.
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestTrainerErrors(t *testing.T) {
	ok := Trainer{Optimizer: &SGD{}, Schedule: Constant(0.1), BatchSize: 4, MaxEpochs: 1}
	cases := []struct {
		name string
		edit func(*Trainer)
		n    int
		want string
	}{
		{"no stopping rule", func(t *Trainer) { t.MaxEpochs = 0 }, 10, "no stopping rule"},
		{"no optimiser", func(t *Trainer) { t.Optimizer = nil }, 10, "no Optimizer"},
		{"no schedule", func(t *Trainer) { t.Schedule = nil }, 10, "no Schedule"},
		{"batch size", func(t *Trainer) { t.BatchSize = 0 }, 10, "BatchSize = 0"},
		{"no samples", func(t *Trainer) {}, 0, "0 samples"},
		{"negative steps", func(t *Trainer) { t.MaxSteps = -1 }, 10, "MaxSteps = -1"},
		{"NaN clip", func(t *Trainer) { t.ClipNorm = math.NaN() }, 10, "ClipNorm = NaN"},
	}
	for _, c := range cases {
		tr := ok
		c.edit(&tr)
		m := newMeans()
		_, err := tr.Run(m, c.n)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if len(m.batches) != 0 {
			t.Errorf("%s: Batch called despite the error", c.name)
		}
	}
}

// TestTrainerDiverges makes the loss or gradient non-finite at a known call
// of Batch, with clipping and without, and checks the error names its epoch
// and step and that the parameters are those a run stopped just before it
// leaves: a NaN or infinite gradient with a finite loss is never applied.
func TestTrainerDiverges(t *testing.T) {
	const n, batch = 20, 6 // 4 batches per epoch
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name           string
		at             int
		loss, grad     float64
		clip           float64
		epoch          int
		wantLoss, what string
	}{
		{"NaN loss", 9, nan, nan, 0, 2, "NaN", "loss is NaN"},
		{"Inf loss", 0, inf, 1, 0, 0, "+Inf", "loss is +Inf"},
		{"-Inf loss", 4, math.Inf(-1), 1, 1, 1, "-Inf", "loss is -Inf"},
		{"Inf gradient", 7, 0.5, inf, 1, 1, "", "gradient norm is +Inf"},
		{"NaN gradient, clipping", 2, 0.5, nan, 1, 0, "", "gradient norm is NaN"},
		{"NaN gradient, no clipping", 5, 0.5, nan, 0, 1, "", "gradient norm is NaN"},
		{"Inf gradient, no clipping", 3, 0.5, inf, 0, 0, "", "gradient norm is +Inf"},
		{"-Inf gradient, no clipping", 0, 0.5, math.Inf(-1), 0, 0, "", "gradient norm is +Inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := Trainer{Optimizer: &Adam{}, Schedule: Constant(0.01), BatchSize: batch,
				MaxEpochs: 100, Seed: 7, ClipNorm: c.clip}

			// The reference run stops after c.at steps.
			ref := newLine(n)
			tr.MaxSteps = c.at
			if c.at > 0 {
				if _, err := tr.Run(ref, n); err != nil {
					t.Fatal(err)
				}
			}

			m := newLine(n)
			m.bad, m.badAt, m.badLoss, m.badGrad = true, c.at, c.loss, c.grad
			tr.Optimizer, tr.MaxSteps = &Adam{}, 0
			res, err := tr.Run(m, n)
			var d *DivergedError
			if !errors.As(err, &d) {
				t.Fatalf("error %v, want a *DivergedError", err)
			}
			if d.Epoch != c.epoch || d.Step != c.at || res.Steps != c.at || res.Stop != StopError {
				t.Fatalf("diverged at epoch %d, step %d, after %d steps, stop %v; "+
					"want %d, %d, %d, %v",
					d.Epoch, d.Step, res.Steps, res.Stop, c.epoch, c.at, c.at, StopError)
			}
			msg := err.Error()
			want := fmt.Sprintf("epoch %d, step %d: %s", c.epoch, c.at, c.what)
			if !strings.Contains(msg, want) {
				t.Fatalf("error %q, want one containing %q", msg, want)
			}
			if !sameBits(m.params[0].W, ref.params[0].W) {
				t.Fatalf("parameters %v, want %v, those of the step before",
					m.params[0].W, ref.params[0].W)
			}
		})
	}
}

func TestTrainerClips(t *testing.T) {
	// One step of plain SGD at rate 1 on a clipped gradient moves W by
	// exactly the clipped gradient, whose norm is ClipNorm.
	m := newLine(4)
	tr := Trainer{Optimizer: &SGD{}, Schedule: Constant(1), BatchSize: 4, MaxSteps: 1,
		ClipNorm: 0.5}
	if _, err := tr.Run(m, 4); err != nil {
		t.Fatal(err)
	}
	w := m.params[0].W
	if moved := math.Hypot(float64(w[0]), float64(w[1])); math.Abs(moved-0.5) > 1e-6 {
		t.Fatalf("W moved by %v, want the clip norm 0.5", moved)
	}
}

func TestTrainerDeterministic(t *testing.T) {
	run := func(seed uint64) ([]float32, [][]int) {
		m := newLine(30)
		seen := newMeans()
		tr := Trainer{Optimizer: &SGD{Momentum: 0.9}, Schedule: Constant(0.05), BatchSize: 7,
			MaxEpochs: 3, Seed: seed}
		if _, err := tr.Run(m, 30); err != nil {
			t.Fatal(err)
		}
		tr.Optimizer = &SGD{Momentum: 0.9}
		if _, err := tr.Run(seen, 30); err != nil {
			t.Fatal(err)
		}
		return m.params[0].W, seen.batches
	}
	w1, b1 := run(1)
	w2, b2 := run(1)
	w3, b3 := run(2)
	if !sameBits(w1, w2) || !slices.EqualFunc(b1, b2, slices.Equal) {
		t.Fatal("two runs with one seed differ")
	}
	if slices.EqualFunc(b1, b3, slices.Equal) || sameBits(w1, w3) {
		t.Fatal("runs with seeds 1 and 2 deal the same batches")
	}
}

// sleeper spends known times in Batch and in Validate.
type sleeper struct{ means }

func (s *sleeper) Batch(idx []int) float64 {
	time.Sleep(2 * time.Millisecond)
	return 1
}

func TestTrainerTiming(t *testing.T) {
	const validate = 25 * time.Millisecond
	s := &sleeper{*newMeans()}
	var epochs float64
	tr := Trainer{Optimizer: &SGD{}, Schedule: Constant(0.1), BatchSize: 2, MaxEpochs: 2,
		Validate: func() float64 { time.Sleep(validate); return 1 },
		OnEpoch: func(e EpochStats) error {
			epochs += e.TrainSeconds
			time.Sleep(validate)
			return nil
		}}
	start := time.Now()
	res, err := tr.Run(s, 4) // 4 batches of 2 ms
	wall := time.Since(start).Seconds()
	if err != nil {
		t.Fatal(err)
	}
	// Batch, Validate and OnEpoch run one after the other, so the trained
	// time is at least the sleeps in Batch and at most the wall time less
	// those outside it.
	if most := wall - 4*validate.Seconds(); res.TrainSeconds < 0.008 || res.TrainSeconds > most {
		t.Fatalf("TrainSeconds %v, want between 0.008 and %v", res.TrainSeconds, most)
	}
	if math.Abs(epochs-res.TrainSeconds) > 1e-9 {
		t.Fatalf("the epochs' TrainSeconds sum to %v, the run's is %v", epochs, res.TrainSeconds)
	}
}

// loader records the batches Load and Batch see.
type loader struct {
	means
	loaded, batched [][]int
}

func (l *loader) Load(idx []int) { l.loaded = append(l.loaded, append([]int(nil), idx...)) }

func (l *loader) Batch(idx []int) float64 {
	l.batched = append(l.batched, append([]int(nil), idx...))
	return l.means.Batch(idx)
}

// TestTrainerLoaderAndProgress: Load sees every batch just before Batch
// does, and OnBatch counts the batches of each epoch.
func TestTrainerLoaderAndProgress(t *testing.T) {
	l := &loader{means: *newMeans()}
	var progress [][3]int
	tr := Trainer{Optimizer: &SGD{}, Schedule: Constant(0.1), BatchSize: 3, MaxEpochs: 2, Seed: 1,
		OnBatch: func(e, done, total int) { progress = append(progress, [3]int{e, done, total}) }}
	res, err := tr.Run(l, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.loaded) != res.Steps || len(l.batched) != res.Steps {
		t.Fatalf("%d loads and %d batches for %d steps", len(l.loaded), len(l.batched), res.Steps)
	}
	for i := range l.loaded {
		if !slices.Equal(l.loaded[i], l.batched[i]) {
			t.Fatalf("step %d: Load saw %v, Batch %v", i, l.loaded[i], l.batched[i])
		}
	}
	want := [][3]int{{0, 1, 4}, {0, 2, 4}, {0, 3, 4}, {0, 4, 4}, {1, 1, 4}, {1, 2, 4}, {1, 3, 4}, {1, 4, 4}}
	if !slices.Equal(progress, want) {
		t.Fatalf("OnBatch saw %v, want %v", progress, want)
	}
}

// TestTrainerResume: a run stopped after some epochs and resumed with the
// optimiser's state and StartEpoch/StartStep ends exactly where an
// uninterrupted run ends.
func TestTrainerResume(t *testing.T) {
	full := newLine(50)
	tr := Trainer{Optimizer: &Adam{}, Schedule: Cosine{Base: 0.05, Steps: 70}, BatchSize: 7, MaxEpochs: 9, Seed: 4}
	want, err := tr.Run(full, 50)
	if err != nil {
		t.Fatal(err)
	}

	part := newLine(50)
	first := tr
	first.Optimizer = &Adam{}
	first.MaxEpochs = 4
	r1, err := first.Run(part, 50)
	if err != nil {
		t.Fatal(err)
	}
	state := first.Optimizer.State()

	second := tr
	second.Optimizer = &Adam{}
	if err := second.Optimizer.SetState(part.Params(), state); err != nil {
		t.Fatal(err)
	}
	second.StartEpoch, second.StartStep = r1.Epochs, r1.Steps
	got, err := second.Run(part, 50)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != want.Steps || got.Epochs != want.Epochs || got.Loss != want.Loss {
		t.Fatalf("resumed run ended at %d steps, %d epochs, loss %v; uninterrupted at %d, %d, %v",
			got.Steps, got.Epochs, got.Loss, want.Steps, want.Epochs, want.Loss)
	}
	for i, p := range part.Params() {
		if !slices.Equal(p.W, full.Params()[i].W) {
			t.Fatalf("parameter %d differs after resuming", i)
		}
	}
	second.StartEpoch = 9
	if _, err := second.Run(part, 50); err == nil || !strings.Contains(err.Error(), "nothing left to do") {
		t.Fatalf("resuming past MaxEpochs: %v", err)
	}
}

// TestTrainerOnEpochError: an error from OnEpoch ends the run and is
// returned.
func TestTrainerOnEpochError(t *testing.T) {
	stop := errors.New("disk full")
	tr := Trainer{Optimizer: &SGD{}, Schedule: Constant(0.1), BatchSize: 2, MaxEpochs: 5,
		OnEpoch: func(e EpochStats) error {
			if e.Epoch == 1 {
				return stop
			}
			return nil
		}}
	res, err := tr.Run(newMeans(), 4)
	if !errors.Is(err, stop) || res.Epochs != 2 || res.Steps != 4 {
		t.Fatalf("Run = %+v, %v; want 2 epochs, 4 steps and the error", res, err)
	}
}
