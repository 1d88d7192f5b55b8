package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxIDXBytes is the most element data, in bytes, that ReadIDX accepts:
// 2 GiB, and on 32-bit platforms one byte less (the largest int).
const MaxIDXBytes = 1 << 31

// idxUint8 is the IDX type code of unsigned bytes, the only type ReadIDX
// reads.
const idxUint8 = 0x08

// firstChunk is the size of the first data buffer of ReadIDX; later ones
// double, up to the size that the header claims.
const firstChunk = 8 << 10

// IDX is the content of an IDX file of unsigned bytes, the format of the
// MNIST files.
type IDX struct {
	Dims []int  // the size of each dimension, outermost first; each ≥ 1
	Data []byte // the elements in row-major order, len(Data) = ∏ Dims
}

// ReadIDX reads an IDX file of unsigned bytes (type code 0x08) from r,
// plain or gzip-compressed; it tells them apart by the gzip magic 1f 8b.
//
// The header is four magic bytes (0, 0, the type code, the number of
// dimensions) and one big-endian uint32 per dimension; the elements
// follow. ReadIDX rejects other type codes, zero dimensions, a dimension
// of size zero and more than MaxIDXBytes of data. It reads r to its end:
// bytes after the data are an error, as are a truncated header or
// truncated data. Gzipped input must be whole gzip members with good
// checksums and nothing after them; several members in a row read as the
// concatenation of their contents, as with gzip -d.
//
// ReadIDX allocates as the data arrives: a first buffer of 8 KiB at most,
// then buffers that at most double the bytes read so far. Whatever the
// header claims, the memory it takes stays under three times the data
// that r (or its decompressed content) really holds, plus some 60 KiB for
// its reading buffer and the gzip decompressor.
func ReadIDX(r io.Reader) (*IDX, error) {
	x, err := readIDX(r)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return x, nil
}

// readIDX is ReadIDX without the package name in its errors.
func readIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	what := "the input"
	zipped := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: bad gzip header: %w", err)
		}
		src, what, zipped = zr, "the decompressed input", true
	}

	// ended says where the input ended, after n bytes of a part of the
	// file, if err means that it ended early, or returns "".
	ended := func(err error, n int) string {
		switch {
		case err == io.EOF:
			return fmt.Sprintf("%s ends after %d", what, n)
		case zipped && errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Sprintf("the gzip stream is cut off after %d", n)
		}
		return ""
	}

	// The magic number.
	var magic [4]byte
	if n, err := readFull(src, magic[:]); err != nil {
		if err == io.EOF && n == 0 {
			return nil, fmt.Errorf("idx: %s is empty", what)
		}
		if where := ended(err, n); where != "" {
			return nil, fmt.Errorf("idx: the magic number needs 4 bytes, %s", where)
		}
		return nil, fmt.Errorf("idx: reading the magic number: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("idx: bad magic number %02x %02x %02x %02x: "+
			"the first two bytes must be zero", magic[0], magic[1], magic[2], magic[3])
	}
	if t := magic[2]; t != idxUint8 {
		if name, ok := idxTypeNames[t]; ok {
			return nil, fmt.Errorf("idx: element type 0x%02x (%s) is not supported, "+
				"only 0x%02x (unsigned byte)", t, name, idxUint8)
		}
		return nil, fmt.Errorf("idx: unknown element type 0x%02x", t)
	}
	rank := int(magic[3])
	if rank == 0 {
		return nil, errors.New("idx: the header declares no dimensions")
	}

	// The dimensions.
	var hdr [4 * math.MaxUint8]byte
	if n, err := readFull(src, hdr[:4*rank]); err != nil {
		if where := ended(err, n); where != "" {
			return nil, fmt.Errorf("idx: the sizes of %s need %d bytes, %s",
				plural(rank, "dimension"), 4*rank, where)
		}
		return nil, fmt.Errorf("idx: reading the dimensions: %w", err)
	}
	raw := make([]uint32, rank)
	for i := range raw {
		raw[i] = binary.BigEndian.Uint32(hdr[4*i:])
		if raw[i] == 0 {
			return nil, fmt.Errorf("idx: dimension %d of %d has size 0", i+1, rank)
		}
	}
	limit := uint64(min(MaxIDXBytes, math.MaxInt))
	size := uint64(1)
	for _, d := range raw {
		if size > limit/uint64(d) {
			return nil, fmt.Errorf("idx: %s of %s exceed the limit of %d bytes",
				plural(rank, "dimension"), shape(raw), limit)
		}
		size *= uint64(d)
	}

	// The data, then the end of the input. An error with all the data read
	// is one of the end: a gzip reader reports a bad checksum or a cut
	// trailer with the last bytes.
	n := int(size)
	data, err := readData(src, n)
	if err != nil && len(data) < n {
		verb := "need"
		if rank == 1 {
			verb = "needs"
		}
		need := fmt.Sprintf("%s of %s %s %d bytes",
			plural(rank, "dimension"), shape(raw), verb, n)
		if where := ended(err, len(data)); where != "" {
			return nil, fmt.Errorf("idx: %s, %s", need, where)
		}
		return nil, fmt.Errorf("idx: reading the data (%s): %w", need, err)
	}
	if err == nil {
		var extra [1]byte
		var m int
		if m, err = readFull(src, extra[:]); m > 0 {
			return nil, fmt.Errorf("idx: %s goes on after the %d bytes of data of %s",
				what, n, shape(raw))
		}
	}
	if err != io.EOF {
		if ended(err, n) != "" {
			return nil, errors.New("idx: the gzip stream is cut off after the data")
		}
		return nil, fmt.Errorf("idx: reading past the data: %w", err)
	}

	dims := make([]int, rank)
	for i, d := range raw {
		dims[i] = int(d)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readData reads n > 0 bytes from r into a buffer that grows as they
// arrive. On an error it returns what it read with the error, io.EOF if r
// ended early.
func readData(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, firstChunk))
	for {
		m, err := readFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
		if len(buf) == n {
			return buf, nil
		}
		next := make([]byte, len(buf), min(n, 2*cap(buf)))
		copy(next, buf)
		buf = next
	}
}

// readFull is io.ReadFull, except that it returns io.EOF whenever r ends
// before buf is full, and io.ErrNoProgress after many reads in a row that
// return nothing and no error, so that such a reader cannot make it spin.
func readFull(r io.Reader, buf []byte) (int, error) {
	n, empty := 0, 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		switch {
		case err == io.EOF && n == len(buf):
			return n, nil
		case err != nil:
			return n, err
		case m == 0:
			empty++
			if empty == 100 {
				return n, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return n, nil
}

// idxTypeNames names the IDX type codes that ReadIDX knows but rejects.
var idxTypeNames = map[byte]string{
	0x09: "signed byte",
	0x0b: "int16",
	0x0c: "int32",
	0x0d: "float32",
	0x0e: "float64",
}

// shape formats dimensions as 60000×28×28, eliding the middle of a long
// list.
func shape(dims []uint32) string {
	const most = 8
	parts := make([]string, 0, most+1)
	for i, d := range dims {
		if len(dims) > most && i >= most/2 && i < len(dims)-most/2 {
			if i == most/2 {
				parts = append(parts, "…")
			}
			continue
		}
		parts = append(parts, strconv.FormatUint(uint64(d), 10))
	}
	return strings.Join(parts, "×")
}

// plural formats n and noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
