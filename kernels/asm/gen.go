// Package asm holds the generated assembly of package kernels and its Go
// declarations. Nothing here checks its arguments and nothing here is a
// stable API: call package kernels instead.
//
// Every file but this one is written by the generator in gen/; regenerate
// with go generate ./... from the repository root.
package asm

//go:generate go run -C ../../gen . -dir ../kernels/asm
