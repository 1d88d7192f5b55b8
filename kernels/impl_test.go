package kernels

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestAvailable checks the path list against golang.org/x/sys/cpu, a
// second source: a path this CPU supports but Available lacks is a failure,
// not a skip, so a broken detection cannot hide behind the generic path.
func TestAvailable(t *testing.T) {
	av := Available()
	if len(av) == 0 || av[len(av)-1] != "generic" {
		t.Fatalf("Available() = %v, want generic last", av)
	}
	if os.Getenv(EnvVar) == "" && Implementation() != av[0] {
		t.Errorf("Implementation() = %q, want the best path %q", Implementation(), av[0])
	}
	want := []string{"generic"}
	if asmBuild && runtime.GOARCH == "amd64" {
		x := cpu.X86
		if x.HasAVX2 && x.HasFMA {
			want = append([]string{"avx2"}, want...)
		}
		if x.HasAVX512F && x.HasAVX512DQ && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX2 && x.HasFMA {
			want = append([]string{"avx512"}, want...)
		}
	}
	if asmBuild && runtime.GOARCH == "arm64" && cpu.ARM64.HasASIMD {
		want = append([]string{"neon"}, want...)
	}
	if !slices.Equal(av, want) {
		t.Errorf("Available() = %v, want %v (from golang.org/x/sys/cpu)", av, want)
	}
	t.Logf("paths: %v, current %s", av, Implementation())
}

func TestSetImplementation(t *testing.T) {
	before := Implementation()
	defer SetImplementation(before)
	for _, name := range Available() {
		if err := SetImplementation(name); err != nil || Implementation() != name {
			t.Fatalf("SetImplementation(%q) = %v, now %q", name, err, Implementation())
		}
	}
	for _, name := range []string{"", "fast", "AVX2", "neon", "avx512", "avx2"} {
		if slices.Contains(Available(), name) {
			continue
		}
		cur := Implementation()
		err := SetImplementation(name)
		if err == nil {
			t.Fatalf("SetImplementation(%q) succeeded on a CPU without it", name)
		}
		if Implementation() != cur {
			t.Fatalf("a failed SetImplementation(%q) changed the path to %q", name, Implementation())
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %q", err, name)
		}
	}
}

// TestEnvVar runs this test binary again with BACKPROP_KERNELS set.
func TestEnvVar(t *testing.T) {
	if os.Getenv("BACKPROP_TEST_CHILD") != "" {
		os.Stdout.WriteString("path=" + Implementation() + "\n")
		return
	}
	run := func(value string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvVar$")
		cmd.Env = append(os.Environ(), "BACKPROP_TEST_CHILD=1", EnvVar+"="+value)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Under an emulator (go test -exec qemu-…) the test binary is foreign
	// to the host and cannot start itself.
	if _, err := run("generic"); err != nil && errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot run the test binary again here: %v", err)
	}
	for _, name := range Available() {
		out, err := run(name)
		if err != nil || !strings.Contains(out, "path="+name+"\n") {
			t.Errorf("%s=%s: %v\n%s", EnvVar, name, err, out)
		}
	}
	for _, bad := range []string{"neon", "avx1024"} {
		if slices.Contains(Available(), bad) {
			continue
		}
		out, err := run(bad)
		if err == nil || !strings.Contains(out, bad) || !strings.Contains(out, "kernels: ") {
			t.Errorf("%s=%s: want a start-up panic naming it, got %v\n%s", EnvVar, bad, err, out)
		}
	}
}

// mustPanic fails unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		if msg, _ := r.(string); !strings.Contains(msg, want) {
			t.Fatalf("panic %v, want one mentioning %q", r, want)
		}
	}()
	f()
}

func TestArgumentChecks(t *testing.T) {
	p := Current()
	a, b := make([]float32, 8), make([]float32, 9)
	buf := make([]float32, 20)
	mustPanic(t, "Add: length mismatch: len(dst) = 8, len(y) = 9", func() { p.Add(a, a, b) })
	mustPanic(t, "Axpy: length mismatch", func() { p.Axpy(1, b, a) })
	mustPanic(t, "Dot: length mismatch", func() { p.Dot(a, b) })
	mustPanic(t, "ReLUDelta: length mismatch", func() { p.ReLUDelta(a, a, b) })
	mustPanic(t, "Sigmoid: dst and x overlap", func() { p.Sigmoid(buf[1:9], buf[0:8]) })
	mustPanic(t, "Mul: dst and y overlap", func() { p.Mul(buf[0:8], a, buf[7:15]) })
	mustPanic(t, "AddBias: len(x) = 9 is not a multiple of len(bias) = 8", func() { p.AddBias(b, a) })
	mustPanic(t, "SumRows: len(x) = 8 is not a multiple of len(dst) = 9", func() { p.SumRows(b, a) })
	mustPanic(t, "Softmax: len(x) = 9 is not a multiple of the row length 2", func() { p.Softmax(b, b, 2) })
	mustPanic(t, "LogSoftmax: len(x) = 8 is not a multiple of the row length 0", func() { p.LogSoftmax(a, a, 0) })

	// A panic comes before any write.
	dst := make([]float32, 8)
	func() {
		defer func() { recover() }()
		p.TanhDelta(dst, []float32{1, 1, 1, 1, 1, 1, 1, 1}, b)
	}()
	if slices.ContainsFunc(dst, func(v float32) bool { return v != 0 }) {
		t.Fatal("TanhDelta wrote before panicking")
	}
}
