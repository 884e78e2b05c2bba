package nn

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/ops/train"
)

// Penalty is an additive term of a training objective besides the
// reconstruction loss: a function of the activations h at one point of a
// Net (and possibly of parameters), averaged over the batch. Penalties
// hold no run state, so the chunks of a batch share one.
type Penalty interface {
	// At is the point the penalty reads and adds its gradient to.
	At() int
	// Weight multiplies the penalty's value in the objective.
	Weight() float64
	// StatSize is the number of whole-batch sums the gradient needs before
	// any chunk can be differentiated (0: each sample on its own).
	StatSize() int
	// AddStats adds the sums of rows samples h into stats.
	AddStats(stats []float64, h []float32, rows int)
	// Backward adds the gradient of Weight × penalty with respect to the
	// activations at At into c.Grad (and with respect to parameters into
	// c.ParamGrad) and returns these rows' share of the unweighted value.
	Backward(c *PenaltyChunk) float64
}

// PenaltyChunk is what Penalty.Backward sees of one chunk of a batch.
type PenaltyChunk struct {
	// Rows are the chunk's samples, BatchRows the whole batch's (the
	// penalties are batch means).
	Rows, BatchRows int
	// Points are the chunk's activations at every point of the Net.
	Points [][]float32
	// Grad is the loss gradient at the penalty's point (Rows × width).
	Grad []float32
	// Stats are the whole batch's sums (StatSize values).
	Stats []float64
	// ParamGrad returns the chunk's gradient buffer of a parameter.
	ParamGrad func(*Param) []float32
}

// L1 is Weight·mean over samples of Σ|h|, the activity penalty of a
// sparse autoencoder's code.
type L1 struct {
	Point int
	W     float64
}

func (p *L1) At() int                                         { return p.Point }
func (p *L1) Weight() float64                                 { return p.W }
func (p *L1) StatSize() int                                   { return 0 }
func (p *L1) AddStats(stats []float64, h []float32, rows int) {}

func (p *L1) Backward(c *PenaltyChunk) float64 {
	invB := 1 / float32(c.BatchRows)
	k := float32(p.W) * invB
	g := c.Grad
	var s float64
	for i, v := range c.Points[p.Point] {
		switch {
		case v > 0:
			g[i] += k
			s += float64(v)
		case v < 0:
			g[i] -= k
			s -= float64(v)
		}
	}
	return s * float64(invB)
}

// SparsityKL is Weight·Σ_j KL(Rho ‖ ρ̂_j), where ρ̂_j is the batch mean of
// unit j at its point (a sigmoid code): the sparse autoencoder's KL
// penalty. It needs the column means of the whole batch.
type SparsityKL struct {
	Point int
	Width int
	Rho   float64
	W     float64
}

func (p *SparsityKL) At() int         { return p.Point }
func (p *SparsityKL) Weight() float64 { return p.W }
func (p *SparsityKL) StatSize() int   { return p.Width }

func (p *SparsityKL) AddStats(stats []float64, h []float32, rows int) {
	for r := 0; r < rows; r++ {
		for j, v := range h[r*p.Width : (r+1)*p.Width] {
			stats[j] += float64(v)
		}
	}
}

func (p *SparsityKL) Backward(c *PenaltyChunk) float64 {
	rho := p.Rho
	var pen float64
	dRho := make([]float32, p.Width)
	for j, s := range c.Stats {
		rh := math.Min(math.Max(s/float64(c.BatchRows), 1e-6), 1-1e-6)
		pen += rho*math.Log(rho/rh) + (1-rho)*math.Log((1-rho)/(1-rh))
		dRho[j] = float32(p.W * (-rho/rh + (1-rho)/(1-rh)))
	}
	invB := 1 / float32(c.BatchRows)
	for r := 0; r < c.Rows; r++ {
		row := c.Grad[r*p.Width : (r+1)*p.Width]
		for j := range row {
			row[j] += dRho[j] * invB
		}
	}
	// The penalty is a function of the batch means: each chunk reports
	// its rows' share.
	return pen * float64(c.Rows) / float64(c.BatchRows)
}

// Contractive is Weight·mean over samples of ‖∂h/∂x‖²_F for a one-layer
// encoder h = f(Wx + b): with z = Wx + b at point At (the output of the
// linear layer Linear) and h = f(z) at At+1,
// ‖J‖²_F = Σ_j f'(z_j)² Σ_i W_ji². Its gradient reaches z (through f'
// and f”) and W directly.
type Contractive struct {
	Point  int
	Linear *Dense
	Act    Act
	W      float64
}

// NewContractive returns the penalty on the encoder layer linear (no
// activation of its own, not transposed) followed by act, with its output
// z at point.
func NewContractive(point int, linear *Dense, act Act, weight float64) (*Contractive, error) {
	if linear.Transposed || linear.Act.Fn != ops.ActNone {
		return nil, fmt.Errorf("contractive penalty: layer %s must be linear and own its weights", linear.Name)
	}
	return &Contractive{Point: point, Linear: linear, Act: act, W: weight}, nil
}

func (p *Contractive) At() int                                         { return p.Point }
func (p *Contractive) Weight() float64                                 { return p.W }
func (p *Contractive) StatSize() int                                   { return 0 }
func (p *Contractive) AddStats(stats []float64, h []float32, rows int) {}

func (p *Contractive) Backward(c *PenaltyChunk) float64 {
	d := p.Linear
	W := d.W.Data
	y := c.Points[p.Point+1]
	dz := c.Grad
	gw := c.ParamGrad(d.W)
	invB := 1 / float32(c.BatchRows)
	lam := float32(p.W) * invB
	var raw float64
	for j := 0; j < d.Out; j++ {
		var wsq, sp2 float64
		for _, v := range W[j*d.In : (j+1)*d.In] {
			wsq += float64(v) * float64(v)
		}
		for r := 0; r < c.Rows; r++ {
			d1, d2 := train.ActDerivs(y[r*d.Out+j], p.Act.Fn, p.Act.Alpha)
			sp2 += float64(d1) * float64(d1)
			dz[r*d.Out+j] += 2 * lam * d1 * d2 * float32(wsq)
		}
		raw += sp2 * wsq
		k := 2 * lam * float32(sp2)
		g := gw[j*d.In : (j+1)*d.In]
		for i, v := range W[j*d.In : (j+1)*d.In] {
			g[i] += k * v
		}
	}
	return raw * float64(invB)
}

// GaussianKL is Weight·mean over samples of KL(N(mu, exp(logvar)) ‖
// N(0, I)) = −½·Σ(1 + logvar − mu² − exp(logvar)), read from a
// Posterior's [mu | logvar] output: a VAE's regulariser. Its weight may
// change between epochs (KL warm-up).
type GaussianKL struct {
	Point int
	Code  int
	W     float64
}

func (p *GaussianKL) At() int                                         { return p.Point }
func (p *GaussianKL) Weight() float64                                 { return p.W }
func (p *GaussianKL) StatSize() int                                   { return 0 }
func (p *GaussianKL) AddStats(stats []float64, h []float32, rows int) {}

func (p *GaussianKL) Backward(c *PenaltyChunk) float64 {
	k := p.Code
	h := c.Points[p.Point]
	inv := 1 / float64(c.BatchRows)
	w := float32(p.W)
	var s float64
	for r := 0; r < c.Rows; r++ {
		mu, lv := h[2*r*k:(2*r+1)*k], h[(2*r+1)*k:(2*r+2)*k]
		dmu, dlv := c.Grad[2*r*k:(2*r+1)*k], c.Grad[(2*r+1)*k:(2*r+2)*k]
		for j, m := range mu {
			l := float64(lv[j])
			e := math.Exp(l)
			s += -0.5 * (1 + l - float64(m)*float64(m) - e)
			dmu[j] += w * float32(float64(m)*inv)
			dlv[j] += w * float32(0.5*(e-1)*inv)
		}
	}
	return s * inv
}
