package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backprop-go/backprop/mlp"
)

// writeIDX writes an IDX file of unsigned bytes.
func writeIDX(t *testing.T, path string, data []byte, dims ...int) {
	t.Helper()
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	if err := os.WriteFile(path, append(b, data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeMNIST writes a small MNIST-shaped data set: each digit is a bright
// vertical bar at a column of its own, plus noise, so that a network can
// learn it in an epoch.
func fakeMNIST(t *testing.T, trainN, testN int) string {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	make := func(n int) ([]byte, []byte) {
		img, lab := make([]byte, n*784), make([]byte, n)
		for i := range lab {
			d := r.IntN(10)
			lab[i] = byte(d)
			for y := 0; y < 28; y++ {
				for x := 0; x < 28; x++ {
					v := r.IntN(40)
					if x == 2+2*d {
						v = 255
					}
					img[i*784+y*28+x] = byte(v)
				}
			}
		}
		return img, lab
	}
	img, lab := make(trainN)
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte"), img, trainN, 28, 28)
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), lab, trainN)
	img, lab = make(testN)
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), img, testN, 28, 28)
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), lab, testN)
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

	// Fine-tuning: pretrain on 0-4, then train only the new output layer on 5-9.
	pre := filepath.Join(t.TempDir(), "pre.model")
	if _, _, err := runTrain(t, "-data", dir, "-digits", "0-4", "-epochs", "1", "-hidden", "32", "-out", pre); err != nil {
		t.Fatal(err)
	}
	ftPath := filepath.Join(t.TempDir(), "ft.model")
	ft, _, err := runTrain(t, "-data", dir, "-digits", "5-9", "-init", pre, "-freeze", "1", "-epochs", "10", "-batch", "16", "-out", ftPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ft, "784-32(frozen)-5") {
		t.Fatalf("fine-tuned network not described as frozen with a new output layer:\n%s", ft)
	}
	// The frozen layer did not move; the new output layer did train.
	before, err := mlp.Load(pre)
	if err != nil {
		t.Fatal(err)
	}
	after, err := mlp.Load(ftPath)
	if err != nil {
		t.Fatal(err)
	}
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
		"saving /proc/self/x.model":     {"-data", dir, "-epochs", "1", "-out", "/proc/self/x.model"},
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
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if c, err := mlp.LoadCheckpoint(ckpt); err == nil && c.Epochs >= 2 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the run ended before it could be interrupted: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after two minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited

	c, err := mlp.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint left by the killed run does not load: %v", err)
	}
	if c.Epochs < 2 || c.Epochs >= 4 || c.Steps != c.Epochs*625 {
		t.Fatalf("checkpoint after epoch %d, step %d; want a complete epoch of the 4", c.Epochs, c.Steps)
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
