package models

import (
	"strings"
	"testing"
)

func TestConstructorsValidate(t *testing.T) {
	for _, k := range Kinds() {
		s, err := New(k, 20, []int{12}, 4)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if s.Kind != k {
			t.Errorf("New(%s) made kind %s", k, s.Kind)
		}
		// undercomplete and contractive ignore hidden unless asked; New
		// passes hidden through, so validate the constructor forms too.
		if k == Undercomplete || k == Contractive {
			s.Hidden = nil
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s defaults invalid: %v", k, err)
		}
	}
	r := NewRecommender(50)
	if got := r.Sizes(); len(got) != 3 || got[0] != 50 || got[1] != 20 || got[2] != 10 {
		t.Errorf("recommender sizes %v, want [50 20 10]", got)
	}
	if r.Loss != MaskedMSE || r.Activation != Sigmoid || r.OutputActivation != Identity {
		t.Errorf("recommender defaults %+v", r)
	}
	d := NewDeep(784, []int{256, 64}, 32)
	if acts := d.DecoderActivations(); len(acts) != 3 || acts[2] != Sigmoid || acts[0] != Relu {
		t.Errorf("deep decoder activations %v", acts)
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		mut  func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Input = 0 }, "input size must be positive, got 0"},
		{func(s *Spec) { s.Code = 40 }, "undercomplete code size 40 must be smaller than input 20"},
		{func(s *Spec) { s.Activation = "swish" }, `activation "swish" is not one of identity, relu, leaky-relu, sigmoid, tanh, elu, selu, softplus`},
		{func(s *Spec) { s.OutputActivation = "gelu" }, `output_activation "gelu" is not one of`},
		{func(s *Spec) { s.Code = 0 }, "code size must be positive, got 0"},
		{func(s *Spec) { s.Hidden = []int{0} }, "hidden[0] must be positive, got 0"},
		{func(s *Spec) { s.Loss = BCE; s.OutputActivation = Relu }, "loss bce needs output_activation sigmoid"},
		{func(s *Spec) { s.Kind = "gan" }, `kind "gan" is not one of`},
		{func(s *Spec) { s.Hidden = []int{8} }, "undercomplete has one code layer"},
		{func(s *Spec) { s.Noise = Noise{Type: GaussianNoise, Sigma: 1} }, "noise is only used by the denoising kind"},
		{func(s *Spec) { s.Init = "zeros" }, `init "zeros" is not xavier or he`},
	}
	for _, c := range cases {
		s := NewUndercomplete(20, 4)
		c.mut(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	kind := []struct {
		s    Spec
		want string
	}{
		{NewSparseKL(10, 4, 1.5, 1), "target rho must be in (0,1), got 1.5"},
		{NewKSparse(10, 4, 0), "k-sparse k must be in [1, code=4], got 0"},
		{NewDenoising(10, 4, Noise{Type: MaskingNoise, Drop: 1}), "drop probability must be in (0,1), got 1"},
		{NewDenoising(10, 4, Noise{}), "denoising needs a noise type"},
		{NewContractive(10, 4, 0), "contractive needs lambda > 0"},
		{NewSparseL1(10, 4, 0), "sparse-l1 needs l1 > 0"},
		{NewStacked(10, nil, 4, 3), "stacked needs at least one hidden layer"},
		{NewStacked(10, []int{6}, 4, 0), "stacked needs pretrain_epochs > 0"},
	}
	for _, c := range kind {
		if err := c.s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.s.Kind, err, c.want)
		}
	}
	selu := NewUndercomplete(20, 4)
	selu.Activation = Selu
	if err := selu.Validate(); err != nil {
		t.Errorf("dense selu must validate: %v", err)
	}
	c := NewContractive(10, 4, 0.1)
	c.Hidden = []int{6}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "single encoder layer") {
		t.Errorf("deep contractive: %v", err)
	}
	if _, err := New("nope", 1, nil, 1); err == nil || !strings.Contains(err.Error(), `unknown model kind "nope"`) {
		t.Errorf("New(nope): %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := NewDenoising(30, 5, Noise{Type: GaussianNoise, Sigma: 0.3})
	s.Hidden = []int{16, 8}
	s.Tied = true
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := got.Marshal()
	if string(b) != string(b2) {
		t.Errorf("round trip changed spec:\n%s\n%s", b, b2)
	}
	if !strings.Contains(string(b), `"sigma": 0.3`) || strings.Contains(string(b), `"rho"`) {
		t.Errorf("JSON form: %s", b)
	}
	if _, err := Parse([]byte(`{"kind":"deep","input":4,"code":2,"hiden":[3]}`)); err == nil || !strings.Contains(err.Error(), "hiden") {
		t.Errorf("unknown field accepted: %v", err)
	}
	if _, err := Parse([]byte(`{"kind":"deep","input":4,"code":2}`)); err == nil || !strings.Contains(err.Error(), "invalid model spec") {
		t.Errorf("incomplete spec accepted: %v", err)
	}
}
