package mlp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// The model file, version 1. Every integer and float is little-endian, on
// every architecture.
//
//	offset  size  field
//	0       8     magic "BPMLP\r\n\x1a" (the \r\n and \x1a catch text-mode mangling)
//	8       4     version, 1
//	12      4     inputs, 1 … 1<<24
//	16      4     layer count L, 1 … 256
//	20      1     loss: 0 cross-entropy, 1 MSE
//	21      3     zero
//	24      4     LeakyReLU slope (float32)
//	28      8·L   per layer: units (uint32, 1 … 1<<24), activation (uint8, as Act),
//	              frozen (uint8, 0 or 1), 2 zero bytes
//	…             per layer: its weights W (inputs of the layer × units, row-major:
//	              the weights of input 0 to every unit first,
//	              float32) then its biases B (units, float32)
//	end−4   4     CRC-32 (IEEE) of everything before it
//
// A file is read only if every field is in range, the layers make a
// network the loss can train, and the length is exactly what the header
// says: a header cannot make the reader allocate more than the file holds.

const (
	magic      = "BPMLP\r\n\x1a"
	version    = 1
	headerSize = 28
	maxUnits   = 1 << 24
	maxLayers  = 256
	maxParams  = 1 << 28 // 1 GiB of float32
)

// ErrFormat is wrapped by every error about the content of a model file.
var ErrFormat = errors.New("mlp: bad model file")

func formatErr(f string, a ...any) error {
	return fmt.Errorf("%w: "+f, append([]any{ErrFormat}, a...)...)
}

// WriteTo writes the network in the model file format.
func (n *Network) WriteTo(w io.Writer) (int64, error) {
	if err := n.check(); err != nil {
		return 0, fmt.Errorf("mlp: cannot save: %v", err)
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	var buf [8]byte
	put32 := func(v uint32) {
		binary.LittleEndian.PutUint32(buf[:4], v)
		bw.Write(buf[:4])
	}
	bw.WriteString(magic)
	put32(version)
	put32(uint32(n.Inputs))
	put32(uint32(len(n.Layers)))
	bw.Write([]byte{byte(n.Loss), 0, 0, 0})
	put32(math.Float32bits(n.Slope))
	for _, l := range n.Layers {
		put32(uint32(l.Out))
		frozen := byte(0)
		if l.Frozen {
			frozen = 1
		}
		bw.Write([]byte{byte(l.Act), frozen, 0, 0})
	}
	for _, l := range n.Layers {
		for _, s := range [][]float32{l.W, l.B} {
			for _, v := range s {
				put32(math.Float32bits(v))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint32(buf[:4], crc.Sum32())
	if _, err := w.Write(buf[:4]); err != nil {
		return 0, err
	}
	return int64(headerSize + 8*len(n.Layers) + 4*n.paramCount() + 4), nil
}

func (n *Network) paramCount() int {
	var c int
	for _, l := range n.Layers {
		c += l.In*l.Out + l.Out
	}
	return c
}

// Read reads a network in the model file format. It returns an error
// wrapping ErrFormat, saying what is wrong, for anything but a whole,
// valid file, and never allocates much more than the bytes it has read.
func Read(r io.Reader) (*Network, error) {
	crc := crc32.NewIEEE()
	tr := io.TeeReader(r, crc)
	var h [headerSize]byte
	if _, err := io.ReadFull(tr, h[:]); err != nil {
		return nil, formatErr("header: %v", short(err))
	}
	if string(h[:8]) != magic {
		return nil, formatErr("not a backprop model (magic %q)", h[:8])
	}
	le := binary.LittleEndian
	if v := le.Uint32(h[8:]); v != version {
		return nil, formatErr("version %d, this reader knows %d", v, version)
	}
	inputs, count := le.Uint32(h[12:]), le.Uint32(h[16:])
	if inputs < 1 || inputs > maxUnits {
		return nil, formatErr("%d inputs, want 1 to %d", inputs, maxUnits)
	}
	if count < 1 || count > maxLayers {
		return nil, formatErr("%d layers, want 1 to %d", count, maxLayers)
	}
	if h[21] != 0 || h[22] != 0 || h[23] != 0 {
		return nil, formatErr("reserved header bytes are not zero")
	}
	n := &Network{Inputs: int(inputs), Loss: Loss(h[20]), Slope: math.Float32frombits(le.Uint32(h[24:]))}
	if n.Loss > MSE {
		return nil, formatErr("unknown loss %d", h[20])
	}
	if s := float64(n.Slope); math.IsNaN(s) || math.IsInf(s, 0) {
		return nil, formatErr("LeakyReLU slope %v", n.Slope)
	}

	desc := make([]byte, 8*count)
	if _, err := io.ReadFull(tr, desc); err != nil {
		return nil, formatErr("layer table: %v", short(err))
	}
	// Sizes are summed in uint64, where no header can overflow them, and
	// checked against maxParams before any is used as an int (which has
	// 32 bits on some targets).
	in, params := uint64(inputs), uint64(0)
	type layer struct {
		units  int
		act    Act
		frozen bool
	}
	var ls []layer
	for i := 0; i < int(count); i++ {
		d := desc[8*i:]
		units := le.Uint32(d)
		if units < 1 || units > maxUnits {
			return nil, formatErr("layer %d: %d units, want 1 to %d", i, units, maxUnits)
		}
		if d[4] > byte(Softmax) || d[5] > 1 || d[6] != 0 || d[7] != 0 {
			return nil, formatErr("layer %d: activation %d, frozen %d, reserved %d %d", i, d[4], d[5], d[6], d[7])
		}
		params += uint64(units)*in + uint64(units)
		if params > maxParams {
			return nil, formatErr("more than %d parameters", maxParams)
		}
		ls = append(ls, layer{int(units), Act(d[4]), d[5] == 1})
		in = uint64(units)
	}

	// Read the parameters as they come: a header that promises more than the
	// file holds fails on the short read, having allocated what was there.
	body, err := io.ReadAll(io.LimitReader(tr, int64(4*params)))
	if err != nil {
		return nil, fmt.Errorf("mlp: reading the parameters: %w", err)
	}
	if uint64(len(body)) != 4*params {
		return nil, formatErr("the header describes %d parameters (%d bytes), the file ends after %d",
			params, 4*params, len(body))
	}
	var sum [4]byte
	want := crc.Sum32()
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, formatErr("checksum: %v", short(err))
	}
	if got := le.Uint32(sum[:]); got != want {
		return nil, formatErr("checksum %08x, content gives %08x", got, want)
	}
	var extra [1]byte
	if k, _ := r.Read(extra[:]); k != 0 {
		return nil, formatErr("data after the checksum")
	}

	cols := int(inputs)
	off := 0
	floats := func(k int) []float32 {
		s := make([]float32, k)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(body[off:]))
			off += 4
		}
		return s
	}
	for _, l := range ls {
		d := &Dense{In: cols, Out: l.units, Act: l.act, Frozen: l.frozen,
			W: floats(l.units * cols), B: floats(l.units),
			DW: make([]float32, l.units*cols), DB: make([]float32, l.units)}
		n.Layers = append(n.Layers, d)
		cols = l.units
	}
	if err := n.check(); err != nil {
		return nil, formatErr("%v", err)
	}
	return n, nil
}

// short turns the end of input into an error that says so.
func short(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("the file is truncated")
	}
	return err
}

// Save writes the network to path atomically: to a temporary file in the
// same directory, synced to disk, then renamed over path. A crash, a full
// disk or an error leaves the previous file at path as it was.
func (n *Network) Save(path string) error {
	return SaveAtomic(path, func(w io.Writer) error {
		_, err := n.WriteTo(w)
		return err
	})
}

// SaveAtomic writes a file atomically with write: to a temporary file in the
// same directory, synced, then renamed over path (and the directory synced).
// On any error the temporary file is removed and path is untouched.
//
// The file keeps the permissions of the one it replaces; a new one gets
// 0644 less the umask, as os.OpenFile would make it. A symbolic link to a
// regular file is replaced, not followed (the file takes the mode of its
// target), and the file belongs to whoever saves it. SaveAtomic refuses to
// replace anything but a regular file or a link to one (a directory, a
// device such as /dev/null).
func SaveAtomic(path string, write func(io.Writer) error) (err error) {
	perm, keep := os.FileMode(0o644), false
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			what := "not a regular file"
			if fi.IsDir() {
				what = "a directory"
			}
			return fmt.Errorf("mlp: saving %s: it is %s", path, what)
		}
		perm, keep = fi.Mode().Perm(), true
	}
	dir := filepath.Dir(path)
	f, err := createTemp(dir, filepath.Base(path), perm)
	if err != nil {
		return fmt.Errorf("mlp: saving %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if !renamed { // an error, or a panic in write
			f.Close()
			os.Remove(f.Name())
		}
		if err != nil {
			err = fmt.Errorf("mlp: saving %s: %w", path, err)
		}
	}()

	// The umask has applied to perm: put back the bits of the file being
	// replaced. Failing that (not every file system keeps the bits), the
	// file is saved with those the umask left.
	if keep {
		f.Chmod(perm)
	}

	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	renamed = true
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // make the rename durable; not every system can sync a directory
		d.Close()
	}
	return nil
}

// createTemp creates a new file in dir, named after base with a dot in
// front (hidden) and a random suffix, with mode perm less the umask.
// os.CreateTemp would make it 0600 whatever the umask.
func createTemp(dir, base string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free name for a temporary file for %s in %s", base, dir)
}

// Load reads a network from a model file.
func Load(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	defer f.Close()
	n, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}
