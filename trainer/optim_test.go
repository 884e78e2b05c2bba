package trainer

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/models"
)

func serial(n int, f func(int)) {
	for i := range n {
		f(i)
	}
}

// Hand-computed steps from w = 1, g = 0.5, lr = 0.1.
func TestOptimizerSteps(t *testing.T) {
	cases := []struct {
		cfg   OptimizerConfig
		steps int
		want  float64
	}{
		{OptimizerConfig{Name: "sgd"}, 1, 0.95},
		{OptimizerConfig{Name: "sgd", WeightDecay: 0.1}, 1, 0.94},                // g + 0.1·w
		{OptimizerConfig{Name: "momentum"}, 2, 0.855},                            // v = .5, .95
		{OptimizerConfig{Name: "nesterov"}, 1, 0.905},                            // w -= lr·(g + µ·v)
		{OptimizerConfig{Name: "rmsprop"}, 1, 0},                                 // s = .0025: step = lr·g/sqrt(s) = 1
		{OptimizerConfig{Name: "adam"}, 1, 0.9},                                  // bias-corrected step = lr·sign(g)
		{OptimizerConfig{Name: "adamw", WeightDecay: 0.1}, 1, 0.89},              // decoupled: -lr·(1 + 0.1·w)
		{OptimizerConfig{Name: "adam", Beta1: 0.5, Beta2: 0.5}, 2, 0.8},          // constant g: every step lr
		{OptimizerConfig{Name: "sgd", ClipNorm: 0.25, WeightDecay: 0}, 1, 0.975}, // g clipped to 0.25
	}
	for _, c := range cases {
		p := &Param{Name: "w", Shape: []int{1, 1}, Data: []float32{1}, Decay: true}
		o, err := newOptimizer(c.cfg, []*Param{p})
		require.NoError(t, err)
		for range c.steps {
			o.update([]*Param{p}, [][]float32{{0.5}}, 0.1, 0.5, serial)
		}
		assert.InDelta(t, c.want, p.Data[0], 1e-6, "%+v after %d steps", c.cfg, c.steps)
	}
	// Biases (Decay false) are not decayed.
	b := &Param{Name: "b", Shape: []int{1, 1}, Data: []float32{1}}
	o, err := newOptimizer(OptimizerConfig{Name: "sgd", WeightDecay: 0.5}, []*Param{b})
	require.NoError(t, err)
	o.update([]*Param{b}, [][]float32{{0}}, 0.1, 0, serial)
	assert.Equal(t, float32(1), b.Data[0], "bias decayed")
	_, err = newOptimizer(OptimizerConfig{Name: "adagrad"}, nil)
	assert.ErrorContains(t, err, `unknown optimizer "adagrad"`)
	_, err = newOptimizer(OptimizerConfig{Name: "momentum", Momentum: 1.5}, nil)
	assert.ErrorContains(t, err, "must be in [0,1)")
}

func TestSchedules(t *testing.T) {
	st := &ScheduleState{LR: 1, Best: math.MaxFloat64}
	step := ScheduleConfig{Name: "step", StepSize: 2, Gamma: 0.5}
	for e, want := range []float64{1, 1, 0.5, 0.5, 0.25} {
		assert.InDelta(t, want, step.lrFor(1, e, 5, st), 1e-6, "step epoch %d", e)
	}
	cos := ScheduleConfig{Name: "cosine", MinLR: 0.1}
	for e, want := range map[int]float64{0: 1, 2: 0.55, 4: 0.1} {
		assert.InDelta(t, want, cos.lrFor(1, e, 4, st), 1e-6, "cosine epoch %d", e)
	}
	pl := ScheduleConfig{Name: "plateau", Patience: 2, Factor: 0.5, MinLR: 0.3}
	for i, loss := range []float64{1, 0.9, 0.95, 0.95, 0.95, 0.95} {
		pl.observe(loss, st)
		want := []float64{1, 1, 1, 0.5, 0.5, 0.3}[i]
		assert.InDelta(t, want, pl.lrFor(1, i+1, 10, st), 1e-6, "plateau after loss %d", i)
	}
	assert.Error(t, (ScheduleConfig{Name: "exp"}).Validate(), "unknown schedule accepted")
}

// Weights are drawn from U(±sqrt(6/fan)) with the spec's fan (fan-in for
// He, fan-in + fan-out for Xavier) in every kind; biases start at zero.
func TestInitRanges(t *testing.T) {
	conv := models.NewConv([]int{1, 8, 8}, []int{200}, 20)
	conv.Hidden = []int{100}
	vae := models.NewVAE(300, []int{100}, 20)
	for name, s := range map[string]models.Spec{"deep": models.NewDeep(300, []int{100}, 20), "conv": conv, "vae": vae} {
		for _, init := range []models.Init{models.Xavier, models.He} {
			s.Init = init
			m, err := NewModel(s, 1)
			require.NoError(t, err)
			for _, p := range m.Params() {
				if p.Name != "enc0.W" && p.Name != "enc.fc0.W" && p.Name != "enc.conv0.W" {
					if !p.Decay {
						assert.Equal(t, make([]float32, len(p.Data)), p.Data, "%s %s: biases start at zero", name, p.Name)
					}
					continue
				}
				fanIn, fanOut := p.Shape[1], p.Shape[0]
				if len(p.Shape) == 4 { // [out, in, k, k]
					fanIn, fanOut = p.Shape[1]*p.Shape[2]*p.Shape[3], p.Shape[0]*p.Shape[2]*p.Shape[3]
				}
				lim := math.Sqrt(6.0 / float64(fanIn))
				if init == models.Xavier {
					lim = math.Sqrt(6.0 / float64(fanIn+fanOut))
				}
				var maxAbs, sq float64
				for _, v := range p.Data {
					maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
					sq += float64(v) * float64(v)
				}
				// Uniform(±lim): max close to lim, variance lim²/3.
				assert.LessOrEqual(t, maxAbs, lim, "%s %s %s: max |w|", name, init, p.Name)
				assert.Greater(t, maxAbs, 0.98*lim, "%s %s %s: max |w|", name, init, p.Name)
				assert.InDelta(t, lim*lim/3, sq/float64(len(p.Data)), 0.1*lim*lim/3, "%s %s %s: variance", name, init, p.Name)
			}
		}
	}
}
