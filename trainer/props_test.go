package trainer_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

func trainOrDie(t *testing.T, spec models.Spec, cfg trainer.Config) (*trainer.Model, *trainer.Result) {
	t.Helper()
	m, res, err := trainer.Train(context.Background(), spec, manifold(400, 12, 1), cfg)
	require.NoError(t, err)
	return m, res
}

// Each penalty does what it claims compared with a negligible weight.
func TestKindPenaltiesHaveTheirEffect(t *testing.T) {
	ds := manifold(400, 12, 1)
	cfg := trainer.Config{Epochs: 30, BatchSize: 32, LR: 1e-2, Seed: 2}
	meanAbsCode := func(m *trainer.Model) float64 {
		c, err := m.Encode(ds.X, ds.N)
		require.NoError(t, err)
		var s float64
		for _, v := range c {
			s += math.Abs(float64(v))
		}
		return s / float64(len(c))
	}

	t.Run("sparse-kl", func(t *testing.T) {
		weak, _ := trainOrDie(t, models.NewSparseKL(12, 8, 0.05, 1e-6), cfg)
		strong, _ := trainOrDie(t, models.NewSparseKL(12, 8, 0.05, 1), cfg)
		w, s := meanAbsCode(weak), meanAbsCode(strong)
		t.Logf("mean code activation: beta=1e-6 %.3f, beta=1 %.3f (rho 0.05)", w, s)
		assert.InDelta(t, 0.05, s, 0.05, "KL penalty pulls the mean activation to rho")
		assert.Less(t, s, w, "KL penalty lowers the mean activation")
	})
	t.Run("sparse-l1", func(t *testing.T) {
		weak, _ := trainOrDie(t, models.NewSparseL1(12, 8, 1e-7), cfg)
		strong, _ := trainOrDie(t, models.NewSparseL1(12, 8, 0.05), cfg)
		w, s := meanAbsCode(weak), meanAbsCode(strong)
		t.Logf("mean |code|: l1=1e-7 %.3f, l1=0.05 %.3f", w, s)
		assert.Less(t, s, 0.5*w, "L1 penalty shrinks the code")
	})
	t.Run("contractive", func(t *testing.T) {
		// ||J||_F^2 = Σ_j (h_j(1-h_j))^2 Σ_i W_ji^2 for a sigmoid code.
		jac := func(m *trainer.Model) float64 {
			enc, ok := m.Network().Layers[0].(*nn.Dense)
			require.True(t, ok, "the contractive encoder starts with a dense layer")
			h, err := m.Encode(ds.X, ds.N)
			require.NoError(t, err)
			var s float64
			for r := 0; r < ds.N; r++ {
				for j := 0; j < enc.Out; j++ {
					var wsq float64
					for _, w := range enc.W.Data[j*enc.In : (j+1)*enc.In] {
						wsq += float64(w) * float64(w)
					}
					d := float64(h[r*enc.Out+j] * (1 - h[r*enc.Out+j]))
					s += d * d * wsq
				}
			}
			return s / float64(ds.N)
		}
		weak, _ := trainOrDie(t, models.NewContractive(12, 4, 1e-7), cfg)
		strong, _ := trainOrDie(t, models.NewContractive(12, 4, 0.1), cfg)
		w, s := jac(weak), jac(strong)
		t.Logf("mean ||dh/dx||²: lambda=1e-7 %.3f, lambda=0.1 %.3f", w, s)
		assert.Less(t, s, 0.5*w, "contractive penalty shrinks the Jacobian")
	})
	t.Run("stacked-pretraining", func(t *testing.T) {
		st := models.NewStacked(12, []int{8}, 2, 10)
		deep := st
		deep.Kind = models.Deep
		c := cfg
		c.Epochs = 1
		_, rs := trainOrDie(t, st, c)
		_, rd := trainOrDie(t, deep, c)
		t.Logf("first fine-tuning epoch loss: stacked %.5f, deep without pre-training %.5f", rs.History[0].Loss, rd.History[0].Loss)
		assert.Less(t, rs.History[0].Loss, rd.History[0].Loss, "pre-training helps the first epoch")
	})
	t.Run("denoising", func(t *testing.T) {
		// Corrupt test inputs; the denoising model restores the clean rows
		// better than the same network trained without noise.
		noisy := models.NewDenoising(12, 3, models.Noise{Type: models.MaskingNoise, Drop: 0.3})
		noisy.Hidden = []int{16}
		plain := noisy
		plain.Kind, plain.Noise = models.Deep, models.Noise{}
		mn, _ := trainOrDie(t, noisy, cfg)
		mp, _ := trainOrDie(t, plain, cfg)
		test := manifold(200, 12, 3)
		corrupt := append([]float32(nil), test.X...)
		for i := range corrupt {
			if (i*7919)%10 < 3 {
				corrupt[i] = 0
			}
		}
		// Corruption happens after scaling in training; the scaler maps the
		// column minimum (≈0 here) to 0, so zeroing raw values is close.
		rn, err := mn.Reconstruct(corrupt, test.N)
		require.NoError(t, err)
		rp, err := mp.Reconstruct(corrupt, test.N)
		require.NoError(t, err)
		en, ep := mse(rn, test.X), mse(rp, test.X)
		t.Logf("MSE vs clean from 30%% masked inputs: denoising %.5f, plain %.5f", en, ep)
		assert.Less(t, en, ep, "denoising model restores corrupted inputs better")
	})
}
