package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backprop-go/backprop/mlp"
	"github.com/backprop-go/backprop/sgd"
)

// ckptAllocBound is the most mlp.ReadCheckpoint may allocate for in bytes
// of input. It reads the input with io.ReadAll (under 3 times its length,
// as for mlp.Read). Then each part of the file costs a multiple of its own
// length, and the parts do not overlap: the embedded model at most
// modelAllocBound of its length, a slot's float32s as many bytes as they
// take in the file, and the list of slots a 24-byte slice header for each
// slot, which takes at least 4 bytes of the file. So 3 + 6 times the
// input, plus the fixed parts of both readers.
func ckptAllocBound(in int) uint64 { return 9*uint64(in) + 256<<10 }

// modelMagic opens the model file embedded in a checkpoint.
const modelMagic = "BPMLP\r\n\x1a"

// encodeCheckpoint writes c in the checkpoint format as mlp/checkpoint.go
// describes it, independently of mlp.SaveCheckpoint (the seeds check that
// the two agree).
func encodeCheckpoint(tb testing.TB, c *mlp.Checkpoint) []byte {
	le := binary.LittleEndian
	b := []byte("BPCKPT\r\n")
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, uint32(c.Epochs))
	b = le.AppendUint64(b, uint64(c.Steps))
	b = le.AppendUint64(b, c.Seed)
	b = append(b, byte(len(c.Optimizer.Kind)))
	b = append(b, c.Optimizer.Kind...)
	b = le.AppendUint64(b, uint64(c.Optimizer.Steps))
	b = le.AppendUint32(b, uint32(len(c.Optimizer.Slots)))
	for _, s := range c.Optimizer.Slots {
		b = le.AppendUint32(b, uint32(len(s)))
		for _, v := range s {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	}
	model := modelBytes(tb, c.Net)
	b = le.AppendUint64(b, uint64(len(model)))
	b = append(b, model...)
	return le.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// withModelCRC returns b with the checksum of the model it embeds put
// right, the model being taken to start at the last model magic and end
// just before the checkpoint's own checksum; b itself if it has none.
func withModelCRC(b []byte) []byte {
	i := bytes.LastIndex(b, []byte(modelMagic))
	if i < 0 || len(b)-i < len(modelMagic)+8 {
		return b
	}
	b = bytes.Clone(b)
	end := len(b) - 8
	binary.LittleEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[i:end]))
	return b
}

// ckptState returns an optimiser state of the given kind for the
// parameters of n, k slices per parameter, filled with distinct values.
func ckptState(n *mlp.Network, kind string, k, steps int) sgd.State {
	st := sgd.State{Kind: kind, Steps: steps}
	v := float32(0.5)
	for _, p := range n.Params() {
		for range k {
			s := make([]float32, len(p.W))
			for i := range s {
				s[i] = v
				v = -v * 1.25
			}
			st.Slots = append(st.Slots, s)
		}
	}
	return st
}

// ckptSeeds returns the files of a few checkpoints, written by
// mlp.SaveCheckpoint (and checked against encodeCheckpoint): one of each
// optimiser kind, a fresh one without slots, special values in the state.
// It also checks that SaveCheckpoint refuses the fields out of range.
func ckptSeeds(tb testing.TB, dir string) [][]byte {
	small := mlp.New(3, mlp.CrossEntropy, mlp.Layer{Units: 2, Act: mlp.LeakyReLU},
		mlp.Layer{Units: 2, Act: mlp.Softmax})
	small.Init(mlp.HeNormal, 1)
	deep := mlp.New(4, mlp.MSE, mlp.Layer{Units: 3, Act: mlp.ReLU},
		mlp.Layer{Units: 2, Act: mlp.Tanh}, mlp.Layer{Units: 1, Act: mlp.Identity})
	deep.Init(mlp.XavierUniform, 2)
	deep.Layers[1].Frozen = true
	one := mlp.New(1, mlp.MSE, mlp.Layer{Units: 1, Act: mlp.Sigmoid})

	special := ckptState(small, "adam", 2, 7)
	special.Slots[0][0] = float32(math.Inf(-1))
	special.Slots[1][1] = padNaN
	special.Slots[2][0] = math.Float32frombits(1)
	cks := []*mlp.Checkpoint{
		{Net: small, Epochs: 3, Steps: 60, Seed: 1, Optimizer: special},
		{Net: deep, Epochs: 1, Steps: 9, Seed: 1 << 63, Optimizer: ckptState(deep, "momentum", 1, 9)},
		{Net: one, Epochs: 12, Steps: 12, Seed: 5, Optimizer: ckptState(one, "rmsprop", 1, 12)},
		{Net: small, Optimizer: sgd.State{Kind: "sgd"}},
		{Net: one, Optimizer: sgd.State{Kind: "adam"}},
	}
	var files [][]byte
	for i, c := range cks {
		path := filepath.Join(dir, fmt.Sprintf("%d.ckpt", i))
		if err := mlp.SaveCheckpoint(path, c); err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		if !bytes.Equal(b, encodeCheckpoint(tb, c)) {
			tb.Fatalf("checkpoint %d: SaveCheckpoint writes other bytes than the format says", i)
		}
		files = append(files, b)
	}

	// What the reader refuses, the writer refuses too.
	for i, c := range []*mlp.Checkpoint{
		{Net: one, Epochs: -1, Optimizer: sgd.State{Kind: "sgd"}},
		{Net: one, Steps: -1, Optimizer: sgd.State{Kind: "sgd"}},
		{Net: one, Optimizer: sgd.State{Kind: "sgd", Steps: -1}},
		{Net: one, Optimizer: sgd.State{Kind: strings.Repeat("k", 33)}},
	} {
		path := filepath.Join(dir, fmt.Sprintf("bad%d.ckpt", i))
		if err := mlp.SaveCheckpoint(path, c); err == nil {
			tb.Fatalf("SaveCheckpoint wrote a checkpoint of %d epochs, %d steps, "+
				"%d optimiser steps, kind %q", c.Epochs, c.Steps, c.Optimizer.Steps, c.Optimizer.Kind)
		}
	}
	return files
}

// optimisers returns one optimiser of every state kind.
func optimisers() []sgd.Optimizer {
	return []sgd.Optimizer{&sgd.SGD{}, &sgd.SGD{Momentum: 0.9}, &sgd.Adam{}, &sgd.RMSProp{}}
}

// FuzzCheckpointRead checks mlp.ReadCheckpoint, the reader of the files
// that cmd/train -resume loads, on any bytes: it returns a checkpoint that
// encodes back to exactly those bytes, or an error wrapping mlp.ErrFormat
// and no checkpoint; it never panics and allocates at most ckptAllocBound
// of the input's length. The optimiser state it returns is then given to
// an optimiser of every kind, which must take it or refuse it with an
// error (and, having taken it, step), not panic.
//
// Two checksums stand in the fuzzer's way: fixCRC puts the checkpoint's
// right at the end of the input, fixModelCRC (applied first) the model's,
// found after the model's magic number.
func FuzzCheckpointRead(f *testing.F) {
	seeds := ckptSeeds(f, f.TempDir())
	for _, s := range seeds {
		f.Add(s, false, false)
		f.Add(s[:len(s)-1], false, false)        // cut in the checksum
		f.Add(s[:len(s)-9], true, false)         // cut in the model
		f.Add(s[:40], true, false)               // cut in the header or the state
		f.Add(append(s, 0), false, false)        // a byte after the checksum
		f.Add(withCRC(append(s, 0)), true, true) // a byte after the model
	}
	s := seeds[0]
	le := binary.LittleEndian
	mutate := func(off int, v ...byte) []byte {
		b := bytes.Clone(s)
		copy(b[off:], v)
		return withCRC(b)
	}
	for _, b := range [][]byte{
		mutate(8, 2),                          // version 2
		mutate(12, 0xff, 0xff, 0xff, 0xff),    // 2^32−1 epochs
		mutate(16, 0, 0, 0, 0x80),             // 2^31 steps
		mutate(32, 33),                        // a kind of 33 bytes
		mutate(32, 0xff),                      // a kind longer than the file
		mutate(37, 0, 0, 0, 0, 0, 0, 0, 0x80), // 2^63 optimiser steps, −2^63 as an int64
		mutate(45, 0xff, 0xff, 0xff, 0xff),    // 2^32−1 slots
		mutate(49, 0, 0, 0, 0x40),             // a slot of 2^30 values
		mutate(0, 'b'),                        // another magic number
		{},
		[]byte("BPCKPT\r\n"),
	} {
		f.Add(b, false, false)
	}
	// Many empty slots: the most slot headers per byte of input. The model
	// field that follows them is missing.
	many := le.AppendUint32(bytes.Clone(s[:45]), 1<<14)
	many = append(many, make([]byte, 4<<14)...)
	f.Add(withCRC(append(many, 0, 0, 0, 0)), false, false)

	f.Fuzz(func(t *testing.T, in []byte, fixCRC, fixModelCRC bool) {
		if fixModelCRC {
			in = withModelCRC(in)
		}
		if fixCRC {
			in = withCRC(in)
		}
		var c *mlp.Checkpoint
		var err error
		used := allocated(func() { c, err = mlp.ReadCheckpoint(bytes.NewReader(in)) })
		if bound := ckptAllocBound(len(in)); used > bound {
			t.Fatalf("%d bytes of input: %d bytes allocated, more than %d (err: %v)",
				len(in), used, bound, err)
		}
		if err != nil {
			if c != nil {
				t.Fatalf("a checkpoint and an error: %v", err)
			}
			if !errors.Is(err, mlp.ErrFormat) {
				t.Fatalf("error %q does not wrap mlp.ErrFormat", err)
			}
			return
		}
		if c.Net == nil {
			t.Fatal("a checkpoint without a network")
		}
		count := func(v int) bool { return v >= 0 && uint64(v) <= math.MaxInt32 }
		if !count(c.Epochs) || !count(c.Steps) || !count(c.Optimizer.Steps) ||
			len(c.Optimizer.Kind) > 32 {
			t.Fatalf("fields out of range: %d epochs, %d steps, %d optimiser steps, kind %q",
				c.Epochs, c.Steps, c.Optimizer.Steps, c.Optimizer.Kind)
		}
		if out := encodeCheckpoint(t, c); !bytes.Equal(out, in) {
			t.Fatalf("the checkpoint read from %d bytes encodes to %d other bytes", len(in), len(out))
		}

		// What cmd/train -resume does next: restore the state, then step.
		params := c.Net.Params()
		for _, o := range optimisers() {
			if p := call(func() {
				if o.SetState(params, c.Optimizer) == nil {
					o.Step(params, 0.01)
				}
			}); p != nil {
				t.Fatalf("%T: restoring a state of kind %q, %d slots: panic: %v",
					o, c.Optimizer.Kind, len(c.Optimizer.Slots), p)
			}
		}
	})
}
