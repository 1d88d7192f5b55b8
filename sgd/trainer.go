package sgd

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Model is what a Trainer trains.
type Model interface {
	// Params returns the parameters and their gradients. Run calls it once.
	Params() []Param

	// Batch computes the loss of the samples idx and stores its gradient
	// in the G of every parameter, overwriting what was there.
	Batch(idx []int) (loss float64)
}

// A Loader is a Model that gathers the samples of a batch before Batch is
// called. Run calls Load outside the time it measures: gathering samples is
// moving data, not training.
type Loader interface {
	Load(idx []int)
}

// Trainer runs mini-batch training: each epoch visits the n samples once,
// in batches of BatchSize reshuffled every epoch from Seed (see Batches;
// the last batch of an epoch may be short), and after each batch computes
// the gradient's global norm (one pass over the gradients), stops if the
// loss or the norm is NaN or infinite, clips the gradient if ClipNorm is
// set and takes one step of Optimizer at the rate Schedule gives for that
// step.
//
// Training stops after MaxEpochs epochs or MaxSteps steps (0 meaning no
// limit), or at the end of the first epoch whose loss is below TargetLoss
// (0 meaning no target): the validation loss if Validate is set, else the
// epoch's mean training loss. At least one of the three must be set; with
// only a target, Run goes on until it is reached.
type Trainer struct {
	Optimizer Optimizer
	Schedule  Schedule
	BatchSize int

	MaxEpochs, MaxSteps int
	TargetLoss          float64

	// ClipNorm, if positive, clips the global gradient norm to ClipNorm
	// before every step (as ClipGlobalNorm does).
	ClipNorm float64

	Seed uint64

	// Validate, if set, is called at the end of every epoch; its loss is
	// the one TargetLoss is compared with.
	Validate func() float64

	// OnEpoch, if set, is called at the end of every epoch, after Validate.
	// An error it returns ends the run: Run returns it (the epoch's steps
	// have been taken). Checkpointing uses it.
	OnEpoch func(EpochStats) error

	// StartEpoch and StartStep resume a run from a checkpoint taken at the
	// end of an epoch: the epochs before StartEpoch and the StartStep steps
	// they took count as done (for MaxEpochs, MaxSteps and the schedule),
	// so that, with the optimiser's state restored, the run continues as if
	// it had never stopped.
	StartEpoch, StartStep int

	// OnBatch, if set, is called after every step with the epoch, the
	// number of batches of the epoch done and their total; it is not
	// timed. Progress displays use it.
	OnBatch func(epoch, done, total int)
}

// EpochStats describes one epoch. An epoch cut short by MaxSteps counts.
type EpochStats struct {
	Epoch        int     // counted from 0
	Steps        int     // steps taken since the start of the run
	Loss         float64 // mean training loss of the epoch's batches, weighted by their sizes
	ValLoss      float64 // the loss Validate returned, NaN without Validate
	TrainSeconds float64 // in Batch, the norm, clipping and Step during the epoch
}

// Result describes a run.
type Result struct {
	Epochs       int        // epochs begun, one cut short by MaxSteps or an error included
	Steps        int        // steps taken
	Loss         float64    // of the last epoch that ended (NaN if none), as in EpochStats
	ValLoss      float64    // of the last epoch that ended (NaN if none), as in EpochStats
	TrainSeconds float64    // in Batch, the norm, clipping and Step over the run
	Stop         StopReason // the rule that ended the run; StopError with an error
}

// StopReason says which rule ended a run.
type StopReason int

const (
	StopError     StopReason = iota // Run returned an error
	StopMaxEpochs                   // MaxEpochs epochs were run
	StopMaxSteps                    // MaxSteps steps were taken
	StopTarget                      // the loss fell below TargetLoss
)

func (r StopReason) String() string {
	switch r {
	case StopError:
		return "error"
	case StopMaxEpochs:
		return "max epochs"
	case StopMaxSteps:
		return "max steps"
	case StopTarget:
		return "target loss"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// DivergedError reports a batch whose loss, or the global norm of whose
// gradient, is NaN or infinite. Its update was not applied: the parameters
// are those the previous step left.
type DivergedError struct {
	Epoch, Step int     // counted from 0; Step as given to the Schedule
	Loss        float64 // the batch's loss
	GradNorm    float64 // the gradient's global norm; 0 when the loss is not finite
}

func (e *DivergedError) Error() string {
	what := fmt.Sprintf("loss is %v", e.Loss)
	if isFinite(e.Loss) {
		what = fmt.Sprintf("gradient norm is %v", e.GradNorm)
	}
	return fmt.Sprintf("sgd: diverged at epoch %d, step %d: %s; the update was not applied",
		e.Epoch, e.Step, what)
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (t *Trainer) check(n int) error {
	switch {
	case t.Optimizer == nil:
		return errors.New("sgd: Trainer: no Optimizer")
	case t.Schedule == nil:
		return errors.New("sgd: Trainer: no Schedule")
	case t.BatchSize <= 0:
		return fmt.Errorf("sgd: Trainer: BatchSize = %d, want > 0", t.BatchSize)
	case n <= 0:
		return fmt.Errorf("sgd: Trainer: %d samples, want > 0", n)
	case t.StartEpoch < 0 || t.StartStep < 0:
		return fmt.Errorf("sgd: Trainer: StartEpoch = %d, StartStep = %d, want ≥ 0",
			t.StartEpoch, t.StartStep)
	case t.MaxEpochs > 0 && t.StartEpoch >= t.MaxEpochs ||
		t.MaxSteps > 0 && t.StartStep >= t.MaxSteps:
		return fmt.Errorf("sgd: Trainer: nothing left to do: "+
			"starting at epoch %d, step %d of %d, %d",
			t.StartEpoch, t.StartStep, t.MaxEpochs, t.MaxSteps)
	case t.MaxEpochs < 0 || t.MaxSteps < 0:
		return fmt.Errorf("sgd: Trainer: MaxEpochs = %d, MaxSteps = %d, want ≥ 0",
			t.MaxEpochs, t.MaxSteps)
	case !(t.TargetLoss >= 0) || !(t.ClipNorm >= 0):
		return fmt.Errorf("sgd: Trainer: TargetLoss = %v, ClipNorm = %v, want ≥ 0",
			t.TargetLoss, t.ClipNorm)
	case t.MaxEpochs == 0 && t.MaxSteps == 0 && t.TargetLoss == 0:
		return errors.New("sgd: Trainer: no stopping rule: set MaxEpochs, MaxSteps or TargetLoss")
	}
	return nil
}

// Run trains m on n samples, numbered 0 to n−1, until a stopping rule
// holds. It returns an error, before any step, if the Trainer is
// incomplete, and a *DivergedError, naming the step, if the training
// diverges: if a batch's loss or a gradient element is NaN or infinite.
func (t *Trainer) Run(m Model, n int) (Result, error) {
	if err := t.check(n); err != nil {
		return Result{}, err
	}
	params := m.Params()
	batches := Batches{N: n, Size: t.BatchSize, Seed: t.Seed}
	res := Result{Loss: math.NaN(), ValLoss: math.NaN(), Epochs: t.StartEpoch, Steps: t.StartStep}

	for epoch := t.StartEpoch; ; epoch++ {
		res.Epochs++
		st := EpochStats{Epoch: epoch, ValLoss: math.NaN()}
		var sum float64
		var seen int
		all := batches.Epoch(epoch)
		for b, idx := range all {
			if t.MaxSteps > 0 && res.Steps == t.MaxSteps {
				break
			}
			if l, ok := m.(Loader); ok {
				l.Load(idx)
			}

			// Only Batch, the norm, clipping and Step are timed.
			start := time.Now()
			loss := m.Batch(idx)
			norm := 0.0
			if isFinite(loss) {
				// NaN or infinite only if a gradient element is.
				norm = GlobalNorm(params)
			}
			if !isFinite(loss) || !isFinite(norm) {
				res.TrainSeconds += time.Since(start).Seconds()
				err := &DivergedError{Epoch: epoch, Step: res.Steps, Loss: loss, GradNorm: norm}
				return res, err
			}
			if t.ClipNorm > 0 {
				clipTo(params, t.ClipNorm, norm)
			}
			t.Optimizer.Step(params, t.Schedule.LR(res.Steps))
			d := time.Since(start).Seconds()

			st.TrainSeconds += d
			res.TrainSeconds += d
			res.Steps++
			sum += loss * float64(len(idx))
			seen += len(idx)
			if t.OnBatch != nil {
				t.OnBatch(epoch, b+1, len(all))
			}
		}

		st.Steps = res.Steps
		st.Loss = sum / float64(seen)
		if t.Validate != nil {
			st.ValLoss = t.Validate()
		}
		if t.OnEpoch != nil {
			if err := t.OnEpoch(st); err != nil {
				res.Loss, res.ValLoss = st.Loss, st.ValLoss
				return res, err
			}
		}
		res.Loss, res.ValLoss = st.Loss, st.ValLoss

		target := st.Loss
		if t.Validate != nil {
			target = st.ValLoss
		}
		switch {
		case t.TargetLoss > 0 && target < t.TargetLoss:
			res.Stop = StopTarget
		case t.MaxSteps > 0 && res.Steps == t.MaxSteps:
			res.Stop = StopMaxSteps
		case t.MaxEpochs > 0 && res.Epochs == t.MaxEpochs:
			res.Stop = StopMaxEpochs
		default:
			continue
		}
		return res, nil
	}
}
