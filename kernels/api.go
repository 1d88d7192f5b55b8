package kernels

// The package-level functions run on the current path (see Implementation
// and SetImplementation); each is documented on the Impl method it calls.

// Axpy adds alpha·x to y; see Impl.Axpy.
func Axpy(alpha float32, x, y []float32) { current.Load().Axpy(alpha, x, y) }

// Scale multiplies x by alpha in place; see Impl.Scale.
func Scale(alpha float32, x []float32) { current.Load().Scale(alpha, x) }

// Add stores x + y in dst; see Impl.Add.
func Add(dst, x, y []float32) { current.Load().Add(dst, x, y) }

// Mul stores the elementwise product of x and y in dst; see Impl.Mul.
func Mul(dst, x, y []float32) { current.Load().Mul(dst, x, y) }

// Dot returns the inner product of x and y; see Impl.Dot.
func Dot(x, y []float32) float32 { return current.Load().Dot(x, y) }

// Sum returns the sum of x; see Impl.Sum.
func Sum(x []float32) float32 { return current.Load().Sum(x) }

// AddBias adds bias to every row of x; see Impl.AddBias.
func AddBias(x, bias []float32) { current.Load().AddBias(x, bias) }

// SumRows stores the sum of the rows of x in dst; see Impl.SumRows.
func SumRows(dst, x []float32) { current.Load().SumRows(dst, x) }

// ReLU stores max(x, 0) in dst; see Impl.ReLU.
func ReLU(dst, x []float32) { current.Load().ReLU(dst, x) }

// LeakyReLU stores x, or alpha·x where x < 0, in dst; see Impl.LeakyReLU.
func LeakyReLU(dst, x []float32, alpha float32) { current.Load().LeakyReLU(dst, x, alpha) }

// Exp stores e^x in dst; see Impl.Exp.
func Exp(dst, x []float32) { current.Load().Exp(dst, x) }

// Sigmoid stores 1/(1+e^−x) in dst; see Impl.Sigmoid.
func Sigmoid(dst, x []float32) { current.Load().Sigmoid(dst, x) }

// Tanh stores tanh(x) in dst; see Impl.Tanh.
func Tanh(dst, x []float32) { current.Load().Tanh(dst, x) }

// Softmax stores the softmax of each row of n elements of x in dst; see
// Impl.Softmax.
func Softmax(dst, x []float32, n int) { current.Load().Softmax(dst, x, n) }

// LogSoftmax stores the log-softmax of each row of n elements of x in dst;
// see Impl.LogSoftmax.
func LogSoftmax(dst, x []float32, n int) { current.Load().LogSoftmax(dst, x, n) }

// ReLUDelta stores g where z > 0, else 0, in dst; see Impl.ReLUDelta.
func ReLUDelta(dst, g, z []float32) { current.Load().ReLUDelta(dst, g, z) }

// LeakyReLUDelta stores g where z > 0, else alpha·g, in dst; see
// Impl.LeakyReLUDelta.
func LeakyReLUDelta(dst, g, z []float32, alpha float32) {
	current.Load().LeakyReLUDelta(dst, g, z, alpha)
}

// SigmoidDelta stores g·a(1−a) in dst; see Impl.SigmoidDelta.
func SigmoidDelta(dst, g, a []float32) { current.Load().SigmoidDelta(dst, g, a) }

// TanhDelta stores g·(1−a)(1+a) in dst; see Impl.TanhDelta.
func TanhDelta(dst, g, a []float32) { current.Load().TanhDelta(dst, g, a) }

// SoftmaxCrossEntropy returns the summed softmax cross-entropy of rows of
// logits and stores its scaled gradient in dst; see
// Impl.SoftmaxCrossEntropy.
func SoftmaxCrossEntropy(dst, logits []float32, labels []int32, n int, scale float32) float64 {
	return current.Load().SoftmaxCrossEntropy(dst, logits, labels, n, scale)
}
