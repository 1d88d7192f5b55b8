package dataset

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// small returns a set of 6 samples of 2 features in 4 classes; sample i
// is (i, 10·i) with label i mod 4.
func small() *Set {
	s := &Set{N: 6, Features: 2, Classes: 4}
	for i := range s.N {
		s.X = append(s.X, float32(i), float32(10*i))
		s.Y = append(s.Y, int32(i%4))
	}
	return s
}

func TestSubset(t *testing.T) {
	s := small()
	for _, c := range []struct {
		labels  []int32
		remap   bool
		x       []float32
		y       []int32
		classes int
	}{
		{[]int32{1, 3}, false, []float32{1, 10, 3, 30, 5, 50}, []int32{1, 3, 1}, 4},
		{[]int32{3, 1}, true, []float32{1, 10, 3, 30, 5, 50}, []int32{1, 0, 1}, 2},
		{[]int32{2}, true, []float32{2, 20}, []int32{0}, 1},
		{[]int32{0, 1, 2, 3}, false, s.X, s.Y, 4},
		{nil, false, []float32{}, []int32{}, 4},
		{nil, true, []float32{}, []int32{}, 0},
	} {
		sub := s.Subset(c.labels, c.remap)
		if err := sub.Validate(); err != nil {
			t.Errorf("Subset(%v, %v): %v", c.labels, c.remap, err)
		}
		if !slices.Equal(sub.X, c.x) || !slices.Equal(sub.Y, c.y) ||
			sub.N != len(c.y) || sub.Features != 2 || sub.Classes != c.classes {
			t.Errorf("Subset(%v, %v) = %+v, want X %v, Y %v, Classes %d",
				c.labels, c.remap, sub, c.x, c.y, c.classes)
		}
	}
	// The subset is a copy.
	sub := s.Subset([]int32{0}, false)
	sub.X[0] = -1
	if s.X[0] != 0 {
		t.Error("Subset shares memory with its set")
	}
	if !slices.Equal(s.X, small().X) || !slices.Equal(s.Y, small().Y) {
		t.Error("Subset changed its set")
	}
}

func TestSliceRowCounts(t *testing.T) {
	s := small()
	sl := s.Slice(2, 5)
	if sl.N != 3 || !slices.Equal(sl.X, []float32{2, 20, 3, 30, 4, 40}) ||
		!slices.Equal(sl.Y, []int32{2, 3, 0}) || sl.Classes != 4 {
		t.Errorf("Slice(2, 5) = %+v", sl)
	}
	if err := sl.Validate(); err != nil {
		t.Error(err)
	}
	if sl.Row(1)[1] != 30 || len(sl.Row(2)) != 2 || cap(sl.Row(2)) != 2 {
		t.Errorf("Slice(2, 5).Row: %v", sl.Row(1))
	}
	if e := s.Slice(6, 6); e.N != 0 || len(e.X) != 0 || len(e.Y) != 0 {
		t.Errorf("Slice(6, 6) = %+v", e)
	}
	if got := s.Counts(); !slices.Equal(got, []int{2, 2, 1, 1}) {
		t.Errorf("Counts() = %v", got)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Set)
		want string
	}{
		{"negative", func(s *Set) { s.Classes = -1 }, "negative size"},
		{"short X", func(s *Set) { s.X = s.X[:11] },
			"len(X) = 11, want N·Features = 6·2 = 12"},
		{"long Y", func(s *Set) { s.Y = append(s.Y, 0) }, "len(Y) = 7, want N = 6"},
		{"label", func(s *Set) { s.Y[4] = 4 }, "label 4 of sample 4 is outside [0, 4)"},
		{"negative label", func(s *Set) { s.Y[1] = -1 }, "label -1 of sample 1"},
		{"overflow", func(s *Set) { s.N, s.Features = math.MaxInt/2, 3 }, "overflows int"},
	} {
		s := small()
		c.edit(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error that says %q",
				c.name, err, c.want)
		}
	}
}

func TestSetPanics(t *testing.T) {
	s := small()
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"Row", func() { s.Row(6) }, "Row: index 6 out of range [0, 6)"},
		{"Row -1", func() { s.Row(-1) }, "Row: index -1"},
		{"Slice", func() { s.Slice(3, 7) }, "Slice: bounds [3:7] out of range for N = 6"},
		{"Slice reversed", func() { s.Slice(3, 2) }, "Slice: bounds [3:2]"},
		{"Subset range", func() { s.Subset([]int32{4}, false) }, "label 4 outside [0, 4)"},
		{"Subset twice", func() { s.Subset([]int32{1, 2, 1}, true) },
			"label 1 given twice"},
	} {
		if got := panicText(c.f); !strings.Contains(got, c.want) {
			t.Errorf("%s: panic %q, want one that says %q", c.name, got, c.want)
		}
	}
}

// panicText returns the value that f panics with, as text, or "".
func panicText(f func()) (text string) {
	defer func() {
		if r := recover(); r != nil {
			text, _ = r.(string)
			if text == "" {
				text = "non-string panic"
			}
		}
	}()
	f()
	return ""
}
