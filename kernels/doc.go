// Package kernels is the fp32 compute layer of backprop: level-1 vector
// operations, the activations and their derivatives, the delta products
// of backpropagation, δ = g ⊙ σ'(·), each in one pass, the optimisers'
// update steps, and Sgemm with its fused forms for dense layers.
//
// Every kernel has a pure-Go implementation, the reference, and assembly
// implementations (AVX2+FMA and AVX-512 on amd64, NEON on arm64) generated
// from one description by the generator in gen/. The best path this CPU
// can run is chosen once at start-up; Implementation names it and
// Available lists the others. The environment variable BACKPROP_KERNELS
// (generic, avx2, avx512 or neon) or SetImplementation forces another; a
// path the CPU cannot run is an error, never an illegal instruction. The
// purego build tag leaves every line of assembly out.
//
// Kernels take slices, never a tensor type. Lengths must match and an
// output may be one of its inputs but must not overlap one partially; a
// mistake panics, naming the kernel and the argument, before anything is
// written. Results are bit-for-bit the same on every path, except where a
// kernel's documentation states a bound: sums (partial sums in a different
// order) and the exp-based functions (within a few ULP).
package kernels
