package trainer

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer/nn"
)

// Param is one trainable tensor of a network (shared with the layers of
// package nn).
type Param = nn.Param

// Model is an autoencoder of any kind: its spec, the input scaler fitted
// on the training data and its network, one chain of nn layers. Inference
// (and an exported graph) scales raw inputs with Scaler.Transform before
// the first layer and maps reconstructions back with Scaler.Inverse; codes
// are not rescaled. Encode, Reconstruct, Decode, Posterior and Sample may
// be called from several goroutines at once (each call runs its own
// replica of the layers), but not while the model is being trained.
type Model struct {
	Spec   models.Spec
	Scaler data.Scaler
	net    *nn.Net
	obj    *objective
}

// NewModel validates spec and builds a model with weights initialised from
// seed (Spec.Init: Xavier or He uniform; zero biases) and an identity
// scaler.
func NewModel(spec models.Spec, seed uint64) (*Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("model spec: %w", err)
	}
	net, obj, err := build(spec, rand.New(rand.NewPCG(seed, streamInit)))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", spec.Kind, err)
	}
	return &Model{Spec: spec, Scaler: data.Scaler{Kind: data.NoScaling}, net: net, obj: obj}, nil
}

// RNG streams derived from the seed: initialisation and the training
// loop's (shuffling, validation split). The stochastic layers (noise,
// dropout, a VAE's sampling) draw from a stream per batch and chunk (see
// engine.step).
const (
	streamInit  = 1
	streamTrain = 2
)

// Network returns the model's layer chain, for exporters and inspection:
// Network().Encoder() maps the scaled input to the code and Decoder() the
// code to the scaled reconstruction. The layers are the model's own: do
// not modify them.
func (m *Model) Network() *nn.Net { return m.net }

// Params returns the model's trainable tensors in a fixed order: layer
// order, each shared tensor once (names enc0.W, enc0.b, ... for the dense
// kinds; tied decoders have no W of their own).
func (m *Model) Params() []*Param { return m.net.Params() }

// state returns the non-trainable tensors saved with the model (batch norm
// running statistics).
func (m *Model) state() []*Param { return m.net.State() }

// inferRows is the block of rows inference runs at a time.
const inferRows = 256

// run maps raw rows of the first layer's input (width in) through layers
// lo..hi-1 into rows of width out, scaling the input when scaleIn and
// unscaling the output when unscaleOut.
func (m *Model) run(what string, x []float32, rows, lo, hi, in, out int, scaleIn, unscaleOut bool) ([]float32, error) {
	if rows <= 0 || len(x) != rows*in {
		return nil, fmt.Errorf("%s: %d values for %d rows of %d features", what, len(x), rows, in)
	}
	if scaleIn {
		xs := make([]float32, len(x))
		m.Scaler.Transform(xs, x)
		x = xs
	}
	y := make([]float32, rows*out)
	net := m.net.Replica() // own buffers: calls may run concurrently
	for r := 0; r < rows; r += inferRows {
		n := min(inferRows, rows-r)
		copy(y[r*out:], net.Forward(lo, hi, x[r*in:(r+n)*in], n, &nn.Pass{}))
	}
	if unscaleOut {
		m.Scaler.Inverse(y, y)
	}
	return y, nil
}

// Encode returns the codes (rows × Spec.Code; a VAE's posterior means) of
// raw input rows.
func (m *Model) Encode(x []float32, rows int) ([]float32, error) {
	return m.run("model input", x, rows, 0, m.net.Code, m.Spec.Input, m.Spec.Code, true, false)
}

// Reconstruct returns the reconstructions of raw input rows, in raw units
// (deterministic: a VAE decodes its posterior mean).
func (m *Model) Reconstruct(x []float32, rows int) ([]float32, error) {
	return m.run("model input", x, rows, 0, len(m.net.Layers), m.Spec.Input, m.Spec.Input, true, true)
}

// Decode maps codes (rows × Spec.Code; latent vectors z for VAEs) to
// reconstructions in raw units.
func (m *Model) Decode(z []float32, rows int) ([]float32, error) {
	return m.run("decode", z, rows, m.net.Code, len(m.net.Layers), m.Spec.Code, m.Spec.Input, false, true)
}

// Posterior returns a VAE's posterior means and log-variances (rows ×
// Spec.Code each) for raw input rows; other kinds have no posterior.
func (m *Model) Posterior(x []float32, rows int) (mu, logvar []float32, err error) {
	at := slices.IndexFunc(m.net.Layers, func(l nn.Layer) bool { _, ok := l.(*nn.Posterior); return ok })
	if at < 0 {
		return nil, nil, fmt.Errorf("posterior: kind %s is not variational (want vae or conv-vae)", m.Spec.Kind)
	}
	c := m.Spec.Code
	h, err := m.run("model input", x, rows, 0, at+1, m.Spec.Input, 2*c, true, false)
	if err != nil {
		return nil, nil, err
	}
	mu, logvar = make([]float32, rows*c), make([]float32, rows*c)
	for r := 0; r < rows; r++ {
		copy(mu[r*c:(r+1)*c], h[2*r*c:])
		copy(logvar[r*c:(r+1)*c], h[(2*r+1)*c:])
	}
	return mu, logvar, nil
}

// Sample draws n latent vectors z ~ N(0, I) from a generator seeded with
// seed and decodes them (VAE kinds only). It returns the samples (n ×
// Spec.Input, raw units) and the latent vectors (n × Spec.Code).
func (m *Model) Sample(n int, seed uint64) (samples, z []float32, err error) {
	if !models.IsVAE(m.Spec.Kind) {
		return nil, nil, fmt.Errorf("sample: kind %s is not generative (want vae or conv-vae)", m.Spec.Kind)
	}
	if n <= 0 {
		return nil, nil, fmt.Errorf("sample: count must be positive, got %d", n)
	}
	z = SampleNoise(n, m.Spec.Code, seed)
	samples, err = m.Decode(z, n)
	return samples, z, err
}

// SampleNoise returns n×code draws from N(0, I), seeded: the latent
// vectors Model.Sample decodes (and latent sample feeds generate.onnx).
func SampleNoise(n, code int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x5a4d))
	z := make([]float32, n*code)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// clone returns a deep copy of m (spec, scaler, parameters and state).
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
	for i, p := range m.state() {
		copy(c.state()[i].Data, p.Data)
	}
	return c, nil
}
