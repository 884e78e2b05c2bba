package trainer

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops/train"
)

// OptimizerConfig selects and parameterises an optimiser. Zero fields take
// the defaults documented on each field.
type OptimizerConfig struct {
	// Name is sgd, momentum, nesterov, rmsprop, adam or adamw (default adam).
	Name string `json:"name"`
	// Momentum for momentum/nesterov (default 0.9).
	Momentum float64 `json:"momentum,omitempty"`
	// Beta1, Beta2 for adam/adamw (defaults 0.9, 0.999).
	Beta1 float64 `json:"beta1,omitempty"`
	Beta2 float64 `json:"beta2,omitempty"`
	// Decay is RMSprop's squared-gradient average factor (default 0.99).
	Decay float64 `json:"decay,omitempty"`
	// Eps guards divisions (default 1e-8).
	Eps float64 `json:"eps,omitempty"`
	// WeightDecay applies to weights, not biases: added to the gradient as
	// L2 for every optimiser except adamw, where it is decoupled.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// ClipNorm rescales the gradient when its global L2 norm exceeds it
	// (0: no clipping).
	ClipNorm float64 `json:"clip_norm,omitempty"`
}

func (c OptimizerConfig) withDefaults() OptimizerConfig {
	if c.Name == "" {
		c.Name = "adam"
	}
	if c.Momentum == 0 {
		c.Momentum = 0.9
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Decay == 0 {
		c.Decay = 0.99
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	return c
}

// Validate reports a bad optimiser configuration.
func (c OptimizerConfig) Validate() error {
	switch c.Name {
	case "", "sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw":
	default:
		return fmt.Errorf("unknown optimizer %q (want sgd, momentum, nesterov, rmsprop, adam or adamw)", c.Name)
	}
	if c.Momentum < 0 || c.Momentum >= 1 || c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 || c.Decay < 0 || c.Decay >= 1 {
		return fmt.Errorf("optimizer %s: momentum, beta1, beta2 and decay must be in [0,1)", c.Name)
	}
	if c.WeightDecay < 0 || c.ClipNorm < 0 || c.Eps < 0 {
		return fmt.Errorf("optimizer %s: weight decay, clip norm and eps must be non-negative", c.Name)
	}
	return nil
}

// optimizer updates parameters from gradients. Its state (moment buffers,
// step count) is saved in checkpoints so that resumed runs are exact.
type optimizer struct {
	cfg   OptimizerConfig
	step  int64
	state [][]float32 // slot-major: for each slot, one buffer per param
	slots int
	// blocks are the (param, offset) update blocks, fixed by the
	// parameter sizes.
	blocks [][2]int
}

// paramBlocks splits n tensors, tensor i of size(i) elements, into
// (tensor, offset) blocks of at most gradBlock elements: the unit of the
// parallel gradient reduction and optimiser update.
func paramBlocks(n int, size func(i int) int) [][2]int {
	var bs [][2]int
	for i := range n {
		for lo := 0; lo < size(i); lo += gradBlock {
			bs = append(bs, [2]int{i, lo})
		}
	}
	return bs
}

func newOptimizer(cfg OptimizerConfig, params []*Param) (*optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := &optimizer{cfg: cfg, blocks: paramBlocks(len(params), func(i int) int { return len(params[i].Data) })}
	switch cfg.Name {
	case "momentum", "nesterov", "rmsprop":
		o.slots = 1
	case "adam", "adamw":
		o.slots = 2
	}
	for range o.slots {
		for _, p := range params {
			o.state = append(o.state, make([]float32, len(p.Data)))
		}
	}
	return o, nil
}

// update applies one step with learning rate lr to params (those given to
// newOptimizer). gnorm is the gradient's global norm (for clipping). The
// update is elementwise, so it is split into blocks run by par without
// affecting results.
func (o *optimizer) update(params []*Param, grads [][]float32, lr float64, gnorm float64, par func(n int, f func(i int))) {
	c := o.cfg
	o.step++
	scale := float32(1)
	if c.ClipNorm > 0 && gnorm > c.ClipNorm {
		scale = float32(c.ClipNorm / gnorm)
	}
	bc1 := float32(1 - math.Pow(c.Beta1, float64(o.step)))
	bc2 := float32(1 - math.Pow(c.Beta2, float64(o.step)))
	par(len(o.blocks), func(i int) {
		pi, lo := o.blocks[i][0], o.blocks[i][1]
		p := params[pi]
		o.updateRange(p, pi, len(params), grads[pi], lo, min(lo+gradBlock, len(p.Data)), float32(lr), scale, bc1, bc2)
	})
}

func (o *optimizer) updateRange(p *Param, pi, np int, grad []float32, lo, hi int, lr32, scale, bc1, bc2 float32) {
	c := o.cfg
	w, g := p.Data[lo:hi], grad[lo:hi]
	wd := float32(0)
	if p.Decay {
		wd = float32(c.WeightDecay)
	}
	l2 := wd
	if c.Name == "adamw" {
		l2 = 0
	}
	switch c.Name {
	case "sgd":
		for i := range w {
			w[i] -= lr32 * (g[i]*scale + l2*w[i])
		}
	case "momentum", "nesterov":
		v := o.state[pi][lo:hi]
		mu := float32(c.Momentum)
		for i := range w {
			gi := g[i]*scale + l2*w[i]
			v[i] = mu*v[i] + gi
			if c.Name == "nesterov" {
				w[i] -= lr32 * (gi + mu*v[i])
			} else {
				w[i] -= lr32 * v[i]
			}
		}
	case "rmsprop":
		s := o.state[pi][lo:hi]
		a, eps := float32(c.Decay), float32(c.Eps)
		for i := range w {
			gi := g[i]*scale + l2*w[i]
			s[i] = a*s[i] + (1-a)*gi*gi
			w[i] -= lr32 * gi / (float32(math.Sqrt(float64(s[i]))) + eps)
		}
	case "adam", "adamw":
		m, v := o.state[pi][lo:hi], o.state[np+pi][lo:hi]
		b1, b2 := float32(c.Beta1), float32(c.Beta2)
		eps := float32(c.Eps)
		dec := float32(0)
		if c.Name == "adamw" {
			dec = wd
		}
		// The same loop, 8 weights at a time where the CPU allows
		// (bit-identical: train.AdamUpdate keeps every operation's order).
		train.AdamUpdate(w, g, m, v, train.AdamParams{Scale: scale, L2: l2, Beta1: b1, Beta2: b2,
			BC1: bc1, BC2: bc2, LR: lr32, Eps: eps, Decay: dec})
	}
}

// ScheduleConfig selects a learning-rate schedule. Name "" or "constant"
// keeps the rate fixed.
type ScheduleConfig struct {
	// Name is constant, step, cosine or plateau.
	Name string `json:"name,omitempty"`
	// StepSize (epochs) and Gamma: step multiplies the rate by Gamma every
	// StepSize epochs (defaults 10, 0.1).
	StepSize int     `json:"step_size,omitempty"`
	Gamma    float64 `json:"gamma,omitempty"`
	// MinLR is cosine's floor and plateau's lower bound.
	MinLR float64 `json:"min_lr,omitempty"`
	// Patience (epochs without improvement, default 5) and Factor (default
	// 0.5) for reduce-on-plateau, which watches the validation loss (the
	// training loss without validation data).
	Patience int     `json:"patience,omitempty"`
	Factor   float64 `json:"factor,omitempty"`
}

// Validate reports a bad schedule configuration.
func (s ScheduleConfig) Validate() error {
	switch s.Name {
	case "", "constant", "step", "cosine", "plateau":
	default:
		return fmt.Errorf("unknown lr schedule %q (want constant, step, cosine or plateau)", s.Name)
	}
	if s.StepSize < 0 || s.Gamma < 0 || s.MinLR < 0 || s.Patience < 0 || s.Factor < 0 || s.Factor >= 1 && s.Factor != 0 {
		return fmt.Errorf("lr schedule %s: step_size, gamma, min_lr, patience must be non-negative and factor in (0,1)", s.Name)
	}
	return nil
}

// ScheduleState is the mutable part of a learning-rate schedule (the
// current reduce-on-plateau rate, best loss and epochs without improvement),
// saved in checkpoints.
type ScheduleState struct {
	LR   float64 `json:"lr"`
	Best float64 `json:"best"`
	Bad  int     `json:"bad"`
}

// lrFor returns the learning rate of epoch (0-based) before it runs.
func (s ScheduleConfig) lrFor(base float64, epoch, epochs int, st *ScheduleState) float64 {
	switch s.Name {
	case "step":
		size, gamma := s.StepSize, s.Gamma
		if size == 0 {
			size = 10
		}
		if gamma == 0 {
			gamma = 0.1
		}
		return base * math.Pow(gamma, float64(epoch/size))
	case "cosine":
		return s.MinLR + 0.5*(base-s.MinLR)*(1+math.Cos(math.Pi*float64(epoch)/float64(max(epochs, 1))))
	case "plateau":
		return st.LR
	}
	return base
}

// observe feeds an epoch's monitored loss to reduce-on-plateau.
func (s ScheduleConfig) observe(loss float64, st *ScheduleState) {
	if s.Name != "plateau" {
		return
	}
	pat, f := s.Patience, s.Factor
	if pat == 0 {
		pat = 5
	}
	if f == 0 {
		f = 0.5
	}
	if loss < st.Best*(1-1e-4) {
		st.Best, st.Bad = loss, 0
		return
	}
	st.Bad++
	if st.Bad >= pat {
		st.LR = math.Max(st.LR*f, s.MinLR)
		st.Bad = 0
	}
}
