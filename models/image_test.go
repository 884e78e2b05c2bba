package models

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImageKinds(t *testing.T) {
	for _, k := range ImageKinds() {
		s, err := New(k, 784, nil, 8)
		require.NoError(t, err, k)
		assert.NoError(t, s.Validate(), "%s defaults", k)
		assert.Equal(t, BCE, s.Loss, k)
		assert.Equal(t, Sigmoid, s.OutputActivation, k)
		assert.Equal(t, IsVAE(k), s.Beta == 1, "%s: beta %g", k, s.Beta)
		b, err := s.Marshal()
		require.NoError(t, err)
		back, err := Parse(b)
		require.NoError(t, err, "%s: round trip", k)
		b1, err := json.Marshal(s)
		require.NoError(t, err)
		b2, err := json.Marshal(back)
		require.NoError(t, err)
		assert.JSONEq(t, string(b1), string(b2), "%s: JSON round trip", k)
	}
	c := NewConv([]int{1, 28, 28}, nil, 16)
	ins, last := c.ConvStages()
	require.Len(t, ins, 2)
	assert.Equal(t, []int{16, 14, 14}, ins[1], "second stage input")
	assert.Equal(t, []int{32, 7, 7}, last, "conv stages of 1x28x28 with [16 32]")
	c.Pooling = MaxPooling
	_, last = c.ConvStages()
	assert.Equal(t, []int{32, 7, 7}, last, "pooled stages")
}

func TestImageValidateErrors(t *testing.T) {
	cases := []struct {
		edit func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Image = []int{1, 28} }, "needs image [channels, height, width]"},
		{func(s *Spec) { s.Input = 100 }, "input 100 must equal channels·height·width = 784"},
		{func(s *Spec) { s.Kernel = 4 }, "kernel must be a positive odd size"},
		{func(s *Spec) { s.Filters = nil }, "needs at least one convolution"},
		{func(s *Spec) { s.Filters = []int{4, 4, 4, 4, 4, 4} }, "too small for 6 stride-2 convolutions"},
		{func(s *Spec) { s.Upsampling = "cubic" }, `upsampling "cubic"`},
		{func(s *Spec) { s.Upsampling = NearestConv; s.Filters = []int{4, 4, 4} }, "must be even"},
		{func(s *Spec) { s.Loss = MaskedMSE }, "is not mse or bce"},
		{func(s *Spec) { s.Pooling = "median" }, `pooling "median"`},
		{func(s *Spec) { s.Pooling = MaxPooling; s.Filters = []int{4, 4, 4} }, "pooling max halves sizes exactly"},
		{func(s *Spec) { s.CodeActivation = Tanh }, "samples its code"},
		{func(s *Spec) { s.Beta = -1 }, "penalty weights must be non-negative (l1=0 beta=-1 lambda=0)"},
		{func(s *Spec) { s.Dropout = 1 }, "dropout must be in [0,1)"},
		{func(s *Spec) { s.K = 3 }, "does not support the dense regularisers"},
		{func(s *Spec) { s.Activation = "swish" }, `activation "swish" is not one of identity, relu, leaky-relu, sigmoid, tanh, elu, selu, softplus`},
		{func(s *Spec) { s.Code = 0 }, "code size must be positive, got 0"},
		{func(s *Spec) { s.Hidden = []int{3, -1} }, "hidden[1] must be positive, got -1"},
		{func(s *Spec) { s.KLWarmup = -2 }, "kl_warmup must be non-negative"},
	}
	for _, tc := range cases {
		s := NewConvVAE([]int{1, 28, 28}, nil, 8)
		tc.edit(&s)
		assert.ErrorContains(t, s.Validate(), tc.want)
	}
	// Every layer differentiates selu: every kind accepts it.
	s := NewConvVAE([]int{1, 28, 28}, nil, 8)
	s.Activation = Selu
	assert.NoError(t, s.Validate(), "conv-vae with selu")
	v := NewVAE(20, []int{8}, 2)
	v.Image = []int{1, 4, 5}
	assert.ErrorContains(t, v.Validate(), "vae has no convolutions", "dense vae with an image")
	c := NewConv([]int{1, 8, 8}, nil, 2)
	c.KLWarmup = 2
	assert.ErrorContains(t, c.Validate(), "kl_warmup is only used by vae and conv-vae")
	d := NewDeep(8, []int{4}, 2)
	d.Kernel = 3
	assert.ErrorContains(t, d.Validate(), "deep has no convolutions")
	d = NewDeep(8, []int{4}, 2)
	d.Dropout = 0.2
	assert.NoError(t, d.Validate(), "dropout is a layer every kind can use")
}
