package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// InitUniform fills w with U(±sqrt(6/fan)) draws from rng: He uniform
// for fan = fan-in, Xavier (Glorot) uniform for fan = fan-in + fan-out.
func InitUniform(w []float32, fan int, rng *rand.Rand) {
	lim := math.Sqrt(6 / float64(max(fan, 1)))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * lim)
	}
}

// heLike reports whether an activation wants He (fan-in) rather than
// Xavier (fan-in + fan-out) initialisation.
func heLike(a Act) bool {
	return a.Fn == ops.ActRelu || a.Fn == ops.ActLeakyRelu || a.Fn == ops.ActElu
}

func initWeights(w []float32, fanIn, fanOut int, a Act, rng *rand.Rand) {
	if heLike(a) {
		InitUniform(w, fanIn, rng)
	} else {
		InitUniform(w, fanIn+fanOut, rng)
	}
}

// Dense is y = act(x·Wᵀ + b) with W [Out,In] row-major.
type Dense struct {
	In, Out int
	Act     Act
	W, B    *Param
	x, y    []float32
	dz, dx  []float32
	n       int
}

// NewDense returns a dense layer named name with weights drawn from rng
// (He uniform for relu-like activations, Xavier otherwise) and zero bias.
func NewDense(name string, in, out int, act Act, rng *rand.Rand) *Dense {
	d := &Dense{In: in, Out: out, Act: act, W: newParam(name+".W", true, out, in), B: newParam(name+".b", false, 1, out)}
	initWeights(d.W.Data, in, out, act, rng)
	return d
}

func (d *Dense) Op() string       { return "dense" }
func (d *Dense) InShape() []int   { return []int{d.In} }
func (d *Dense) OutShape() []int  { return []int{d.Out} }
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }

func (d *Dense) Forward(x []float32, n int, _ *Pass) []float32 {
	d.x, d.n = x, n
	d.y = Grow(d.y, n*d.Out)
	ops.GemmEpilogue(false, true, n, d.Out, d.In, x, d.In, d.W.Data, d.In, d.y, d.Out,
		ops.Epilogue{Bias: d.B.Data, Act: d.Act.Fn, Alpha: d.Act.Alpha})
	return d.y
}

func (d *Dense) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	n := d.n
	d.dz = Grow(d.dz, n*d.Out)
	train.ActBackward(d.dz, dy, d.y, d.Act.Fn, d.Act.Alpha)
	ops.Gemm(true, false, d.Out, d.In, n, 1, d.dz, d.Out, d.x, d.In, 1, grads[0], d.In)
	gb := grads[1]
	for r := 0; r < n; r++ {
		for j, v := range d.dz[r*d.Out : (r+1)*d.Out] {
			gb[j] += v
		}
	}
	if !needInput {
		return nil
	}
	d.dx = Grow(d.dx, n*d.In)
	ops.Gemm(false, false, n, d.In, d.Out, 1, d.dz, d.Out, d.W.Data, d.In, 0, d.dx, d.In)
	return d.dx
}

// ConvSpec is the geometry of a square-kernel 2-d convolution.
type ConvSpec struct {
	Kernel, Stride, Pad, Dilation int
	// OutputPadding (transposed convolution only; height, width) adds rows
	// and columns at the bottom/right of the output, to reach even sizes
	// after stride 2.
	OutputPadding [2]int
}

// Conv2D is y = act(conv(x, W) + b) over C×H×W images with W
// [OutC,InC,K,K] (ONNX Conv layout), symmetric padding.
type Conv2D struct {
	InC, H, W, OutC int
	Spec            ConvSpec
	Act             Act
	Wt, B           *Param
	convState
}

// NewConv2D returns a convolution over inC×h×w images.
func NewConv2D(name string, inC, h, w, outC int, s ConvSpec, act Act, rng *rand.Rand) (*Conv2D, error) {
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
	c := &Conv2D{InC: inC, H: h, W: w, OutC: outC, Spec: s, Act: act,
		Wt: newParam(name+".W", true, outC, inC, s.Kernel, s.Kernel), B: newParam(name+".b", false, outC)}
	c.p = s.params(inC, h, w, outC, oh, ow, act)
	initWeights(c.Wt.Data, inC*s.Kernel*s.Kernel, outC*s.Kernel*s.Kernel, act, rng)
	return c, nil
}

func (c *Conv2D) Op() string       { return "conv2d" }
func (c *Conv2D) InShape() []int   { return []int{c.InC, c.H, c.W} }
func (c *Conv2D) OutShape() []int  { return []int{c.OutC, c.p.Out[0], c.p.Out[1]} }
func (c *Conv2D) Params() []*Param { return []*Param{c.Wt, c.B} }

func (c *Conv2D) Forward(x []float32, n int, _ *Pass) []float32 {
	return c.forward(x, n, size(c.InShape()), size(c.OutShape()), c.Wt.Data, c.B.Data, ops.Conv)
}

func (c *Conv2D) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	return c.backward(c.Act, dy, c.Wt.Data, c.B.Data, grads, needInput, size(c.InShape()), size(c.OutShape()), train.ConvBackward)
}

// params returns the ops parameters of a square-kernel, symmetrically
// padded, ungrouped 2-D convolution (or transposed convolution) from
// inC×h×w to outC×oh×ow with act fused.
func (s ConvSpec) params(inC, h, w, outC, oh, ow int, act Act) ops.ConvParams {
	return ops.ConvParams{InC: inC, OutC: outC, Group: 1, In: []int{h, w}, Kernel: []int{s.Kernel, s.Kernel},
		Out: []int{oh, ow}, Strides: []int{s.Stride, s.Stride}, Dilations: []int{s.Dilation, s.Dilation},
		PadBegin: []int{s.Pad, s.Pad}, Act: act.Fn, Alpha: act.Alpha}
}

// convState is the run state Conv2D and ConvTranspose2D share: the ops
// parameters, the saved input and output, gradient buffers and per-chunk
// scratch. Both layers differ only in the ops kernels they call.
type convState struct {
	p            ops.ConvParams
	x, y, dz, dx []float32
	bufs         chunkBufs
	n            int
}

// forward runs f (ops.Conv or ops.ConvTranspose) over the batch chunks of
// n inputs of inSz elements, into outputs of outSz elements.
func (s *convState) forward(x []float32, n, inSz, outSz int, w, b []float32, f func(p *ops.ConvParams, x, w, b, y, col []float32)) []float32 {
	s.x, s.n = x, n
	s.y = Grow(s.y, n*outSz)
	convChunks(&s.p, &s.bufs, false, n, inSz, outSz, len(w), len(b), func(p *ops.ConvParams, ch int, col []float32, lo, hi, in, out int) {
		f(p, x[lo*in:hi*in], w, b, s.y[lo*out:hi*out], col)
	})
	return s.y
}

// backward differentiates the fused activation, runs f (train.ConvBackward or
// train.ConvTransposeBackward) over the batch chunks, reduces the per-chunk
// weight and bias gradients into grads in chunk order and returns the
// input gradient (nil unless needInput). w and b are the layer's
// parameters (b only sizes the bias-gradient scratch).
func (s *convState) backward(act Act, dy, w, b []float32, grads [][]float32, needInput bool, inSz, outSz int, f func(p *ops.ConvParams, x, w, dy, dx, dw, db, col []float32)) []float32 {
	s.dz = Grow(s.dz, len(s.y))
	train.ActBackward(s.dz, dy, s.y, act.Fn, act.Alpha)
	if needInput {
		s.dx = Grow(s.dx, len(s.x))
	}
	nc := convChunks(&s.p, &s.bufs, true, s.n, inSz, outSz, len(w), len(b), func(p *ops.ConvParams, ch int, col []float32, lo, hi, in, out int) {
		var dx []float32
		if needInput {
			dx = s.dx[lo*in : hi*in]
		}
		f(p, s.x[lo*in:hi*in], w, s.dz[lo*out:hi*out], dx, s.bufs.dw[ch], s.bufs.db[ch], col)
	})
	s.bufs.reduce(nc, grads[0], grads[1])
	if !needInput {
		return nil
	}
	return s.dx
}

// convChunks runs f over the batch chunks of n images with a per-chunk
// copy of p (Batch set to the chunk's rows) and column scratch; in
// backward mode it first zeroes the chunk gradient buffers. It returns the
// number of chunks.
func convChunks(p *ops.ConvParams, bufs *chunkBufs, backward bool, n, in, out, wSize, bSize int, f func(p *ops.ConvParams, ch int, col []float32, lo, hi, in, out int)) int {
	cs := chunks(n)
	colSize := max(p.ColSize(false), p.ColSize(true))
	bufs.ensure(len(cs), colSize, wSize, bSize)
	runChunks(cs, func(c, lo, hi int) {
		q := *p
		q.Batch = hi - lo
		if backward {
			clear(bufs.dw[c])
			clear(bufs.db[c])
		}
		f(&q, c, bufs.col[c], lo, hi, in, out)
	})
	return len(cs)
}

// ConvTranspose2D is y = act(convtranspose(x, W) + b) with W [InC,OutC,K,K]
// (ONNX ConvTranspose layout); the output is (in−1)·stride − 2·pad +
// dilation·(K−1) + 1 + output padding per axis.
type ConvTranspose2D struct {
	InC, H, W, OutC int
	Spec            ConvSpec
	Act             Act
	Wt, B           *Param
	convState
}

// NewConvTranspose2D returns a transposed convolution over inC×h×w inputs.
func NewConvTranspose2D(name string, inC, h, w, outC int, s ConvSpec, act Act, rng *rand.Rand) (*ConvTranspose2D, error) {
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
	c := &ConvTranspose2D{InC: inC, H: h, W: w, OutC: outC, Spec: s, Act: act,
		Wt: newParam(name+".W", true, inC, outC, s.Kernel, s.Kernel), B: newParam(name+".b", false, outC)}
	c.p = s.params(inC, h, w, outC, oh, ow, act)
	fanIn := max(1, inC*s.Kernel*s.Kernel/(s.Stride*s.Stride))
	initWeights(c.Wt.Data, fanIn, outC*s.Kernel*s.Kernel, act, rng)
	return c, nil
}

func (c *ConvTranspose2D) Op() string       { return "conv-transpose2d" }
func (c *ConvTranspose2D) InShape() []int   { return []int{c.InC, c.H, c.W} }
func (c *ConvTranspose2D) OutShape() []int  { return []int{c.OutC, c.p.Out[0], c.p.Out[1]} }
func (c *ConvTranspose2D) Params() []*Param { return []*Param{c.Wt, c.B} }

func (c *ConvTranspose2D) Forward(x []float32, n int, _ *Pass) []float32 {
	return c.forward(x, n, size(c.InShape()), size(c.OutShape()), c.Wt.Data, c.B.Data, ops.ConvTranspose)
}

func (c *ConvTranspose2D) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	return c.backward(c.Act, dy, c.Wt.Data, c.B.Data, grads, needInput, size(c.InShape()), size(c.OutShape()), train.ConvTransposeBackward)
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

// BatchNorm normalises each channel (the first per-sample axis) with batch
// statistics in training and running statistics in evaluation, then applies
// a learned scale and bias. Running statistics follow
// r ← (1−Momentum)·r + Momentum·batch, with the unbiased batch variance.
type BatchNorm struct {
	Shape         []int
	Eps, Momentum float32
	Scale, Bias   *Param
	Mean, Var     *Param // running statistics (state, not trained)
	bm, bv        []float32
	x, y, dx      []float32
	n             int
	train         bool
}

// NewBatchNorm returns a batch norm over per-sample shape (C, spatial...).
func NewBatchNorm(name string, shape []int) *BatchNorm {
	c := shape[0]
	b := &BatchNorm{Shape: slices.Clone(shape), Eps: 1e-5, Momentum: 0.1,
		Scale: newParam(name+".scale", false, c), Bias: newParam(name+".bias", false, c),
		Mean: newParam(name+".running_mean", false, c), Var: newParam(name+".running_var", false, c),
		bm: make([]float32, c), bv: make([]float32, c)}
	for i := range b.Scale.Data {
		b.Scale.Data[i], b.Var.Data[i] = 1, 1
	}
	return b
}

func (b *BatchNorm) Op() string       { return "batchnorm" }
func (b *BatchNorm) InShape() []int   { return b.Shape }
func (b *BatchNorm) OutShape() []int  { return b.Shape }
func (b *BatchNorm) Params() []*Param { return []*Param{b.Scale, b.Bias} }
func (b *BatchNorm) State() []*Param  { return []*Param{b.Mean, b.Var} }

func (b *BatchNorm) spatial() int { return size(b.Shape) / b.Shape[0] }

func (b *BatchNorm) Forward(x []float32, n int, p *Pass) []float32 {
	c, sp := b.Shape[0], b.spatial()
	b.x, b.n, b.train = x, n, p != nil && p.Train
	b.y = Grow(b.y, len(x))
	if !b.train {
		ops.BatchNormInference(n, c, sp, x, b.Scale.Data, b.Bias.Data, b.Mean.Data, b.Var.Data, b.Eps, b.y)
		return b.y
	}
	ops.BatchNormTraining(n, c, sp, x, b.Scale.Data, b.Bias.Data, b.Eps, b.y, b.bm, b.bv)
	cnt := float32(n * sp)
	unbias := float32(1)
	if cnt > 1 {
		unbias = cnt / (cnt - 1)
	}
	m := b.Momentum
	for i := 0; i < c; i++ {
		b.Mean.Data[i] = (1-m)*b.Mean.Data[i] + m*b.bm[i]
		b.Var.Data[i] = (1-m)*b.Var.Data[i] + m*b.bv[i]*unbias
	}
	return b.y
}

func (b *BatchNorm) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	c, sp := b.Shape[0], b.spatial()
	b.dx = Grow(b.dx, len(b.x))
	if b.train {
		train.BatchNormTrainingBackward(b.n, c, sp, b.x, b.Scale.Data, b.bm, b.bv, b.Eps, dy, b.dx, grads[0], grads[1])
	} else {
		// Fixed statistics: an affine map per channel.
		for ch := 0; ch < c; ch++ {
			inv := float32(1 / math.Sqrt(float64(b.Var.Data[ch])+float64(b.Eps)))
			k := b.Scale.Data[ch] * inv
			for i := 0; i < b.n; i++ {
				off := (i*c + ch) * sp
				for j := off; j < off+sp; j++ {
					grads[0][ch] += dy[j] * (b.x[j] - b.Mean.Data[ch]) * inv
					grads[1][ch] += dy[j]
					b.dx[j] = dy[j] * k
				}
			}
		}
	}
	if !needInput {
		return nil
	}
	return b.dx
}

// Reshape changes the per-sample shape without moving data (Flatten is a
// Reshape to one axis).
type Reshape struct {
	In, Out []int
}

// NewReshape returns a reshape between per-sample shapes of equal size.
func NewReshape(in, out []int) (*Reshape, error) {
	if size(in) != size(out) {
		return nil, fmt.Errorf("reshape: %v (%d values) cannot become %v (%d values)", in, size(in), out, size(out))
	}
	return &Reshape{In: slices.Clone(in), Out: slices.Clone(out)}, nil
}

// NewFlatten returns a Reshape of in to one axis.
func NewFlatten(in []int) *Reshape {
	return &Reshape{In: slices.Clone(in), Out: []int{size(in)}}
}

func (r *Reshape) Op() string                                             { return "reshape" }
func (r *Reshape) InShape() []int                                         { return r.In }
func (r *Reshape) OutShape() []int                                        { return r.Out }
func (r *Reshape) Params() []*Param                                       { return nil }
func (r *Reshape) Forward(x []float32, _ int, _ *Pass) []float32          { return x }
func (r *Reshape) Backward(dy []float32, _ [][]float32, _ bool) []float32 { return dy }

// Dropout zeroes each element with probability P during training and
// scales survivors by 1/(1−P) (inverted dropout); it is the identity in
// evaluation and in exported graphs.
type Dropout struct {
	Shape []int
	P     float32
	mask  []float32
	y, dx []float32
	train bool
}

// NewDropout returns a dropout layer over per-sample shape.
func NewDropout(shape []int, p float32) (*Dropout, error) {
	if p < 0 || p >= 1 {
		return nil, fmt.Errorf("dropout: probability must be in [0,1), got %g", p)
	}
	return &Dropout{Shape: slices.Clone(shape), P: p}, nil
}

func (d *Dropout) Op() string       { return "dropout" }
func (d *Dropout) InShape() []int   { return d.Shape }
func (d *Dropout) OutShape() []int  { return d.Shape }
func (d *Dropout) Params() []*Param { return nil }

func (d *Dropout) Forward(x []float32, n int, p *Pass) []float32 {
	d.train = p != nil && p.Train && d.P > 0
	if !d.train {
		return x
	}
	d.mask = Grow(d.mask, len(x))
	d.y = Grow(d.y, len(x))
	keep := 1 / (1 - d.P)
	for i, v := range x {
		if p.RNG.Float32() < d.P {
			d.mask[i], d.y[i] = 0, 0
		} else {
			d.mask[i], d.y[i] = keep, v*keep
		}
	}
	return d.y
}

func (d *Dropout) Backward(dy []float32, _ [][]float32, _ bool) []float32 {
	if !d.train {
		return dy
	}
	d.dx = Grow(d.dx, len(dy))
	for i, g := range dy {
		d.dx[i] = g * d.mask[i]
	}
	return d.dx
}

// Activation applies an elementwise activation as its own layer (the
// output activation of the image decoders, and the activation after a
// batch norm).
type Activation struct {
	Shape []int
	Act   Act
	y, dx []float32
}

// NewActivation returns an activation layer over per-sample shape.
func NewActivation(shape []int, a Act) (*Activation, error) {
	if err := CheckAct(a); err != nil {
		return nil, err
	}
	return &Activation{Shape: slices.Clone(shape), Act: a}, nil
}

func (a *Activation) Op() string       { return "activation" }
func (a *Activation) InShape() []int   { return a.Shape }
func (a *Activation) OutShape() []int  { return a.Shape }
func (a *Activation) Params() []*Param { return nil }

func (a *Activation) Forward(x []float32, n int, _ *Pass) []float32 {
	a.y = Grow(a.y, len(x))
	ops.ApplyAct(a.y, x, a.Act.Fn, a.Act.Alpha)
	return a.y
}

func (a *Activation) Backward(dy []float32, _ [][]float32, _ bool) []float32 {
	a.dx = Grow(a.dx, len(dy))
	train.ActBackward(a.dx, dy, a.y, a.Act.Fn, a.Act.Alpha)
	return a.dx
}
