package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// ConvSpec is the geometry of a square-kernel 2-d convolution.
type ConvSpec struct {
	Kernel, Stride, Pad, Dilation int
	// OutputPadding (transposed convolution only; height, width) adds rows
	// and columns at the bottom/right of the output, to reach even sizes
	// after stride 2.
	OutputPadding [2]int
}

// params returns the ops parameters of a square-kernel, symmetrically
// padded, ungrouped 2-D convolution (or transposed convolution) from
// inC×h×w to outC×oh×ow with act fused.
func (s ConvSpec) params(inC, h, w, outC, oh, ow int, act Act) ops.ConvParams {
	return ops.ConvParams{InC: inC, OutC: outC, Group: 1, In: []int{h, w}, Kernel: []int{s.Kernel, s.Kernel},
		Out: []int{oh, ow}, Strides: []int{s.Stride, s.Stride}, Dilations: []int{s.Dilation, s.Dilation},
		PadBegin: []int{s.Pad, s.Pad}, Act: act.Fn, Alpha: act.Alpha}
}

// Conv2D is y = act(conv(x, W) + b) over C×H×W images with W
// [OutC,InC,K,K] (ONNX Conv layout), symmetric padding.
type Conv2D struct {
	// Name prefixes the layer's tensors (Name.W, Name.b).
	Name            string
	InC, H, W, OutC int
	Spec            ConvSpec
	Act             Act
	Wt, B           *Param
	convState
}

// NewConv2D returns a convolution over inC×h×w images with weights drawn
// from rng by init (fan-in inC·K², fan-out outC·K²) and zero bias.
func NewConv2D(name string, inC, h, w, outC int, s ConvSpec, act Act, init Init, rng *rand.Rand) (*Conv2D, error) {
	if s.Dilation == 0 {
		s.Dilation = 1
	}
	if s.Stride <= 0 || s.Kernel <= 0 || s.Pad < 0 {
		return nil, fmt.Errorf("conv2d %s: kernel %d and stride %d must be positive, padding %d non-negative", name, s.Kernel, s.Stride, s.Pad)
	}
	oh := ops.ConvOutSize(h, s.Kernel, s.Stride, s.Dilation, s.Pad, s.Pad)
	ow := ops.ConvOutSize(w, s.Kernel, s.Stride, s.Dilation, s.Pad, s.Pad)
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("conv2d %s: a %dx%d input is too small for kernel %d (dilation %d, padding %d)", name, h, w, s.Kernel, s.Dilation, s.Pad)
	}
	c := &Conv2D{Name: name, InC: inC, H: h, W: w, OutC: outC, Spec: s, Act: act,
		Wt: newParam(name+".W", true, outC, inC, s.Kernel, s.Kernel), B: newParam(name+".b", false, outC)}
	c.p = s.params(inC, h, w, outC, oh, ow, act)
	init.fill(c.Wt.Data, inC*s.Kernel*s.Kernel, outC*s.Kernel*s.Kernel, rng)
	return c, nil
}

func (c *Conv2D) Op() string       { return "conv2d" }
func (c *Conv2D) InShape() []int   { return []int{c.InC, c.H, c.W} }
func (c *Conv2D) OutShape() []int  { return []int{c.OutC, c.p.Out[0], c.p.Out[1]} }
func (c *Conv2D) Params() []*Param { return []*Param{c.Wt, c.B} }
func (c *Conv2D) Replica() Layer {
	r := *c
	r.convState = convState{p: c.p}
	return &r
}

func (c *Conv2D) Forward(x []float32, n int, _ *Pass) []float32 {
	return c.forward(x, n, size(c.InShape()), size(c.OutShape()), c.Wt.Data, c.B.Data, ops.Conv)
}

func (c *Conv2D) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	return c.backward(c.Act, dy, c.Wt.Data, grads, needInput, train.ConvBackward)
}

// convState is the run state Conv2D and ConvTranspose2D share: the ops
// parameters, the saved input and output, gradient buffers and column
// scratch. Both layers differ only in the ops kernels they call.
type convState struct {
	p                 ops.ConvParams
	x, y, dz, dx, col []float32
	n                 int
}

// batch returns the ops parameters for n images and column scratch for
// either direction.
func (s *convState) batch(n int) (ops.ConvParams, []float32) {
	q := s.p
	q.Batch = n
	s.col = Grow(s.col, max(q.ColSize(false), q.ColSize(true)))
	return q, s.col
}

// forward runs f (ops.Conv or ops.ConvTranspose) over n inputs of inSz
// elements into outputs of outSz elements.
func (s *convState) forward(x []float32, n, inSz, outSz int, w, b []float32, f func(p *ops.ConvParams, x, w, b, y, col []float32)) []float32 {
	s.x, s.n = x, n
	s.y = Grow(s.y, n*outSz)
	q, col := s.batch(n)
	f(&q, x[:n*inSz], w, b, s.y, col)
	return s.y
}

// backward differentiates the fused activation, runs f (train.ConvBackward or
// train.ConvTransposeBackward), which adds the weight and bias gradients into
// grads, and returns the input gradient (nil unless needInput).
func (s *convState) backward(act Act, dy, w []float32, grads [][]float32, needInput bool, f func(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32)) []float32 {
	s.dz = Grow(s.dz, len(s.y))
	train.ActBackward(s.dz, dy, s.y, act.Fn, act.Alpha)
	var dx []float32
	if needInput {
		s.dx = Grow(s.dx, len(s.x))
		dx = s.dx
	}
	q, col := s.batch(s.n)
	f(&q, s.x, w, s.dz, dx, grads[0], grads[1], col)
	return dx
}

// ConvTranspose2D is y = act(convtranspose(x, W) + b) with W [InC,OutC,K,K]
// (ONNX ConvTranspose layout); the output is (in−1)·stride − 2·pad +
// dilation·(K−1) + 1 + output padding per axis.
type ConvTranspose2D struct {
	// Name prefixes the layer's tensors (Name.W, Name.b).
	Name            string
	InC, H, W, OutC int
	Spec            ConvSpec
	Act             Act
	Wt, B           *Param
	convState
}

// NewConvTranspose2D returns a transposed convolution over inC×h×w inputs
// with weights drawn from rng by init (fan-in inC·K²/stride², the inputs
// each output sees; fan-out outC·K²) and zero bias.
func NewConvTranspose2D(name string, inC, h, w, outC int, s ConvSpec, act Act, init Init, rng *rand.Rand) (*ConvTranspose2D, error) {
	if s.Dilation == 0 {
		s.Dilation = 1
	}
	lim := max(s.Stride, s.Dilation)
	if s.Stride <= 0 || s.Kernel <= 0 || s.Pad < 0 || min(s.OutputPadding[0], s.OutputPadding[1]) < 0 || max(s.OutputPadding[0], s.OutputPadding[1]) >= lim {
		return nil, fmt.Errorf("conv-transpose2d %s: kernel %d and stride %d must be positive, padding %d non-negative and output padding %d below the stride or dilation",
			name, s.Kernel, s.Stride, s.Pad, s.OutputPadding)
	}
	out := func(in, op int) int { return (in-1)*s.Stride - 2*s.Pad + s.Dilation*(s.Kernel-1) + 1 + op }
	oh, ow := out(h, s.OutputPadding[0]), out(w, s.OutputPadding[1])
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("conv-transpose2d %s: output %dx%d is empty", name, oh, ow)
	}
	c := &ConvTranspose2D{Name: name, InC: inC, H: h, W: w, OutC: outC, Spec: s, Act: act,
		Wt: newParam(name+".W", true, inC, outC, s.Kernel, s.Kernel), B: newParam(name+".b", false, outC)}
	c.p = s.params(inC, h, w, outC, oh, ow, act)
	fanIn := max(1, inC*s.Kernel*s.Kernel/(s.Stride*s.Stride))
	init.fill(c.Wt.Data, fanIn, outC*s.Kernel*s.Kernel, rng)
	return c, nil
}

func (c *ConvTranspose2D) Op() string       { return "conv-transpose2d" }
func (c *ConvTranspose2D) InShape() []int   { return []int{c.InC, c.H, c.W} }
func (c *ConvTranspose2D) OutShape() []int  { return []int{c.OutC, c.p.Out[0], c.p.Out[1]} }
func (c *ConvTranspose2D) Params() []*Param { return []*Param{c.Wt, c.B} }
func (c *ConvTranspose2D) Replica() Layer {
	r := *c
	r.convState = convState{p: c.p}
	return &r
}

func (c *ConvTranspose2D) Forward(x []float32, n int, _ *Pass) []float32 {
	return c.forward(x, n, size(c.InShape()), size(c.OutShape()), c.Wt.Data, c.B.Data, ops.ConvTranspose)
}

func (c *ConvTranspose2D) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	return c.backward(c.Act, dy, c.Wt.Data, grads, needInput, train.ConvTransposeBackward)
}

// Pool2D is max or average pooling with a square window (average excludes
// padding from its divisor, dilation 1).
type Pool2D struct {
	C, H, W             int
	Max                 bool
	Kernel, Stride, Pad int
	p                   ops.PoolParams
	y, dx               []float32
	idx                 []int64
	n                   int
}

// NewPool2D returns a max (isMax) or average pooling layer.
func NewPool2D(c, h, w int, isMax bool, kernel, stride, pad int) (*Pool2D, error) {
	if kernel <= 0 || stride <= 0 || pad < 0 || pad >= kernel {
		return nil, fmt.Errorf("pool2d: kernel %d and stride %d must be positive and padding %d in [0, kernel)", kernel, stride, pad)
	}
	p := ops.PoolParams{In: []int{h, w}, Kernel: []int{kernel, kernel}, Strides: []int{stride, stride},
		Dilations: []int{1, 1}, PadBegin: []int{pad, pad}, PadEnd: []int{pad, pad}}
	p.Out = []int{ops.PoolOutSize(h, kernel, stride, 1, pad, pad, false), ops.PoolOutSize(w, kernel, stride, 1, pad, pad, false)}
	if p.Out[0] <= 0 || p.Out[1] <= 0 {
		return nil, fmt.Errorf("pool2d: a %dx%d input is too small for kernel %d", h, w, kernel)
	}
	return &Pool2D{C: c, H: h, W: w, Max: isMax, Kernel: kernel, Stride: stride, Pad: pad, p: p}, nil
}

func (l *Pool2D) Op() string {
	if l.Max {
		return "maxpool2d"
	}
	return "avgpool2d"
}
func (l *Pool2D) InShape() []int   { return []int{l.C, l.H, l.W} }
func (l *Pool2D) OutShape() []int  { return []int{l.C, l.p.Out[0], l.p.Out[1]} }
func (l *Pool2D) Params() []*Param { return nil }
func (l *Pool2D) Replica() Layer {
	return &Pool2D{C: l.C, H: l.H, W: l.W, Max: l.Max, Kernel: l.Kernel, Stride: l.Stride, Pad: l.Pad, p: l.p}
}

func (l *Pool2D) Forward(x []float32, n int, _ *Pass) []float32 {
	l.n, l.p.Planes = n, n*l.C
	l.y = Grow(l.y, n*size(l.OutShape()))
	if l.Max {
		if cap(l.idx) < len(l.y) {
			l.idx = make([]int64, len(l.y))
		}
		l.idx = l.idx[:len(l.y)]
		ops.MaxPool(&l.p, x, l.y, l.idx, false)
	} else {
		ops.AvgPool(&l.p, x, l.y, false)
	}
	return l.y
}

func (l *Pool2D) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !needInput {
		return nil
	}
	l.dx = Grow(l.dx, l.n*l.C*l.H*l.W)
	if l.Max {
		train.MaxPoolBackward(dy, l.idx, l.dx)
	} else {
		train.AvgPool2DBackward(&l.p, dy, l.dx)
	}
	return l.dx
}

// Upsample enlarges C×H×W images by an integer Scale, nearest or bilinear
// (see train.Upsample2D).
type Upsample struct {
	C, H, W, Scale int
	Bilinear       bool
	y, dx          []float32
	n              int
}

// NewUpsample returns an upsampling layer.
func NewUpsample(c, h, w, scale int, bilinear bool) (*Upsample, error) {
	if scale < 1 {
		return nil, fmt.Errorf("upsample: scale must be a positive integer, got %d", scale)
	}
	return &Upsample{C: c, H: h, W: w, Scale: scale, Bilinear: bilinear}, nil
}

func (u *Upsample) Op() string       { return "upsample" }
func (u *Upsample) InShape() []int   { return []int{u.C, u.H, u.W} }
func (u *Upsample) OutShape() []int  { return []int{u.C, u.H * u.Scale, u.W * u.Scale} }
func (u *Upsample) Params() []*Param { return nil }
func (u *Upsample) Replica() Layer {
	return &Upsample{C: u.C, H: u.H, W: u.W, Scale: u.Scale, Bilinear: u.Bilinear}
}

func (u *Upsample) Forward(x []float32, n int, _ *Pass) []float32 {
	u.n = n
	u.y = Grow(u.y, n*size(u.OutShape()))
	train.Upsample2D(n*u.C, u.H, u.W, u.Scale, u.Bilinear, x, u.y)
	return u.y
}

func (u *Upsample) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !needInput {
		return nil
	}
	u.dx = Grow(u.dx, u.n*u.C*u.H*u.W)
	train.Upsample2DBackward(u.n*u.C, u.H, u.W, u.Scale, u.Bilinear, dy, u.dx)
	return u.dx
}
