package mlp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/backprop-go/backprop/sgd"
)

// sentinel fills s with a NaN of a payload no computation makes.
func sentinel(s []float32) {
	for i := range s {
		s[i] = math.Float32frombits(0x7fa00000 | uint32(i&0xffff))
	}
}

// untouched reports whether s still holds what sentinel wrote.
func untouched(s []float32) bool {
	for i, v := range s {
		if math.Float32bits(v) != 0x7fa00000|uint32(i&0xffff) {
			return false
		}
	}
	return true
}

// TestFrozen freezes layers of a four-layer network and checks, against
// the same network with nothing frozen, that Backward writes no gradient
// of a frozen layer (its DW and DB keep what was there), computes no delta
// below the lowest layer that is not frozen (those deltas keep what was
// there too), and computes the other gradients bit for bit as the
// unfrozen network does; and that a step of an optimiser through Params
// leaves every frozen layer as it was while it moves the others.
func TestFrozen(t *testing.T) {
	const batch = 9
	r := rand.New(rand.NewPCG(3, 3))
	x, labels := make([]float32, batch*5), make([]int32, batch)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for i := range labels {
		labels[i] = int32(r.IntN(4))
	}
	cases := []struct {
		name   string
		frozen []bool // per layer
		lowest int    // the lowest layer not frozen
	}{
		{"Freeze(1)", []bool{true, false, false, false}, 1},
		{"Freeze(3)", []bool{true, true, true, false}, 3},
		{"middle only", []bool{false, true, true, false}, 0},
		{"all", []bool{true, true, true, true}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := New(5, CrossEntropy, Layer{7, ReLU}, Layer{6, Tanh}, Layer{6, LeakyReLU},
				Layer{4, Softmax})
			ref.Init(HeNormal, 8)
			net := clone(t, ref)
			for i, f := range c.frozen {
				net.Layers[i].Frozen = f
			}
			refLoss := ref.Backward(x, labels, nil, batch)
			net.Backward(x, labels, nil, batch) // makes the workspace
			w := net.ws[batch]
			for i, l := range net.Layers {
				sentinel(l.DW)
				sentinel(l.DB)
				sentinel(w.d[i])
			}
			if loss := net.Backward(x, labels, nil, batch); loss != refLoss {
				t.Fatalf("loss %v, want %v", loss, refLoss)
			}
			for i, l := range net.Layers {
				switch {
				case l.Frozen && (!untouched(l.DW) || !untouched(l.DB)):
					t.Errorf("layer %d is frozen, but Backward wrote its gradient", i)
				case !l.Frozen && (!slices.Equal(l.DW, ref.Layers[i].DW) ||
					!slices.Equal(l.DB, ref.Layers[i].DB)):
					t.Errorf("layer %d: the gradient differs from the unfrozen network's", i)
				}
				// The output delta is the loss's gradient, always computed.
				below := i < c.lowest && i < len(net.Layers)-1
				if got := untouched(w.d[i]); got != below {
					t.Errorf("layer %d: delta untouched = %v, want %v (lowest trained layer %d)",
						i, got, below, c.lowest)
				}
			}

			// A step through Params moves the trained layers only.
			before := clone(t, net)
			(&sgd.SGD{Momentum: 0.9}).Step(net.Params(), 0.1)
			for i, l := range net.Layers {
				b := before.Layers[i]
				same := slices.Equal(l.W, b.W) && slices.Equal(l.B, b.B)
				if same != l.Frozen {
					t.Errorf("layer %d (frozen %v): unchanged by the step = %v", i, l.Frozen, same)
				}
			}
		})
	}
	// Freeze(k) freezes exactly the first k layers.
	net := New(2, MSE, Layer{3, ReLU}, Layer{3, ReLU}, Layer{1, Identity})
	net.Layers[2].Frozen = true
	net.Freeze(2)
	for i, l := range net.Layers {
		if l.Frozen != (i < 2) {
			t.Errorf("after Freeze(2), layer %d frozen = %v", i, l.Frozen)
		}
	}
	if got := len(net.Params()); got != 2 {
		t.Errorf("Params of a network with one layer not frozen: %d, want 2", got)
	}
}
