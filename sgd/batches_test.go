package sgd

import (
	"slices"
	"testing"
)

// flat returns the indices of an epoch in order, in a new slice.
func flat(bs [][]int) []int {
	var out []int
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestBatchesCover(t *testing.T) {
	for _, c := range []struct{ n, size int }{
		{0, 3}, {1, 1}, {10, 3}, {10, 5}, {10, 10}, {10, 20}, {1000, 32},
	} {
		b := Batches{N: c.n, Size: c.size, Seed: 42}
		for e := range 4 {
			bs := b.Epoch(e)
			if want := (c.n + c.size - 1) / c.size; len(bs) != want {
				t.Fatalf("N %d, Size %d: %d batches, want %d", c.n, c.size, len(bs), want)
			}
			for i, batch := range bs {
				want := c.size
				if i == len(bs)-1 {
					want = c.n - i*c.size // the short last batch is kept
				}
				if len(batch) != want {
					t.Fatalf("N %d, Size %d: batch %d has %d indices, want %d",
						c.n, c.size, i, len(batch), want)
				}
			}
			seen := make([]int, c.n)
			for _, i := range flat(bs) {
				seen[i]++
			}
			for i, k := range seen {
				if k != 1 {
					t.Fatalf("N %d, Size %d, epoch %d: index %d appears %d times",
						c.n, c.size, e, i, k)
				}
			}
		}
	}
}

func TestBatchesOrder(t *testing.T) {
	epoch := func(seed uint64, e int) []int {
		b := Batches{N: 100, Size: 7, Seed: seed}
		return flat(b.Epoch(e))
	}

	// The order of an epoch depends on the seed and the epoch only, not on
	// the epochs asked for before.
	b := Batches{N: 100, Size: 7, Seed: 1}
	for _, e := range []int{2, 0, 5, 5, 1} {
		if got := flat(b.Epoch(e)); !slices.Equal(got, epoch(1, e)) {
			t.Fatalf("epoch %d after others differs from epoch %d alone", e, e)
		}
	}

	identity := make([]int, 100)
	for i := range identity {
		identity[i] = i
	}
	orders := [][]int{identity, epoch(1, 0), epoch(1, 1), epoch(1, 2), epoch(2, 0), epoch(2, 1)}
	for i := range orders {
		for j := range i {
			if slices.Equal(orders[i], orders[j]) {
				t.Fatalf("orders %d and %d are the same", i, j)
			}
		}
	}

	// A shuffle's first position holds each index with probability 1/N:
	// over 5000 epochs of 5 indices, about 1000 times each (σ ≈ 28). An
	// off-by-one Fisher–Yates would never leave index 0 first, or favour it.
	count := make([]int, 5)
	b = Batches{N: 5, Size: 5, Seed: 9}
	for e := range 5000 {
		count[b.Epoch(e)[0][0]]++
	}
	for i, k := range count {
		if k < 850 || k > 1150 {
			t.Fatalf("index %d came first in %d of 5000 epochs, want about 1000: %v", i, k, count)
		}
	}
}

// TestBatchesResume resumes a run from (epoch, batches done) and checks it
// continues with the same batches.
func TestBatchesResume(t *testing.T) {
	var full [][]int
	b := Batches{N: 50, Size: 8, Seed: 3}
	for e := range 3 {
		for _, batch := range b.Epoch(e) {
			full = append(full, slices.Clone(batch))
		}
	}
	perEpoch := len(b.Epoch(0))
	epoch, done := 1, 4 // a checkpoint after 4 batches of epoch 1

	r := Batches{N: 50, Size: 8, Seed: 3}
	var resumed [][]int
	for e := epoch; e < 3; e++ {
		bs := r.Epoch(e)
		if e == epoch {
			bs = bs[done:]
		}
		for _, batch := range bs {
			resumed = append(resumed, slices.Clone(batch))
		}
	}
	if !slices.EqualFunc(resumed, full[epoch*perEpoch+done:], slices.Equal) {
		t.Fatal("the resumed run deals other batches")
	}
}

func TestBatchesAllocs(t *testing.T) {
	b := Batches{N: 1000, Size: 32, Seed: 1}
	b.Epoch(0)
	e := 0
	if n := testing.AllocsPerRun(20, func() { e++; b.Epoch(e) }); n != 0 {
		t.Errorf("%v allocations per epoch after the first", n)
	}

	// Changing Size cuts the batches again.
	b.Size = 100
	if bs := b.Epoch(e); len(bs) != 10 || len(bs[0]) != 100 {
		t.Errorf("after Size = 100: %d batches of %d", len(bs), len(bs[0]))
	}
	if msg := catch(func() { (&Batches{N: 3}).Epoch(0) }); msg == "" {
		t.Error("Size 0 did not panic")
	}
}
