// Package sgd is mini-batch stochastic gradient descent and its family,
// independent of any model: the optimisers SGD (with momentum and Nesterov),
// Adam (and AdamW) and RMSProp, gradient clipping, learning-rate schedules,
// a mini-batch iterator reshuffled every epoch, and a training loop with the
// classic stopping rules.
//
// A model exposes its parameters as Param slices, each a weight slice W and
// its gradient G. An Optimizer updates every parameter in one fused pass of
// a kernels update step; the state it keeps (velocities, moments, Adam's
// step count) is allocated on the first Step and exported with State for a
// checkpoint. The optimisers follow PyTorch's torch.optim classes of the
// same names with their default options; each type's comment states the
// update and what differs.
//
// A training run, for a Model whose Batch computes the loss and gradients of
// the samples it is given:
//
//	t := sgd.Trainer{
//		Optimizer: &sgd.SGD{Momentum: 0.9},
//		Schedule:  sgd.Warmup{Steps: 100, Then: sgd.Cosine{Base: 0.1, Steps: 10000}},
//		BatchSize: 64,
//		MaxEpochs: 20,
//		Seed:      1,
//	}
//	res, err := t.Run(model, numSamples)
//
// Steps and epochs are counted from 0 everywhere: the step given to a
// Schedule, the Step and Epoch of a DivergedError, and the epoch of Batches.
package sgd
