//go:build !amd64 && !386

package kernels

// The generic micro-kernel where there are 32 floating-point registers;
// see sgemmMicroGeneric.
const genericMR, genericNR = 4, 4

var genericMicro = sgemmMicroGeneric
