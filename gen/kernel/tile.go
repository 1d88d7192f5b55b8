package kernel

// A Tile is an epilogue of the fused GEMM forms: it runs on each mr×nr tile
// of C once the tile's sum is complete, while the tile is still in cache.
// Per element it reads the sum c, a per-column bias (if Bias) and a cached
// matrix x (if Cached); it stores out to C and, if StoreZ, z to x.
type Tile struct {
	Name   string
	Doc    []string
	Bias   bool // reads bias[j] for column j
	Cached bool // reads x[i, j], rows ldx apart
	StoreZ bool // stores z to x[i, j]
	Alpha  bool // uses the scalar alpha

	// Unroll is how many vectors of the body may be in flight at once:
	// the rows of a group times the vectors of a row. Four at most: each
	// comparison takes one of the seven opmasks of AVX-512, and two hold
	// the column masks.
	Unroll int

	// Body computes one vector of results from c, bias and cached (each
	// only when the Tile reads it) and alpha.
	Body func(b *Builder, c, bias, cached, alpha Value) (z, out Value)
}

// TileSignature is the Go signature of every tile epilogue: the tile of C,
// the bias of its first column, the tile of x, its size and alpha.
const TileSignature = "func(c *float32, ldc int, bias *float32, x *float32, ldx int, mr int, nr int, alpha float32)"

// RecordTile runs t's body once on a fresh Builder: inputs 0, 1, 2 are c,
// bias and cached (present or not), scalar 0 is alpha.
func (t *Tile) RecordTile() (body *Body, z Value) {
	b := &Builder{}
	c, bias, cached, alpha := b.Input(0), b.Input(1), b.Input(2), b.Scalar(0)
	z, out := t.Body(b, c, bias, cached, alpha)
	return b.Finish(out), z
}

// activation is one activation's forward body.
type activation struct {
	name, what string
	f          func(b *Builder, z, alpha Value) Value
	alpha      bool
	unroll     int // vectors in flight: 2 for the exp-based ones, whose bodies need the registers
}

var activations = []activation{
	{"Identity", "z", func(b *Builder, z, _ Value) Value { return z }, false, 4},
	{"Relu", "max(z, 0)", func(b *Builder, z, _ Value) Value {
		return b.Select(b.Less(z, b.Const(0)), b.Const(0), z)
	}, false, 4},
	{"LeakyRelu", "z, or alpha·z where z < 0", func(b *Builder, z, a Value) Value {
		return b.Select(b.Less(z, b.Const(0)), b.Mul(a, z), z)
	}, true, 4},
	{"Sigmoid", "1/(1+e^−z)", func(b *Builder, z, _ Value) Value { return Sigmoid(b, z) }, false, 2},
	{"Tanh", "tanh(z)", func(b *Builder, z, _ Value) Value { return Tanh(b, z) }, false, 2},
}

// Tiles lists the tile epilogues, in the order of the table package
// kernels dispatches through: for each activation, bias then activation,
// without and with storing z; then the deltas of backpropagation.
var Tiles = func() []*Tile {
	var out []*Tile
	for _, a := range activations {
		for _, storeZ := range []bool{false, true} {
			name, also := "Bias"+a.name, ""
			if storeZ {
				name, also = name+"Z", " and z to x"
			}
			out = append(out, &Tile{
				Name: name, Bias: true, StoreZ: storeZ, Alpha: a.alpha, Unroll: a.unroll,
				Doc: []string{name + " stores " + a.what + " to C" + also + ", z = c + bias[j]."},
				Body: func(b *Builder, c, bias, _, alpha Value) (Value, Value) {
					z := b.Add(c, bias)
					return z, a.f(b, z, alpha)
				},
			})
		}
	}
	for _, k := range Elementwise {
		switch k.Name {
		case "ReluDelta", "LeakyReluDelta", "SigmoidDelta", "TanhDelta":
		default:
			continue
		}
		out = append(out, &Tile{
			Name: k.Name, Cached: true, Alpha: k.Name == "LeakyReluDelta", Unroll: k.Unroll,
			Doc: []string{k.Name + " stores c ⊙ σ'(x), the elementwise kernel of that name with grad = c."},
			Body: func(b *Builder, c, _, cached, alpha Value) (Value, Value) {
				return -1, k.Body(b, []Value{c, cached}, []Value{alpha})
			},
		})
	}
	return out
}()
