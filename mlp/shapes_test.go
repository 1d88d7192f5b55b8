package mlp

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// panicOf runs f and returns the message it panics with, "" if it returns.
// A call still running after 10 s fails the test (a hang, as of Evaluate
// with batch 0 once).
func panicOf(t *testing.T, f func()) string {
	t.Helper()
	msg := make(chan string, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				msg <- fmt.Sprint(r)
			}
		}()
		f()
		msg <- ""
	}()
	select {
	case m := <-msg:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return within 10 s")
		return ""
	}
}

// wantPanic requires f to panic with a message that starts with prefix.
func wantPanic(t *testing.T, what, prefix string, f func()) {
	t.Helper()
	if m := panicOf(t, f); !strings.HasPrefix(m, prefix) {
		t.Errorf("%s: panic %q, want one starting with %q", what, m, prefix)
	}
}

// clone copies a network through the model format.
func clone(t *testing.T, n *Network) *Network {
	t.Helper()
	var buf bytes.Buffer
	if _, err := n.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReplaceOutputWorkspaces evaluates a network at a batch size, so that
// its evaluation and training workspaces are made for its layers, replaces
// its output layer by a wider and then a narrower one, and requires
// Forward, Predict, Evaluate and Backward at the same batch size to give
// what a fresh copy of the new network gives, bit for bit, rather than run
// on the workspaces of the old shapes.
func TestReplaceOutputWorkspaces(t *testing.T) {
	const batch = 5
	net := New(6, CrossEntropy, Layer{8, Tanh}, Layer{3, Softmax})
	net.Init(XavierNormal, 1)
	x := make([]float32, batch*6)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	use := func(n *Network) ([]float32, []int32, float64, float64, float64) {
		out := make([]float32, batch*n.Outputs())
		classes := make([]int32, batch)
		labels := []int32{0, 1, 2, 1, 0}
		// Several calls: a pooled workspace comes back to the same caller.
		for range 3 {
			n.Forward(x, batch, out)
			n.Predict(x, batch, classes)
		}
		loss, acc := n.Evaluate(x, labels, batch)
		return out, classes, loss, acc, n.Backward(x, labels, nil, batch)
	}
	use(net)
	for i, classes := range []int{7, 4} {
		net.ReplaceOutput(classes, HeNormal, uint64(10+i))
		ref := clone(t, net)
		var got, want [5]any
		panicked := panicOf(t, func() {
			o, c, l, a, b := use(net)
			got = [5]any{o, c, l, a, b}
		})
		if panicked != "" {
			t.Fatalf("after ReplaceOutput(%d): %s", classes, panicked)
		}
		o, c, l, a, b := use(ref)
		want = [5]any{o, c, l, a, b}
		if !slices.Equal(got[0].([]float32), o) || !slices.Equal(got[1].([]int32), c) ||
			got[2] != want[2] || got[3] != want[3] || got[4] != want[4] {
			t.Fatalf("after ReplaceOutput(%d): results differ from a fresh copy's", classes)
		}
		for j := range net.Layers {
			if !slices.Equal(net.Layers[j].DW, ref.Layers[j].DW) {
				t.Fatalf("after ReplaceOutput(%d): DW%d differs from a fresh copy's", classes, j)
			}
		}
	}
}

// TestLayerEditWorkspaces changes the activation of a hidden layer from
// Tanh, whose pre-activations the backward pass does not keep, to ReLU,
// whose it does, and requires Backward to work on the edited network.
func TestLayerEditWorkspaces(t *testing.T) {
	net := New(4, MSE, Layer{6, Tanh}, Layer{2, Identity})
	net.Init(XavierUniform, 3)
	x := []float32{1, -2, 3, -4, 0.5, 0.25, -1, 2}
	targets := []float32{1, 0, 0, 1}
	net.Backward(x, nil, targets, 2)
	net.Layers[0].Act = ReLU
	ref := clone(t, net)
	var got float64
	if m := panicOf(t, func() { got = net.Backward(x, nil, targets, 2) }); m != "" {
		t.Fatalf("Backward after an activation changed: %s", m)
	}
	if want := ref.Backward(x, nil, targets, 2); got != want ||
		!slices.Equal(net.Layers[0].DW, ref.Layers[0].DW) {
		t.Fatalf("Backward after an activation changed: loss %v, want %v, or DW0 differs",
			got, want)
	}
}

// TestEvaluatePanics: a batch size below 1 and a label out of range are
// programmer errors, each reported by a panic that says so, never a hang
// or a bare index error.
func TestEvaluatePanics(t *testing.T) {
	ce := New(3, CrossEntropy, Layer{4, Softmax})
	mse := New(3, MSE, Layer{4, Sigmoid})
	x := make([]float32, 2*3)
	for _, n := range []*Network{ce, mse} {
		name := n.Loss.String()
		wantPanic(t, name+" batch 0", "mlp: Evaluate: batch size 0", func() {
			n.Evaluate(x, []int32{0, 1}, 0)
		})
		wantPanic(t, name+" batch -3", "mlp: Evaluate: batch size -3", func() {
			n.Evaluate(x, []int32{0, 1}, -3)
		})
		wantPanic(t, name+" label 4", "mlp: Evaluate: label 4 of row 1 is not a class", func() {
			n.Evaluate(x, []int32{0, 4}, 2)
		})
		wantPanic(t, name+" label -1", "mlp: Evaluate: label -1 of row 0 is not a class", func() {
			n.Evaluate(x, []int32{-1, 0}, 1)
		})
		wantPanic(t, name+" no rows", "mlp: Evaluate: len(x) = 0", func() {
			n.Evaluate(nil, nil, 1)
		})
		if m := panicOf(t, func() { n.Evaluate(x, []int32{3, 0}, 7) }); m != "" {
			t.Errorf("%s: a batch larger than the rows: %s", name, m)
		}
	}
}

// TestNewLimits: New refuses, before it allocates, a network the model
// file cannot hold (whose file Read would reject), and WriteTo refuses to
// write a network, built by hand, that Read would reject.
func TestNewLimits(t *testing.T) {
	cases := []struct {
		name   string
		inputs int
		layers []Layer
		want   string
	}{
		{"inputs", maxUnits + 1, []Layer{{1, Identity}}, "mlp: New: 16777217 inputs"},
		{"units", 1, []Layer{{maxUnits + 1, Identity}}, "mlp: New: layer 0: 16777217 units"},
		// 2^28 + 2^15 parameters: 2 GiB of weights and gradients, refused
		// before any is allocated.
		{"params", 1 << 14, []Layer{{1 << 14, ReLU}, {1, Identity}},
			"mlp: New: more than 268435456 parameters"},
		{"layers", 1, slices.Repeat([]Layer{{1, Tanh}}, maxLayers+1), "mlp: New: 257 layers"},
		{"activation", 1, []Layer{{1, Softmax + 1}},
			"mlp: New: layer 0: 1 units, activation Act(6)"},
		{"no layers", 1, nil, "mlp: New: 1 inputs and 0 layers"},
	}
	for _, c := range cases {
		wantPanic(t, c.name, c.want, func() { New(c.inputs, MSE, c.layers...) })
	}
	// The largest layer count the format holds is accepted.
	New(1, MSE, slices.Repeat([]Layer{{1, Tanh}}, maxLayers)...)

	n := New(2, MSE, Layer{3, LeakyReLU}, Layer{1, Identity})
	n.Slope = float32(math.NaN())
	_, err := n.WriteTo(&bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "slope") {
		t.Errorf("WriteTo of a network with a NaN slope: error %v", err)
	}
	n.Slope = 0.01
	n.Layers[1].Act = 9
	_, err = n.WriteTo(&bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "Act(9)") {
		t.Errorf("WriteTo of a network with activation 9: error %v", err)
	}

	wantPanic(t, "ReplaceOutput(0)", "mlp: ReplaceOutput: 0 classes", func() {
		n.ReplaceOutput(0, HeUniform, 1)
	})
	wantPanic(t, "ReplaceOutput(huge)", "mlp: ReplaceOutput: 16777217 classes", func() {
		n.ReplaceOutput(maxUnits+1, HeUniform, 1)
	})
	wantPanic(t, "Init(9)", "mlp: Init: unknown initialiser Init(9)", func() { n.Init(9, 1) })
}
