package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer/nn"
)

// fdCheck compares the engine's gradient of the whole training objective
// (reconstruction loss and penalties, through every layer, over a batch
// split into several chunks) with central finite differences over the
// parameters (every element of small tensors, a sample of large ones).
// The step's stochastic layers draw the same values each time (one batch
// key), so the objective is a fixed function of the parameters.
func fdCheck(t *testing.T, spec models.Spec, rows int, withMask bool) {
	t.Helper()
	require.NoError(t, spec.Validate())
	rng := rand.New(rand.NewPCG(7, 7))
	net, obj, err := build(spec, rng)
	require.NoError(t, err)
	obj.startEpoch(0)
	if obj.kl != nil {
		obj.kl.W = 0.7
	}
	params := net.Params()
	// Non-trivial biases so that every bias gradient is exercised.
	for _, p := range params {
		if !p.Decay {
			for i := range p.Data {
				p.Data[i] += float32(rng.NormFloat64() * 0.1)
			}
		}
	}
	D := spec.Input
	b := batchIn{x: make([]float32, rows*D), t: make([]float32, rows*D), rows: rows}
	for i := range b.x {
		b.x[i] = float32(rng.Float64())
		b.t[i] = float32(rng.Float64())
	}
	if withMask {
		b.m = make([]float32, rows*D)
		for i := range b.m {
			if rng.Float64() < 0.6 {
				b.m[i] = 1
			}
		}
	}
	eng := newEngine(net, obj, rows, 2, 5)
	const key = 3
	eng.step(b, key)
	require.Greater(t, len(eng.chunks), 1, "the check runs on a batch of several chunks")
	// k-sparse selection is piecewise constant; a perturbation that changes
	// which units survive makes the loss jump, so such coordinates are
	// skipped (and counted).
	sel := func() string {
		var s []byte
		for _, c := range eng.chunks {
			for _, l := range c.net.Layers {
				if k, ok := l.(*nn.KSparse); ok {
					s = append(s, k.Kept()...)
				}
			}
		}
		return string(s)
	}
	objective := func() float64 {
		r, p := eng.step(b, key)
		return r + p
	}
	base := sel()
	skipped, total := 0, 0
	var num, den float64
	for pi, p := range params {
		g := append([]float32(nil), eng.grads[pi]...)
		step := max(1, len(p.Data)/60)
		for i := 0; i < len(p.Data); i += step {
			const h = 1e-3
			orig := p.Data[i]
			p.Data[i] = orig + h
			lp := objective()
			same := sel() == base
			p.Data[i] = orig - h
			lm := objective()
			same = same && sel() == base
			p.Data[i] = orig
			total++
			if !same {
				skipped++
				continue
			}
			fd := (lp - lm) / (2 * h)
			diff := fd - float64(g[i])
			num += diff * diff
			den += fd*fd + float64(g[i])*float64(g[i])
			assert.InDelta(t, fd, g[i], 0.05*math.Abs(fd)+2e-3, "%s[%d]: analytic vs finite difference", p.Name, i)
		}
	}
	assert.LessOrEqual(t, skipped, total/4, "top-k selection changed for too many coordinates to check")
	require.NotZero(t, den, "gradient is zero everywhere")
	assert.Less(t, math.Sqrt(num/den), 1e-2, "relative gradient error")
}

func smallSpec(kind models.Kind) models.Spec {
	s, err := models.New(kind, 6, []int{5}, 3)
	if err != nil {
		panic(err)
	}
	return s
}

func TestGradActivations(t *testing.T) {
	for _, act := range models.Activations() {
		t.Run(string(act), func(t *testing.T) {
			s := smallSpec(models.Deep)
			s.Activation, s.CodeActivation, s.OutputActivation = act, act, act
			if act == models.LeakyRelu {
				s.Alpha = 0.1
			}
			if act == models.Elu {
				s.Alpha = 0.7
			}
			fdCheck(t, s, 150, false)
		})
	}
}

func TestGradLosses(t *testing.T) {
	t.Run("mse", func(t *testing.T) { fdCheck(t, smallSpec(models.Deep), 150, false) })
	t.Run("bce-logits", func(t *testing.T) {
		s := smallSpec(models.Deep)
		s.Loss = models.BCE
		fdCheck(t, s, 150, false)
	})
	t.Run("masked-mse", func(t *testing.T) {
		s := smallSpec(models.Recommender)
		fdCheck(t, s, 150, true)
	})
	t.Run("masked-mse-input-dropout", func(t *testing.T) {
		s := smallSpec(models.Recommender)
		s.Noise = models.Noise{Type: models.MaskingNoise, Drop: 0.3}
		s.Dropout = 0.2
		fdCheck(t, s, 150, true)
	})
	t.Run("tied", func(t *testing.T) {
		s := smallSpec(models.Deep)
		s.Tied = true
		s.Activation, s.CodeActivation = models.Tanh, models.Tanh
		fdCheck(t, s, 150, false)
	})
}

func TestGradRegularisers(t *testing.T) {
	cases := map[string]models.Spec{}
	l1 := smallSpec(models.SparseL1)
	l1.L1 = 0.3
	l1.CodeActivation = models.Tanh
	cases["l1"] = l1
	kl := smallSpec(models.SparseKL)
	kl.Beta = 0.5
	kl.Rho = 0.2
	cases["kl"] = kl
	ks := smallSpec(models.KSparse)
	ks.K = 2
	cases["k-sparse"] = ks
	for _, act := range []models.Activation{models.Sigmoid, models.Tanh, models.Softplus, models.Elu, models.Selu, models.Relu, models.Identity, models.LeakyRelu} {
		c := models.NewContractive(6, 3, 0.5)
		c.CodeActivation = act
		cases[fmt.Sprintf("contractive-%s", act)] = c
	}
	ct := models.NewContractive(6, 3, 0.5)
	ct.Tied = true
	cases["contractive-tied"] = ct
	// Stochastic layers: the step's draws are fixed by its key.
	dn := smallSpec(models.Denoising)
	dn.Noise = models.Noise{Type: models.GaussianNoise, Sigma: 0.3}
	dn.CodeActivation = models.Tanh
	cases["denoising-gaussian"] = dn
	dm := smallSpec(models.Denoising)
	dm.CodeActivation = models.Tanh
	cases["denoising-mask"] = dm
	for name, s := range cases {
		t.Run(name, func(t *testing.T) { fdCheck(t, s, 150, false) })
	}
}

// imageSpecs are tiny specs of the kinds with convolutions or a Gaussian
// posterior, covering each layer option.
func imageSpecs() map[string]models.Spec {
	conv := models.NewConv([]int{1, 8, 8}, []int{2, 3}, 3)
	convBN := conv
	convBN.BatchNorm = true
	convUp := conv
	convUp.Upsampling = models.BilinearConv
	convUp.Loss, convUp.OutputActivation = models.MSE, models.Tanh
	convMax := conv
	convMax.Pooling = models.MaxPooling
	vae := models.NewVAE(64, []int{6}, 2)
	vaeDrop := vae
	vaeDrop.Dropout = 0.3
	cvae := models.NewConvVAE([]int{1, 8, 8}, []int{2}, 2)
	cvae.Beta = 0.5
	cvae.Pooling = models.AvgPooling
	// Non-square with an odd width: output padding differs per axis.
	rect := models.NewConv([]int{2, 8, 7}, []int{2, 3}, 3)
	rect.Input = 2 * 8 * 7
	return map[string]models.Spec{"conv-2x8x7": rect, "conv": conv, "conv-bn": convBN, "conv-bilinear-mse": convUp, "conv-maxpool": convMax, "vae": vae, "vae-dropout": vaeDrop, "conv-vae-avgpool": cvae}
}

// The same check through convolutions, pooling, upsampling, batch norm
// (statistics over the whole batch, across chunks), dropout, the VAE's
// sampling and KL term.
func TestGradImageKinds(t *testing.T) {
	for name, spec := range imageSpecs() {
		t.Run(name, func(t *testing.T) {
			// Smooth activations: finite differences across relu kinks
			// are meaningless.
			spec.Activation = models.Tanh
			fdCheck(t, spec, 150, false)
		})
	}
}
