package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer/nn"
)

// Network returns the layer graph of an image or VAE model (kinds conv,
// vae, conv-vae) for exporters, or nil for the dense kinds (see Encoder
// and Decoder). The layers are the model's own: do not modify them.
func (m *Model) Network() *Network {
	if m.img == nil {
		return nil
	}
	return &m.img.Network
}

// modelState returns the non-trainable tensors saved with the model (batch
// norm running statistics); nil for dense kinds.
func (m *Model) modelState() []*Param {
	if m.img == nil {
		return nil
	}
	return m.img.state
}

const inferRows = 256

func (m *Model) runImage(x []float32, rows int, wantCode bool) ([]float32, error) {
	D := m.Spec.Input
	if rows <= 0 || len(x) != rows*D {
		return nil, fmt.Errorf("model input: %d values for %d rows of %d features", len(x), rows, D)
	}
	xs := make([]float32, len(x))
	m.Scaler.Transform(xs, x)
	cols := D
	if wantCode {
		cols = m.Spec.Code
	}
	out := make([]float32, rows*cols)
	for lo := 0; lo < rows; lo += inferRows {
		r := min(inferRows, rows-lo)
		copy(out[lo*cols:], m.img.infer(xs[lo*D:(lo+r)*D], r, wantCode))
	}
	if !wantCode {
		m.Scaler.Inverse(out, out)
	}
	return out, nil
}

// Decode maps codes (rows × Spec.Code; latent vectors z for VAEs) to
// reconstructions in raw units. Only the image and VAE kinds support it.
func (m *Model) Decode(z []float32, rows int) ([]float32, error) {
	if m.img == nil {
		return nil, fmt.Errorf("decode: kind %s has no layer decoder (use the exported decoder.onnx)", m.Spec.Kind)
	}
	C := m.Spec.Code
	if rows <= 0 || len(z) != rows*C {
		return nil, fmt.Errorf("decode: %d values for %d rows of %d code units", len(z), rows, C)
	}
	D := m.Spec.Input
	out := make([]float32, rows*D)
	for lo := 0; lo < rows; lo += inferRows {
		r := min(inferRows, rows-lo)
		copy(out[lo*D:], m.img.decode(z[lo*C:(lo+r)*C], r))
	}
	m.Scaler.Inverse(out, out)
	return out, nil
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

// stepper is what the training loop needs from a network engine: the
// dense engine and the image/VAE engine both provide it.
type stepper interface {
	// step runs forward and backward over b, leaving the gradients in
	// gradients(), and returns the reconstruction loss and the penalties.
	step(b batchIn) (recon, reg float64)
	gradNorm() float64
	gradients() [][]float32
	parallel(n int, f func(c int))
	// eval returns the summed reconstruction loss over b and its
	// normaliser, writing reconstructions into out when non-nil.
	eval(b batchIn, out []float32) (sum, norm float64)
}

func (e *engine) gradients() [][]float32 { return e.grads }

// imageEngine trains an imageNet one whole mini-batch at a time (each ops
// kernel spreads its own work over the cores); results are deterministic
// given the seed.
type imageEngine struct {
	net     *imageNet
	grads   [][]float32
	rng     *rand.Rand
	workers int
	// KL weight of the current epoch, and the epoch's KL sum over rows.
	beta     float32
	klSum    float64
	klRows   int
	warmup   int
	betaFull float64
}

func newImageEngine(n *imageNet, rng *rand.Rand, workers int) *imageEngine {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &imageEngine{net: n, rng: rng, workers: workers, betaFull: n.spec.Beta, warmup: n.spec.KLWarmup}
	for _, p := range n.params {
		e.grads = append(e.grads, make([]float32, len(p.Data)))
	}
	e.beta = float32(e.betaFull)
	return e
}

// startEpoch sets the KL weight of epoch (0-based): beta·min(1, (epoch+1)/
// warm-up) during a warm-up of KLWarmup epochs, beta afterwards.
func (e *imageEngine) startEpoch(epoch int) {
	e.klSum, e.klRows = 0, 0
	w := 1.0
	if e.warmup > 0 {
		w = math.Min(1, float64(epoch+1)/float64(e.warmup))
	}
	e.beta = float32(e.betaFull * w)
}

func (e *imageEngine) step(b batchIn) (recon, reg float64) {
	o := e.net.trainStep(b, e.grads, e.beta, e.rng)
	e.klSum += o.kl * float64(b.rows)
	e.klRows += b.rows
	return o.recon, float64(e.beta) * o.kl
}

func (e *imageEngine) gradients() [][]float32 { return e.grads }

func (e *imageEngine) gradNorm() float64 {
	var s float64
	for _, g := range e.grads {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

func (e *imageEngine) parallel(n int, f func(c int)) { runParallel(e.workers, n, f) }

// eval reports the deterministic (z = mu) reconstruction loss: summed over
// elements with the element count as normaliser for conv, summed over
// features with the row count as normaliser for VAEs (matching step).
func (e *imageEngine) eval(b batchIn, out []float32) (sum, norm float64) {
	n := e.net
	D := n.spec.Input
	code, _ := n.encode(b.x, b.rows, nil)
	var y []float32
	if n.bce {
		y = n.body.Forward(code, b.rows, nil)
	} else {
		y = n.Decoder.Forward(code, b.rows, nil)
	}
	norm = float64(b.rows * D)
	if n.Mu != nil {
		norm = float64(b.rows)
	}
	if b.t != nil {
		n.g = nn.Grow(n.g, b.rows*D)
		sum = reconLossGrad(y, b.t[:b.rows*D], n.g, n.bce, 1)
	}
	if out != nil {
		if n.bce {
			y = n.Decoder.Layers[len(n.Decoder.Layers)-1].Forward(y, b.rows, nil)
		}
		copy(out, y)
	}
	return sum, norm
}

// epochKL returns the mean unweighted KL of the epoch so far.
func (e *imageEngine) epochKL() float64 {
	if e.klRows == 0 {
		return 0
	}
	return e.klSum / float64(e.klRows)
}
