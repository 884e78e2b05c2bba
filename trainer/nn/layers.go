package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// BatchNorm normalises each channel (the first per-sample axis) with batch
// statistics in training and running statistics in evaluation, then applies
// a learned scale and bias. Running statistics follow
// r ← (1−Momentum)·r + Momentum·batch, with the unbiased batch variance.
// In training it is Coupled: a batch split into chunks is normalised with
// the statistics of the whole batch.
type BatchNorm struct {
	// Name prefixes the layer's tensors (Name.scale, Name.bias,
	// Name.running_mean, Name.running_var).
	Name          string
	Shape         []int
	Eps, Momentum float32
	Scale, Bias   *Param
	Mean, Var     *Param // running statistics (state, not trained)
	buf           bnBuf
}

type bnBuf struct {
	bm, bv      []float32
	x, y, dx    []float32
	gx, gdy     []float32 // the chunks of a coupled pass, contiguous
	n           int
	train       bool
	spans       []int // chunk row offsets of a coupled pass
	outs, grads [][]float32
}

// NewBatchNorm returns a batch norm over per-sample shape (C, spatial...).
func NewBatchNorm(name string, shape []int) *BatchNorm {
	c := shape[0]
	b := &BatchNorm{Name: name, Shape: slices.Clone(shape), Eps: 1e-5, Momentum: 0.1,
		Scale: newParam(name+".scale", false, c), Bias: newParam(name+".bias", false, c),
		Mean: newParam(name+".running_mean", false, c), Var: newParam(name+".running_var", false, c)}
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
func (b *BatchNorm) Replica() Layer {
	r := *b
	r.buf = bnBuf{}
	return &r
}

func (b *BatchNorm) spatial() int { return size(b.Shape) / b.Shape[0] }

func (b *BatchNorm) Forward(x []float32, n int, p *Pass) []float32 {
	c, sp := b.Shape[0], b.spatial()
	s := &b.buf
	s.x, s.n, s.train = x, n, p.training()
	s.y = Grow(s.y, len(x))
	if !s.train {
		ops.BatchNormInference(n, c, sp, x, b.Scale.Data, b.Bias.Data, b.Mean.Data, b.Var.Data, b.Eps, s.y)
		return s.y
	}
	s.bm, s.bv = Grow(s.bm, c), Grow(s.bv, c)
	ops.BatchNormTraining(n, c, sp, x, b.Scale.Data, b.Bias.Data, b.Eps, s.y, s.bm, s.bv)
	cnt := float32(n * sp)
	unbias := float32(1)
	if cnt > 1 {
		unbias = cnt / (cnt - 1)
	}
	m := b.Momentum
	for i := 0; i < c; i++ {
		b.Mean.Data[i] = (1-m)*b.Mean.Data[i] + m*s.bm[i]
		b.Var.Data[i] = (1-m)*b.Var.Data[i] + m*s.bv[i]*unbias
	}
	return s.y
}

func (b *BatchNorm) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	c, sp := b.Shape[0], b.spatial()
	s := &b.buf
	s.dx = Grow(s.dx, len(s.x))
	if s.train {
		train.BatchNormTrainingBackward(s.n, c, sp, s.x, b.Scale.Data, s.bm, s.bv, b.Eps, dy, s.dx, grads[0], grads[1])
	} else {
		// Fixed statistics: an affine map per channel.
		for ch := 0; ch < c; ch++ {
			inv := float32(1 / math.Sqrt(float64(b.Var.Data[ch])+float64(b.Eps)))
			k := b.Scale.Data[ch] * inv
			for i := 0; i < s.n; i++ {
				off := (i*c + ch) * sp
				for j := off; j < off+sp; j++ {
					grads[0][ch] += dy[j] * (s.x[j] - b.Mean.Data[ch]) * inv
					grads[1][ch] += dy[j]
					s.dx[j] = dy[j] * k
				}
			}
		}
	}
	if !needInput {
		return nil
	}
	return s.dx
}

// gather copies the chunks into one contiguous batch in *buf and records
// their offsets.
func (s *bnBuf) gather(buf *[]float32, parts [][]float32) []float32 {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	*buf = Grow(*buf, total)
	s.spans = s.spans[:0]
	off := 0
	for _, p := range parts {
		s.spans = append(s.spans, off)
		off += copy((*buf)[off:], p)
	}
	return *buf
}

// split cuts a whole-batch buffer back into chunks shaped like parts.
func (s *bnBuf) split(all []float32, parts [][]float32, dst [][]float32) [][]float32 {
	dst = dst[:0]
	for i, p := range parts {
		dst = append(dst, all[s.spans[i]:s.spans[i]+len(p)])
	}
	return dst
}

// ForwardBatch normalises the chunks together (batch statistics over all
// of them); the outputs are views of the receiver's buffer.
func (b *BatchNorm) ForwardBatch(xs [][]float32, ns []int, p *Pass) [][]float32 {
	n := 0
	for _, k := range ns {
		n += k
	}
	x := b.buf.gather(&b.buf.gx, xs)
	y := b.Forward(x, n, p)
	b.buf.outs = b.buf.split(y, xs, b.buf.outs)
	return b.buf.outs
}

// BackwardBatch propagates the chunks' gradients through the whole-batch
// normalisation of ForwardBatch.
func (b *BatchNorm) BackwardBatch(dys [][]float32, grads [][]float32, needInput bool) [][]float32 {
	dx := b.Backward(b.buf.gather(&b.buf.gdy, dys), grads, needInput)
	if !needInput {
		return nil
	}
	b.buf.grads = b.buf.split(dx, dys, b.buf.grads)
	return b.buf.grads
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
func (r *Reshape) Replica() Layer                                         { return &Reshape{In: r.In, Out: r.Out} }
func (r *Reshape) Forward(x []float32, _ int, _ *Pass) []float32          { return x }
func (r *Reshape) Backward(dy []float32, _ [][]float32, _ bool) []float32 { return dy }

// TrainOnly is implemented by layers that are the identity outside
// training (dropout, input noise): exporters leave them out.
type TrainOnly interface {
	TrainOnly()
}

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
func (d *Dropout) TrainOnly()       {}
func (d *Dropout) Replica() Layer   { return &Dropout{Shape: d.Shape, P: d.P} }

func (d *Dropout) Forward(x []float32, n int, p *Pass) []float32 {
	d.train = p.training() && d.P > 0
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

func (d *Dropout) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !d.train {
		return dy
	}
	if !needInput {
		return nil
	}
	d.dx = Grow(d.dx, len(dy))
	for i, g := range dy {
		d.dx[i] = g * d.mask[i]
	}
	return d.dx
}

// Noise corrupts its input during training (a denoising autoencoder's
// input): with Drop > 0 each element is zeroed with probability Drop
// (masking noise, survivors not rescaled), with Sigma > 0 N(0, Sigma²) is
// added to each element. It is the identity in evaluation and in
// exported graphs.
type Noise struct {
	Shape []int
	Drop  float64
	Sigma float64
	y, dx []float32
	kept  []bool
	train bool
}

// NewNoise returns a noise layer over per-sample shape: masking noise
// (drop in (0,1)) or Gaussian noise (sigma > 0), not both.
func NewNoise(shape []int, drop, sigma float64) (*Noise, error) {
	if (drop > 0) == (sigma > 0) || drop < 0 || drop >= 1 || sigma < 0 {
		return nil, fmt.Errorf("noise: want masking noise with drop in (0,1) or Gaussian noise with sigma > 0 (not both), got drop %g and sigma %g", drop, sigma)
	}
	return &Noise{Shape: slices.Clone(shape), Drop: drop, Sigma: sigma}, nil
}

func (z *Noise) Op() string       { return "noise" }
func (z *Noise) InShape() []int   { return z.Shape }
func (z *Noise) OutShape() []int  { return z.Shape }
func (z *Noise) Params() []*Param { return nil }
func (z *Noise) TrainOnly()       {}
func (z *Noise) Replica() Layer   { return &Noise{Shape: z.Shape, Drop: z.Drop, Sigma: z.Sigma} }

func (z *Noise) Forward(x []float32, n int, p *Pass) []float32 {
	z.train = p.training()
	if !z.train {
		return x
	}
	z.y = Grow(z.y, len(x))
	copy(z.y, x)
	if z.Drop > 0 {
		if cap(z.kept) < len(x) {
			z.kept = make([]bool, len(x))
		}
		z.kept = z.kept[:len(x)]
		for i := range z.y {
			z.kept[i] = p.RNG.Float64() >= z.Drop
			if !z.kept[i] {
				z.y[i] = 0
			}
		}
	} else {
		for i := range z.y {
			z.y[i] += float32(p.RNG.NormFloat64() * z.Sigma)
		}
	}
	return z.y
}

func (z *Noise) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !z.train || z.Drop == 0 {
		return dy
	}
	if !needInput {
		return nil
	}
	z.dx = Grow(z.dx, len(dy))
	for i, g := range dy {
		if !z.kept[i] {
			g = 0
		}
		z.dx[i] = g
	}
	return z.dx
}

// KSparse keeps the K largest values of each sample (ties to the lowest
// index) and zeroes the others: a k-sparse code. The gradient flows to the
// kept values only.
type KSparse struct {
	Width, K int
	y, dx    []float32
	mask     []uint8
}

// NewKSparse returns a k-sparse selection over width values per sample.
func NewKSparse(width, k int) (*KSparse, error) {
	if k <= 0 || k > width {
		return nil, fmt.Errorf("k-sparse: k must be in [1, %d], got %d", width, k)
	}
	return &KSparse{Width: width, K: k}, nil
}

func (s *KSparse) Op() string       { return "k-sparse" }
func (s *KSparse) InShape() []int   { return []int{s.Width} }
func (s *KSparse) OutShape() []int  { return []int{s.Width} }
func (s *KSparse) Params() []*Param { return nil }
func (s *KSparse) Replica() Layer   { return &KSparse{Width: s.Width, K: s.K} }

func (s *KSparse) Forward(x []float32, n int, _ *Pass) []float32 {
	s.y = Grow(s.y, n*s.Width)
	if cap(s.mask) < n*s.Width {
		s.mask = make([]uint8, n*s.Width)
	}
	s.mask = s.mask[:n*s.Width]
	copy(s.y, x[:n*s.Width])
	clear(s.mask)
	for r := 0; r < n; r++ {
		row, m := s.y[r*s.Width:(r+1)*s.Width], s.mask[r*s.Width:(r+1)*s.Width]
		for t := 0; t < s.K; t++ {
			best := -1
			for j, v := range row {
				if m[j] == 0 && (best < 0 || v > row[best]) {
					best = j
				}
			}
			m[best] = 1
		}
		for j := range row {
			if m[j] == 0 {
				row[j] = 0
			}
		}
	}
	return s.y
}

// Kept reports, per value of the last Forward, whether it survived.
func (s *KSparse) Kept() []uint8 { return s.mask }

func (s *KSparse) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !needInput {
		return nil
	}
	s.dx = Grow(s.dx, len(s.mask))
	for i, m := range s.mask {
		if m == 0 {
			s.dx[i] = 0
		} else {
			s.dx[i] = dy[i]
		}
	}
	return s.dx
}
