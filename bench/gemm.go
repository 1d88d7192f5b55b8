package bench

import "fmt"

// Shape is one GEMM problem: C (M×N) = op(A) (M×K) · op(B) (K×N).
type Shape struct {
	Name    string
	TA, TB  bool
	M, N, K int

	// Role is, for the products of training the MNIST network, which one
	// it is: "fwd", "wgrad" or "igrad"; empty for the others.
	Role string
}

// Flops is the number of floating-point operations of one product.
func (s Shape) Flops() float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// Square returns the square shapes.
func Square() []Shape {
	var out []Shape
	for _, n := range []int{64, 128, 256, 512, 1024, 2048} {
		out = append(out, Shape{Name: fmt.Sprintf("NN/%d", n), M: n, N: n, K: n})
	}
	return out
}

// MLPShapes returns the products of one training step of the network
// 784-256-128-10 at each batch size, as package mlp runs them (W stored
// In×Out): the forward product X·W (NN), the weight gradient Xᵀ·δ (TN)
// and the input gradient δ·Wᵀ (NT) of each layer. Names give M×K×N.
func MLPShapes() []Shape {
	var out []Shape
	layers := [][2]int{{784, 256}, {256, 128}, {128, 10}}
	for _, batch := range []int{32, 128, 256} {
		for _, l := range layers {
			in, o := l[0], l[1]
			out = append(out,
				Shape{Name: fmt.Sprintf("fwd/%dx%dx%d", batch, in, o), M: batch, N: o, K: in, Role: "fwd"},
				Shape{Name: fmt.Sprintf("wgrad/%dx%dx%d", in, batch, o), TA: true, M: in, N: o, K: batch, Role: "wgrad"})
			if in != 784 { // the first layer's input gradient is never needed
				out = append(out, Shape{Name: fmt.Sprintf("igrad/%dx%dx%d", batch, o, in), TB: true, M: batch, N: in, K: o, Role: "igrad"})
			}
		}
	}
	return out
}

// Operands returns A, B and C for s, filled with small values, and their
// leading dimensions.
func (s Shape) Operands() (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ra, ca := s.M, s.K
	if s.TA {
		ra, ca = s.K, s.M
	}
	rb, cb := s.K, s.N
	if s.TB {
		rb, cb = s.N, s.K
	}
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i%17)/16 - 0.5
		}
		return x
	}
	return fill(ra * ca), ca, fill(rb * cb), cb, fill(s.M * s.N), s.N
}
