package mlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func smallNet() *Network {
	n := New(3, CrossEntropy, Layer{2, LeakyReLU}, Layer{2, Softmax})
	n.Init(HeNormal, 5)
	n.Layers[0].B[1] = 0.25
	n.Layers[1].Frozen = true
	return n
}

func sameNetwork(t *testing.T, a, b *Network) {
	t.Helper()
	if a.Inputs != b.Inputs || a.Loss != b.Loss || a.Slope != b.Slope || len(a.Layers) != len(b.Layers) {
		t.Fatalf("networks differ: %d/%v/%v/%d vs %d/%v/%v/%d", a.Inputs, a.Loss, a.Slope, len(a.Layers),
			b.Inputs, b.Loss, b.Slope, len(b.Layers))
	}
	for i, l := range a.Layers {
		m := b.Layers[i]
		if l.In != m.In || l.Out != m.Out || l.Act != m.Act || l.Frozen != m.Frozen ||
			!slices.Equal(l.W, m.W) || !slices.Equal(l.B, m.B) {
			t.Fatalf("layer %d differs", i)
		}
	}
}

// TestFormatGolden pins the byte layout: the file of a known network is
// compared with testdata/small.model, written once by this code and checked
// by hand against the format's description. It reads the same on every
// architecture (CI runs it on a big-endian one).
func TestFormatGolden(t *testing.T) {
	var buf bytes.Buffer
	if _, err := smallNet().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	le := binary.LittleEndian
	// Spot checks of the layout, independent of the golden file.
	if string(b[:8]) != "BPMLP\r\n\x1a" || le.Uint32(b[8:]) != 1 || le.Uint32(b[12:]) != 3 ||
		le.Uint32(b[16:]) != 2 || b[20] != 0 || le.Uint32(b[28:]) != 2 || b[32] != byte(LeakyReLU) ||
		b[33] != 0 || le.Uint32(b[36:]) != 2 || b[40] != byte(Softmax) || b[41] != 1 {
		t.Fatalf("header layout: % x", b[:44])
	}
	if len(b) != 28+16+4*(3*2+2+2*2+2)+4 {
		t.Fatalf("length %d", len(b))
	}
	if crc32.ChecksumIEEE(b[:len(b)-4]) != le.Uint32(b[len(b)-4:]) {
		t.Fatal("checksum")
	}
	golden := filepath.Join("testdata", "small.model")
	if os.Getenv("BACKPROP_UPDATE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, b, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("file differs from %s", golden)
	}
	n, err := Read(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	sameNetwork(t, n, smallNet())
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.model")
	n := New(11, MSE, Layer{7, Tanh}, Layer{5, Sigmoid}, Layer{3, Identity})
	n.Init(XavierUniform, 1)
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameNetwork(t, m, n)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d files after Save, want 1", len(entries))
	}
}

// TestReadRejects: every truncation, every single-byte change, and
// hostile headers give an error wrapping ErrFormat, never a panic.
func TestReadRejects(t *testing.T) {
	var buf bytes.Buffer
	smallNet().WriteTo(&buf)
	good := buf.Bytes()
	for i := 0; i < len(good); i++ {
		if _, err := Read(bytes.NewReader(good[:i])); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", i, err)
		}
		for _, x := range []byte{1, 0x80, 0xff} {
			bad := slices.Clone(good)
			bad[i] ^= x
			if _, err := Read(bytes.NewReader(bad)); !errors.Is(err, ErrFormat) {
				t.Fatalf("byte %d ^ %#x: %v", i, x, err)
			}
		}
	}
	if _, err := Read(bytes.NewReader(append(slices.Clone(good), 0))); !errors.Is(err, ErrFormat) {
		t.Fatalf("trailing byte: %v", err)
	}
}

// TestReadHostile: headers claiming huge networks must not make Read
// allocate more than a small multiple of the input.
func TestReadHostile(t *testing.T) {
	le := binary.LittleEndian
	header := func(inputs uint32, units ...uint32) []byte {
		b := []byte(magic)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, inputs)
		b = le.AppendUint32(b, uint32(len(units)))
		b = append(b, 1, 0, 0, 0)
		b = le.AppendUint32(b, 0)
		for _, u := range units {
			b = le.AppendUint32(b, u)
			b = append(b, byte(Identity), 0, 0, 0)
		}
		return append(b, make([]byte, 1000)...)
	}
	cases := map[string][]byte{
		"largest":     header(1<<24, 1<<24),
		"many layers": header(1<<24, 16, 1<<24, 1<<24),
		"just inside": header(1<<13, 1<<14), // 2^27 parameters: within the limit
		"too many":    header(1<<24, 1<<24, 1<<24),
	}
	for name, in := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: %v", name, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
			t.Fatalf("%s: %d bytes of input made Read allocate %d bytes", name, len(in), grew)
		}
	}
}

// TestSaveFailures: a location that refuses writes, and a write that fails
// midway (as on a full disk), give an error and leave the previous file
// intact, with no temporary file behind.
func TestSaveFailures(t *testing.T) {
	n := smallNet()
	if err := n.Save("/proc/self/backprop-test.model"); err == nil {
		t.Fatal("saving under /proc succeeded")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.model")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	full := errors.New("no space left on device")
	err := SaveAtomic(path, func(w io.Writer) error {
		w.Write(make([]byte, 100))
		return full
	})
	if !errors.Is(err, full) {
		t.Fatalf("SaveAtomic = %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed save changed the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d files in the directory, want 1", len(entries))
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}
