package models

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestImageKinds(t *testing.T) {
	for _, k := range ImageKinds() {
		s, err := New(k, 784, nil, 8)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s defaults invalid: %v", k, err)
		}
		if s.Loss != BCE || s.OutputActivation != Sigmoid {
			t.Errorf("%s: loss %s output %s, want bce and sigmoid", k, s.Loss, s.OutputActivation)
		}
		if IsVAE(k) != (s.Beta == 1) {
			t.Errorf("%s: beta %g", k, s.Beta)
		}
		b, _ := s.Marshal()
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: round trip: %v", k, err)
		}
		b2, _ := json.Marshal(back)
		b1, _ := json.Marshal(s)
		if string(b1) != string(b2) {
			t.Errorf("%s: JSON round trip changed the spec:\n%s\n%s", k, b1, b2)
		}
	}
	c := NewConv([]int{1, 28, 28}, nil, 16)
	ins, last := c.ConvStages()
	if len(ins) != 2 || ins[1][1] != 14 || last[0] != 32 || last[1] != 7 || last[2] != 7 {
		t.Errorf("conv stages of 1x28x28 with [16 32]: %v then %v, want 14x14 then 32x7x7", ins, last)
	}
	c.Pooling = MaxPooling
	if _, last := c.ConvStages(); last[1] != 7 {
		t.Errorf("pooled stages end at %v, want 32x7x7", last)
	}
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
		{func(s *Spec) { s.Beta = -1 }, "beta must be non-negative"},
		{func(s *Spec) { s.Dropout = 1 }, "dropout must be in [0,1)"},
		{func(s *Spec) { s.K = 3 }, "does not support the dense regularisers"},
		{func(s *Spec) { s.Activation = Selu }, `activation "selu" is not one of identity, relu, leaky-relu, sigmoid, tanh, elu, softplus`},
		{func(s *Spec) { s.Code = 0 }, "code size must be positive, got 0"},
		{func(s *Spec) { s.Hidden = []int{3, -1} }, "hidden[1] must be positive, got -1"},
	}
	for _, tc := range cases {
		s := NewConvVAE([]int{1, 28, 28}, nil, 8)
		tc.edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	v := NewVAE(20, []int{8}, 2)
	v.Image = []int{1, 4, 5}
	if err := v.Validate(); err == nil || !strings.Contains(err.Error(), "vae is dense") {
		t.Errorf("dense vae with an image: %v", err)
	}
}
