package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// GlobalMean predicts every rating by the mean of ratings.
func GlobalMean(ratings []Rating, users, items int) *Matrix {
	m := NewMatrix(users, items)
	mu := float32(mean(ratings))
	for k := range m.V {
		m.V[k] = mu
	}
	return m
}

func mean(ratings []Rating) float64 {
	var s float64
	for _, r := range ratings {
		s += float64(r.Value)
	}
	return s / math.Max(float64(len(ratings)), 1)
}

// ItemMean predicts each rating by its item's mean rating (the global mean
// for an item without ratings).
func ItemMean(ratings []Rating, users, items int) *Matrix {
	sum := make([]float64, items)
	cnt := make([]float64, items)
	for _, r := range ratings {
		if r.Item >= 0 && r.Item < items {
			sum[r.Item] += float64(r.Value)
			cnt[r.Item]++
		}
	}
	mu := mean(ratings)
	m := NewMatrix(users, items)
	for i := range items {
		v := float32(mu)
		if cnt[i] > 0 {
			v = float32(sum[i] / cnt[i])
		}
		for u := range users {
			m.V[u*items+i] = v
		}
	}
	return m
}

// Popularity scores each item by its number of ratings, the same for every
// user: the ranking to beat for top-N lists.
type Popularity []float32

// NewPopularity counts the ratings of each of items items.
func NewPopularity(ratings []Rating, items int) Popularity {
	p := make(Popularity, items)
	for _, r := range ratings {
		if r.Item >= 0 && r.Item < items {
			p[r.Item]++
		}
	}
	return p
}

// Scores implements Scorer.
func (p Popularity) Scores(_ int, dst []float32) { copy(dst, p) }

// Bias is the user+item bias model r̂ = μ + b_u + b_i.
type Bias struct {
	Mean       float64
	User, Item []float64
}

// BiasConfig holds the bias model's ridge penalties on the user and item
// biases (defaults chosen on validation parts of MovieLens-100k's base
// files: see docs/recommender.md) and its alternating sweeps.
type BiasConfig struct {
	LambdaUser float64 `json:"lambda_user"` // default 5
	LambdaItem float64 `json:"lambda_item"` // default 2
	Sweeps     int     `json:"sweeps"`      // default 20
}

// Defaults fills the zero fields with the defaults.
func (c *BiasConfig) Defaults() {
	if c.LambdaUser == 0 {
		c.LambdaUser = 5
	}
	if c.LambdaItem == 0 {
		c.LambdaItem = 2
	}
	if c.Sweeps == 0 {
		c.Sweeps = 20
	}
}

// FitBias fits the bias model by alternating ridge regressions: each sweep
// sets every item bias to Σ(r − μ − b_u)/(λ_item + n_i), then every user
// bias to Σ(r − μ − b_i)/(λ_user + n_u).
func FitBias(ratings []Rating, users, items int, c BiasConfig) (*Bias, error) {
	c.Defaults()
	if c.LambdaUser < 0 || c.LambdaItem < 0 || c.Sweeps < 0 {
		return nil, fmt.Errorf("bias model: penalties %g, %g and sweeps %d must be non-negative", c.LambdaUser, c.LambdaItem, c.Sweeps)
	}
	if len(ratings) == 0 {
		return nil, fmt.Errorf("bias model: no ratings")
	}
	b := &Bias{Mean: mean(ratings), User: make([]float64, users), Item: make([]float64, items)}
	su, nu := make([]float64, users), make([]float64, users)
	si, ni := make([]float64, items), make([]float64, items)
	for _, r := range ratings {
		if r.User < 0 || r.User >= users || r.Item < 0 || r.Item >= items {
			return nil, fmt.Errorf("bias model: rating (%d,%d) outside %d users × %d items", r.User, r.Item, users, items)
		}
		nu[r.User]++
		ni[r.Item]++
	}
	for range c.Sweeps {
		clear(si)
		for _, r := range ratings {
			si[r.Item] += float64(r.Value) - b.Mean - b.User[r.User]
		}
		for i := range b.Item {
			b.Item[i] = si[i] / (c.LambdaItem + ni[i])
		}
		clear(su)
		for _, r := range ratings {
			su[r.User] += float64(r.Value) - b.Mean - b.Item[r.Item]
		}
		for u := range b.User {
			b.User[u] = su[u] / (c.LambdaUser + nu[u])
		}
	}
	return b, nil
}

// Predict returns μ + b_u + b_i, a missing bias (negative or out-of-range
// index: a user or item the model has not seen) counting 0.
func (b *Bias) Predict(u, i int) float64 {
	p := b.Mean
	if u >= 0 && u < len(b.User) {
		p += b.User[u]
	}
	if i >= 0 && i < len(b.Item) {
		p += b.Item[i]
	}
	return p
}

// Matrix returns the predictions for every user and item.
func (b *Bias) Matrix() *Matrix {
	m := NewMatrix(len(b.User), len(b.Item))
	for u := range b.User {
		row := m.Row(u)
		for i := range row {
			row[i] = float32(b.Mean + b.User[u] + b.Item[i])
		}
	}
	return m
}

// MFConfig configures biased matrix factorisation (r̂ = μ + b_u + b_i +
// p_u·q_i) trained by stochastic gradient descent over the ratings in a
// new random order each epoch, with L2 penalties (the Funk/Koren "SVD"
// model). Defaults were chosen on validation parts of MovieLens-100k's
// base files (docs/recommender.md).
type MFConfig struct {
	Factors int     `json:"factors"`  // default 100
	LR      float64 `json:"lr"`       // default 0.01
	Reg     float64 `json:"reg"`      // L2 penalty on biases and factors, default 0.1
	InitStd float64 `json:"init_std"` // factor initialisation N(0, InitStd²), default 0.1
	Epochs  int     `json:"epochs"`   // default 100
	// Patience stops after this many epochs without a better validation
	// RMSE and keeps the best epoch's model (0: train every epoch and keep
	// the best when there is validation data).
	Patience int    `json:"patience"`
	Seed     uint64 `json:"seed"`
}

// Defaults fills the zero fields with the defaults.
func (c *MFConfig) Defaults() {
	if c.Factors == 0 {
		c.Factors = 100
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
	if c.Reg == 0 {
		c.Reg = 0.1
	}
	if c.InitStd == 0 {
		c.InitStd = 0.1
	}
	if c.Epochs == 0 {
		c.Epochs = 100
	}
}

// MF is a fitted biased matrix factorisation.
type MF struct {
	Bias
	K    int
	P, Q []float32 // users × K and items × K
	// Epochs run, the best (kept) epoch, its validation RMSE (unclipped;
	// 0 without validation data) and the training time.
	Epochs, BestEpoch int
	ValRMSE           float64
	Seconds           float64
}

// FitMF trains biased matrix factorisation on train; with val ratings it
// keeps the epoch of the lowest validation RMSE. Cancelling ctx stops
// between epochs.
func FitMF(ctx context.Context, train, val []Rating, users, items int, c MFConfig) (*MF, error) {
	c.Defaults()
	if c.Factors < 0 || c.LR <= 0 || c.Reg < 0 || c.InitStd < 0 || c.Epochs < 0 || c.Patience < 0 {
		return nil, fmt.Errorf("matrix factorisation: factors %d, lr %g, reg %g, init %g, epochs %d, patience %d: want positive lr, the rest non-negative",
			c.Factors, c.LR, c.Reg, c.InitStd, c.Epochs, c.Patience)
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("matrix factorisation: no training ratings")
	}
	for _, rs := range [][]Rating{train, val} {
		for _, r := range rs {
			if r.User < 0 || r.User >= users || r.Item < 0 || r.Item >= items {
				return nil, fmt.Errorf("matrix factorisation: rating (%d,%d) outside %d users × %d items", r.User, r.Item, users, items)
			}
		}
	}
	start := time.Now()
	K := c.Factors
	rng := rand.New(rand.NewPCG(c.Seed, 0x3f))
	m := &MF{Bias: Bias{Mean: mean(train), User: make([]float64, users), Item: make([]float64, items)},
		K: K, P: make([]float32, users*K), Q: make([]float32, items*K)}
	for _, v := range [][]float32{m.P, m.Q} {
		for k := range v {
			v[k] = float32(rng.NormFloat64() * c.InitStd)
		}
	}
	var best *MF
	bad := 0
	lr, reg := c.LR, c.Reg
	for e := range c.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("matrix factorisation: epoch %d: %w", e+1, err)
		}
		var se float64
		for _, j := range rng.Perm(len(train)) {
			r := train[j]
			p, q := m.P[r.User*K:(r.User+1)*K], m.Q[r.Item*K:(r.Item+1)*K]
			err := float64(r.Value) - m.Mean - m.User[r.User] - m.Item[r.Item] - float64(dot(p, q))
			se += err * err
			m.User[r.User] += lr * (err - reg*m.User[r.User])
			m.Item[r.Item] += lr * (err - reg*m.Item[r.Item])
			fe, fl, fr := float32(err), float32(lr), float32(reg)
			for k := range p {
				pk, qk := p[k], q[k]
				p[k] += fl * (fe*qk - fr*pk)
				q[k] += fl * (fe*pk - fr*qk)
			}
		}
		if math.IsNaN(se) || math.IsInf(se, 0) {
			return nil, fmt.Errorf("matrix factorisation: epoch %d diverged (lower the learning rate %g)", e+1, lr)
		}
		m.Epochs = e + 1
		if len(val) == 0 {
			m.BestEpoch = e + 1
			continue
		}
		v := m.rmse(val)
		if best == nil || v < best.ValRMSE {
			m.BestEpoch, m.ValRMSE = e+1, v
			best = m.clone(best)
			bad = 0
		} else if bad++; c.Patience > 0 && bad >= c.Patience {
			break
		}
	}
	if best != nil {
		best.Epochs = m.Epochs
		m = best
	}
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

func dot(a, b []float32) float32 {
	var s float32
	for k, v := range a {
		s += v * b[k]
	}
	return s
}

// clone copies m into dst (allocated when nil).
func (m *MF) clone(dst *MF) *MF {
	if dst == nil {
		dst = &MF{}
	}
	p, q, u, i := dst.P, dst.Q, dst.User, dst.Item
	*dst = *m
	dst.P = append(p[:0], m.P...)
	dst.Q = append(q[:0], m.Q...)
	dst.User = append(u[:0], m.User...)
	dst.Item = append(i[:0], m.Item...)
	return dst
}

func (m *MF) rmse(rs []Rating) float64 {
	var se float64
	for _, r := range rs {
		d := m.Predict(r.User, r.Item) - float64(r.Value)
		se += d * d
	}
	return math.Sqrt(se / math.Max(float64(len(rs)), 1))
}

// Predict returns user u's predicted rating of item i; an unknown user or
// item (negative or out of range) contributes no bias and no factors.
func (m *MF) Predict(u, i int) float64 {
	p := m.Bias.Predict(u, i)
	if u >= 0 && u < len(m.User) && i >= 0 && i < len(m.Item) {
		p += float64(dot(m.P[u*m.K:(u+1)*m.K], m.Q[i*m.K:(i+1)*m.K]))
	}
	return p
}

// Matrix returns the predictions for every user and item.
func (m *MF) Matrix() *Matrix {
	out := NewMatrix(len(m.User), len(m.Item))
	for u := range m.User {
		row := out.Row(u)
		for i := range row {
			row[i] = float32(m.Predict(u, i))
		}
	}
	return out
}
