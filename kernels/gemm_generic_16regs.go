//go:build amd64 || 386

package kernels

// The generic micro-kernel where there are 16 floating-point registers or
// fewer; see sgemmMicroGeneric.
const genericMR, genericNR = 3, 3

var genericMicro = sgemmMicroGeneric3
