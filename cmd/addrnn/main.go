// Command addrnn trains an Elman recurrent network (package rnn) by
// backpropagation through time on the adding problem: each sequence holds
// -steps pairs (value, marker), values uniform in [0, 1), exactly two
// markers set, and the target is the sum of the two marked values. Always
// answering 1 scores a mean squared error of about 1/6; a network that has
// learnt to carry the marked values across the sequence scores well below.
//
// Usage:
//
//	go run ./cmd/addrnn [flags]
//
// It trains with Adam and the global gradient norm clipped (-clip) until the
// MSE on held-out sequences falls below -target or -epochs run out, prints
// one line per epoch on stdout,
//
//	epoch=N train_seconds=S loss=L heldout_mse=M
//
// then a few fresh sequences' marked values, targets and predictions. The
// exit status is 1 when the target was not reached.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/rnn"
	"github.com/backprop-go/backprop/sgd"
)

type config struct {
	steps, hidden, samples int
	epochs, batch, threads int
	lr, clip, target       float64
	seed                   uint64
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("addrnn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.steps, "steps", 30, "sequence length (time steps)")
	fs.IntVar(&c.hidden, "hidden", 32, "hidden units")
	fs.IntVar(&c.samples, "samples", 8000, "training sequences")
	fs.IntVar(&c.epochs, "epochs", 40, "maximum number of epochs")
	fs.IntVar(&c.batch, "batch", 32, "mini-batch size")
	fs.IntVar(&c.threads, "threads", 1, "kernel threads (0: GOMAXPROCS)")
	fs.Float64Var(&c.lr, "lr", 0.003, "Adam learning rate")
	fs.Float64Var(&c.clip, "clip", 1, "clip the global gradient norm to this (0: no clipping)")
	fs.Float64Var(&c.target, "target", 0.01, "stop once the held-out MSE is below this")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the data, the initial weights and the shuffles")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: addrnn [flags]\n\n"+
			"Trains an Elman RNN by backpropagation through time on the adding problem.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.steps < 2:
		return c, fmt.Errorf("-steps %d: need at least 2 (two marked values)", c.steps)
	case c.hidden < 1 || c.samples < 1 || c.epochs < 1 || c.batch < 1:
		return c, errors.New("-hidden, -samples, -epochs and -batch must be positive")
	case c.threads < 0:
		return c, fmt.Errorf("-threads %d: must be 0 or more", c.threads)
	case !(c.lr > 0) || c.clip < 0 || !(c.target >= 0):
		return c, errors.New("-lr must be positive, -clip and -target 0 or more")
	}
	return c, nil
}

func main() {
	c, err := parse(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "addrnn:", err)
		os.Exit(2)
	}
	ok, err := run(c, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "addrnn:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "addrnn: held-out MSE still above %g after %d epochs\n", c.target, c.epochs)
		os.Exit(1)
	}
}

// run trains as c says, writes the report to w, and says whether the
// target was reached.
func run(c config, w io.Writer) (bool, error) {
	if c.threads > 0 {
		kernels.SetThreads(c.threads)
	}
	x, y := rnn.AddingProblem(c.samples, c.steps, c.seed)
	vx, vy := rnn.AddingProblem(1000, c.steps, c.seed+1)
	net := rnn.New(2, c.hidden, 1)
	net.Init(c.seed)
	s := &rnn.Samples{Net: net, Steps: c.steps, X: x, Y: y}
	fmt.Fprintf(w, "kernels=%s steps=%d hidden=%d samples=%d baseline_mse=%.4f\n",
		kernels.Implementation(), c.steps, c.hidden, c.samples, constantMSE(vy))
	tr := sgd.Trainer{
		Optimizer: &sgd.Adam{}, Schedule: sgd.Constant(float32(c.lr)), ClipNorm: c.clip,
		BatchSize: c.batch, MaxEpochs: c.epochs, TargetLoss: c.target, Seed: c.seed,
		Validate: func() float64 { return net.Evaluate(vx, vy, c.steps, 250) },
		OnEpoch: func(st sgd.EpochStats) error {
			_, err := fmt.Fprintf(w, "epoch=%d train_seconds=%.3f loss=%.5f heldout_mse=%.5f\n",
				st.Epoch, st.TrainSeconds, st.Loss, st.ValLoss)
			return err
		},
	}
	res, err := tr.Run(s, s.Len())
	if err != nil {
		return false, err
	}

	// A few fresh sequences, with their marked values.
	const show = 4
	tx, ty := rnn.AddingProblem(show, c.steps, c.seed+2)
	pred := make([]float32, show)
	net.Forward(tx, show, c.steps, pred)
	for i := range show {
		var marked []float32
		for t := range c.steps {
			if v := tx[(i*c.steps+t)*2:]; v[1] != 0 {
				marked = append(marked, v[0])
			}
		}
		fmt.Fprintf(w, "marked=%.3f target=%.3f predicted=%.3f\n", marked, ty[i], pred[i])
	}
	return res.Stop == sgd.StopTarget, nil
}

// constantMSE is the mean squared error of always answering 1, the mean of
// the targets.
func constantMSE(y []float32) float64 {
	var s float64
	for _, v := range y {
		s += (float64(v) - 1) * (float64(v) - 1)
	}
	return s / float64(len(y))
}
