package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	good := []*Tensor{
		New(Float32, 2, 3), New(Float64), New(Float16, 4), New(Int64, 0, 5),
		New(Int32, 1), New(Int8, 2), New(Uint8, 2), New(Bool, 3),
	}
	for _, g := range good {
		assert.NoError(t, g.Validate(), g)
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
		assert.ErrorContainsf(t, b.t.Validate(), b.want, "Validate(%v)", b.t)
	}
	ok := New(Float32, 64)
	assert.Zerof(t, testing.AllocsPerRun(100, func() { _ = ok.Validate() }), "Validate of a good tensor allocates allocations")
}
