package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
)

// Posterior maps features to the parameters of a VAE's diagonal Gaussian
// posterior with two linear heads: its output is [mu | logvar] per sample
// (2·Code values), the point a GaussianKL penalty reads. A Reparameterise
// layer follows it.
type Posterior struct {
	Mu, LogVar *Dense
	y, dmu     []float32
	dlv, dx    []float32
}

// NewPosterior returns the heads "mu" and "logvar" (in → code each, linear)
// with weights drawn from rng by init, mu first.
func NewPosterior(in, code int, init Init, rng *rand.Rand) *Posterior {
	return &Posterior{Mu: NewDense("mu", in, code, Act{}, init, rng), LogVar: NewDense("logvar", in, code, Act{}, init, rng)}
}

func (q *Posterior) Op() string       { return "posterior" }
func (q *Posterior) InShape() []int   { return []int{q.Mu.In} }
func (q *Posterior) OutShape() []int  { return []int{2 * q.Mu.Out} }
func (q *Posterior) Params() []*Param { return []*Param{q.Mu.W, q.Mu.B, q.LogVar.W, q.LogVar.B} }
func (q *Posterior) Replica() Layer {
	return &Posterior{Mu: q.Mu.Replica().(*Dense), LogVar: q.LogVar.Replica().(*Dense)}
}

func (q *Posterior) Forward(x []float32, n int, p *Pass) []float32 {
	c := q.Mu.Out
	mu, lv := q.Mu.Forward(x, n, p), q.LogVar.Forward(x, n, p)
	q.y = Grow(q.y, 2*n*c)
	for r := 0; r < n; r++ {
		copy(q.y[2*r*c:], mu[r*c:(r+1)*c])
		copy(q.y[(2*r+1)*c:], lv[r*c:(r+1)*c])
	}
	return q.y
}

func (q *Posterior) Backward(dy []float32, grads [][]float32, needInput bool) []float32 {
	c := q.Mu.Out
	n := len(dy) / (2 * c)
	q.dmu, q.dlv = Grow(q.dmu, n*c), Grow(q.dlv, n*c)
	for r := 0; r < n; r++ {
		copy(q.dmu[r*c:(r+1)*c], dy[2*r*c:])
		copy(q.dlv[r*c:(r+1)*c], dy[(2*r+1)*c:])
	}
	dx1 := q.Mu.Backward(q.dmu, grads[0:2], needInput)
	dx2 := q.LogVar.Backward(q.dlv, grads[2:4], needInput)
	if !needInput {
		return nil
	}
	q.dx = Grow(q.dx, len(dx1))
	ops.AddF32(q.dx, dx1, dx2)
	return q.dx
}

// Reparameterise draws the code of a VAE from [mu | logvar] (a Posterior's
// output): z = mu + exp(logvar/2)·eps with eps ~ N(0, I) from the pass's
// random source in training (the reparameterisation trick: the noise is
// an input, so z is differentiable in mu and logvar), z = mu otherwise
// (the deterministic encoding).
type Reparameterise struct {
	Code       int
	eps, z, dx []float32
	x          []float32
	train      bool
}

// NewReparameterise returns the sampling layer of a code of the given size.
func NewReparameterise(code int) (*Reparameterise, error) {
	if code <= 0 {
		return nil, fmt.Errorf("reparameterise: code size must be positive, got %d", code)
	}
	return &Reparameterise{Code: code}, nil
}

func (s *Reparameterise) Op() string       { return "reparameterise" }
func (s *Reparameterise) InShape() []int   { return []int{2 * s.Code} }
func (s *Reparameterise) OutShape() []int  { return []int{s.Code} }
func (s *Reparameterise) Params() []*Param { return nil }
func (s *Reparameterise) Replica() Layer   { return &Reparameterise{Code: s.Code} }

func (s *Reparameterise) Forward(x []float32, n int, p *Pass) []float32 {
	c := s.Code
	s.x, s.train = x, p.training()
	s.z = Grow(s.z, n*c)
	if !s.train {
		for r := 0; r < n; r++ {
			copy(s.z[r*c:(r+1)*c], x[2*r*c:])
		}
		return s.z
	}
	s.eps = Grow(s.eps, n*c)
	for i := range s.eps {
		s.eps[i] = float32(p.RNG.NormFloat64())
	}
	for r := 0; r < n; r++ {
		mu, lv := x[2*r*c:(2*r+1)*c], x[(2*r+1)*c:(2*r+2)*c]
		for j := range c {
			i := r*c + j
			s.z[i] = mu[j] + float32(math.Exp(0.5*float64(lv[j])))*s.eps[i]
		}
	}
	return s.z
}

func (s *Reparameterise) Backward(dy []float32, _ [][]float32, needInput bool) []float32 {
	if !needInput {
		return nil
	}
	c := s.Code
	n := len(dy) / c
	s.dx = Grow(s.dx, 2*n*c)
	for r := 0; r < n; r++ {
		dmu, dlv := s.dx[2*r*c:(2*r+1)*c], s.dx[(2*r+1)*c:(2*r+2)*c]
		g := dy[r*c : (r+1)*c]
		copy(dmu, g)
		if !s.train {
			clear(dlv)
			continue
		}
		lv := s.x[(2*r+1)*c : (2*r+2)*c]
		for j, v := range g {
			dlv[j] = v * s.eps[r*c+j] * 0.5 * float32(math.Exp(0.5*float64(lv[j])))
		}
	}
	return s.dx
}
