package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// The MNIST files, each of which may also carry a .gz suffix.
const (
	MNISTTrainImages = "train-images-idx3-ubyte"
	MNISTTrainLabels = "train-labels-idx1-ubyte"
	MNISTTestImages  = "t10k-images-idx3-ubyte"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte"
)

// The shape of MNIST: 28×28 images of the digits 0 to 9.
const (
	MNISTRows    = 28
	MNISTCols    = 28
	MNISTClasses = 10
)

// LoadMNIST reads the MNIST training set (60000 images) and test set
// (10000 images) from the four IDX files in dir, each plain or gzipped
// (with a .gz suffix; the plain file wins when both exist). MNISTDir finds
// such a directory.
//
// Each sample is one 28×28 image, row by row, with the pixel values p
// mapped to p/255 in [0, 1]; its label is its digit. LoadMNIST checks that
// the image files hold N×28×28 bytes, the label files N labels for the same
// N, and that every label is a digit.
func LoadMNIST(dir string) (train, test *Set, err error) {
	train, err = loadMNISTPair(dir, MNISTTrainImages, MNISTTrainLabels)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadMNISTPair(dir, MNISTTestImages, MNISTTestLabels)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// WriteMNIST writes train and test into dir (which must exist) as the four
// MNIST IDX files, plain, in the layout LoadMNIST reads: each value v of
// the 28×28 images becomes the byte round(255·v), v clamped to [0, 1] (NaN
// becoming 0), so that sets of pixels p/255 come back exactly. Both sets must have 784
// features and digit labels. It is for small sets (see Bars): each file is
// written whole, and a failure may leave some of the four written.
func WriteMNIST(dir string, train, test *Set) error {
	for _, s := range []*Set{train, test} {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("dataset: WriteMNIST: %w", err)
		}
		if s.Features != MNISTRows*MNISTCols || s.Classes > MNISTClasses {
			return fmt.Errorf("dataset: WriteMNIST: a set of %d features and %d classes, want %d and at most %d",
				s.Features, s.Classes, MNISTRows*MNISTCols, MNISTClasses)
		}
	}
	for _, f := range []struct {
		set            *Set
		images, labels string
	}{{train, MNISTTrainImages, MNISTTrainLabels}, {test, MNISTTestImages, MNISTTestLabels}} {
		s := f.set
		img := idxHeader(3, s.N, MNISTRows, MNISTCols)
		for _, v := range s.X {
			b := byte(0) // NaN
			if v == v {
				b = byte(math.Round(255 * min(max(float64(v), 0), 1)))
			}
			img = append(img, b)
		}
		lab := idxHeader(1, s.N)
		for _, y := range s.Y {
			lab = append(lab, byte(y))
		}
		if err := os.WriteFile(filepath.Join(dir, f.images), img, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.labels), lab, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// idxHeader returns the header of an IDX file of unsigned bytes with the
// given dimensions.
func idxHeader(rank int, dims ...int) []byte {
	b := []byte{0, 0, 0x08, byte(rank)}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return b
}

// loadMNISTPair reads one set from its images and labels files in dir.
func loadMNISTPair(dir, images, labels string) (*Set, error) {
	img, imgPath, err := readIDXFile(dir, images)
	if err != nil {
		return nil, err
	}
	if len(img.Dims) != 3 || img.Dims[1] != MNISTRows || img.Dims[2] != MNISTCols {
		return nil, fmt.Errorf("dataset: %s: images of shape %s, want N×%d×%d",
			imgPath, intShape(img.Dims), MNISTRows, MNISTCols)
	}
	lab, labPath, err := readIDXFile(dir, labels)
	if err != nil {
		return nil, err
	}
	if len(lab.Dims) != 1 {
		return nil, fmt.Errorf("dataset: %s: labels of shape %s, want one dimension",
			labPath, intShape(lab.Dims))
	}
	n := img.Dims[0]
	if lab.Dims[0] != n {
		return nil, fmt.Errorf("dataset: %s holds %d images but %s holds %d labels",
			imgPath, n, labPath, lab.Dims[0])
	}

	s := &Set{
		X:        make([]float32, len(img.Data)),
		Y:        make([]int32, n),
		N:        n,
		Features: MNISTRows * MNISTCols,
		Classes:  MNISTClasses,
	}
	for i, y := range lab.Data {
		if y >= MNISTClasses {
			return nil, fmt.Errorf("dataset: %s: label %d of sample %d is not a digit",
				labPath, y, i)
		}
		s.Y[i] = int32(y)
	}
	var scale [256]float32
	for p := range scale {
		scale[p] = float32(p) / 255
	}
	for i, p := range img.Data {
		s.X[i] = scale[p]
	}
	return s, nil
}

// readIDXFile reads the IDX file dir/name, or else dir/name.gz, and
// returns it with the path it read.
func readIDXFile(dir, name string) (*IDX, string, error) {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		path += ".gz"
		f, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("dataset: %s holds neither %s nor %s.gz",
				dir, name, name)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	x, err := readIDX(f)
	if err != nil {
		return nil, "", fmt.Errorf("dataset: %s: %w", path, err)
	}
	return x, path, nil
}

// intShape formats dimensions as 60000×28×28.
func intShape(dims []int) string {
	u := make([]uint32, len(dims))
	for i, d := range dims {
		u[i] = uint32(d)
	}
	return shape(u)
}
