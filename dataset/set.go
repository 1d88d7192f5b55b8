// Package dataset provides the data that backprop trains on and tests
// with: a reader for the IDX files of MNIST, the MNIST digits themselves
// (found in the module cache, with no download step of their own), and
// small synthetic sets made from a seed.
//
// Every set is a Set: N samples of Features float32 values each, row-major
// in one slice, and one class label per sample.
package dataset

import (
	"fmt"
	"math"
)

// Set is a labelled data set for classification.
type Set struct {
	X        []float32 // N rows of Features values, row-major: len(X) = N·Features
	Y        []int32   // the class of each row, in [0, Classes): len(Y) = N
	N        int       // the number of samples
	Features int       // the number of values per sample
	Classes  int       // the number of classes
}

// Validate returns an error unless s is consistent: its sizes are not
// negative, its slices have the lengths that N and Features give, and
// every label is in [0, Classes). A Set from this package always is;
// Validate is for sets built elsewhere, which the methods of Set assume
// consistent.
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.Features < 0 || s.Classes < 0:
		return fmt.Errorf("dataset: negative size: N = %d, Features = %d, Classes = %d",
			s.N, s.Features, s.Classes)
	case s.Features > 0 && s.N > math.MaxInt/s.Features:
		return fmt.Errorf("dataset: N·Features = %d·%d overflows int", s.N, s.Features)
	case len(s.X) != s.N*s.Features:
		return fmt.Errorf("dataset: len(X) = %d, want N·Features = %d·%d = %d",
			len(s.X), s.N, s.Features, s.N*s.Features)
	case len(s.Y) != s.N:
		return fmt.Errorf("dataset: len(Y) = %d, want N = %d", len(s.Y), s.N)
	}
	for i, y := range s.Y {
		if y < 0 || int64(y) >= int64(s.Classes) {
			return fmt.Errorf("dataset: label %d of sample %d is outside [0, %d)",
				y, i, s.Classes)
		}
	}
	return nil
}

// Row returns the features of sample i, a slice of s.X (not a copy).
func (s *Set) Row(i int) []float32 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("dataset: Row: index %d out of range [0, %d)", i, s.N))
	}
	f := s.Features
	return s.X[i*f : (i+1)*f : (i+1)*f]
}

// Slice returns the samples lo to hi-1 of s as a Set that shares s's
// memory, like the slice expression s[lo:hi].
func (s *Set) Slice(lo, hi int) *Set {
	if lo < 0 || hi < lo || hi > s.N {
		panic(fmt.Sprintf("dataset: Slice: bounds [%d:%d] out of range for N = %d",
			lo, hi, s.N))
	}
	f := s.Features
	return &Set{
		X:        s.X[lo*f : hi*f : hi*f],
		Y:        s.Y[lo:hi:hi],
		N:        hi - lo,
		Features: f,
		Classes:  s.Classes,
	}
}

// Subset returns a copy of the samples of s whose label is one of labels,
// in their order in s. With remap false the labels and Classes stay as
// they are; with remap true, labels[k] becomes k and Classes becomes
// len(labels). For example, with MNIST,
//
//	low := train.Subset([]int32{0, 1, 2, 3, 4}, true)  // digits 0–4 as 0–4
//	high := train.Subset([]int32{5, 6, 7, 8, 9}, true) // digits 5–9 as 0–4
//
// give two five-class problems for a network and a fine-tuned copy. A
// label outside [0, Classes) or given twice is a programmer error and
// panics.
func (s *Set) Subset(labels []int32, remap bool) *Set {
	to := make([]int32, s.Classes)
	for i := range to {
		to[i] = -1
	}
	for k, y := range labels {
		if y < 0 || int64(y) >= int64(s.Classes) {
			panic(fmt.Sprintf("dataset: Subset: label %d outside [0, %d)",
				y, s.Classes))
		}
		if to[y] >= 0 {
			panic(fmt.Sprintf("dataset: Subset: label %d given twice", y))
		}
		to[y] = y
		if remap {
			to[y] = int32(k)
		}
	}

	n := 0
	for _, y := range s.Y {
		if to[y] >= 0 {
			n++
		}
	}
	f := s.Features
	sub := &Set{
		X:        make([]float32, 0, n*f),
		Y:        make([]int32, 0, n),
		N:        n,
		Features: f,
		Classes:  s.Classes,
	}
	if remap {
		sub.Classes = len(labels)
	}
	for i, y := range s.Y {
		if to[y] >= 0 {
			sub.X = append(sub.X, s.X[i*f:(i+1)*f]...)
			sub.Y = append(sub.Y, to[y])
		}
	}
	return sub
}

// Counts returns the number of samples of each class.
func (s *Set) Counts() []int {
	c := make([]int, s.Classes)
	for _, y := range s.Y {
		c[y]++
	}
	return c
}
