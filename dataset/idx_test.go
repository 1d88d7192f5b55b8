package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// encodeIDX returns an IDX file of unsigned bytes with the given
// dimensions, followed by data as it is (which may not match them).
func encodeIDX(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, idxUint8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// pattern returns n bytes that differ from their neighbours.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestReadIDXRoundTrip(t *testing.T) {
	for _, dims := range [][]uint32{
		{1}, {7}, {3, 4}, {5, 28, 28}, {2, 1, 3, 1, 2}, {200000},
	} {
		size := 1
		for _, d := range dims {
			size *= int(d)
		}
		data := pattern(size)
		file := encodeIDX(dims, data)
		for _, in := range []struct {
			name string
			r    io.Reader
		}{
			{"plain", bytes.NewReader(file)},
			{"gzip", bytes.NewReader(gzipBytes(file))},
			{"one-byte", iotest.OneByteReader(bytes.NewReader(file))},
			{"gzip-one-byte", iotest.OneByteReader(bytes.NewReader(gzipBytes(file)))},
			{"data-err", iotest.DataErrReader(bytes.NewReader(file))},
			{"half", iotest.HalfReader(bytes.NewReader(file))},
		} {
			x, err := ReadIDX(in.r)
			if err != nil {
				t.Errorf("%v %s: %v", dims, in.name, err)
				continue
			}
			want := make([]int, len(dims))
			for i, d := range dims {
				want[i] = int(d)
			}
			if !slices.Equal(x.Dims, want) || !bytes.Equal(x.Data, data) {
				t.Errorf("%v %s: got dims %v and %d bytes, want %v and %d bytes",
					dims, in.name, x.Dims, len(x.Data), want, len(data))
			}
		}
	}
}

// TestReadIDXConcatenatedGzip checks that a gzip file of several members
// reads as the concatenation of their contents, as gzip -d does.
func TestReadIDXConcatenatedGzip(t *testing.T) {
	file := encodeIDX([]uint32{10, 10}, pattern(100))
	two := append(gzipBytes(file[:37]), gzipBytes(file[37:])...)
	x, err := ReadIDX(bytes.NewReader(two))
	if err != nil || !bytes.Equal(x.Data, pattern(100)) {
		t.Fatalf("two gzip members: %v", err)
	}
}

func TestReadIDXErrors(t *testing.T) {
	valid := encodeIDX([]uint32{3, 4}, pattern(12))
	zipped := gzipBytes(valid)
	corrupt := slices.Clone(zipped)
	corrupt[12] ^= 0xff // inside the deflate stream
	badCRC := slices.Clone(zipped)
	badCRC[len(badCRC)-8] ^= 1
	badSize := slices.Clone(zipped)
	badSize[len(badSize)-4] ^= 1
	badFlags := slices.Clone(zipped)
	badFlags[2] = 9 // compression method 9 is not deflate
	long := gzipBytes(encodeIDX([]uint32{1000}, pattern(1000)))
	manyDims := make([]uint32, 255)
	for i := range manyDims {
		manyDims[i] = 1 << 20
	}

	for _, c := range []struct {
		name, in, want string
	}{
		{"empty", "", "the input is empty"},
		{"one byte", "\x00", "magic number needs 4 bytes, the input ends after 1"},
		{"three bytes", "\x00\x00\x08", "ends after 3"},
		{"bad magic", "\x01\x00\x08\x01\x00\x00\x00\x01x", "bad magic number 01 00 08 01"},
		{"bad magic 2", "\x00\x02\x08\x01\x00\x00\x00\x01x", "two bytes must be zero"},
		{"ascii", "P5\n28 28\n255\n", "bad magic number"},
		{"float32", "\x00\x00\x0d\x01\x00\x00\x00\x01xxxx", "0x0d (float32) is not"},
		{"int32", "\x00\x00\x0c\x01\x00\x00\x00\x01xxxx", "0x0c (int32) is not supported"},
		{"unknown type", "\x00\x00\x07\x01\x00\x00\x00\x01x", "unknown element type 0x07"},
		{"no dims", "\x00\x00\x08\x00", "declares no dimensions"},
		{"no dims data", "\x00\x00\x08\x00xyz", "declares no dimensions"},
		{"short dims", "\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00",
			"the sizes of 3 dimensions need 12 bytes, the input ends after 7"},
		{"zero dim", string(encodeIDX([]uint32{5, 0, 2}, nil)), "dimension 2 of 3 has"},
		{"zero first", string(encodeIDX([]uint32{0}, nil)), "dimension 1 of 1 has size 0"},
		{"too big", string(encodeIDX([]uint32{1 << 12, 1 << 12, 1 << 8}, nil)),
			"3 dimensions of 4096×4096×256 exceed the limit of"},
		{"huge", string(encodeIDX([]uint32{0xffffffff, 0xffffffff}, nil)), "exceed the"},
		{"many dims", string(encodeIDX(manyDims, nil)),
			"255 dimensions of 1048576×1048576×1048576×1048576×…×1048576×1048576×" +
				"1048576×1048576 exceed"},
		{"no data", string(encodeIDX([]uint32{60000, 28, 28}, nil)),
			"3 dimensions of 60000×28×28 need 47040000 bytes, the input ends after 0"},
		{"short data", string(encodeIDX([]uint32{60000, 28, 28}, pattern(1234))),
			"3 dimensions of 60000×28×28 need 47040000 bytes, " +
				"the input ends after 1234"},
		{"short labels", string(encodeIDX([]uint32{10}, pattern(9))),
			"1 dimension of 10 needs 10 bytes, the input ends after 9"},
		{"trailing", string(valid) + "x",
			"the input goes on after the 12 bytes of data of 3×4"},
		{"trailing gzip", string(gzipBytes(append(slices.Clone(valid), 0))),
			"the decompressed input goes on after"},
		{"garbage after gzip", string(zipped) + "garbage, garbage",
			"reading past the data: gzip: invalid header"},
		{"short garbage after gzip", string(zipped) + "garbage", "cut off after the data"},
		{"gzip magic only", "\x1f\x8b", "bad gzip header"},
		{"gzip bad method", string(badFlags), "bad gzip header"},
		{"gzip corrupt", string(corrupt), "flate: corrupt input"},
		{"gzip checksum", string(badCRC), "gzip: invalid checksum"},
		{"gzip size", string(badSize), "gzip: invalid checksum"},
		{"gzip cut in header", string(zipped[:15]), "magic number needs 4 bytes, the"},
		{"gzip cut in data", string(long[:len(long)/2]),
			"1 dimension of 1000 needs 1000 bytes, the gzip stream is cut off after"},
		{"gzip cut in trailer", string(zipped[:len(zipped)-3]), "cut off after the data"},
		{"gzip short data", string(gzipBytes(valid[:len(valid)-1])),
			"need 12 bytes, the decompressed input ends after 11"},
		{"gzip empty", string(gzipBytes(nil)), "the decompressed input is empty"},
		{"gzip in gzip", string(gzipBytes(zipped)), "bad magic number 1f 8b 08"},
	} {
		x, err := ReadIDX(strings.NewReader(c.in))
		if err == nil {
			t.Errorf("%s: got %v×%d bytes, want an error", c.name, x.Dims, len(x.Data))
			continue
		}
		if !strings.HasPrefix(err.Error(), "dataset: idx: ") ||
			!strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want one that says %q", c.name, err, c.want)
		}
	}

	// Every proper prefix of a file, plain or gzipped, is an error.
	for _, file := range [][]byte{valid, zipped} {
		for n := range len(file) {
			if _, err := ReadIDX(bytes.NewReader(file[:n])); err == nil {
				t.Errorf("%d of %d bytes: no error", n, len(file))
			}
		}
	}
}

// TestReadIDXReaderErrors checks that errors of the reader come back
// wrapped, and that a reader that returns nothing, forever, is an error.
func TestReadIDXReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	file := encodeIDX([]uint32{100}, pattern(100))
	for n := 0; n < len(file); n += 7 {
		r := io.MultiReader(bytes.NewReader(file[:n]), iotest.ErrReader(boom))
		if _, err := ReadIDX(r); !errors.Is(err, boom) {
			t.Errorf("error after %d bytes: got %v, want it wrapped", n, err)
		}
	}
	if _, err := ReadIDX(emptyReader{}); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("reader that returns 0, nil: got %v, want io.ErrNoProgress", err)
	}
	r := io.MultiReader(bytes.NewReader(file[:50]), emptyReader{})
	if _, err := ReadIDX(r); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("reader that returns 0, nil after 50 bytes: got %v", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// allocated returns the bytes that f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadIDXAllocation checks that headers that claim up to 2 GiB cost
// memory in proportion to the data that follows them, not to their claim.
func TestReadIDXAllocation(t *testing.T) {
	claim := []uint32{1 << 11, 1 << 10, 1 << 10} // 2 GiB, the limit
	for _, c := range []struct {
		name  string
		file  []byte
		bound uint64
	}{
		{"plain, 100 bytes", encodeIDX(claim, pattern(100)), 32 << 10},
		{"gzip, 100 bytes", gzipBytes(encodeIDX(claim, pattern(100))), 96 << 10},
		{"plain, 1 MiB", encodeIDX(claim, pattern(1<<20)), 4<<20 + 32<<10},
		{"gzip, 1 MiB", gzipBytes(encodeIDX(claim, pattern(1<<20))), 4<<20 + 96<<10},
		{"plain, 4 GiB claim", encodeIDX([]uint32{1 << 16, 1 << 16}, nil), 16 << 10},
	} {
		var err error
		n := allocated(func() { _, err = ReadIDX(bytes.NewReader(c.file)) })
		if err == nil {
			t.Errorf("%s: no error", c.name)
		}
		t.Logf("%s: %d bytes allocated", c.name, n)
		if n > c.bound {
			t.Errorf("%s: %d bytes allocated, want at most %d", c.name, n, c.bound)
		}
	}

	// A complete file costs less than three times its data: the buffers
	// double, and the last one is cut to size.
	data := pattern(3 << 20)
	file := encodeIDX([]uint32{3, 1 << 20}, data)
	var x *IDX
	n := allocated(func() { x, _ = ReadIDX(bytes.NewReader(file)) })
	if x == nil || !bytes.Equal(x.Data, data) || n > 3*uint64(len(data))+32<<10 {
		t.Errorf("3 MiB file: %d bytes allocated, want less than 9 MiB", n)
	}
	if cap(x.Data) != len(data) {
		t.Errorf("3 MiB file: cap(Data) = %d, want %d", cap(x.Data), len(data))
	}
}

func TestShape(t *testing.T) {
	for _, c := range []struct {
		dims []uint32
		want string
	}{
		{[]uint32{60000}, "60000"},
		{[]uint32{60000, 28, 28}, "60000×28×28"},
		{[]uint32{1, 2, 3, 4, 5, 6, 7, 8}, "1×2×3×4×5×6×7×8"},
		{[]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}, "1×2×3×4×…×6×7×8×9"},
	} {
		if got := shape(c.dims); got != c.want {
			t.Errorf("shape(%v) = %q, want %q", c.dims, got, c.want)
		}
	}
}
