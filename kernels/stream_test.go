package kernels

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestStreamVariants compares every streaming (non-temporal store) variant
// in each path's table with its ordinary twin, bit for bit, over every
// length and every misalignment of the output, which the streaming
// variants handle with a masked head. The ordinary variants are checked
// against the reference by TestElementwise. Reflection walks the table, so
// a kernel added later is covered without touching this test.
func TestStreamVariants(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *Impl) {
		tab := reflect.ValueOf(p.ew)
		typ := tab.Type()
		found := 0
		for fi := 0; fi < typ.NumField(); fi++ {
			name := typ.Field(fi).Name
			base, ok := strings.CutSuffix(name, "Stream")
			if !ok {
				continue
			}
			found++
			t.Run(base, func(t *testing.T) {
				testStream(t, tab.FieldByName(base), tab.Field(fi))
			})
		}
		if found == 0 {
			t.Fatal("no streaming variants in the table")
		}
	})
}

func testStream(t *testing.T, plain, stream reflect.Value) {
	ft := plain.Type()
	r := rand.New(rand.NewPCG(6, 6))
	f32ptr := reflect.TypeFor[*float32]()
	for _, n := range testLengths(true) {
		for off := 0; off < 16; off++ {
			var ins [][]float32
			var outs [2][]float32
			var bufs [2][]float32
			args := [2][]reflect.Value{}
			for k := range 2 {
				npt := 0
				for a := 0; a < ft.NumIn(); a++ {
					switch in := ft.In(a); {
					case in == f32ptr && npt == 0: // the output comes first
						outs[k], bufs[k] = guarded(n, off)
						args[k] = append(args[k], reflect.ValueOf(unsafeData(bufs[k], guardLead+off)))
						npt++
					case in == f32ptr:
						if k == 0 {
							o := (off*3 + npt) % 16
							s := make([]float32, n+o+1)[o:]
							values(r, s)
							ins = append(ins, s)
						}
						args[k] = append(args[k], reflect.ValueOf(&ins[npt-1][0]))
						npt++
					case in.Kind() == reflect.Int:
						args[k] = append(args[k], reflect.ValueOf(n))
					case in.Kind() == reflect.Float32:
						args[k] = append(args[k], reflect.ValueOf(float32(0.25)))
					default:
						t.Fatalf("unexpected parameter type %v", in)
					}
				}
			}
			plain.Call(args[0])
			stream.Call(args[1])
			checkGuards(t, bufs[1], off, n)
			if !slices.EqualFunc(outs[0], outs[1], sameBits) {
				t.Fatalf("n=%d off=%d: streaming variant differs from the plain one", n, off)
			}
		}
	}
}
