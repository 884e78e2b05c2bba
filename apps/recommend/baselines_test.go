package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeansAndPopularity(t *testing.T) {
	rs := []Rating{{0, 0, 4}, {1, 0, 2}, {1, 1, 5}}
	g := GlobalMean(rs, 2, 3)
	assert.InDelta(t, 11.0/3, g.V[5], 1e-6)
	m := ItemMean(rs, 2, 3)
	assert.Equal(t, []float32{3, 5, float32(11.0 / 3)}, m.Row(1), "item 2 has no ratings: the global mean")
	p := NewPopularity(rs, 3)
	dst := make([]float32, 3)
	p.Scores(1, dst)
	assert.Equal(t, []float32{2, 1, 0}, dst)
}

// The bias model's sweeps converge to the ridge solution: at the optimum
// every item's residuals sum to λ_item·b_i and every user's to λ_user·b_u
// (the normal equations).
func TestFitBiasSolvesTheNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rs []Rating
	for u := range 30 {
		for i := range 20 {
			if rng.Float64() < 0.4 {
				rs = append(rs, Rating{u, i, float32(1 + rng.IntN(5))})
			}
		}
	}
	c := BiasConfig{LambdaUser: 3, LambdaItem: 7, Sweeps: 500}
	b, err := FitBias(rs, 30, 20, c)
	require.NoError(t, err)
	su, si := make([]float64, 30), make([]float64, 20)
	for _, r := range rs {
		res := float64(r.Value) - b.Predict(r.User, r.Item)
		su[r.User] += res
		si[r.Item] += res
	}
	for u := range su {
		assert.InDelta(t, c.LambdaUser*b.User[u], su[u], 1e-6, "user %d", u)
	}
	for i := range si {
		assert.InDelta(t, c.LambdaItem*b.Item[i], si[i], 1e-6, "item %d", i)
	}
	assert.InDelta(t, b.Predict(2, 3), float64(b.Matrix().Row(2)[3]), 1e-5)
	assert.InDelta(t, b.Mean+b.User[2], b.Predict(2, -1), 1e-12, "an unknown item has no bias")

	_, err = FitBias(nil, 1, 1, BiasConfig{})
	assert.ErrorContains(t, err, "no ratings")
	_, err = FitBias([]Rating{{0, 5, 1}}, 1, 1, BiasConfig{})
	assert.ErrorContains(t, err, "outside 1 users × 1 items")
}

// One epoch over one rating is one hand-computed SGD step.
func TestFitMFOneStep(t *testing.T) {
	c := MFConfig{Factors: 2, LR: 0.1, Reg: 0.5, InitStd: 0.5, Epochs: 1, Seed: 3}
	m, err := FitMF(context.Background(), []Rating{{0, 0, 4}}, nil, 1, 1, c)
	require.NoError(t, err)
	// Reproduce the initial factors: the same generator and draw order.
	rng := rand.New(rand.NewPCG(3, 0x3f))
	p := []float64{rng.NormFloat64() * 0.5, rng.NormFloat64() * 0.5}
	q := []float64{rng.NormFloat64() * 0.5, rng.NormFloat64() * 0.5}
	// μ = 4 (the only rating), biases 0: the error is -p·q.
	e := 4 - 4 - (float32dot(p, q))
	assert.InDelta(t, 0.1*e, m.User[0], 1e-6)
	assert.InDelta(t, 0.1*e, m.Item[0], 1e-6)
	for k := range 2 {
		assert.InDelta(t, p[k]+0.1*(e*q[k]-0.5*p[k]), float64(m.P[k]), 1e-6)
		assert.InDelta(t, q[k]+0.1*(e*p[k]-0.5*q[k]), float64(m.Q[k]), 1e-6)
	}
	assert.Equal(t, 1, m.Epochs)
	assert.Equal(t, 1, m.BestEpoch)
}

// float32dot is p·q in float32, as FitMF computes it.
func float32dot(p, q []float64) float64 {
	var s float32
	for k := range p {
		s += float32(p[k]) * float32(q[k])
	}
	return float64(s)
}

// On ratings from an exact rank-2 model, MF recovers held-out entries far
// better than the bias model, and keeps its best validation epoch.
func TestFitMFLearnsALowRankModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const U, I = 60, 50
	uf, itf := make([][2]float64, U), make([][2]float64, I)
	for _, f := range [][][2]float64{uf, itf} {
		for k := range f {
			f[k] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		}
	}
	var train, val []Rating
	for u := range U {
		for i := range I {
			if rng.Float64() > 0.5 {
				continue
			}
			r := Rating{u, i, float32(3 + uf[u][0]*itf[i][0] + uf[u][1]*itf[i][1])}
			if rng.Float64() < 0.2 {
				val = append(val, r)
			} else {
				train = append(train, r)
			}
		}
	}
	m, err := FitMF(context.Background(), train, val, U, I, MFConfig{Factors: 4, LR: 0.02, Reg: 0.01, Epochs: 150, Seed: 1})
	require.NoError(t, err)
	b, err := FitBias(train, U, I, BiasConfig{})
	require.NoError(t, err)
	var seMF, seBias float64
	for _, r := range val {
		seMF += math.Pow(m.Predict(r.User, r.Item)-float64(r.Value), 2)
		seBias += math.Pow(b.Predict(r.User, r.Item)-float64(r.Value), 2)
	}
	rmseMF, rmseBias := math.Sqrt(seMF/float64(len(val))), math.Sqrt(seBias/float64(len(val)))
	assert.Less(t, rmseMF, 0.25*rmseBias, "MF %.3f, bias %.3f", rmseMF, rmseBias)
	assert.InDelta(t, rmseMF, m.ValRMSE, 1e-4, "the kept model is the best epoch's")
	assert.Equal(t, 150, m.Epochs)
	assert.LessOrEqual(t, m.BestEpoch, 150)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = FitMF(ctx, train, val, U, I, MFConfig{})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = FitMF(context.Background(), train, val, U, I, MFConfig{LR: 50, Epochs: 30})
	assert.ErrorContains(t, err, "diverged")
	_, err = FitMF(context.Background(), []Rating{{U, 0, 1}}, nil, U, I, MFConfig{})
	assert.ErrorContains(t, err, "outside")
}
