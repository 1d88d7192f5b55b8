package dataset

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSpirals(t *testing.T) {
	a := Spirals(100, 3, 0.1, 1)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.N != 300 || a.Features != 2 || a.Classes != 3 {
		t.Fatalf("N, Features, Classes = %d, %d, %d, want 300, 2, 3",
			a.N, a.Features, a.Classes)
	}
	if got := a.Counts(); !slices.Equal(got, []int{100, 100, 100}) {
		t.Errorf("counts %v", got)
	}
	for i := range a.N {
		if a.Y[i] != int32(i%3) {
			t.Fatalf("label %d = %d, want %d", i, a.Y[i], i%3)
		}
	}

	// The same seed gives the same set, another seed another.
	if b := Spirals(100, 3, 0.1, 1); !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Error("Spirals(100, 3, 0.1, 1) differs from itself")
	}
	if b := Spirals(100, 3, 0.1, 2); slices.Equal(a.X, b.X) {
		t.Error("seeds 1 and 2 give the same spirals")
	}

	// Without noise the points lie on the arms: radius (j+½)/n, angle
	// 2π(c/classes + r).
	s := Spirals(50, 4, 0, 7)
	for i := range s.N {
		j, c := i/4, i%4
		r := (float64(j) + 0.5) / 50
		theta := 2 * math.Pi * (float64(c)/4 + r)
		x, y := float64(s.Row(i)[0]), float64(s.Row(i)[1])
		if math.Abs(x-r*math.Cos(theta)) > 1e-6 || math.Abs(y-r*math.Sin(theta)) > 1e-6 {
			t.Fatalf("sample %d = (%v, %v), want radius %v at angle %v",
				i, x, y, r, theta)
		}
	}

	// The noise has about the standard deviation asked for.
	n := Spirals(2000, 2, 0.2, 3)
	var sq float64
	for i := range n.N {
		j, c := i/2, i%2
		r := (float64(j) + 0.5) / 2000
		theta := 2 * math.Pi * (float64(c)/2 + r)
		dx := float64(n.Row(i)[0]) - r*math.Cos(theta)
		dy := float64(n.Row(i)[1]) - r*math.Sin(theta)
		sq += dx*dx + dy*dy
	}
	if sd := math.Sqrt(sq / float64(2*n.N)); sd < 0.19 || sd > 0.21 {
		t.Errorf("noise 0.2: measured standard deviation %v", sd)
	}
}

func TestBlobs(t *testing.T) {
	a := Blobs(200, 4, 3, 0.05, 9)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.N != 800 || a.Features != 3 || a.Classes != 4 {
		t.Fatalf("N, Features, Classes = %d, %d, %d, want 800, 3, 4",
			a.N, a.Features, a.Classes)
	}
	if b := Blobs(200, 4, 3, 0.05, 9); !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Error("Blobs differs from itself")
	}
	if b := Blobs(200, 4, 3, 0.05, 10); slices.Equal(a.X, b.X) {
		t.Error("seeds 9 and 10 give the same blobs")
	}

	// Each blob's mean is in the cube and its points are near it.
	for c := range 4 {
		mean := make([]float64, 3)
		for i := c; i < a.N; i += 4 {
			for k, v := range a.Row(i) {
				mean[k] += float64(v) / 200
			}
		}
		for i := c; i < a.N; i += 4 {
			for k, v := range a.Row(i) {
				if math.Abs(mean[k]) > 1.01 || math.Abs(float64(v)-mean[k]) > 0.3 {
					t.Fatalf("blob %d: point %d coordinate %d = %v, mean %v",
						c, i, k, v, mean[k])
				}
			}
		}
	}
}

func TestSyntheticPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"n", func() { Spirals(0, 2, 0, 1) }, "Spirals: n = 0, classes = 2"},
		{"classes", func() { Spirals(5, 0, 0, 1) }, "classes = 0"},
		{"noise", func() { Spirals(5, 2, -1, 1) }, "noise = -1"},
		{"NaN", func() { Spirals(5, 2, math.NaN(), 1) }, "noise = NaN"},
		{"Inf", func() { Spirals(5, 2, math.Inf(1), 1) }, "noise = +Inf"},
		{"overflow", func() { Spirals(math.MaxInt/2, 3, 0, 1) }, "overflow int"},
		{"features", func() { Blobs(5, 2, 0, 0.1, 1) },
			"Blobs: n = 5, classes = 2, features = 0"},
		{"spread", func() { Blobs(5, 2, 2, -0.1, 1) }, "spread = -0.1"},
	} {
		if got := panicText(c.f); !strings.Contains(got, c.want) {
			t.Errorf("%s: panic %q, want one that says %q", c.name, got, c.want)
		}
	}
}

// TestBarsRoundTrip writes Bars through WriteMNIST and reads it back with
// LoadMNIST: the same values (pixels p/255 survive the bytes exactly) and
// labels, balanced, every image holding its digit's bright column.
func TestBarsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	train, test := Bars(50, 1), Bars(20, 2)
	if err := WriteMNIST(dir, train, test); err != nil {
		t.Fatal(err)
	}
	tr, te, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want *Set }{{tr, train}, {te, test}} {
		if c.got.N != c.want.N || !slices.Equal(c.got.X, c.want.X) || !slices.Equal(c.got.Y, c.want.Y) {
			t.Fatalf("a set of %d does not come back as written", c.want.N)
		}
	}
	for d, n := range train.Counts() {
		if n != 5 {
			t.Fatalf("digit %d: %d samples of 50, want 5", d, n)
		}
	}
	for i := range train.N {
		if train.Row(i)[10*28+2+2*int(train.Y[i])] != 1 {
			t.Fatalf("sample %d (digit %d) lacks its column", i, train.Y[i])
		}
	}
	if a, b := Bars(30, 7), Bars(30, 7); !slices.Equal(a.X, b.X) {
		t.Fatal("the same seed gave other samples")
	}
	bad := &Set{X: make([]float32, 2*3), Y: make([]int32, 2), N: 2, Features: 3, Classes: 2}
	if err := WriteMNIST(dir, bad, test); err == nil {
		t.Fatal("WriteMNIST took a set of 3 features")
	}
}
