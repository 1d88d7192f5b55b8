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

	done := name + "_done"
	rowLoop := func(label string, masked bool) {
		mask := func(v int) reg.Register {
			if masked {
				return masks[v]
			}
			return nil
		}
		f.Label(label)
		f.TESTQ(mr, mr)
		f.JZ(operand.LabelRef(done))
		envs := g.lower(V, func(v int, op kernel.Op) operandOf {
			switch op.In {
			case 0, 2:
				base := c
				if op.In == 2 {
					base = x
				}
				r := f.vec()
				f.load(operand.Mem{Base: base, Disp: 4 * L * v}, mask(v), r)
				return operandOf{r: r, owned: true}
			default:
				return operandOf{r: bias[v]}
			}
		})
		for v, env := range envs {
			f.store(env[body.Result].r, operand.Mem{Base: c, Disp: 4 * L * v}, mask(v))
			if t.StoreZ {
				f.store(env[z].r, operand.Mem{Base: x, Disp: 4 * L * v}, mask(v))
			}
		}
		f.ADDQ(ldc, c)
		f.ADDQ(ldx, x)
		f.DECQ(mr)
		f.JMP(operand.LabelRef(label))
	}
	if !f.ISA.EVEX {
		f.CMPQ(nr, operand.U32(m.NR))
		f.JEQ(operand.LabelRef(name + "_full"))
	}
	rowLoop(name+"_row", true)
	if !f.ISA.EVEX {
		rowLoop(name+"_full", false)
	}
	f.Label(done)
	f.VZEROUPPER()
	f.RET()
}
