package fuzz

import (
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/backprop-go/backprop/kernels"
)

// The paths: generic, the reference, and the others this CPU can run, each
// compared with it. paths is generic followed by the others.
var (
	generic = func() *kernels.Impl {
		p, err := kernels.Lookup("generic")
		if err != nil {
			panic(err)
		}
		return p
	}()
	others = func() []*kernels.Impl {
		var out []*kernels.Impl
		for _, p := range kernels.Impls() {
			if p.Name() != "generic" {
				out = append(out, p)
			}
		}
		return out
	}()
	paths = append([]*kernels.Impl{generic}, others...)
)

const eps32 = 0x1p-24 // the unit roundoff of float32

// Values that no arithmetic produces: guard surrounds every slice and fills
// the gaps between the rows of an output matrix, which must stay as they
// are; padNaN fills the gaps between the rows of an input matrix, which
// must not leak into a result.
var (
	guard  = math.Float32frombits(0x7fa5a5a5)
	padNaN = math.Float32frombits(0x7fc0beef)
)

// specials are the values the decoder picks from one time in eight (or 64):
// zeros, infinities, NaNs (quiet, negative, signalling), the extremes of
// the normal and subnormal ranges, and the thresholds of the exp family.
var specials = [32]float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5,
	float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00000), math.Float32frombits(0x7f800001),
	math.MaxFloat32, -math.MaxFloat32,
	math.Float32frombits(1), math.Float32frombits(0x80000001), // smallest subnormal
	math.Float32frombits(0x007fffff), math.Float32frombits(0x807fffff), // largest subnormal
	math.Float32frombits(0x00800000), math.Float32frombits(0x80800000), // smallest normal
	88.72, 88.7228, 89, -87.33, -103.97, -104, -150,
	0.1732868, -0.17328681, 9.010913, 9.1, 9, -10, // tanh's: n = 1, rounding to 1, the clamp
}

// A source decodes float32 values (and bytes) from the fuzzer's bytes;
// when they run out it goes on with a generator seeded from them, so a
// short input can describe a long vector and the result stays a function
// of the input.
type source struct {
	data []byte
	pos  int
	rng  uint64
	buf  uint64 // bytes of the generator not yet used
	nbuf int
	prof uint8
	lo   int // the range of exponents of the ordinary numbers of the
	hi   int // profiles but the moderate one
}

// The profiles of values, chosen by the fuzzer.
const (
	profModerate  = iota // ordinary numbers, 2^−8 ≤ |x| < 16
	profWide             // ordinary numbers, 2^lo ≤ |x| < 2^(hi+1), by default 2^−30 to 2^30
	profSprinkled        // wide, with 1 in 32 a special value or random bits
	profSpecial          // wide, with 1 in 4 a special value and 1 in 4 random bits
	numProfiles
)

func newSource(data []byte, prof uint8) *source {
	h := fnv.New64a()
	h.Write(data)
	return &source{data: data, rng: h.Sum64() ^ uint64(len(data)), prof: prof % numProfiles, lo: -30, hi: 29}
}

func (s *source) byte() byte {
	if s.pos < len(s.data) {
		b := s.data[s.pos]
		s.pos++
		return b
	}
	if s.nbuf == 0 {
		// splitmix64
		s.rng += 0x9e3779b97f4a7c15
		z := s.rng
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		s.buf, s.nbuf = z^z>>31, 8
	}
	b := byte(s.buf)
	s.buf >>= 8
	s.nbuf--
	return b
}

func (s *source) u32() uint32 {
	return uint32(s.byte()) | uint32(s.byte())<<8 | uint32(s.byte())<<16 | uint32(s.byte())<<24
}

// f32 decodes one value according to the profile.
func (s *source) f32() float32 {
	tag := s.byte()
	switch s.prof {
	case profModerate:
		return s.ordinary(tag, -8, 3)
	case profWide:
		return s.ordinary(tag, s.lo, s.hi)
	case profSprinkled:
		switch {
		case tag < 4:
			return specials[s.byte()%32]
		case tag < 8:
			return math.Float32frombits(s.u32())
		}
		return s.ordinary(tag, s.lo, s.hi)
	}
	switch {
	case tag < 64:
		return specials[tag%32]
	case tag < 128:
		return math.Float32frombits(s.u32())
	}
	return s.ordinary(tag, s.lo, s.hi)
}

// ordinary is ±1.m·2^e with e in [lo, hi], the sign and exponent from tag
// and a full 23-bit mantissa from the next three bytes.
func (s *source) ordinary(tag byte, lo, hi int) float32 {
	e := lo + int(tag>>1)%(hi-lo+1)
	m := uint32(s.byte()) | uint32(s.byte())<<8 | uint32(s.byte()&0x7f)<<16
	return math.Float32frombits(uint32(tag&1)<<31 | uint32(e+127)<<23 | m)
}

func (s *source) fill(dst []float32) {
	for i := range dst {
		dst[i] = s.f32()
	}
}

func (s *source) floats(n int) []float32 {
	v := make([]float32, n)
	s.fill(v)
	return v
}

// Memory: each slice a kernel receives is a window of an arena of its own,
// placed flush against one of the arena's ends (beyond which is a page that
// cannot be read or written, where the system allows it) or in the middle,
// at an offset the fuzzer chooses; up to band elements on each side are
// guard values, checked after the call.

const band = 64

type arena struct {
	raw []byte    // the mapping, with its protected pages
	mem []float32 // the usable part
}

var arenas struct {
	sync.Mutex
	free map[int][]*arena // by usable length
}

// getArena returns an arena of at least n float32, reusing a free one.
func getArena(n int) *arena {
	size := arenaUnit
	for size < n {
		size *= 2
	}
	arenas.Lock()
	defer arenas.Unlock()
	if l := arenas.free[size]; len(l) > 0 {
		a := l[len(l)-1]
		arenas.free[size] = l[:len(l)-1]
		return a
	}
	return newArena(size)
}

func putArena(a *arena) {
	arenas.Lock()
	defer arenas.Unlock()
	if arenas.free == nil {
		arenas.free = make(map[int][]*arena)
	}
	arenas.free[len(a.mem)] = append(arenas.free[len(a.mem)], a)
}

// A win is a slice in an arena: mem[lo:hi], with guards in [glo, lo) and
// [hi, ghi).
type win struct {
	a                *arena
	lo, hi, glo, ghi int
}

// newWin places n elements as how says: flush against the end (how%4 = 0)
// or the start (1) of the arena, or at offset how>>2 (mod 32) from the
// start of a guard band (2, 3). Its content is left as it was: fill it.
func newWin(n int, how uint8) *win {
	a := getArena(n + 2*band + 32)
	u := len(a.mem)
	off := band + int(how>>2)%32
	lo := off
	switch {
	case how%4 == 0 && pageGuards:
		lo = u - n
	case how%4 == 1 && pageGuards:
		lo = 0
	}
	w := &win{a: a, lo: lo, hi: lo + n, glo: max(0, lo-band), ghi: min(u, lo+n+band)}
	for i := w.glo; i < w.lo; i++ {
		a.mem[i] = guard
	}
	for i := w.hi; i < w.ghi; i++ {
		a.mem[i] = guard
	}
	return w
}

// s returns the window, its capacity its length.
func (w *win) s() []float32 { return w.a.mem[w.lo:w.hi:w.hi] }

// all returns the window with its guards.
func (w *win) all() []float32 { return w.a.mem[w.glo:w.ghi] }

// guardsOK returns "" or what was written outside the window.
func (w *win) guardsOK() string {
	for i := w.glo; i < w.ghi; i++ {
		if i == w.lo {
			i = w.hi
			if i >= w.ghi {
				break
			}
		}
		if v := w.a.mem[i]; math.Float32bits(v) != math.Float32bits(guard) {
			return fmt.Sprintf("element %d of the guard band (window of %d) was overwritten with %v",
				i-w.lo, w.hi-w.lo, v)
		}
	}
	return ""
}

func (w *win) free() { putArena(w.a) }

// freeAll releases windows, skipping nil ones.
func freeAll(ws ...*win) {
	for _, w := range ws {
		if w != nil {
			w.free()
		}
	}
}

// bitsOf returns the memory of s as its bits.
func bitsOf(s []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// snapshot returns the bits of s.
func snapshot(s []float32) []uint32 { return slices.Clone(bitsOf(s)) }

// changed returns the first index where s differs from the snapshot, or −1.
func changed(s []float32, snap []uint32) int {
	b := bitsOf(s)
	if slices.Equal(b, snap) {
		return -1
	}
	for i, v := range b {
		if v != snap[i] {
			return i
		}
	}
	return -1
}

// sameBits reports whether a and b are the same float32, every NaN being
// the same.
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// firstDiff returns the first index where got and want differ (sameBits),
// or −1.
func firstDiff(got, want []float32) int {
	for i := range want {
		if !sameBits(got[i], want[i]) {
			return i
		}
	}
	return -1
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// call runs f and returns what it panicked with, or nil.
func call(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// fault returns the address of a memory fault that p reports, if it is
// one: the fuzz functions turn faults into panics (debug.SetPanicOnFault).
func fault(p any) (uintptr, bool) {
	if e, ok := p.(runtime.Error); ok {
		if a, ok := e.(interface{ Addr() uintptr }); ok && a.Addr() >= 4096 {
			return a.Addr(), true
		}
	}
	return 0, false
}

// mustRun fails the test if f panics.
func mustRun(t *testing.T, what string, f func()) {
	t.Helper()
	p := call(f)
	if p == nil {
		return
	}
	if a, ok := fault(p); ok {
		t.Fatalf("%s: memory fault at %#x: the kernel touched memory outside its slices", what, a)
	}
	t.Fatalf("%s: unexpected panic: %v", what, p)
}

// mustPanic fails the test unless f panics with a message containing every
// one of subs.
func mustPanic(t *testing.T, what string, f func(), subs ...string) {
	t.Helper()
	p := call(f)
	if p == nil {
		t.Fatalf("%s: no panic, want one mentioning %q", what, subs)
	}
	if a, ok := fault(p); ok {
		t.Fatalf("%s: memory fault at %#x instead of a panic on the arguments", what, a)
	}
	msg := fmt.Sprint(p)
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			t.Fatalf("%s: panic %q does not mention %q", what, msg, s)
		}
	}
}

// ulpAt returns the spacing of float32 numbers at |x| (that of the normal
// numbers at and above the largest one).
func ulpAt(x float64) float64 {
	x = math.Abs(x)
	if x < 0x1p-126 {
		return 0x1p-149
	}
	if x >= math.MaxFloat32 {
		return 0x1p104
	}
	_, e := math.Frexp(x)
	return math.Ldexp(1, e-24)
}

// ulpErr returns the distance from y to the exact t in ULP of float32 at t.
// An infinity counts as one step beyond MaxFloat32; NaN against a number,
// or infinities of different signs, give +Inf.
func ulpErr(y float32, t float64) float64 {
	if math.IsNaN(t) || y != y {
		if math.IsNaN(t) && y != y {
			return 0
		}
		return math.Inf(1)
	}
	const beyond = math.MaxFloat32 + 0x1p104
	yy := float64(y)
	if math.IsInf(yy, 0) {
		yy = math.Copysign(beyond, yy)
	}
	if math.Abs(t) > beyond {
		t = math.Copysign(beyond, t)
	}
	return math.Abs(yy-t) / ulpAt(t)
}

// A ref is what a float32 computation of a sum of terms (in any order) may
// give: the exact value want, within bound of it; or, where float32 may
// overflow on the way (risky), also any NaN or infinity. A want of NaN
// requires NaN; a want of ±Inf requires that infinity (or NaN if risky).
//
// With anyInf, what is known is only that the result is not finite: any
// infinity or NaN will do (an infinite factor times a sum whose sign
// float32 cannot tell).
type ref struct {
	want, bound float64
	risky       bool
	anyInf      bool
}

func (r ref) ok(got float32) bool {
	g := float64(got)
	switch {
	case r.anyInf:
		return !finite(g)
	case math.IsNaN(r.want):
		return got != got
	case math.IsInf(r.want, 0):
		return g == r.want || r.risky && got != got
	case r.risky && !finite(g):
		return true
	}
	return math.Abs(g-r.want) <= r.bound
}

func (r ref) String() string {
	if r.anyInf {
		return "an infinity or NaN"
	}
	if r.risky {
		return fmt.Sprintf("%v within %.3g (or any NaN or infinity: float32 may overflow)", r.want, r.bound)
	}
	return fmt.Sprintf("%v within %.3g", r.want, r.bound)
}

// terms accumulates the terms of a sum in float64: infinite and NaN terms
// by kind, finite ones by value and absolute value.
type terms struct {
	n            int
	nan          bool
	posInf       bool
	negInf       bool
	sum, abs     float64
	maxAbs       float64
	tinyProducts int // products that may round in the subnormal range
}

func (s *terms) add(v float64) {
	s.n++
	switch {
	case math.IsNaN(v):
		s.nan = true
	case math.IsInf(v, 1):
		s.posInf = true
	case math.IsInf(v, -1):
		s.negInf = true
	default:
		s.sum += v
		s.abs += math.Abs(v)
		s.maxAbs = max(s.maxAbs, math.Abs(v))
	}
}

// value returns the exact sum under IEEE rules for the special terms.
func (s *terms) value() float64 {
	switch {
	case s.nan || s.posInf && s.negInf:
		return math.NaN()
	case s.posInf:
		return math.Inf(1)
	case s.negInf:
		return math.Inf(-1)
	}
	return s.sum
}

// gamma returns γ_n = nε/(1−nε).
func gamma(n int) float64 {
	e := float64(n) * eps32
	return e / (1 - e)
}
