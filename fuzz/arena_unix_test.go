//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fuzz

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// pageGuards reports whether arenas are bounded by pages that cannot be
// read or written.
const pageGuards = true

// arenaUnit is the smallest arena, in float32: one page on most systems.
var arenaUnit = unix.Getpagesize() / 4

// newArena maps n float32 (a whole number of pages) between two pages that
// cannot be touched: a kernel that reads or writes one element beyond
// either end faults.
func newArena(n int) *arena {
	pg := unix.Getpagesize()
	size := (4*n + pg - 1) / pg * pg
	raw, err := unix.Mmap(-1, 0, size+2*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	if err := unix.Mprotect(raw[:pg], unix.PROT_NONE); err != nil {
		panic(err)
	}
	if err := unix.Mprotect(raw[pg+size:], unix.PROT_NONE); err != nil {
		panic(err)
	}
	return &arena{raw: raw, mem: unsafe.Slice((*float32)(unsafe.Pointer(&raw[pg])), size/4)}
}
