package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/models"
)

// fdCheck compares the analytic gradient of the total loss (reconstruction
// + penalties) with central finite differences over every parameter.
func fdCheck(t *testing.T, spec models.Spec, rows int, withMask bool) {
	t.Helper()
	if err := spec.Validate(); err != nil {
		t.Fatalf("spec: %v", err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	n, err := newNet(layoutOf(spec), rng)
	if err != nil {
		t.Fatal(err)
	}
	// Non-trivial biases so that every bias gradient is exercised.
	for _, p := range n.params {
		if !p.Decay {
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * 0.1)
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
	eng := newEngine(n, rows, 2)
	eng.step(b)
	// k-sparse selection is piecewise constant; a perturbation that changes
	// which units survive makes the loss jump, so such coordinates are
	// skipped (and counted).
	sel := func() string {
		var s []byte
		for _, w := range eng.works {
			s = append(s, w.kmask...)
		}
		return string(s)
	}
	base := sel()
	skipped, total := 0, 0
	var num, den float64
	for pi, p := range n.params {
		g := append([]float32(nil), eng.grads[pi]...)
		for i := range p.Data {
			const h = 1e-3
			orig := p.Data[i]
			p.Data[i] = orig + h
			lp, rp := eng.step(b)
			p.Data[i] = orig - h
			lm, rm := eng.step(b)
			p.Data[i] = orig
			total++
			if n.k > 0 {
				eng.step(b)
				lpSel := sel()
				p.Data[i] = orig + h
				eng.step(b)
				same := sel() == lpSel
				p.Data[i] = orig - h
				eng.step(b)
				same = same && sel() == lpSel && lpSel == base
				p.Data[i] = orig
				if !same {
					skipped++
					continue
				}
			}
			fd := ((lp + rp) - (lm + rm)) / (2 * h)
			diff := fd - float64(g[i])
			num += diff * diff
			den += fd*fd + float64(g[i])*float64(g[i])
			if math.Abs(diff) > 0.05*math.Abs(fd)+2e-3 {
				t.Errorf("%s[%d]: analytic %g, finite difference %g", p.Name, i, g[i], fd)
			}
		}
	}
	if skipped > total/4 {
		t.Errorf("top-k selection changed for %d of %d coordinates: too few checked", skipped, total)
	}
	if rel := math.Sqrt(num / den); rel > 1e-2 || den == 0 {
		t.Errorf("relative gradient error %g (norm² %g)", rel, den)
	}
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
	for name, s := range cases {
		t.Run(name, func(t *testing.T) { fdCheck(t, s, 150, false) })
	}
}
