package sgd

import (
	"fmt"
	"math/rand/v2"
)

// Batches deals the sample indices 0, …, N−1 into mini-batches of Size,
// in an order reshuffled every epoch.
//
// The order of an epoch depends only on Seed and the epoch's number, not on
// the epochs before it, so no generator state needs saving: a checkpoint
// records the epoch and the number of batches done, and a resumed run
// continues with Epoch(epoch)[done:].
//
// A Batches must not be copied after its first use.
type Batches struct {
	N, Size int
	Seed    uint64

	epoch   int     // the epoch perm holds
	size    int     // the Size batches were cut for
	perm    []int   // nil until the first call
	batches [][]int // views of perm
	pcg     *rand.PCG
	rng     *rand.Rand
}

// Epoch returns the mini-batches of epoch e (counted from 0): each holds
// Size indices but the last, which holds the N mod Size left over when Size
// does not divide N (it is kept, not dropped). Every index appears exactly
// once per epoch. The slices are reused and valid until a call with another
// epoch; only the first call allocates, or a call after N or Size changed.
func (b *Batches) Epoch(e int) [][]int {
	if b.N < 0 || b.Size <= 0 {
		panic(fmt.Sprintf("sgd: Batches: N = %d, Size = %d, want N ≥ 0 and Size > 0", b.N, b.Size))
	}
	if b.perm == nil || len(b.perm) != b.N || b.size != b.Size {
		b.layout()
	} else if e == b.epoch {
		return b.batches
	}

	// A Fisher–Yates shuffle of the identity, from a generator seeded by
	// Seed and a hash of e (nearby seeds of a PCG are nearby states).
	for i := range b.perm {
		b.perm[i] = i
	}
	b.pcg.Seed(b.Seed, splitmix(uint64(e)))
	for i := len(b.perm) - 1; i > 0; i-- {
		j := b.rng.IntN(i + 1)
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
	b.epoch = e
	return b.batches
}

// layout allocates perm and cuts it into batches.
func (b *Batches) layout() {
	b.perm = make([]int, b.N)
	b.batches = make([][]int, 0, (b.N+b.Size-1)/b.Size)
	for lo := 0; lo < b.N; lo += b.Size {
		hi := min(lo+b.Size, b.N)
		b.batches = append(b.batches, b.perm[lo:hi:hi])
	}
	b.size = b.Size
	if b.pcg == nil {
		b.pcg = rand.NewPCG(0, 0)
		b.rng = rand.New(b.pcg)
	}
}

// splitmix is the finaliser of SplitMix64, a bijection of uint64 that
// spreads consecutive inputs over the whole range.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
