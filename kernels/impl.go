package kernels

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/backprop-go/backprop/kernels/asm"
)

// EnvVar names the environment variable that, when set, chooses the path
// at start-up in place of the best one this CPU offers.
const EnvVar = "BACKPROP_KERNELS"

// Impl is one implementation of every kernel: a path. Its methods are the
// package-level functions, bound to that path; they check their arguments
// the same way.
type Impl struct {
	name  string
	ew    asm.Elementwise
	gm    *gemmPath
	tiles tileSet   // the epilogues of the fused GEMM forms
	rows  shortRows // the short-row softmax kernels

	// peak runs n iterations of peakFlops flops of independent FMAs.
	peak      func(n int)
	peakFlops int
}

// shortRows names a path's kernels for batches of short rows (see
// rows_amd64.go and rows_arm64.go): rows of min to max elements, none on a
// path whose max is 0. They are called directly, not through func values as the other
// kernels are, so that the per-row results they write stay on the
// caller's stack.
type shortRows struct {
	min, max int
	kind     rowsKind
}

// takes reports whether the kernels take rows of n elements.
func (s shortRows) takes(n int) bool { return s.min <= n && n <= s.max }

type rowsKind int

const (
	noRows rowsKind = iota
	rowsAVX2
	rowsAVX512
	rowsNEON
)

// Name returns the path's name: "generic", "avx2", "avx512" or "neon".
func (p *Impl) Name() string { return p.name }

// String returns the path's name.
func (p *Impl) String() string { return p.name }

// knownPaths names every path of every architecture.
var knownPaths = []string{"avx512", "avx2", "neon", "generic"}

var generic = &Impl{name: "generic", ew: elementwiseGeneric,
	gm: newGemmPath(genericMR, genericNR, genericMicro, packers{}), tiles: genericTiles}

// paths lists every path this CPU can run, best first; the last is always
// the generic one. It is filled at init and never changed.
var paths []*Impl

// current is the path the package-level functions use.
var current atomic.Pointer[Impl]

func init() {
	paths = append(cpuPaths(), generic)
	current.Store(paths[0])
	if v, ok := os.LookupEnv(EnvVar); ok && v != "" {
		if err := SetImplementation(v); err != nil {
			panic(err)
		}
	}
}

// Implementation returns the name of the path the package-level functions
// use.
func Implementation() string { return current.Load().name }

// Available returns the names of the paths this CPU can run, best first.
// The last is always "generic".
func Available() []string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = p.name
	}
	return names
}

// Lookup returns the path of that name, or an error if this CPU cannot run
// it (or no such path exists).
func Lookup(name string) (*Impl, error) {
	for _, p := range paths {
		if p.name == name {
			return p, nil
		}
	}
	if !slices.Contains(knownPaths, name) {
		return nil, fmt.Errorf("kernels: unknown path %q (known: %s)", name, strings.Join(knownPaths, ", "))
	}
	return nil, fmt.Errorf("kernels: path %q is not available on this CPU (available: %s)",
		name, strings.Join(Available(), ", "))
}

// Impls returns every path this CPU can run, best first, for code that
// compares them side by side (tests, benchmarks).
func Impls() []*Impl { return append([]*Impl(nil), paths...) }

// SetImplementation makes the package-level functions use the named path.
// It returns an error, and changes nothing, when this CPU cannot run it.
// It is meant for start-up: calls already running finish on the old path.
func SetImplementation(name string) error {
	p, err := Lookup(name)
	if err != nil {
		return err
	}
	current.Store(p)
	return nil
}

// Current returns the path the package-level functions use.
func Current() *Impl { return current.Load() }
