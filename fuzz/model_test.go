package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"runtime"
	"testing"

	"github.com/backprop-go/backprop/mlp"
)

// allocated returns the bytes f allocates on the heap (and whatever else
// the process allocates meanwhile, which in a fuzz worker is little).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// modelAllocBound is the most mlp.Read may allocate for in bytes of input.
// It reads the parameters with io.ReadAll, whose growing chunks and final
// copy come to at most 2.8 times what it returns (measured, for every
// length), then makes W and B (as many bytes again) and the gradients DW
// and DB (as many again): under 5 times the input. Beyond that, a fixed
// part: the layer table (8 bytes a layer, at most 256 layers), one Dense
// a layer and the slices that list them, and the error message.
func modelAllocBound(in int) uint64 { return 6*uint64(in) + 128<<10 }

// withCRC returns b with its last 4 bytes replaced by the CRC-32 of the
// others, as the model file ends.
func withCRC(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

// modelBytes returns the file of a network.
func modelBytes(tb testing.TB, n *mlp.Network) []byte {
	var buf bytes.Buffer
	if _, err := n.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// modelSeeds returns the files of a few networks, which cover every
// activation, both losses, frozen layers and special values among the
// weights.
func modelSeeds(tb testing.TB) [][]byte {
	small := mlp.New(3, mlp.CrossEntropy, mlp.Layer{Units: 2, Act: mlp.LeakyReLU},
		mlp.Layer{Units: 2, Act: mlp.Softmax})
	small.Init(mlp.HeNormal, 1)
	small.Layers[1].Frozen = true
	deep := mlp.New(5, mlp.MSE,
		mlp.Layer{Units: 4, Act: mlp.ReLU}, mlp.Layer{Units: 3, Act: mlp.Sigmoid},
		mlp.Layer{Units: 2, Act: mlp.Tanh}, mlp.Layer{Units: 1, Act: mlp.Identity})
	deep.Init(mlp.XavierUniform, 2)
	deep.Slope = -0.5
	deep.Layers[0].W[0] = float32(math.Inf(1))
	deep.Layers[1].B[2] = padNaN
	deep.Layers[2].W[1] = float32(math.Copysign(0, -1))
	one := mlp.New(1, mlp.MSE, mlp.Layer{Units: 1, Act: mlp.Identity})
	wide := mlp.New(40, mlp.CrossEntropy,
		mlp.Layer{Units: 30, Act: mlp.ReLU}, mlp.Layer{Units: 10, Act: mlp.Softmax})
	wide.Init(mlp.HeUniform, 3)
	var files [][]byte
	for _, n := range []*mlp.Network{small, deep, one, wide} {
		files = append(files, modelBytes(tb, n))
	}
	return files
}

// FuzzModelRead checks mlp.Read on any bytes: it returns a network that
// writes back to exactly those bytes, or an error wrapping mlp.ErrFormat
// and no network; it never panics, and it allocates at most
// modelAllocBound of the input's length, whatever the header claims.
// The checksum at the end of a file stops almost every change the fuzzer
// makes at the last check; with fixCRC the input's last 4 bytes are
// replaced by the checksum of the others first, so that the checks before
// it and the network's own ones are reached too.
func FuzzModelRead(f *testing.F) {
	seeds := modelSeeds(f)
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s[:len(s)-1], false)         // cut in the checksum
		f.Add(s[:len(s)-5], true)          // cut in the parameters
		f.Add(s[:20], false)               // cut in the header
		f.Add(append(s, 0), false)         // a byte after the checksum
		f.Add(withCRC(append(s, 0)), true) // parameters beyond the shape
	}
	s := seeds[0]
	mutate := func(off int, v ...byte) []byte {
		b := bytes.Clone(s)
		copy(b[off:], v)
		return withCRC(b)
	}
	for _, b := range [][]byte{
		mutate(8, 2),                 // version 2
		mutate(12, 0, 0, 0, 1),       // 1<<24 inputs: the first layer's weights are not there
		mutate(12, 0, 0, 0, 2),       // more than 1<<24 inputs
		mutate(16, 0),                // no layers
		mutate(16, 1),                // one layer: a LeakyReLU output with cross-entropy
		mutate(20, 1),                // MSE with a softmax output
		mutate(20, 2),                // an unknown loss
		mutate(21, 1),                // a reserved byte set
		mutate(24, 0, 0, 0xc0, 0x7f), // a NaN slope
		mutate(28, 0, 0, 0, 1),       // 1<<24 units
		mutate(32, 5),                // softmax before the output layer
		mutate(32, 6),                // an unknown activation
		mutate(33, 2),                // frozen 2
		mutate(0, 'b'),               // another magic number
		{},
		[]byte("BPMLP\r\n\x1a"),
	} {
		f.Add(b, false)
	}
	// Headers that claim the largest networks (2^28 parameters, 1 GiB, less
	// a little) with nothing after them.
	claim := func(inputs uint32, units ...uint32) []byte {
		b := bytes.Clone(s[:28])
		binary.LittleEndian.PutUint32(b[12:], inputs)
		binary.LittleEndian.PutUint32(b[16:], uint32(len(units)))
		b[20] = byte(mlp.MSE)
		for _, u := range units {
			b = binary.LittleEndian.AppendUint32(b, u)
			b = append(b, byte(mlp.Identity), 0, 0, 0)
		}
		return append(b, 0, 0, 0, 0)
	}
	f.Add(claim(1<<14, 1<<14-1), true)
	f.Add(claim(1, 1<<24, 15), true)
	f.Add(claim(1<<24, 1, 1<<24, 1, 1<<24), true)

	f.Fuzz(func(t *testing.T, in []byte, fixCRC bool) {
		if fixCRC {
			in = withCRC(in)
		}
		var net *mlp.Network
		var err error
		used := allocated(func() { net, err = mlp.Read(bytes.NewReader(in)) })
		if bound := modelAllocBound(len(in)); used > bound {
			t.Fatalf("%d bytes of input: %d bytes allocated, more than %d (err: %v)",
				len(in), used, bound, err)
		}
		if err != nil {
			if net != nil {
				t.Fatalf("a network and an error: %v", err)
			}
			if !errors.Is(err, mlp.ErrFormat) {
				t.Fatalf("error %q does not wrap mlp.ErrFormat", err)
			}
			return
		}
		out := modelBytes(t, net)
		if !bytes.Equal(out, in) {
			t.Fatalf("the network read from %d bytes writes %d other bytes", len(in), len(out))
		}
	})
}
