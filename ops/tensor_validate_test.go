package ops

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := []*Tensor{
		New(Float32, 2, 3), New(Float64), New(Float16, 4), New(Int64, 0, 5),
		New(Int32, 1), New(Int8, 2), New(Uint8, 2), New(Bool, 3),
	}
	for _, g := range good {
		if err := g.Validate(); err != nil {
			t.Errorf("%v: %v", g, err)
		}
	}
	bad := []struct {
		t    *Tensor
		want string
	}{
		{nil, "nil tensor"},
		{&Tensor{DType: Float32, Shape: []int{2}, Data: []int64{1, 2}}, "data is []int64"},
		{&Tensor{DType: Uint8, Shape: []int{1}, Data: []int8{1}}, "data is []int8"},
		{&Tensor{DType: Invalid, Shape: []int{1}, Data: []float32{1}}, "data is []float32"},
		{&Tensor{DType: Float32, Shape: []int{3}, Data: []float32{1}}, "shape needs 3 elements, data has 1"},
		{&Tensor{DType: Float32, Shape: []int{-1}, Data: []float32{}}, "negative dimension"},
		{&Tensor{DType: Float32, Shape: []int{1}, Data: "x"}, "data is string"},
	}
	for _, b := range bad {
		err := b.t.Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%v) = %v, want error containing %q", b.t, err, b.want)
		}
	}
	ok := New(Float32, 64)
	if n := testing.AllocsPerRun(100, func() { _ = ok.Validate() }); n != 0 {
		t.Errorf("Validate of a good tensor allocates %v times", n)
	}
}
