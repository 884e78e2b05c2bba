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

// manifold returns n samples of a 2-D latent manifold embedded
// non-linearly in d dimensions: x_j = sigmoid(3·a_j·z + c_j) with z
// uniform on [-1,1]² (the same a, c for every seed of samples).
func manifold(n, d int, seed uint64) *data.Dataset {
	prm := rand.New(rand.NewPCG(99, 1))
	a := make([][2]float64, d)
	c := make([]float64, d)
	for j := range a {
		a[j] = [2]float64{prm.NormFloat64(), prm.NormFloat64()}
		c[j] = prm.NormFloat64() * 0.5
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	ds := &data.Dataset{N: n, D: d, X: make([]float32, n*d), Source: "manifold"}
	for i := 0; i < n; i++ {
		z1, z2 := 2*rng.Float64()-1, 2*rng.Float64()-1
		for j := 0; j < d; j++ {
			v := 3*(a[j][0]*z1+a[j][1]*z2) + c[j]
			ds.X[i*d+j] = float32(1 / (1 + math.Exp(-v)))
		}
	}
	return ds
}

func mse(a, b []float32) float64 {
	var s float64
	for i := range a {
		e := float64(a[i] - b[i])
		s += e * e
	}
	return s / float64(len(a))
}

// baselines returns the test MSE of predicting the training mean and of a
// PCA reconstruction with k components fitted on the training rows.
func baselines(t *testing.T, train, test *data.Dataset, k int) (meanMSE, pcaMSE float64) {
	t.Helper()
	d := train.D
	mean := make([]float64, d)
	for i := 0; i < train.N; i++ {
		for j, v := range train.Row(i) {
			mean[j] += float64(v) / float64(train.N)
		}
	}
	x := mat.NewDense(train.N, d, nil)
	for i := 0; i < train.N; i++ {
		for j, v := range train.Row(i) {
			x.Set(i, j, float64(v))
		}
	}
	var pc stat.PC
	require.True(t, pc.PrincipalComponents(x, nil), "PCA failed")
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	V := vecs.Slice(0, d, 0, k)
	var ms, ps float64
	for i := 0; i < test.N; i++ {
		row := test.Row(i)
		c := mat.NewVecDense(d, nil)
		for j, v := range row {
			c.SetVec(j, float64(v)-mean[j])
			ms += (float64(v) - mean[j]) * (float64(v) - mean[j])
		}
		var proj, rec mat.VecDense
		proj.MulVec(V.T(), c)
		rec.MulVec(V, &proj)
		for j := range row {
			e := rec.AtVec(j) - c.AtVec(j)
			ps += e * e
		}
	}
	n := float64(test.N * d)
	return ms / n, ps / n
}

func TestKindsBeatMeanAndPCA(t *testing.T) {
	const d = 12
	train, test := manifold(600, d, 1), manifold(300, d, 2)
	type tc struct {
		spec   models.Spec
		cfg    trainer.Config
		pcaDim int
	}
	cfg := trainer.Config{Epochs: 60, BatchSize: 32, LR: 1e-2, Seed: 3}
	deep := models.NewDeep(d, []int{16}, 2)
	deep.Activation = models.Tanh
	sl1 := models.NewSparseL1(d, 2, 1e-4)
	sl1.CodeActivation = models.Tanh
	sl1.Hidden = []int{16}
	sl1.Activation = models.Tanh
	skl := models.NewSparseKL(d, 3, 0.3, 1e-3)
	skl.Hidden = []int{16}
	skl.Activation = models.Tanh
	ks := models.NewKSparse(d, 4, 3)
	ks.Hidden = []int{16}
	ks.Activation = models.Tanh
	den := models.NewDenoising(d, 2, models.Noise{Type: models.GaussianNoise, Sigma: 0.02})
	den.Hidden = []int{16}
	den.Activation = models.Tanh
	ctr := models.NewContractive(d, 2, 1e-4)
	ctr.CodeActivation = models.Tanh
	st := models.NewStacked(d, []int{16}, 2, 10)
	st.Activation, st.CodeActivation = models.Tanh, models.Identity
	bce := models.NewUndercomplete(d, 2)
	bce.Loss = models.BCE
	cases := map[string]tc{
		"undercomplete":     {models.NewUndercomplete(d, 2), cfg, 2},
		"undercomplete-bce": {bce, cfg, 2},
		"deep":              {deep, cfg, 2},
		"sparse-l1":         {sl1, cfg, 2},
		"sparse-kl":         {skl, cfg, 3},
		"k-sparse":          {ks, cfg, 3},
		"denoising":         {den, cfg, 2},
		"contractive":       {ctr, cfg, 2},
		"stacked":           {st, cfg, 2},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, _, err := trainer.Train(context.Background(), c.spec, train, c.cfg)
			require.NoError(t, err)
			rec, err := m.Reconstruct(test.X, test.N)
			require.NoError(t, err)
			got := mse(rec, test.X)
			meanMSE, pcaMSE := baselines(t, train, test, c.pcaDim)
			t.Logf("%s: test MSE %.5f, mean %.5f, PCA(%d) %.5f", name, got, meanMSE, c.pcaDim, pcaMSE)
			assert.Less(t, got, meanMSE, "%s: test MSE against the mean baseline", name)
			assert.Less(t, got, pcaMSE, "%s: test MSE against PCA(%d)", name, c.pcaDim)
		})
	}
}
