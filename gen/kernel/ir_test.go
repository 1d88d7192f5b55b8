package kernel

import "testing"

func TestRecordAndLiveness(t *testing.T) {
	k := &Kernel{
		Name: "T", Args: []Arg{{"dst", Out}, {"x", In}, {"y", In}, {"a", Scalar}}, Unroll: 1,
		Body: func(b *Builder, in, s []Value) Value {
			t := b.Mul(in[0], s[0])
			return b.FMA(t, in[1], b.Const(1))
		},
	}
	if err := k.Check(); err != nil {
		t.Fatal(err)
	}
	if got, want := k.Signature(), "func(dst, x, y *float32, n int, a float32)"; got != want {
		t.Errorf("Signature() = %q, want %q", got, want)
	}
	body := k.Record()
	// input x, input y, scalar a, mul, const 1, fma
	kinds := []OpKind{OpInput, OpInput, OpScalar, OpMul, OpConst, OpFMA}
	if len(body.Ops) != len(kinds) {
		t.Fatalf("recorded %d ops, want %d: %+v", len(body.Ops), len(kinds), body.Ops)
	}
	for i, k := range kinds {
		if body.Ops[i].Kind != k {
			t.Errorf("op %d is %v, want %v", i, body.Ops[i].Kind, k)
		}
	}
	last := body.LastUse()
	want := []int{3, 5, 3, 5, 5, 6}
	for i := range want {
		if last[i] != want[i] {
			t.Errorf("LastUse()[%d] = %d, want %d", i, last[i], want[i])
		}
	}
	if c := body.Consts(); len(c) != 1 || c[0] != 0x3f800000 {
		t.Errorf("Consts() = %x, want [3f800000]", c)
	}
}

func TestCheckRejects(t *testing.T) {
	id := func(b *Builder, in, s []Value) Value { return in[0] }
	bad := []*Kernel{
		{Name: "none", Args: []Arg{{"x", In}}, Unroll: 1, Body: id},
		{Name: "two", Args: []Arg{{"a", Out}, {"b", Out}, {"x", In}}, Unroll: 1, Body: id}, // b never set
		{Name: "inout-stream", Args: []Arg{{"y", InOut}}, Unroll: 1, Stream: true, Body: id},
		{Name: "unroll", Args: []Arg{{"d", Out}, {"x", In}}, Body: id},
	}
	for _, k := range bad {
		if k.Check() == nil {
			t.Errorf("Check accepted %s", k.Name)
		}
	}
	for _, k := range Elementwise {
		if err := k.Check(); err != nil {
			t.Error(err)
		}
	}
}

func TestSelectNeedsMask(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Select on a vector did not panic")
		}
	}()
	b := &Builder{}
	x := b.Input(0)
	b.Select(x, x, x)
}
