package trainer

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
)

// Model is a dense autoencoder: its spec, the input scaler fitted on the
// training data and its parameters. Inference (and an exported graph) scales
// raw inputs with Scaler.Transform before the first encoder layer and maps
// reconstructions back with Scaler.Inverse; codes are not rescaled.
type Model struct {
	Spec   models.Spec
	Scaler data.Scaler
	net    *net
	// img is the layer network of the image and VAE kinds (net is nil then).
	img *imageNet
}

// NewModel validates spec and builds a model with weights initialised from
// seed (Xavier or He uniform, zero biases) and an identity scaler.
func NewModel(spec models.Spec, seed uint64) (*Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("model spec: %w", err)
	}
	if models.IsImageKind(spec.Kind) {
		img, err := newImageNet(spec, rand.New(rand.NewPCG(seed, streamInit)))
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", spec.Kind, err)
		}
		return &Model{Spec: spec, Scaler: data.Scaler{Kind: data.NoScaling}, img: img}, nil
	}
	n, err := newNet(layoutOf(spec), rand.New(rand.NewPCG(seed, streamInit)))
	if err != nil {
		return nil, err
	}
	return &Model{Spec: spec, Scaler: data.Scaler{Kind: data.NoScaling}, net: n}, nil
}

// RNG streams derived from the seed.
const (
	streamInit  = 1
	streamTrain = 2
)

// Params returns the model's trainable tensors in a fixed order (names
// enc<i>.W, enc<i>.b, dec<j>.W, dec<j>.b; tied decoders have no W).
func (m *Model) Params() []*Param {
	if m.img != nil {
		return m.img.params
	}
	return m.net.params
}

// Layer describes one dense layer for exporters: y = act(x·Wᵀ + B).
type Layer struct {
	In, Out int
	// W is [Out, In] row-major. For a tied decoder layer it is a fresh copy
	// of the transpose of the mirror encoder layer's weights.
	W []float32
	B []float32
	// Activation and its parameter (leaky-relu slope, elu scale).
	Activation models.Activation
	Alpha      float64
	// Tied marks a decoder layer sharing (transposed) the weights of
	// encoder layer TiedTo.
	Tied   bool
	TiedTo int
	// K > 0 on the code layer of a k-sparse model: only the K largest
	// activations of each sample are kept, the rest are set to 0.
	K int
}

func (m *Model) layer(i int) Layer {
	n := m.net
	d := n.layers[i]
	l := Layer{In: d.in, Out: d.out, B: n.params[d.b].Data, Activation: d.act,
		Alpha: m.Spec.ActivationAlpha(d.act), TiedTo: -1}
	W := n.params[d.w].Data
	if d.tied {
		l.Tied, l.TiedTo = true, len(n.layers)-1-i
		l.W = make([]float32, d.in*d.out)
		ops.Transpose(l.W, W, []int{d.in, d.out}, []int{1, 0})
	} else {
		l.W = W
	}
	if i == n.nEnc-1 {
		l.K = n.k
	}
	return l
}

// Encoder returns the encoder layers, input side first (nil for the image
// and VAE kinds: see Network).
func (m *Model) Encoder() []Layer {
	if m.net == nil {
		return nil
	}
	out := make([]Layer, m.net.nEnc)
	for i := range out {
		out[i] = m.layer(i)
	}
	return out
}

// Decoder returns the decoder layers, code side first (nil for the image
// and VAE kinds: see Network).
func (m *Model) Decoder() []Layer {
	if m.net == nil {
		return nil
	}
	out := make([]Layer, len(m.net.layers)-m.net.nEnc)
	for j := range out {
		out[j] = m.layer(m.net.nEnc + j)
	}
	return out
}

// run scales raw rows, runs the network and returns either the code or the
// reconstruction (in raw units).
func (m *Model) run(x []float32, rows int, wantCode bool) ([]float32, error) {
	if m.img != nil {
		return m.runImage(x, rows, wantCode)
	}
	D := m.net.inputSize()
	if rows <= 0 || len(x) != rows*D {
		return nil, fmt.Errorf("model input: %d values for %d rows of %d features", len(x), rows, D)
	}
	xs := make([]float32, len(x))
	m.Scaler.Transform(xs, x)
	cols := m.net.outputSize()
	if wantCode {
		cols = m.net.codeSize()
	}
	out := make([]float32, rows*cols)
	w := m.net.newWork(min(rows, 256))
	for lo := 0; lo < rows; lo += w.cap {
		r := min(w.cap, rows-lo)
		m.net.forward(w, xs[lo*D:(lo+r)*D], r)
		if wantCode {
			copy(out[lo*cols:], m.net.code(w, r))
		} else {
			copy(out[lo*cols:], m.net.output(w, r))
		}
	}
	if !wantCode {
		m.Scaler.Inverse(out, out)
	}
	return out, nil
}

// Encode returns the codes (rows × Spec.Code) of raw input rows.
func (m *Model) Encode(x []float32, rows int) ([]float32, error) { return m.run(x, rows, true) }

// Reconstruct returns the reconstructions of raw input rows, in raw units.
func (m *Model) Reconstruct(x []float32, rows int) ([]float32, error) {
	return m.run(x, rows, false)
}

// clone returns a deep copy of m (spec, scaler and parameters).
func (m *Model) clone() (*Model, error) {
	c, err := NewModel(m.Spec, 0)
	if err != nil {
		return nil, err
	}
	if err := m.Scaler.Check(m.Spec.Input); err != nil {
		return nil, err
	}
	c.Scaler = m.Scaler.Clone()
	for i, p := range m.Params() {
		copy(c.Params()[i].Data, p.Data)
	}
	for i, p := range m.modelState() {
		copy(c.modelState()[i].Data, p.Data)
	}
	return c, nil
}
