package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/models"
)

func serial(n int, f func(int)) {
	for i := range n {
		f(i)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

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
		if err != nil {
			t.Fatal(err)
		}
		for range c.steps {
			o.update([]*Param{p}, [][]float32{{0.5}}, 0.1, 0.5, serial)
		}
		if !near(float64(p.Data[0]), c.want) {
			t.Errorf("%+v after %d steps: w = %v, want %v", c.cfg, c.steps, p.Data[0], c.want)
		}
	}
	// Biases (Decay false) are not decayed.
	b := &Param{Name: "b", Shape: []int{1, 1}, Data: []float32{1}}
	o, _ := newOptimizer(OptimizerConfig{Name: "sgd", WeightDecay: 0.5}, []*Param{b})
	o.update([]*Param{b}, [][]float32{{0}}, 0.1, 0, serial)
	if b.Data[0] != 1 {
		t.Errorf("bias decayed to %v", b.Data[0])
	}
	if _, err := newOptimizer(OptimizerConfig{Name: "adagrad"}, nil); err == nil {
		t.Error("unknown optimizer accepted")
	}
	if _, err := newOptimizer(OptimizerConfig{Name: "momentum", Momentum: 1.5}, nil); err == nil {
		t.Error("momentum 1.5 accepted")
	}
}

func TestSchedules(t *testing.T) {
	st := &ScheduleState{LR: 1, Best: math.MaxFloat64}
	step := ScheduleConfig{Name: "step", StepSize: 2, Gamma: 0.5}
	for e, want := range []float64{1, 1, 0.5, 0.5, 0.25} {
		if got := step.lrFor(1, e, 5, st); !near(got, want) {
			t.Errorf("step epoch %d: %v, want %v", e, got, want)
		}
	}
	cos := ScheduleConfig{Name: "cosine", MinLR: 0.1}
	for e, want := range map[int]float64{0: 1, 2: 0.55, 4: 0.1} {
		if got := cos.lrFor(1, e, 4, st); !near(got, want) {
			t.Errorf("cosine epoch %d: %v, want %v", e, got, want)
		}
	}
	pl := ScheduleConfig{Name: "plateau", Patience: 2, Factor: 0.5, MinLR: 0.3}
	for i, loss := range []float64{1, 0.9, 0.95, 0.95, 0.95, 0.95} {
		pl.observe(loss, st)
		want := []float64{1, 1, 1, 0.5, 0.5, 0.3}[i]
		if got := pl.lrFor(1, i+1, 10, st); !near(got, want) {
			t.Errorf("plateau after loss %d: lr %v, want %v", i, got, want)
		}
	}
	if err := (ScheduleConfig{Name: "exp"}).Validate(); err == nil {
		t.Error("unknown schedule accepted")
	}
}

func TestInitRanges(t *testing.T) {
	for _, init := range []models.Init{models.Xavier, models.He} {
		s := models.NewDeep(300, []int{100}, 20)
		s.Init = init
		n, err := newNet(layoutOf(s), rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		w := n.params[n.layers[0].w].Data
		lim := math.Sqrt(6.0 / 300)
		if init == models.Xavier {
			lim = math.Sqrt(6.0 / 400)
		}
		var maxAbs, sq float64
		for _, v := range w {
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
			sq += float64(v) * float64(v)
		}
		// Uniform(±lim): max close to lim, variance lim²/3.
		if maxAbs > lim || maxAbs < 0.99*lim {
			t.Errorf("%s: max |w| %v, limit %v", init, maxAbs, lim)
		}
		if v := sq / float64(len(w)); math.Abs(v-lim*lim/3) > 0.05*lim*lim/3 {
			t.Errorf("%s: variance %v, want %v", init, v, lim*lim/3)
		}
		if b := n.params[n.layers[0].b].Data; b[0] != 0 || b[len(b)-1] != 0 {
			t.Errorf("%s: biases not zero", init)
		}
	}
}
