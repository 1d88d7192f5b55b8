package mlp

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/backprop-go/backprop/sgd"
)

func TestCheckpoint(t *testing.T) {
	net := smallNet()
	c := &Checkpoint{Net: net, Epochs: 3, Steps: 1234, Seed: 99,
		Optimizer: sgd.State{Kind: "adam", Steps: 1234, Slots: [][]float32{{1, 2}, {3}, {}, {4, 5, 6}}}}
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	sameNetwork(t, got.Net, net)
	if got.Epochs != 3 || got.Steps != 1234 || got.Seed != 99 || got.Optimizer.Kind != "adam" ||
		got.Optimizer.Steps != 1234 || len(got.Optimizer.Slots) != 4 ||
		!slices.Equal(got.Optimizer.Slots[3], []float32{4, 5, 6}) || len(got.Optimizer.Slots[2]) != 0 {
		t.Fatalf("checkpoint read back as %+v", got)
	}

	// Every truncation and every flipped byte is an error, never a panic.
	good, _ := os.ReadFile(path)
	for i := 0; i < len(good); i++ {
		if _, err := parseCheckpoint(good[:i]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d: %v", i, err)
		}
		bad := slices.Clone(good)
		bad[i] ^= 0x40
		if _, err := parseCheckpoint(bad); !errors.Is(err, ErrFormat) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
}

// TestCheckpointHostile: a well-formed checksum around a slot that claims
// a billion values, or a model longer than the file, is an error that
// allocates nothing near what the header claims.
func TestCheckpointHostile(t *testing.T) {
	le := binary.LittleEndian
	head := func() []byte {
		b := []byte(ckptMagic)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint64(b, 1)
		b = le.AppendUint64(b, 1)
		b = append(b, 0)
		return le.AppendUint64(b, 1)
	}
	slot := le.AppendUint32(le.AppendUint32(head(), 1), 1<<30)
	model := le.AppendUint64(le.AppendUint32(head(), 0), 1<<40)
	for name, b := range map[string][]byte{"slot": slot, "model": model} {
		b = le.AppendUint32(b, crc32.ChecksumIEEE(b))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := parseCheckpoint(b)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: %v", name, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<10 {
			t.Fatalf("%s: allocated %d bytes", name, grew)
		}
	}
}
