package mlp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/backprop-go/backprop/sgd"
)

// Checkpoint is what a training run needs to continue after an
// interruption as if it had never stopped: the network, the optimiser's
// state, the epochs and steps done, and the seed the batch order derives
// from (epoch e's order depends only on the seed and e, so no generator
// state is needed beyond them).
type Checkpoint struct {
	Net           *Network
	Optimizer     sgd.State
	Epochs, Steps int
	Seed          uint64
}

// The checkpoint file, version 1, little-endian:
//
//	magic "BPCKPT\r\n", version (uint32), epochs (uint32), steps (uint64), seed (uint64),
//	optimiser kind (uint8 length, ≤ 32 bytes), optimiser steps (uint64),
//	slot count (uint32), then each slot: its length (uint32) and its float32s,
//	the network as a model file (uint64 length, then the bytes),
//	CRC-32 (IEEE) of everything before it.
//
// The epochs, steps and optimiser steps are at most 2^31−1 (maxCount),
// so that a file reads the same where int has 32 bits.
const ckptMagic = "BPCKPT\r\n"

// maxCount is the largest count of epochs or steps a checkpoint holds.
const maxCount = math.MaxInt32

// maxKind is the longest optimiser kind a checkpoint holds, in bytes.
const maxKind = 32

// SaveCheckpoint writes c to path atomically (see SaveAtomic).
func SaveCheckpoint(path string, c *Checkpoint) error {
	var model bytes.Buffer
	if _, err := c.Net.WriteTo(&model); err != nil {
		return err
	}
	if len(c.Optimizer.Kind) > maxKind {
		return fmt.Errorf("mlp: optimiser kind %q is longer than %d bytes", c.Optimizer.Kind, maxKind)
	}
	for _, v := range []int{c.Epochs, c.Steps, c.Optimizer.Steps} {
		if v < 0 || v > maxCount {
			return fmt.Errorf("mlp: a checkpoint of %d epochs, %d steps, %d optimiser steps: "+
				"each must be 0 to %d", c.Epochs, c.Steps, c.Optimizer.Steps, maxCount)
		}
	}
	le := binary.LittleEndian
	b := []byte(ckptMagic)
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
	b = le.AppendUint64(b, uint64(model.Len()))
	b = append(b, model.Bytes()...)
	b = le.AppendUint32(b, crc32.ChecksumIEEE(b))
	return SaveAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// LoadCheckpoint reads a checkpoint file, checking every field; the errors
// about its content wrap ErrFormat.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	c, err := parseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadCheckpoint reads a checkpoint from r, to its end, with the checks of
// LoadCheckpoint; the errors about its content wrap ErrFormat.
//
// It holds the whole input in memory. Whatever the fields claim, it
// allocates less than 9 times the length of the input plus 256 KiB (the
// fuzz target FuzzCheckpointRead checks the bound).
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("mlp: reading a checkpoint: %w", err)
	}
	return parseCheckpoint(b)
}

// parseCheckpoint decodes a whole checkpoint file.
func parseCheckpoint(b []byte) (*Checkpoint, error) {
	le := binary.LittleEndian
	if len(b) < len(ckptMagic)+4+4 || string(b[:8]) != ckptMagic {
		return nil, formatErr("not a backprop checkpoint")
	}
	if got, want := le.Uint32(b[len(b)-4:]), crc32.ChecksumIEEE(b[:len(b)-4]); got != want {
		return nil, formatErr("checkpoint checksum %08x, content gives %08x", got, want)
	}
	r := reader{b: b[8 : len(b)-4]}
	if v := r.u32(); v != 1 {
		return nil, formatErr("checkpoint version %d, this reader knows 1", v)
	}
	epochs, steps, seed := r.u32(), r.u64(), r.u64()
	klen := r.u8()
	if klen > maxKind {
		return nil, formatErr("checkpoint: an optimiser kind of %d bytes, at most %d", klen, maxKind)
	}
	kind := string(r.take(int(klen)))
	osteps := r.u64()
	// Every slot takes at least 4 bytes: a count beyond that is checked
	// before the list is made, so that it costs at most 6 times the bytes
	// that hold it (a slice header for 4 bytes).
	nslots := uint64(r.u32())
	if r.err == nil && nslots > uint64(len(r.b)/4) {
		return nil, formatErr("checkpoint: %d optimiser slots in %d bytes", nslots, len(r.b))
	}
	c := &Checkpoint{Seed: seed, Optimizer: sgd.State{Kind: kind}}
	if nslots > 0 {
		c.Optimizer.Slots = make([][]float32, 0, nslots)
	}
	for i := uint64(0); i < nslots && r.err == nil; i++ {
		n := uint64(r.u32())
		if n > uint64(len(r.b)/4) { // before allocating, and before 4·n can overflow
			r.err = io.ErrUnexpectedEOF
			break
		}
		raw := r.take(4 * int(n))
		s := make([]float32, n)
		for j := range s {
			s[j] = math.Float32frombits(le.Uint32(raw[4*j:]))
		}
		c.Optimizer.Slots = append(c.Optimizer.Slots, s)
	}
	mlen := r.u64()
	if r.err == nil && mlen > uint64(len(r.b)) {
		return nil, formatErr("checkpoint: a model of %d bytes in %d", mlen, len(r.b))
	}
	model := r.take(int(mlen))
	if r.err != nil {
		return nil, formatErr("checkpoint is truncated")
	}
	if len(r.b) != 0 {
		return nil, formatErr("checkpoint: %d bytes after the model", len(r.b))
	}
	if epochs > maxCount || steps > maxCount || osteps > maxCount {
		return nil, formatErr("checkpoint: %d epochs, %d steps, %d optimiser steps: at most %d",
			epochs, steps, osteps, maxCount)
	}
	c.Epochs, c.Steps, c.Optimizer.Steps = int(epochs), int(steps), int(osteps)
	net, err := Read(bytes.NewReader(model))
	if err != nil {
		return nil, err
	}
	c.Net = net
	return c, nil
}

// reader takes little-endian fields from a byte slice, remembering the
// first shortfall.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) u8() uint8 {
	if s := r.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if s := r.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if s := r.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}
