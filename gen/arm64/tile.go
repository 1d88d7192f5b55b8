package arm64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
)

// TileName is the function name of tile epilogue t's NEON path.
func TileName(t *kernel.Tile) string { return "Tile" + t.Name + "NEON" }

// Tile emits the epilogue t for tiles of at most nrMax columns, a multiple
// of 4. Whole rows (nr = nrMax) go through the body once per vector of the
// row, interleaved; narrower tiles a vector at a time and then a column at
// a time with scalar loads and stores, touching nothing past column nr.
func (f *File) Tile(t *kernel.Tile, nrMax int) {
	if nrMax%Lanes != 0 {
		panic(fmt.Sprintf("arm64: tiles of %d columns", nrMax))
	}
	body, z := t.RecordTile()
	outs := []kernel.Value{body.Result}
	if t.StoreZ {
		outs = append(outs, z) // z lives until it is stored
	}
	consts := len(newLowering(f, body, outs).constRanks())
	for _, ft := range fits(nrMax/Lanes, consts) {
		if f.Attempt(func() { f.tile(t, body, outs, nrMax, ft) }) {
			return
		}
	}
	panic("arm64: tile " + t.Name + " does not fit in 32 vector registers")
}

func (f *File) tile(t *kernel.Tile, body *kernel.Body, outs []kernel.Value, nrMax int, ft fit) {
	name := TileName(t)
	f.Function(name)
	f.SignatureExpr(kernel.TileSignature)
	f.Pragma("noescape")
	f.Doc(append([]string{fmt.Sprintf("%s is the NEON tile epilogue %s, for tiles of up to %d columns:",
		name, t.Name, nrMax), ""}, t.Doc...)...)

	g := newLowering(f, body, outs)
	f.Comment("Load the arguments; strides become bytes.")
	c := f.LoadParam("c")
	ldc := f.LoadParam("ldc")
	f.LSLI(2, ldc, ldc)
	usesX := t.Cached || t.StoreZ
	var bias, x, ldx R
	if t.Bias {
		bias = f.LoadParam("bias")
	}
	if usesX {
		x = f.LoadParam("x")
		ldx = f.LoadParam("ldx")
		f.LSLI(2, ldx, ldx)
	}
	mr := f.LoadParam("mr")
	nr := f.LoadParam("nr")
	if t.Alpha {
		a := f.Vec()
		f.LoadScalar("alpha", a)
		f.VDUP(a, a)
		g.scalars = []V{a}
	}
	g.setup(ft.hoist, false)

	// emit lowers count copies of the body for the vectors v0, v0+1, … of
	// the row at cp (its bias at bp, its x at xp), or, if scalar, for the
	// one element there.
	emit := func(cp, bp, xp R, v0, count int, scalar bool) {
		at := func(base R, c int) Mem {
			if scalar {
				return Mem{Base: base}
			}
			return Mem{base, 16 * (v0 + c)}
		}
		load, store := f.LDRQ, f.STRQ
		if scalar {
			load, store = f.LDRS, f.STRS
		}
		envs := g.lower(count, func(c, i int) V {
			base := map[int]R{0: cp, 1: bp, 2: xp}[i]
			if i == 1 && !t.Bias || i == 2 && !t.Cached {
				panic("arm64: tile " + t.Name + " reads an input it does not have")
			}
			r := f.Vec()
			load(at(base, c), r)
			return r
		})
		for c, env := range envs {
			store(env[outs[0]].r, at(cp, c))
			if t.StoreZ {
				store(env[outs[1]].r, at(xp, c))
			}
		}
		g.release(envs)
	}
	nextRow := func(label string) {
		f.ADD(ldc, c)
		if usesX {
			f.ADD(ldx, x)
		}
		f.SUBI(1, mr, mr)
		f.CBNZ(mr, label)
	}

	full, edge, done := name+"_full", name+"_edge", name+"_done"
	f.CBZ(mr, done)
	f.CMPI(nrMax, nr)
	f.BNE(edge)

	f.Commentf("Whole rows of %d columns.", nrMax)
	f.Label(full)
	for v := 0; v < nrMax/Lanes; v += ft.copies {
		emit(c, bias, x, v, min(ft.copies, nrMax/Lanes-v), false)
	}
	nextRow(full)
	f.B(done)

	f.Comment("Narrower tiles: a vector at a time, then a column at a time.")
	f.Label(edge)
	cp, cnt := f.GP(), f.GP()
	f.MOVD(c, cp)
	f.MOVD(nr, cnt)
	var bp, xp R
	ptrs := []R{cp}
	if t.Bias {
		bp = f.GP()
		f.MOVD(bias, bp)
		ptrs = append(ptrs, bp)
	}
	if usesX {
		xp = f.GP()
		f.MOVD(x, xp)
		ptrs = append(ptrs, xp)
	}
	vec, col, next := name+"_vec", name+"_col", name+"_next"
	f.Label(vec)
	f.CMPI(Lanes, cnt)
	f.BLT(col)
	emit(cp, bp, xp, 0, 1, false)
	for _, p := range ptrs {
		f.ADDI(16, p, p)
	}
	f.SUBI(Lanes, cnt, cnt)
	f.B(vec)
	f.Label(col)
	f.CBZ(cnt, next)
	emit(cp, bp, xp, 0, 1, true)
	for _, p := range ptrs {
		f.ADDI(4, p, p)
	}
	f.SUBI(1, cnt, cnt)
	f.B(col)
	f.Label(next)
	nextRow(edge)

	f.Label(done)
	f.RET()
}
