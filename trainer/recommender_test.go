package trainer_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ratings returns a users × items matrix of ratings 1 + 4·sigmoid(2·u·v)
// from 2-D user and item factors, with about half of the entries observed.
func ratings(users, items int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	u := make([][2]float64, users)
	v := make([][2]float64, items)
	for i := range u {
		u[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	for j := range v {
		v[j] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	ds := &data.Dataset{N: users, D: items, X: make([]float32, users*items), Mask: make([]float32, users*items), Source: "ratings"}
	for i := range u {
		for j := range v {
			if rng.Float64() < 0.5 {
				s := 2 * (u[i][0]*v[j][0] + u[i][1]*v[j][1])
				ds.X[i*items+j] = float32(1 + 4/(1+math.Exp(-s)))
				ds.Mask[i*items+j] = 1
			}
		}
	}
	return ds
}

// TestRecommender trains the classic recommender architecture (with a
// small code) and compares its held-out RMSE with the item-mean predictor
// and with PCA of the mean-imputed matrix at the same code size.
func TestRecommender(t *testing.T) {
	all := ratings(400, 30, 1)
	train, val, err := data.SplitRatings(all, 0.2, 5)
	require.NoError(t, err)
	spec := models.NewRecommender(all.D)
	spec.Code = 3
	cfg := trainer.Config{Epochs: 150, BatchSize: 32, LR: 5e-3, Seed: 1, Val: val,
		Optimizer: trainer.OptimizerConfig{Name: "rmsprop"}}
	m, res, err := trainer.Train(context.Background(), spec, train, cfg)
	require.NoError(t, err)
	last := res.History[len(res.History)-1]
	require.NotNil(t, last.ValRMSE, "recommender metrics carry no val_rmse")
	got := *last.ValRMSE

	// Independent RMSE of the model's predictions on the held-out entries.
	pred, err := m.Reconstruct(val.X, val.N)
	require.NoError(t, err)
	D := all.D
	var se, n float64
	for i, mv := range val.Mask {
		if mv != 0 {
			e := float64(pred[i] - val.Target[i])
			se += e * e
			n++
		}
	}
	assert.InDelta(t, math.Sqrt(se/n), got, 1e-4, "reported val_rmse against a recomputation")

	// Item means over training ratings.
	mean := make([]float64, D)
	cnt := make([]float64, D)
	for i, mv := range train.Mask {
		if mv != 0 {
			mean[i%D] += float64(train.X[i])
			cnt[i%D]++
		}
	}
	for j := range mean {
		mean[j] /= math.Max(cnt[j], 1)
	}
	// PCA on the mean-imputed training matrix.
	x := mat.NewDense(train.N, D, nil)
	for i := 0; i < train.N; i++ {
		for j := 0; j < D; j++ {
			v := mean[j]
			if train.Mask[i*D+j] != 0 {
				v = float64(train.X[i*D+j])
			}
			x.Set(i, j, v)
		}
	}
	var pc stat.PC
	require.True(t, pc.PrincipalComponents(x, nil), "PCA failed")
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	V := vecs.Slice(0, D, 0, spec.Code)
	var seMean, sePCA float64
	for i := 0; i < train.N; i++ {
		c := mat.NewVecDense(D, nil)
		for j := 0; j < D; j++ {
			c.SetVec(j, x.At(i, j)-mean[j])
		}
		var p, r mat.VecDense
		p.MulVec(V.T(), c)
		r.MulVec(V, &p)
		for j := 0; j < D; j++ {
			if val.Mask[i*D+j] != 0 {
				tv := float64(val.Target[i*D+j])
				seMean += (mean[j] - tv) * (mean[j] - tv)
				e := r.AtVec(j) + mean[j] - tv
				sePCA += e * e
			}
		}
	}
	rmseMean, rmsePCA := math.Sqrt(seMean/n), math.Sqrt(sePCA/n)
	t.Logf("held-out RMSE: autoencoder %.4f, item mean %.4f, PCA(%d) %.4f", got, rmseMean, spec.Code, rmsePCA)
	assert.Less(t, got, rmseMean, "recommender RMSE against the item mean")
	assert.Less(t, got, rmsePCA, "recommender RMSE against PCA")
}
