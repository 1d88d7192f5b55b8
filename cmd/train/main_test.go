package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/mlp"
)

// fakeMNIST writes a small MNIST-shaped data set that a network learns in
// an epoch (dataset.Bars) in the layout of MNIST, and returns its
// directory.
func fakeMNIST(t *testing.T, trainN, testN int) string {
	t.Helper()
	dir := t.TempDir()
	if err := dataset.WriteMNIST(dir, dataset.Bars(trainN, 1), dataset.Bars(testN, 2)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runTrain(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	cfg, err := parseFlags(args, &stderr)
	if err != nil {
		return "", stderr.String(), err
	}
	var stdout bytes.Buffer
	cfg.stdout, cfg.stderr = &stdout, &stderr
	err = run(cfg)
	return stdout.String(), stderr.String(), err
}

var epochLine = regexp.MustCompile(`(?m)^epoch=(\d+) train_seconds=([0-9.]+) loss=([0-9.]+) test_accuracy=([0-9.]+)$`)

func TestTrainEndToEnd(t *testing.T) {
	dir := fakeMNIST(t, 600, 200)
	model := filepath.Join(t.TempDir(), "m.model")
	out, _, err := runTrain(t, "-data", dir, "-epochs", "2", "-batch", "32", "-hidden", "32",
		"-out", model, "-threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	lines := epochLine.FindAllStringSubmatch(out, -1)
	if len(lines) != 2 {
		t.Fatalf("want 2 epoch lines, got:\n%s", out)
	}
	if !strings.HasPrefix(out, "kernels=") {
		t.Fatalf("the first line does not name the kernel path:\n%s", out)
	}
	if acc := lines[1][4]; acc < "0.9" {
		t.Fatalf("test accuracy %s on an easy set", acc)
	}
	net, err := mlp.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if net.Inputs != 784 || len(net.Layers) != 2 || net.Outputs() != 10 {
		t.Fatalf("saved model is %d-…-%d with %d layers", net.Inputs, net.Outputs(), len(net.Layers))
	}

	// The same seed gives the same run.
	again, _, err := runTrain(t, "-data", dir, "-epochs", "2", "-batch", "32", "-hidden", "32", "-out", "", "-threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	progressOf := func(s string) (r []string) {
		for _, m := range epochLine.FindAllStringSubmatch(s, -1) {
			r = append(r, m[1]+" "+m[3]+" "+m[4]) // all but the time
		}
		return r
	}
	if a, b := progressOf(out), progressOf(again); strings.Join(a, ";") != strings.Join(b, ";") {
		t.Fatalf("two runs with one seed differ: %v, %v", a, b)
	}

	// Fine-tuning: pretrain on 0-4, then train only a new output layer on
	// 5-9, as many classes.
	pre := filepath.Join(t.TempDir(), "pre.model")
	if _, _, err := runTrain(t, "-data", dir, "-digits", "0-4", "-epochs", "1", "-hidden", "32",
		"-out", pre); err != nil {
		t.Fatal(err)
	}
	ftPath := filepath.Join(t.TempDir(), "ft.model")
	ftArgs := []string{"-data", dir, "-digits", "5-9", "-init", pre, "-new-output", "-freeze", "1",
		"-epochs", "10", "-batch", "16", "-out", ftPath}
	// The network these flags start from has the pretrained hidden layer
	// and a new output layer: the one ReplaceOutput draws, not the old one.
	start := startOf(t, ftArgs...)
	old := loadModel(t, pre)
	fresh := loadModel(t, pre)
	fresh.ReplaceOutput(5, mlp.HeUniform, 1) // -initializer and -seed by default
	if !sameBits(start.Layers[0].W, old.Layers[0].W) {
		t.Fatal("-init -new-output did not keep the pretrained hidden layer")
	}
	head := start.Layers[1]
	if sameBits(head.W, old.Layers[1].W) || !sameBits(head.W, fresh.Layers[1].W) ||
		!sameBits(head.B, fresh.Layers[1].B) {
		t.Fatal("-init -new-output did not start from a new output layer")
	}
	ft, _, err := runTrain(t, ftArgs...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ft, "784-32(frozen)-5") {
		t.Fatalf("fine-tuned network not described as frozen with a new output layer:\n%s", ft)
	}
	// The frozen layer did not move; the new output layer did train.
	before, after := old, loadModel(t, ftPath)
	if !slices.Equal(before.Layers[0].W, after.Layers[0].W) || !slices.Equal(before.Layers[0].B, after.Layers[0].B) {
		t.Fatal("fine-tuning changed the frozen layer")
	}
	if len(after.Layers[1].B) != 5 || !after.Layers[0].Frozen {
		t.Fatalf("fine-tuned output layer has %d units, frozen=%v", len(after.Layers[1].B), after.Layers[0].Frozen)
	}
	if m := epochLine.FindAllStringSubmatch(ft, -1); len(m) != 10 || m[9][4] < "0.9" {
		t.Fatalf("fine-tuning did not learn the new digits:\n%s", ft)
	}
}

// loadModel loads a model file.
func loadModel(t *testing.T, path string) *mlp.Network {
	t.Helper()
	n, err := mlp.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startOf returns the network that train would start from with these
// flags (which must name -init), for classes of -digits.
func startOf(t *testing.T, args ...string) *mlp.Network {
	t.Helper()
	cfg, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	classes := 10
	if cfg.digits != nil {
		classes = len(cfg.digits)
	}
	n, err := buildNetwork(cfg, 784, classes)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool {
		return math.Float32bits(x) == math.Float32bits(y)
	})
}

// TestInitOutputLayer: -init keeps the model's output layer as it is,
// -new-output replaces it by a new one whatever its width, and a model
// whose outputs are not one per class is refused without -new-output.
func TestInitOutputLayer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.model")
	saved := mlp.New(784, mlp.CrossEntropy, mlp.Layer{Units: 16, Act: mlp.ReLU},
		mlp.Layer{Units: 5, Act: mlp.Softmax})
	saved.Init(mlp.XavierNormal, 9)
	if err := saved.Save(path); err != nil {
		t.Fatal(err)
	}

	kept := startOf(t, "-init", path, "-digits", "5-9")
	for i, l := range kept.Layers {
		if !sameBits(l.W, saved.Layers[i].W) || !sameBits(l.B, saved.Layers[i].B) {
			t.Fatalf("-init without -new-output changed layer %d", i)
		}
	}

	for _, digits := range []string{"5-9", "0-9", "3,8"} {
		n := startOf(t, "-init", path, "-digits", digits, "-new-output",
			"-initializer", "he-normal", "-seed", "4")
		want := loadModel(t, path)
		want.ReplaceOutput(n.Outputs(), mlp.HeNormal, 4)
		head := n.Layers[1]
		if !sameBits(n.Layers[0].W, saved.Layers[0].W) || head.Frozen ||
			!sameBits(head.W, want.Layers[1].W) || !sameBits(head.B, want.Layers[1].B) ||
			len(head.B) == 5 && sameBits(head.W, saved.Layers[1].W) {
			t.Fatalf("-digits %s -new-output: not the pretrained hidden layer and a new head",
				digits)
		}
	}

	cfg, err := parseFlags([]string{"-init", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildNetwork(cfg, 784, 10); err == nil || !strings.Contains(err.Error(),
		"the model has 5 outputs, the data 10 classes: give -new-output") {
		t.Fatalf("-init of a 5-class model for 10 classes: error %v", err)
	}
}

// TestRunLength: the schedule spans the smaller of the -epochs and
// -max-steps bounds, and a run bounded by neither has no length.
func TestRunLength(t *testing.T) {
	cases := []struct{ epochs, maxSteps, perEpoch, want int }{
		{2, 5, 10, 5},   // -max-steps first
		{2, 50, 10, 20}, // -epochs first
		{0, 7, 10, 7},
		{3, 0, 10, 30},
		{0, 0, 10, 0},                         // -target-loss alone
		{math.MaxInt / 2, 0, 10, math.MaxInt}, // more steps than an int holds
		{3, 0, 0, 3},
	}
	for _, c := range cases {
		cfg := &config{epochs: c.epochs, maxSteps: c.maxSteps}
		if got := runLength(cfg, c.perEpoch); got != c.want {
			t.Errorf("-epochs %d -max-steps %d, %d steps an epoch: run length %d, want %d",
				c.epochs, c.maxSteps, c.perEpoch, got, c.want)
		}
	}
}

// TestScheduleSpansTheRun: with -epochs 1 and -max-steps 100 at 25 steps an
// epoch, each schedule reaches its end at step 25, where the run ends, after
// a warm-up or not (the length was once -max-steps whenever it was set).
// A run with no length refuses a schedule that needs one (it once decayed
// to 0 after its first step and never reached the target).
func TestScheduleSpansTheRun(t *testing.T) {
	const perEpoch, lr = 25, 0.5
	for _, warm := range []int{0, 5} {
		for _, name := range []string{"constant", "step", "exp", "cosine"} {
			cfg, err := parseFlags([]string{"-epochs", "1", "-max-steps", "100", "-schedule", name,
				"-lr", "0.5", "-warmup", fmt.Sprint(warm)}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			s := schedule(cfg, runLength(cfg, perEpoch))
			first, last, end := s.LR(warm), s.LR(24), s.LR(25)
			var want float64 // at step 25
			switch name {
			case "constant":
				want = lr
			case "step":
				want = lr * 0.001 // three decays of ×0.1
			case "exp":
				want = lr * 0.01
			}
			if math.Abs(float64(first)-lr) > 1e-6 || !(last > 0) ||
				math.Abs(float64(end)-want) > 1e-6*lr {
				t.Errorf("-schedule %s -warmup %d: rate %v after the warm-up, %v at step 24, "+
					"%v at step 25; want %v, > 0, %v", name, warm, first, last, end, lr, want)
			}
		}
	}

	// A run stopped by -target-loss alone has no length: a schedule that
	// needs one is refused, a constant one trains until the target.
	_, _, err := runTrain(t, "-epochs", "0", "-target-loss", "0.5")
	want := "-schedule cosine needs the length of the run"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("-epochs 0 -target-loss 0.5: error %v", err)
	}
	dir := fakeMNIST(t, 600, 100)
	out, _, err := runTrain(t, "-data", dir, "-epochs", "0", "-target-loss", "0.5",
		"-schedule", "constant", "-batch", "32", "-hidden", "32", "-out", "",
		"-checkpoint", "none")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `stop="target loss"`) {
		t.Fatalf("-target-loss alone did not stop at the target:\n%s", out)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := fakeMNIST(t, 50, 20)
	cases := map[string][]string{
		"-batch 0: want > 0":            {"-batch", "0"},
		"-opt \"fast\"":                 {"-opt", "fast"},
		"-hidden: \"x\" is not":         {"-hidden", "256,x"},
		"-digits: need at least two":    {"-digits", "3"},
		"-digits: \"4-2\": not a range": {"-digits", "4-2"},
		"no stopping rule":              {"-epochs", "0"},
		"-act \"softmax\"":              {"-act", "softmax"},
		"unexpected arguments":          {"stray"},
		"loading MNIST":                 {"-data", t.TempDir()},
		"-freeze 3: the network has 3":  {"-data", dir, "-freeze", "3"},
		"-init /nonexistent/file":       {"-data", dir, "-init", "/nonexistent/file"},
		"-schedule \"wavy\"":            {"-schedule", "wavy"},
		"-lr must be positive":          {"-lr", "0"},
		"-progress \"sometimes\"":       {"-progress", "sometimes"},
		"-initializer \"zeros\"":        {"-initializer", "zeros"},
		"-epochs, -max-steps, -warmup":  {"-warmup", "-1"},
		"saving /proc/self/x.model:":    {"-data", dir, "-epochs", "1", "-checkpoint", "none", "-out", "/proc/self/x.model"},
		"-new-output replaces":          {"-new-output"},
		"-schedule exp needs the":       {"-epochs", "0", "-target-loss", "1", "-schedule", "exp"},
	}
	for want, args := range cases {
		_, stderr, err := runTrain(t, args...)
		if err == nil || !strings.Contains(err.Error()+stderr, strings.TrimSuffix(strings.Split(want, ":")[0], " ")) &&
			!strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want one containing %q", args, err, want)
		}
	}
	if _, _, err := runTrain(t, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	cfg := &config{progress: "on", stderr: &buf, batch: 10, now: func() time.Time { return now }}
	p := newProgress(cfg, 5, 50)
	for i := 1; i <= 5; i++ {
		now = now.Add(200 * time.Millisecond)
		p.update(0, i, 5)
	}
	p.done()
	s := buf.String()
	if !strings.Contains(s, "epoch 1 [") || !strings.Contains(s, "50 samples/s") || !strings.Contains(s, "5/5") {
		t.Fatalf("progress output %q", s)
	}
	buf.Reset()
	off := newProgress(&config{progress: "auto", stderr: &buf, batch: 10, now: time.Now}, 5, 50)
	off.update(0, 1, 5)
	if buf.Len() != 0 {
		t.Fatal("progress drawn with auto on a non-terminal")
	}
}

// TestMain lets the test binary act as the train command in a child
// process: TestInterruptAndResume kills one mid-epoch.
func TestMain(m *testing.M) {
	if args := os.Getenv("BACKPROP_TRAIN_CHILD_ARGS"); args != "" {
		os.Args = append([]string{"train"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestInterruptAndResume kills a training run with SIGKILL in the middle of
// an epoch, checks that the checkpoint on disk is the last complete one and
// loads, resumes from it, and requires the same final model, byte for
// byte, as a run that was never interrupted.
func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three times for several seconds")
	}
	dir := fakeMNIST(t, 20000, 200)
	work := t.TempDir()
	common := []string{"-data", dir, "-epochs", "4", "-batch", "32", "-threads", "1", "-progress", "off"}

	ref := filepath.Join(work, "ref.model")
	if _, _, err := runTrain(t, append(common, "-out", ref, "-checkpoint", "none")...); err != nil {
		t.Fatal(err)
	}

	model := filepath.Join(work, "run.model")
	ckpt := model + ".ckpt"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BACKPROP_TRAIN_CHILD_ARGS="+strings.Join(append(common, "-out", model), " "))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// The child prints a line per epoch, then writes that epoch's
	// checkpoint. Each line's number and arrival time go to lines; the
	// channel closes when the child's output ends.
	type epochLine struct {
		n  int
		at time.Time
	}
	lines := make(chan epochLine, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "epoch=%d ", &n); err == nil {
				lines <- epochLine{n, time.Now()}
			}
		}
	}()

	// Kill the child half an epoch after the line of epoch 2: in the
	// middle of epoch 3 of 4.
	var seen []epochLine
	timeout := time.After(2 * time.Minute)
	for len(seen) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the run ended before it could be interrupted: %v", cmd.Wait())
			}
			seen = append(seen, l)
		case <-timeout:
			cmd.Process.Kill()
			t.Fatal("no second epoch after two minutes")
		}
	}
	epoch := seen[1].at.Sub(seen[0].at)
	time.Sleep(epoch / 2)
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		seen = append(seen, l)
	}
	cmd.Wait()
	last := seen[len(seen)-1].n
	// Saving a checkpoint takes milliseconds: a line that came a quarter
	// of an epoch before the kill had its checkpoint renamed into place.
	saved := killed.Sub(seen[len(seen)-1].at) > epoch/4

	// The checkpoint is the last epoch the run completed, or, if the kill
	// fell between an epoch's line and the rename of its checkpoint, the
	// one before: never a torn file, never a later one.
	c, err := mlp.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint left by the killed run does not load: %v", err)
	}
	t.Logf("killed after the line of epoch %d; checkpoint of epoch %d", last, c.Epochs)
	if last >= 4 {
		t.Fatalf("the run finished all 4 epochs before the kill: the test did not interrupt it")
	}
	if c.Epochs != last && (saved || c.Epochs != last-1) || c.Steps != c.Epochs*625 {
		t.Fatalf("checkpoint after epoch %d, step %d; the last epoch printed was %d", c.Epochs, c.Steps, last)
	}
	if _, err := os.Stat(model); err == nil {
		t.Fatal("the killed run saved its final model")
	}
	entries, _ := os.ReadDir(work)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Logf("a temporary file of the interrupted save remains: %s", e.Name())
		}
	}

	out, _, err := runTrain(t, append(common, "-out", model, "-resume")...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "resuming after epoch") {
		t.Fatalf("no resume line:\n%s", out)
	}
	a, _ := os.ReadFile(ref)
	b, err := os.ReadFile(model)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("the resumed run's model differs from the uninterrupted one (%v)", err)
	}
}
