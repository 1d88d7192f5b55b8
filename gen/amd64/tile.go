package amd64

import (
	"fmt"

	"github.com/backprop-go/backprop/gen/kernel"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// TileName is the function name of tile epilogue t on isa.
func TileName(t *kernel.Tile, isa ISA) string { return "Tile" + t.Name + isa.Name }

// Tile emits the epilogue t for tiles of at most m.NR columns: for each of
// the mr rows, the nr columns of C (and of x), under column masks. On AVX2,
// whose masked stores are slow on some CPUs, whole rows (nr = NR) take a
// path with plain loads and stores.
func (f *File) Tile(t *kernel.Tile, m Micro) {
	L := f.ISA.Lanes
	V := m.NR / L
	name := TileName(t, f.ISA)
	f.Function(name)
	f.Attributes(attr.NOSPLIT)
	f.SignatureExpr(kernel.TileSignature)
	f.Pragma("noescape")
	f.Doc(append([]string{fmt.Sprintf("%s is the %s tile epilogue %s, for tiles of up to %d columns:",
		name, f.ISA.Name, t.Name, m.NR), ""}, t.Doc...)...)

	body, z := t.RecordTile()
	g := &lowering{f: f, body: body, last: body.LastUse()}
	if t.StoreZ {
		g.last[z] = len(body.Ops) // z lives until it is stored
	}
	c := f.Load(f.Param("c"), f.GP64())
	ldc := f.Load(f.Param("ldc"), f.GP64())
	x := f.Load(f.Param("x"), f.GP64())
	ldx := f.Load(f.Param("ldx"), f.GP64())
	mr := f.Load(f.Param("mr"), f.GP64())
	nr := f.Load(f.Param("nr"), f.GP64())
	f.SHLQ(operand.U8(2), ldc)
	f.SHLQ(operand.U8(2), ldx)
	masks := f.columnMasks(nr, V)
	if t.Alpha {
		a := f.vec()
		f.VBROADCASTSS(f.paramAddr("alpha"), a)
		g.scalars = []reg.VecVirtual{a}
	}
	g.hoist()
	var bias []reg.VecVirtual
	if t.Bias {
		f.Comment("The bias of the tile's columns, once.")
		bp := f.Load(f.Param("bias"), f.GP64())
		for v := 0; v < V; v++ {
			bias = append(bias, f.vec())
			f.load(operand.Mem{Base: bp, Disp: 4 * L * v}, masks[v], bias[v])
		}
	}

	// The rows of C may lie closer together than a vector (an output layer
	// of 10 columns): a row's load then overlaps, in the CPU's view, the
	// vector the previous row stored, and waits for that store to reach
	// the cache. Rows are therefore done a group at a time, every load of
	// the group before any store, and the vectors of a row that hold no
	// column are skipped rather than stored under an empty mask.
	done := name + "_done"
	rowLoop := func(label string, masked bool, u int) {
		mask := func(v int) reg.Register {
			if masked {
				return masks[v]
			}
			return nil
		}
		// u·group vectors in flight; AVX2's 16 registers also hold the
		// bias and the column masks, and take two at most.
		inFlight := t.Unroll
		if !f.ISA.EVEX {
			inFlight = min(inFlight, 2)
		}
		group := max(1, inFlight/u)
		if group > 4 || group > 1 && group%2 == 1 {
			panic(fmt.Sprintf("tile %s: rows in groups of %d: want 1, 2 or 4", t.Name, group))
		}
		// Row r of a group is at cs[r/2] (+ ldc for odd r), cs[i] being
		// 2i rows past c; the same for x.
		cs, xs := []reg.Register{c}, []reg.Register{x}
		for i := 1; i < (group+1)/2; i++ {
			cs, xs = append(cs, f.GP64()), append(xs, f.GP64())
		}
		rowMem := func(bases []reg.Register, ld reg.Register, r, v int) operand.Mem {
			m := operand.Mem{Base: bases[r/2], Disp: 4 * L * v}
			if r%2 == 1 {
				m.Index, m.Scale = ld, 1
			}
			return m
		}
		sizes := []int{group}
		if group > 1 {
			sizes = append(sizes, 1)
		}
		f.Label(label)
		for _, rows := range sizes {
			lbl, next := fmt.Sprintf("%s_%d", label, rows), done
			if rows > 1 {
				next = fmt.Sprintf("%s_%d", label, 1)
			}
			f.Label(lbl)
			f.CMPQ(mr, operand.U32(rows))
			f.JL(operand.LabelRef(next))
			for i := 1; i < (rows+1)/2; i++ {
				f.LEAQ(operand.Mem{Base: cs[i-1], Index: ldc, Scale: 2}, cs[i])
				f.LEAQ(operand.Mem{Base: xs[i-1], Index: ldx, Scale: 2}, xs[i])
			}
			envs := g.lower(rows*u, func(cp int, op kernel.Op) operandOf {
				r, v := cp/u, cp%u
				switch op.In {
				case 0, 2:
					m := rowMem(cs, ldc, r, v)
					if op.In == 2 {
						m = rowMem(xs, ldx, r, v)
					}
					reg := f.vec()
					f.load(m, mask(v), reg)
					return operandOf{r: reg, owned: true}
				default:
					return operandOf{r: bias[v]}
				}
			})
			for cp, env := range envs {
				r, v := cp/u, cp%u
				f.store(env[body.Result].r, rowMem(cs, ldc, r, v), mask(v))
				if t.StoreZ {
					f.store(env[z].r, rowMem(xs, ldx, r, v), mask(v))
				}
			}
			if rows == 1 {
				f.ADDQ(ldc, c)
				f.ADDQ(ldx, x)
			} else {
				if rows%2 == 1 {
					panic("tile: a row group of odd size")
				}
				last := (rows+1)/2 - 1
				f.LEAQ(operand.Mem{Base: cs[last], Index: ldc, Scale: 2}, c)
				f.LEAQ(operand.Mem{Base: xs[last], Index: ldx, Scale: 2}, x)
			}
			f.SUBQ(operand.U32(rows), mr)
			f.JMP(operand.LabelRef(lbl))
		}
	}
	if !f.ISA.EVEX {
		f.CMPQ(nr, operand.U32(m.NR))
		f.JEQ(operand.LabelRef(name + "_full"))
	}
	for u := 1; u < V; u++ {
		f.CMPQ(nr, operand.U32(u*L))
		f.JLE(operand.LabelRef(fmt.Sprintf("%s_cols%d", name, u)))
	}
	for u := V; u >= 1; u-- {
		f.Comment(fmt.Sprintf("Columns in %d vector(s) of a row.", u))
		rowLoop(fmt.Sprintf("%s_cols%d", name, u), true, u)
	}
	if !f.ISA.EVEX {
		f.Comment("Whole rows of NR columns, without masks.")
		rowLoop(name+"_full", false, V)
	}
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}
