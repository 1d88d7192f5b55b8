package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-steps", "1"}, {"-hidden", "0"}, {"-batch", "-3"}, {"-lr", "0"},
		{"-clip", "-1"}, {"-threads", "-1"}, {"-target", "NaN"}, {"extra"}, {"-steps", "x"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	if c, err := parse(nil, io.Discard); err != nil || c.steps != 30 || c.hidden != 32 {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

// TestRun trains a short form of the problem to a held-out MSE of 0.02,
// eight times below always answering 1, and checks the report's lines.
func TestRun(t *testing.T) {
	c, err := parse([]string{"-steps", "10", "-hidden", "16", "-samples", "3000", "-epochs", "30", "-target", "0.02"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ok, err := run(c, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("target not reached:\n%s", out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "kernels=") {
		t.Errorf("first line %q", lines[0])
	}
	var epochs, shown int
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "epoch="):
			epochs++
		case strings.HasPrefix(l, "marked=["):
			shown++
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	if epochs == 0 || shown != 4 {
		t.Errorf("%d epoch lines and %d sequences shown:\n%s", epochs, shown, out.String())
	}
}
