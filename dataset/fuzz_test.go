package dataset

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"strings"
	"testing"
)

// FuzzReadIDX checks that ReadIDX, on any input, returns either an error
// or an IDX that re-encodes to the input (after decompression), and that
// it allocates in proportion to the data the input holds (decompressed),
// not to what its header claims.
func FuzzReadIDX(f *testing.F) {
	valid := encodeIDX([]uint32{3, 4}, pattern(12))
	for _, seed := range [][]byte{
		valid,
		gzipBytes(valid),
		encodeIDX([]uint32{1}, []byte{7}),
		encodeIDX([]uint32{2, 28, 28}, pattern(2*28*28)),
		encodeIDX([]uint32{60000, 28, 28}, pattern(100)),
		gzipBytes(encodeIDX([]uint32{1 << 11, 1 << 10, 1 << 10}, pattern(300))),
		encodeIDX([]uint32{0xffffffff, 2}, nil),
		encodeIDX([]uint32{2, 0, 2}, nil),
		append(encodeIDX([]uint32{1, 1, 1, 1}, []byte{1}), 0),
		{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		{0, 0, 8},
		{0x1f, 0x8b},
		nil,
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		var x *IDX
		var err error
		n := allocated(func() { x, err = ReadIDX(bytes.NewReader(in)) })

		// ReadIDX takes less than three times the data it reads, plus its
		// fixed buffers (the reading buffer, the gzip decompressor). The
		// data is the input, or for gzip what the input decompresses to
		// (up to where it fails): counted here, rather than bounded by
		// deflate's largest ratio of about 1032, so that a reader that
		// allocated a header's claim of a few MiB would not hide under it.
		zipped := len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b
		data := uint64(len(in))
		if zipped {
			data = 0
			if zr, err := gzip.NewReader(bytes.NewReader(in)); err == nil {
				m, _ := io.Copy(io.Discard, zr)
				data = uint64(m)
			}
		}
		if bound := 3*data + 128<<10; n > bound {
			t.Fatalf("%d bytes of input (%d of data): %d bytes allocated, more than %d",
				len(in), data, n, bound)
		}

		if err != nil {
			if x != nil {
				t.Fatalf("an IDX and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "dataset: idx: ") {
				t.Fatalf("error %q without the prefix", err)
			}
			return
		}
		if len(x.Dims) < 1 || len(x.Dims) > 255 {
			t.Fatalf("%d dimensions", len(x.Dims))
		}
		size := 1
		dims := make([]uint32, len(x.Dims))
		for i, d := range x.Dims {
			if d < 1 || size > min(MaxIDXBytes, math.MaxInt)/d {
				t.Fatalf("dimensions %v", x.Dims)
			}
			size *= d
			dims[i] = uint32(d)
		}
		if len(x.Data) != size {
			t.Fatalf("dimensions %v with %d bytes of data", x.Dims, len(x.Data))
		}

		plain := in
		if zipped {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err == nil {
				plain, err = io.ReadAll(zr)
			}
			if err != nil {
				t.Fatalf("ReadIDX took a gzip stream that gzip does not: %v", err)
			}
		}
		if !bytes.Equal(encodeIDX(dims, x.Data), plain) {
			t.Fatalf("%v and %d bytes do not re-encode to the input",
				x.Dims, len(x.Data))
		}
	})
}
