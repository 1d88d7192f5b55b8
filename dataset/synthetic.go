package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// The second PCG word of each generator, so that one seed gives unrelated
// streams to Spirals and Blobs.
const (
	spiralsStream = 0x53504952414c53 // "SPIRALS"
	blobsStream   = 0x424c4f4253     // "BLOBS"
	barsStream    = 0x42415253       // "BARS"
)

// spiralTurns is how many turns each arm of Spirals makes.
const spiralTurns = 1

// Spirals returns n points of each of classes interleaved spiral arms in
// the plane, a small problem that no linear classifier solves.
//
// Point j of arm c lies at radius r = (j+½)/n and angle
// θ = 2π·(c/classes + r), so the arms, evenly spread, each make one turn
// from the centre to the unit circle; then each coordinate gets Gaussian
// noise of standard deviation noise. Sample j·classes+c is point j of arm
// c, with label c, so any prefix of the set is balanced. The points depend
// only on the arguments, drawn from a PCG generator seeded with seed.
//
// n and classes must be positive and noise finite and not negative.
func Spirals(n, classes int, noise float64, seed uint64) *Set {
	s := newSynthetic("Spirals", n, classes, 2)
	if !(noise >= 0) || math.IsInf(noise, 1) {
		panic(fmt.Sprintf("dataset: Spirals: noise = %v, want finite and ≥ 0", noise))
	}
	rng := rand.New(rand.NewPCG(seed, spiralsStream))
	for j := range n {
		r := (float64(j) + 0.5) / float64(n)
		for c := range classes {
			theta := 2 * math.Pi * (float64(c)/float64(classes) + spiralTurns*r)
			i := j*classes + c
			s.X[2*i] = float32(r*math.Cos(theta) + noise*rng.NormFloat64())
			s.X[2*i+1] = float32(r*math.Sin(theta) + noise*rng.NormFloat64())
			s.Y[i] = int32(c)
		}
	}
	return s
}

// Blobs returns n points of each of classes Gaussian blobs in features
// dimensions.
//
// The centre of each blob is drawn uniformly from the cube [-1, 1]^features
// and each point is its centre plus Gaussian noise of standard deviation
// spread in each coordinate. As in Spirals, sample j·classes+c is point j
// of blob c, with label c, and the set depends only on the arguments,
// drawn from a PCG generator seeded with seed.
//
// n, classes and features must be positive and spread finite and not
// negative.
func Blobs(n, classes, features int, spread float64, seed uint64) *Set {
	s := newSynthetic("Blobs", n, classes, features)
	if !(spread >= 0) || math.IsInf(spread, 1) {
		panic(fmt.Sprintf("dataset: Blobs: spread = %v, want finite and ≥ 0", spread))
	}
	rng := rand.New(rand.NewPCG(seed, blobsStream))
	centres := make([]float64, classes*features)
	for i := range centres {
		centres[i] = 2*rng.Float64() - 1
	}
	for j := range n {
		for c := range classes {
			i := j*classes + c
			for k := range features {
				v := centres[c*features+k] + spread*rng.NormFloat64()
				s.X[i*features+k] = float32(v)
			}
			s.Y[i] = int32(c)
		}
	}
	return s
}

// Bars returns n MNIST-shaped samples, 28×28 images of 784 values in
// [0, 1] with labels 0–9, that a network learns in an epoch: the image of
// digit d is noise in [0, 40/255) with a bright column (1) at x = 2+2d.
// Sample i's label is i mod 10, so any prefix of ten or more is balanced;
// the noise is drawn from a PCG generator seeded with seed. With
// WriteMNIST it stands in for MNIST where the real digits cannot be
// fetched, as in the tests of the commands.
//
// n must be positive.
func Bars(n int, seed uint64) *Set {
	if n < 1 {
		panic(fmt.Sprintf("dataset: Bars: n = %d, want ≥ 1", n))
	}
	s := newSynthetic("Bars", n, 1, MNISTRows*MNISTCols)
	s.Classes = MNISTClasses
	rng := rand.New(rand.NewPCG(seed, barsStream))
	for i := range n {
		d := i % 10
		s.Y[i] = int32(d)
		row := s.X[i*s.Features : (i+1)*s.Features]
		for p := range row {
			row[p] = float32(rng.IntN(40)) / 255
			if p%MNISTCols == 2+2*d {
				row[p] = 1
			}
		}
	}
	return s
}

// newSynthetic checks the sizes of a synthetic set and allocates it.
func newSynthetic(op string, n, classes, features int) *Set {
	if n < 1 || classes < 1 || features < 1 {
		panic(fmt.Sprintf("dataset: %s: n = %d, classes = %d, features = %d, want all ≥ 1",
			op, n, classes, features))
	}
	if classes > math.MaxInt32 {
		panic(fmt.Sprintf("dataset: %s: classes = %d does not fit an int32 label",
			op, classes))
	}
	if n > math.MaxInt/classes/features {
		panic(fmt.Sprintf("dataset: %s: %d·%d·%d values overflow int",
			op, n, classes, features))
	}
	return &Set{
		X:        make([]float32, n*classes*features),
		Y:        make([]int32, n*classes),
		N:        n * classes,
		Features: features,
		Classes:  classes,
	}
}
