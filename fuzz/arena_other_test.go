//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fuzz

// pageGuards reports whether arenas are bounded by pages that cannot be
// read or written: not on this system, where every window has guard bands
// on both sides instead.
const pageGuards = false

const arenaUnit = 1024

func newArena(n int) *arena { return &arena{mem: make([]float32, n)} }
