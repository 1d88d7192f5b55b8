package mlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/backprop-go/backprop/sgd"
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

// TestSaveMode: a new model file gets the mode os.OpenFile gives a file
// made with 0644 (0644 less the umask), not a temporary file's 0600; a
// model saved over another keeps that one's mode, bits the umask clears
// included. A checkpoint, saved the same way, too.
func TestSaveMode(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	f, err := os.OpenFile(ref, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	want := mode(ref)

	n := smallNet()
	path := filepath.Join(dir, "m.model")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	if got := mode(path); got != want {
		t.Fatalf("a new model has mode %v, want %v", got, want)
	}
	ckpt := filepath.Join(dir, "m.ckpt")
	c := &Checkpoint{Net: n, Optimizer: sgd.State{Kind: "sgd"}}
	if err := SaveCheckpoint(ckpt, c); err != nil {
		t.Fatal(err)
	}
	if got := mode(ckpt); got != want {
		t.Fatalf("a new checkpoint has mode %v, want %v", got, want)
	}

	for _, perm := range []os.FileMode{0o600, 0o640, 0o666, 0o400} {
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
		if err := n.Save(path); err != nil {
			t.Fatal(err)
		}
		if got := mode(path); got != perm {
			t.Fatalf("a model saved over one of mode %v has mode %v", perm, got)
		}
	}
}

// savedModel saves smallNet at dir/m.model and returns the path and the
// bytes of the file.
func savedModel(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	path := filepath.Join(dir, "m.model")
	if err := smallNet().Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// otherNet returns a network whose file differs from smallNet's in every
// part, and is some 170 KiB long: longer than SaveAtomic's buffer.
func otherNet() *Network {
	n := New(200, MSE, Layer{200, Tanh}, Layer{16, Identity})
	n.Init(XavierUniform, 7)
	return n
}

// intact fails the test unless path holds want and the directory holds
// path alone: no temporary file is left behind.
func intact(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("after the failed save: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("a failed save changed %s (%d bytes, were %d)", path, len(got), len(want))
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(path) {
			t.Fatalf("a failed save left %s behind", e.Name())
		}
	}
}

// mustFail fails the test unless err is an error that names path.
func mustFail(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		t.Fatalf("saving %s succeeded", path)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name %s", err, path)
	}
}

// saveChildEnv, set to the path of a model, makes TestSaveFailures save
// over it and nothing else: in a child process under a file size limit.
const saveChildEnv = "BACKPROP_TEST_SAVE_CHILD"

// TestSaveFailures: a callback that fails midway, a directory that
// refuses writes (to everyone but root), directories that even root cannot
// write in, and a file that outgrows the system's limit (as on a full
// disk) give an error that names the path, and leave the previous file
// byte for byte as it was, with no temporary file behind. SaveCheckpoint
// saves with SaveAtomic too, so these cases cover it.
func TestSaveFailures(t *testing.T) {
	if path := os.Getenv(saveChildEnv); path != "" {
		saveChild(t, path)
		return
	}

	t.Run("callback", func(t *testing.T) {
		path, before := savedModel(t, t.TempDir())
		full := errors.New("no space left on device")
		err := SaveAtomic(path, func(w io.Writer) error {
			w.Write(make([]byte, 100))
			return full
		})
		if !errors.Is(err, full) {
			t.Fatalf("SaveAtomic = %v", err)
		}
		mustFail(t, err, path)
		intact(t, path, before)
	})

	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes in a read-only directory; the system directories stand in")
		}
		if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
			t.Skip("no Unix permissions")
		}
		dir := t.TempDir()
		path, before := savedModel(t, dir)
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		err := otherNet().Save(path)
		mustFail(t, err, path)
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("error %q is not one of permission", err)
		}
		intact(t, path, before)
	})

	t.Run("system directories", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("proc and sysfs are Linux's")
		}
		// No one can create a file in these: an existing one, then new ones.
		for _, path := range []string{"/proc/self/comm", "/proc/self/backprop-test.model",
			"/sys/kernel/backprop-test.model"} {
			if _, err := os.Stat(filepath.Dir(path)); err != nil {
				t.Logf("not tried: %v", err)
				continue
			}
			before, readErr := os.ReadFile(path)
			mustFail(t, otherNet().Save(path), path)
			after, err := os.ReadFile(path)
			if readErr == nil && !bytes.Equal(before, after) {
				t.Fatalf("a failed save changed %s", path)
			}
			if readErr != nil && err == nil {
				t.Fatalf("a failed save made %s", path)
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp*"))
			if len(left) > 0 {
				t.Fatalf("a failed save left %s behind", left)
			}
		}
	})

	t.Run("not a regular file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.model")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		err := smallNet().Save(path)
		mustFail(t, err, path)
		if !strings.Contains(err.Error(), "directory") {
			t.Fatalf("error %q does not say what is in the way", err)
		}
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
			t.Fatalf("the directory in the way is gone: %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("%d files in the directory, want 1", len(entries))
		}
	})

	// The file size limit of a child process (ulimit -f) makes its writes
	// fail as on a full disk, with the file half written: in the flush at
	// the end for a model shorter than SaveAtomic's buffer, within the
	// callback for a longer one.
	t.Run("file size limit", func(t *testing.T) {
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip(err)
		}
		path, before := savedModel(t, t.TempDir())
		// Two blocks: 1 or 2 KiB (sh counts 512 bytes, bash 1024), more
		// than smallNet's file, less than those the child saves.
		cmd := exec.Command(sh, "-c", `ulimit -f 2 && exec "$0" -test.run='^TestSaveFailures$'`,
			os.Args[0])
		cmd.Env = append(os.Environ(), saveChildEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if !bytes.Contains(out, []byte("save child: started")) {
			// Under an emulator (go test -exec qemu-…) the test binary
			// cannot start itself.
			t.Skipf("cannot run the test binary again under a file size limit (%v):\n%s", err, out)
		}
		if err != nil {
			t.Fatalf("the child: %v\n%s", err, out)
		}
		t.Logf("the child:\n%s", out)
		intact(t, path, before)
	})
}

// saveChild saves over path, as the child of TestSaveFailures under a
// file size limit: each save must fail and name the path.
func saveChild(t *testing.T, path string) {
	fmt.Println("save child: started")
	mid := New(40, MSE, Layer{40, Identity}) // 6.6 KiB: within SaveAtomic's buffer
	mid.Init(XavierUniform, 1)
	for _, n := range []*Network{mid, otherNet()} {
		err := n.Save(path)
		mustFail(t, err, path)
		fmt.Printf("save child: %d parameters: %v\n", n.paramCount(), err)
	}
}
