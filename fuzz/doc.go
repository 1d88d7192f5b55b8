// Package fuzz holds the native Go fuzz targets of backprop: every path of
// package kernels against the pure-Go one or against float64, and the
// model and checkpoint readers of package mlp. It has no API; everything
// is in its tests.
//
// # Targets
//
//	FuzzElementwise  the exact elementwise kernels (Add, Mul, Axpy, Scale, ReLU,
//	                 LeakyReLU, the four deltas, AddBias, SumRows): bit for bit
//	                 equal to the generic path
//	FuzzStream       the same kernels and the exp family at lengths of at least
//	                 2 MiB, where the assembly writes with non-temporal stores
//	FuzzReduce       Dot and Sum: within γ_n·Σ|terms| of a float64 sum, and the
//	                 rules for NaN and infinities
//	FuzzSoftmax      Softmax, LogSoftmax and SoftmaxCrossEntropy against float64,
//	                 with the bounds of the kernels' own tests
//	FuzzExpFamily    Exp, Sigmoid and Tanh within their ULP bounds of float64
//	                 (2, 3 and 3), special and saturated values exact
//	FuzzSgemm        Sgemm against float64 within 2(k+2)·ε·Σ|a·b|, any alpha and
//	                 beta; with beta = 0, C (all NaN) is not read
//	FuzzSgemmFused   SgemmBiasAct and SgemmDelta: bit for bit equal to Sgemm
//	                 followed by the separate kernels on the same path
//	FuzzOptimizer    SGDStep, MomentumStep (and Nesterov), AdamStep, AdamWStep, RMSPropStep:
//	                 bit for bit equal to the generic path
//	FuzzModelRead    mlp.Read on arbitrary bytes: a network that re-encodes to the
//	                 same bytes, or an error wrapping mlp.ErrFormat; no panic, and
//	                 at most 6 bytes allocated per byte of input plus 128 KiB
//	FuzzCheckpointRead
//	                 mlp.ReadCheckpoint (the files of cmd/train -resume) on
//	                 arbitrary bytes: a checkpoint that re-encodes to the same
//	                 bytes, or an error wrapping mlp.ErrFormat; no panic, at most
//	                 9 bytes allocated per byte of input plus 256 KiB, and a state
//	                 that every optimiser takes or refuses without a panic
//
// Every kernel target runs every path this CPU offers, the generic one
// included, so that with the purego build tag it still checks the generic
// path against float64 (or, for the bit-for-bit targets, its arguments and
// memory). FuzzModelRead takes a flag that puts the right checksum at the
// end of the input first, so that the fuzzer gets past it to the checks
// of the layers; FuzzCheckpointRead takes two, for the checkpoint's
// checksum and for that of the model inside it.
//
// The kernel targets decode float32 values from the fuzzer's bytes so that
// NaN, ±Inf, subnormals, −0 and the thresholds of the approximations all
// occur, and place every slice in memory of its own, either flush against
// a page that cannot be read or written (so a kernel that touches one
// element past either end faults, and the fault is reported as a failure;
// in a goroutine of a parallel GEMM it crashes the worker, which the
// fuzzer reports too)
// or between guard bands that must come back untouched; the gaps between
// the rows of a matrix hold NaN (an input's, which must not leak) or guard
// values (an output's, which must stay). Arguments one element short,
// leading dimensions one too small, negative sizes and labels out of range
// must panic with a message that names the argument, having written
// nothing. The package dataset has its own target for the IDX reader,
// FuzzReadIDX, which run.sh fuzzes too.
//
// # Running
//
// go test replays the seeds (those added in code and those committed under
// testdata/fuzz) in a few seconds:
//
//	go test ./fuzz
//
// To fuzz one target, name it exactly; -parallel sets the number of
// worker processes (one per core by default):
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzSgemm$' -fuzztime 60s -parallel 1
//
// run.sh fuzzes every target in turn, 10 s each unless told otherwise,
// with FUZZ_PARALLEL workers if set; it prints the executions and their
// rate for each target and fails if any finds a failing input:
//
//	fuzz/run.sh                    # 10 s per target
//	FUZZ_PARALLEL=1 fuzz/run.sh 2m # 2 minutes per target, one worker
//
// The slow targets are FuzzStream (tens of MiB per execution) and, at some
// thousands of executions per second, FuzzSgemm and FuzzOptimizer. While
// the fuzzer minimizes a new input the count of executions stands still.
//
// A failing input is written to testdata/fuzz/<target>/ and replayed by go
// test from then on; commit it with the fix. To see one in detail:
//
//	go test ./fuzz -run '^FuzzSgemm/0123abcd$' -v
package fuzz
