package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConstructorsValidate(t *testing.T) {
	for _, k := range Kinds() {
		s, err := New(k, 20, []int{12}, 4)
		require.NoError(t, err, k)
		assert.Equal(t, k, s.Kind)
		// undercomplete and contractive ignore hidden unless asked; New
		// passes hidden through, so validate the constructor forms too.
		if k == Undercomplete || k == Contractive {
			s.Hidden = nil
		}
		assert.NoError(t, s.Validate(), "%s defaults", k)
	}
	r := NewRecommender(50)
	assert.Equal(t, []int{50, 20, 10}, r.Sizes(), "recommender sizes")
	assert.Equal(t, MaskedMSE, r.Loss)
	assert.Equal(t, Sigmoid, r.Activation)
	assert.Equal(t, Identity, r.OutputActivation)
	d := NewDeep(784, []int{256, 64}, 32)
	assert.Equal(t, []Activation{Relu, Relu, Sigmoid}, d.DecoderActivations(), "deep decoder activations")
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
		{func(s *Spec) { s.Noise = Noise{Type: GaussianNoise, Sigma: -1} }, "gaussian noise sigma must be positive"},
		{func(s *Spec) { s.Init = "zeros" }, `init "zeros" is not xavier or he`},
	}
	for _, c := range cases {
		s := NewUndercomplete(20, 4)
		c.mut(&s)
		assert.ErrorContains(t, s.Validate(), c.want)
	}
	// Each error names the field that holds the bad value, so that the CLI
	// can name its flag.
	kind := []struct {
		s     Spec
		want  string
		field string
	}{
		{NewSparseKL(10, 4, 1.5, 1), "target rho must be in (0,1), got 1.5", "rho"},
		{NewKSparse(10, 4, 0), "k-sparse k must be in [1, code=4], got 0", "k"},
		{NewDenoising(10, 4, Noise{Type: MaskingNoise, Drop: 1}), "drop probability must be in (0,1), got 1", "noise.drop"},
		{NewDenoising(10, 4, Noise{}), "denoising needs a noise type", "noise.type"},
		{NewContractive(10, 4, 0), "contractive needs lambda > 0", "lambda"},
		{NewSparseL1(10, 4, 0), "sparse-l1 needs l1 > 0", "l1"},
		{NewStacked(10, nil, 4, 3), "stacked needs at least one hidden layer", "hidden"},
		{NewStacked(10, []int{6}, 4, 0), "stacked needs pretrain_epochs > 0", "pretrain_epochs"},
	}
	for _, c := range kind {
		err := c.s.Validate()
		assert.ErrorContains(t, err, c.want, c.s.Kind)
		var fe *FieldError
		if assert.ErrorAs(t, err, &fe, c.s.Kind) {
			assert.Equal(t, c.field, fe.Field, c.want)
		}
	}
	selu := NewUndercomplete(20, 4)
	selu.Activation = Selu
	assert.NoError(t, selu.Validate(), "dense selu")
	noisy := NewRecommender(20)
	noisy.Noise = Noise{Type: MaskingNoise, Drop: 0.2}
	assert.NoError(t, noisy.Validate(), "input noise (input dropout) on a recommender")
	c := NewContractive(10, 4, 0.1)
	c.Hidden = []int{6}
	assert.ErrorContains(t, c.Validate(), "single encoder layer", "deep contractive")
	_, err := New("nope", 1, nil, 1)
	assert.ErrorContains(t, err, `unknown model kind "nope"`)
}

// Deep and stacked get a hidden stack from the input and code sizes when
// none is given; the stacks below are worked out by hand from the rule
// (powers of two from the largest below the input, capped at 1024, a
// quarter each step while wider than the code, at most three).
func TestDefaultHidden(t *testing.T) {
	cases := []struct {
		input, code int
		want        []int
	}{
		{784, 32, []int{512, 128}}, // the Fashion-MNIST demo's stack
		{784, 8, []int{512, 128, 32}},
		{784, 128, []int{512}},
		{30, 7, []int{16}},
		{8, 2, []int{4}},
		{3072, 32, []int{1024, 256, 64}}, // capped at 1024 and three layers
		{100000, 1, []int{1024, 256, 64}},
		{1024, 32, []int{512, 128}}, // strictly below the input
		{2, 1, []int{1}},            // nothing fits between: one code-wide layer
	}
	for _, c := range cases {
		assert.Equal(t, c.want, DefaultHidden(c.input, c.code), "input %d code %d", c.input, c.code)
	}
	for _, k := range []Kind{Deep, Stacked} {
		s, err := New(k, 784, nil, 32)
		require.NoError(t, err)
		assert.Equal(t, []int{784, 512, 128, 32}, s.Sizes(), k)
		assert.NoError(t, s.Validate(), k)
		s, err = New(k, 784, []int{64}, 32)
		require.NoError(t, err)
		assert.Equal(t, []int{784, 64, 32}, s.Sizes(), "%s with hidden given", k)
		// An explicitly empty stack is the caller's choice, and invalid.
		s, err = New(k, 784, []int{}, 32)
		require.NoError(t, err)
		assert.ErrorContains(t, s.Validate(), "needs at least one hidden layer", k)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := NewDenoising(30, 5, Noise{Type: GaussianNoise, Sigma: 0.3})
	s.Hidden = []int{16, 8}
	s.Tied = true
	b, err := s.Marshal()
	require.NoError(t, err)
	got, err := Parse(b)
	require.NoError(t, err)
	b2, err := got.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(b2), "round trip")
	assert.Contains(t, string(b), `"sigma": 0.3`)
	assert.NotContains(t, string(b), `"rho"`)
	_, err = Parse([]byte(`{"kind":"deep","input":4,"code":2,"hiden":[3]}`))
	assert.ErrorContains(t, err, "hiden", "unknown field")
	_, err = Parse([]byte(`{"kind":"deep","input":4,"code":2}`))
	assert.ErrorContains(t, err, "invalid model spec", "incomplete spec")
}
