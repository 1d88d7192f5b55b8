// Command gen writes every generated file of package kernels/asm: the
// AVX2 and AVX-512 assembly (through Avo), the NEON assembly (through our
// own arm64 emitter), their Go declarations, and the tables that package
// kernels dispatches through.
//
// Run it with go generate ./... from the repository root.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/backprop-go/backprop/gen/amd64"
	"github.com/backprop-go/backprop/gen/arm64"
	"github.com/backprop-go/backprop/gen/kernel"
)

// command is the invocation named in every generated header.
var command = []string{"go", "run", "-C", "gen", ".", "-dir", "../kernels/asm"}

func main() {
	out := flag.String("dir", "../kernels/asm", "`directory` of package kernels/asm")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	for _, isa := range []amd64.ISA{amd64.AVX2, amd64.AVX512} {
		f := amd64.NewFile(isa)
		for _, k := range kernel.Elementwise {
			f.Elementwise(k)
		}
		f.SoftmaxRows()
		f.SubRows()
		write(f, filepath.Join(*out, fmt.Sprintf("elementwise_%s_amd64", lower(isa.Name))))

		g := amd64.NewFile(isa)
		m := micro[isa.Name]
		g.SgemmMicro(m)
		g.SgemmMicro(m.Narrow())
		g.SgemmMicro(m.ByRows())
		g.SgemmMicro(m.Narrow().ByRows())
		for _, t := range kernel.Tiles {
			g.Tile(t, m)
		}
		g.PackCopy(m.MR)
		g.PackCopy(m.NR)
		if !isa.EVEX {
			g.PackInterleave(8)
			g.PackInterleave(4)
		}
		peakFlops[isa.Name] = g.FMAPeak()
		write(g, filepath.Join(*out, fmt.Sprintf("sgemm_%s_amd64", lower(isa.Name))))
	}

	e := arm64.NewFile()
	for _, k := range kernel.Elementwise {
		e.Elementwise(k)
	}
	e.SoftmaxRows()
	e.SubRows()
	write(e, filepath.Join(*out, "elementwise_arm64"))
	g := arm64.NewFile()
	g.SgemmMicro(neonMicro)
	for _, t := range kernel.Tiles {
		g.Tile(t, neonMicro.NR)
	}
	g.PackCopy(neonMicro.MR)
	g.PackCopy(neonMicro.NR)
	g.PackInterleave(8)
	g.PackInterleave(4)
	peakFlops["NEON"] = g.FMAPeak()
	write(g, filepath.Join(*out, "sgemm_arm64"))
	if err := writeTables(*out); err != nil {
		log.Fatal(err)
	}
}

// micro is the GEMM micro-kernel of each path; each also has a narrow one,
// of half the width, for the last panel of a product whose width leaves at
// most NR/2 columns there (on AVX-512, the MLP's output layer of 10
// classes; on AVX2, whose NR is 16, 10 columns are more than half).
var micro = map[string]amd64.Micro{
	"AVX2":   {MR: 6, NR: 16},
	"AVX512": {MR: 12, NR: 32},
}

// neonMicro is the NEON micro-kernel: 24 accumulators, A in 2 vectors and B
// in 3, 29 of the 32 registers (see kernels/asm/README.md).
var neonMicro = arm64.Micro{MR: 8, NR: 12}

// peakFlops is the flops of one iteration of each path's FMAPeak.
var peakFlops = map[string]int{}

// generator is a file of assembly of either backend.
type generator interface {
	Generate(argv []string) (asm, stubs []byte, err error)
}

// write generates f into stem.s and its declarations into stem.go.
func write(f generator, stem string) {
	asm, stubs, err := f.Generate(command)
	if err != nil {
		log.Fatal(err)
	}
	if err := writeFile(stem+".s", asm); err != nil {
		log.Fatal(err)
	}
	if err := writeFile(stem+".go", stubs); err != nil {
		log.Fatal(err)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// writeFile writes data to path only when it differs, so that an unchanged
// generator leaves timestamps alone.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return os.WriteFile(path, data, 0o644)
}
