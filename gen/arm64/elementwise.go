package arm64

import (
	"math"

	"github.com/backprop-go/backprop/gen/kernel"
)

// Name is the function name of kernel k's NEON path.
func Name(k *kernel.Kernel) string { return k.Name + "NEON" }

// Elementwise emits k. The main loop handles as many vectors at a time as
// the description's Unroll asks for (fewer if they do not fit in the
// registers), then one vector at a time; the last n mod 4 elements go one
// at a time through scalar loads and stores, so that nothing past the
// slices is read or written. NEON has no non-temporal vector store worth
// having here, so k's streaming variant is this same function.
func (f *File) Elementwise(k *kernel.Kernel) {
	if err := k.Check(); err != nil {
		panic(err)
	}
	body := k.Record()
	outs := append([]kernel.Value{body.Result}, body.Extra...)
	consts := len(newLowering(f, body, outs).constRanks())
	for _, ft := range fits(k.Unroll, consts) {
		if f.Attempt(func() { f.elementwise(k, body, outs, ft) }) {
			return
		}
	}
	panic("arm64: " + k.Name + " does not fit in 32 vector registers")
}

func (f *File) elementwise(k *kernel.Kernel, body *kernel.Body, outs []kernel.Value, ft fit) {
	name := Name(k)
	f.Function(name)
	f.SignatureExpr(k.Signature())
	f.Pragma("noescape")
	f.Doc(append([]string{name + " is the NEON path of " + k.Name + ".", ""}, k.Doc...)...)
	reduce := k.Reduce != kernel.NoReduce

	g := newLowering(f, body, outs)
	f.Comment("Load the arguments, broadcast the scalars, load the constants kept in registers.")
	ptr := map[string]R{}
	var all []R
	for _, a := range k.Pointers() {
		ptr[a.Name] = f.LoadParam(a.Name)
		all = append(all, ptr[a.Name])
	}
	var ins, outPtrs []R
	for _, a := range k.Inputs() {
		ins = append(ins, ptr[a.Name])
	}
	for _, a := range k.Outputs() {
		outPtrs = append(outPtrs, ptr[a.Name])
	}
	n := f.LoadParam("n")
	for _, a := range k.Scalars() {
		v := f.Vec()
		f.LoadScalar(a.Name, v)
		f.VDUP(v, v)
		g.scalars = append(g.scalars, v)
	}
	g.setup(ft.hoist, k.Reduce == kernel.MaxReduce)
	var accs []V
	if reduce {
		for range ft.copies {
			a := f.Vec()
			if k.Reduce == kernel.MaxReduce {
				g.loadConst(math.Float32bits(float32(math.Inf(-1))), a)
			} else {
				f.VEOR(a, a, a)
			}
			accs = append(accs, a)
		}
	}
	combine := f.FADD
	if k.Reduce == kernel.MaxReduce {
		combine = f.FMAX
	}

	// vectors emits count copies of the body for the vectors at the
	// pointers, and advances them.
	vectors := func(count int) {
		envs := g.lower(count, func(c, i int) V {
			r := f.Vec()
			f.LDRQ(Mem{ins[i], 16 * c}, r)
			return r
		})
		for c, env := range envs {
			for o, p := range outPtrs {
				f.STRQ(env[outs[o]].r, Mem{p, 16 * c})
			}
			if reduce {
				combine(env[outs[0]].r, accs[c], accs[c])
			}
		}
		g.release(envs)
		for _, p := range all {
			f.ADDI(16*count, p, p)
		}
		f.SUBI(Lanes*count, n, n)
	}

	main, single, tail, done := name+"_main", name+"_single", name+"_tail", name+"_done"
	rest := tail
	if reduce {
		rest = name + "_fold"
	}
	if ft.copies > 1 {
		f.Commentf("%d vectors at a time.", ft.copies)
		f.Label(main)
		f.CMPI(ft.copies*Lanes, n)
		f.BLT(single)
		vectors(ft.copies)
		f.B(main)
	}
	f.Comment("One vector at a time.")
	f.Label(single)
	f.CMPI(Lanes, n)
	f.BLT(rest)
	vectors(1)
	f.B(single)

	if reduce {
		f.Comment("Fold the partial results into lane 0 of one register.")
		f.Label(rest)
		accs = g.fold(k.Reduce, accs)
	}

	f.Comment("The last n < 4 elements, one at a time.")
	f.Label(tail)
	f.CBZ(n, done)
	envs := g.lower(1, func(_, i int) V {
		r := f.Vec()
		f.LDRS(Mem{Base: ins[i]}, r)
		return r
	})
	for o, p := range outPtrs {
		f.STRS(envs[0][outs[o]].r, Mem{Base: p})
	}
	if reduce {
		res := envs[0][outs[0]].r
		if k.Reduce == kernel.MaxReduce {
			f.FMAXS(res, accs[0], accs[0])
		} else {
			f.FADDS(res, accs[0], accs[0])
		}
	}
	g.release(envs)
	for _, p := range all {
		f.ADDI(4, p, p)
	}
	f.SUBI(1, n, n)
	f.B(tail)

	f.Label(done)
	if reduce {
		f.STRSParam(accs[0], "ret")
	}
	f.RET()
}

// fold combines the partial results of a reduction, pairwise, into lane 0
// of the first register, which it returns alone.
func (g *lowering) fold(red kernel.Reduction, accs []V) []V {
	f := g.f
	combine, pair, last := f.FADD, f.FADDP, f.FADDPScalar
	if red == kernel.MaxReduce {
		combine, pair, last = f.FMAX, f.FMAXP, f.FMAXPScalar
	}
	for len(accs) > 1 {
		var next []V
		for j := 0; j+1 < len(accs); j += 2 {
			combine(accs[j+1], accs[j], accs[j])
			f.FreeVec(accs[j+1])
			next = append(next, accs[j])
		}
		if len(accs)%2 == 1 {
			next = append(next, accs[len(accs)-1])
		}
		accs = next
	}
	a := accs[0]
	pair(a, a, a) // a0+a1, a2+a3, a0+a1, a2+a3
	last(a, a)    // (a0+a1) + (a2+a3)
	return accs
}
