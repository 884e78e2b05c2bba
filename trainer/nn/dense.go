package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// Dense is a fully connected layer y = act(x·Wᵀ + b) with W [Out,In]
// row-major, or, when Transposed, y = act(x·W + b) with W [In,Out]: the
// weights of a mirror layer (Out→In) shared transposed, so that the two
// layers train one tensor (tied weights).
type Dense struct {
	// Name prefixes the layer's tensors (Name.W, Name.b) and exporter
	// nodes; a transposed layer's W keeps its owner's name.
	Name       string
	In, Out    int
	Act        Act
	W, B       *Param
	Transposed bool
	buf        denseBuf
}

type denseBuf struct {
	x, y, dz, dx []float32
	n            int
}

// NewDense returns a dense layer with weights drawn from rng by init and
// zero bias.
func NewDense(name string, in, out int, act Act, init Init, rng *rand.Rand) *Dense {
	d := &Dense{Name: name, In: in, Out: out, Act: act, W: newParam(name+".W", true, out, in), B: newParam(name+".b", false, 1, out)}
	init.fill(d.W.Data, in, out, rng)
	return d
}

// NewTiedDense returns the mirror of owner (owner.Out → owner.In) that
// shares owner's weights transposed and has a bias of its own.
func NewTiedDense(name string, owner *Dense, act Act) (*Dense, error) {
	if owner.Transposed {
		return nil, fmt.Errorf("dense %s: cannot tie to %s, itself tied", name, owner.Name)
	}
	return &Dense{Name: name, In: owner.Out, Out: owner.In, Act: act, W: owner.W, B: newParam(name+".b", false, 1, owner.In), Transposed: true}, nil
}

// Reset redraws W by init from rng and zeroes the bias.
func (d *Dense) Reset(init Init, rng *rand.Rand) {
	init.fill(d.W.Data, d.In, d.Out, rng)
	clear(d.B.Data)
}

// WeightsOutIn returns the weights as [Out,In] row-major (a copy for a
// transposed layer, the parameter itself otherwise).
func (d *Dense) WeightsOutIn() []float32 {
	if !d.Transposed {
		return d.W.Data
	}
	w := make([]float32, d.In*d.Out)
	ops.Transpose(w, d.W.Data, []int{d.In, d.Out}, []int{1, 0})
	return w
}

func (d *Dense) Op() string       { return "dense" }
func (d *Dense) InShape() []int   { return []int{d.In} }
func (d *Dense) OutShape() []int  { return []int{d.Out} }
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }
func (d *Dense) Replica() Layer {
	r := *d
	r.buf = denseBuf{}
	return &r
}

func (d *Dense) Forward(x []float32, n int, _ *Pass) []float32 {
	b := &d.buf
	b.x, b.n = x, n
	b.y = Grow(b.y, n*d.Out)
	ep := ops.Epilogue{Bias: d.B.Data, Act: d.Act.Fn, Alpha: d.Act.Alpha}
	if d.Transposed {
		ops.GemmEpilogue(false, false, n, d.Out, d.In, x, d.In, d.W.Data, d.Out, b.y, d.Out, ep)
	} else {
		ops.GemmEpilogue(false, true, n, d.Out, d.In, x, d.In, d.W.Data, d.In, b.y, d.Out, ep)
	}
	return b.y
}

func (d *Dense) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	b := &d.buf
	n := b.n
	b.dz = Grow(b.dz, n*d.Out)
	train.ActBackward(b.dz, dy, b.y, d.Act.Fn, d.Act.Alpha)
	if d.Transposed {
		ops.Gemm(true, false, d.In, d.Out, n, 1, b.x, d.In, b.dz, d.Out, 1, grads[0], d.Out)
	} else {
		ops.Gemm(true, false, d.Out, d.In, n, 1, b.dz, d.Out, b.x, d.In, 1, grads[0], d.In)
	}
	gb := grads[1]
	for r := 0; r < n; r++ {
		for j, v := range b.dz[r*d.Out : (r+1)*d.Out] {
			gb[j] += v
		}
	}
	if !needInput {
		return nil
	}
	b.dx = Grow(b.dx, n*d.In)
	if d.Transposed {
		ops.Gemm(false, true, n, d.In, d.Out, 1, b.dz, d.Out, d.W.Data, d.Out, 0, b.dx, d.In)
	} else {
		ops.Gemm(false, false, n, d.In, d.Out, 1, b.dz, d.Out, d.W.Data, d.In, 0, b.dx, d.In)
	}
	return b.dx
}
