package main

import (
	"bytes"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/backprop-go/backprop/dataset"
	"github.com/backprop-go/backprop/mlp"
)

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool {
		return math.Float32bits(x) == math.Float32bits(y)
	})
}

// TestFineTuneStart: a head or all run starts from its own copy of the
// pretrained hidden layers, a new output layer (the one ReplaceOutput
// draws from the seed, not the pretrained one) and the layers below the
// output frozen for head, none for all.
func TestFineTuneStart(t *testing.T) {
	pre := mlp.New(784, mlp.CrossEntropy, mlp.Layer{Units: 12, Act: mlp.ReLU},
		mlp.Layer{Units: 8, Act: mlp.ReLU}, mlp.Layer{Units: 5, Act: mlp.Softmax})
	pre.Init(mlp.HeNormal, 1)
	for _, freeze := range []int{2, 0} {
		net, err := fineTuneStart(pre, freeze, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fineTuneStart(pre, 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range net.Layers {
			if l.Frozen != (i < freeze) {
				t.Errorf("freeze %d: layer %d frozen = %v", freeze, i, l.Frozen)
			}
			if i < 2 && !sameBits(l.W, pre.Layers[i].W) {
				t.Errorf("freeze %d: hidden layer %d is not the pretrained one", freeze, i)
			}
		}
		head := net.Layers[2]
		fresh := mlp.New(8, mlp.CrossEntropy, mlp.Layer{Units: 5, Act: mlp.Softmax})
		fresh.Init(mlp.HeNormal, 3)
		if sameBits(head.W, pre.Layers[2].W) || !sameBits(head.W, fresh.Layers[0].W) ||
			!sameBits(head.W, want.Layers[2].W) {
			t.Errorf("freeze %d: the output layer is not a new one drawn from the seed", freeze)
		}
		net.Layers[0].W[0]++
		if sameBits(net.Layers[0].W, pre.Layers[0].W) {
			t.Errorf("freeze %d: the run shares its weights with the pretrained network", freeze)
		}
	}
}

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

// TestRun runs the whole comparison on a small easy set and requires the
// line of each run, in order, with an accuracy that shows it learnt.
func TestRun(t *testing.T) {
	dir := fakeMNIST(t, 400, 200)
	args := []string{"-data", dir, "-pretrain-epochs", "2", "-epochs", "2", "-batch", "32"}
	c, err := parse(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(c, &out); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(
		`(?m)^run=(\w+) epochs=(\d+) train_seconds=[0-9.]+ test_accuracy=([0-9.]+)$`)
	var names []string
	for _, m := range line.FindAllStringSubmatch(out.String(), -1) {
		names = append(names, m[1])
		if m[3] < "0.8" {
			t.Errorf("run %s: test accuracy %s on an easy set", m[1], m[3])
		}
	}
	if strings.Join(names, ",") != "pretrain,scratch,head,all" ||
		!strings.HasPrefix(out.String(), "kernels=") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestParseErrors(t *testing.T) {
	bad := [][]string{{"-epochs", "0"}, {"-lr", "0"}, {"-threads", "-1"}, {"stray"}}
	for _, args := range bad {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
