//go:build purego || !gc || !(amd64 || arm64)

package kernels

// asmBuild reports whether this build has assembly paths.
const asmBuild = false

// cpuPaths returns no assembly path: this build has none.
func cpuPaths() []*Impl { return nil }
