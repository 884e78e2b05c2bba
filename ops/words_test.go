package ops

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Words shares memory with the typed slice, keeps length and capacity,
// and maps each element type to the unsigned word of its size.
func TestWordsViewsStorage(t *testing.T) {
	f := make([]float32, 3, 5)
	f[1] = -2.5
	w, ok := Words(f).([]uint32)
	require.True(t, ok, "float32 storage is viewed as []uint32")
	assert.Equal(t, 3, len(w))
	assert.Equal(t, 5, cap(w))
	assert.Equal(t, math.Float32bits(-2.5), w[1])
	w[2] = math.Float32bits(7)
	assert.Equal(t, float32(7), f[2], "the view writes through to the tensor's storage")

	for _, c := range []struct {
		data any
		want any
	}{
		{[]bool{true, false}, []uint8{1, 0}},
		{[]int8{-1, 2}, []uint8{0xff, 2}},
		{[]uint8{3}, []uint8{3}},
		{[]int16{-2}, []uint16{0xfffe}},
		{[]uint16{9}, []uint16{9}},
		{[]int32{-1}, []uint32{0xffffffff}},
		{[]uint32{4}, []uint32{4}},
		{[]int64{-1}, []uint64{math.MaxUint64}},
		{[]uint64{5}, []uint64{5}},
		{[]float64{1}, []uint64{math.Float64bits(1)}},
		{[]string{"a"}, []string{"a"}},
	} {
		assert.Equal(t, c.want, Words(c.data), "%T", c.data)
	}
	assert.Nil(t, Words([]complex64{1}), "no word view for a type tensors do not store")
	assert.Equal(t, []uint32{}, Words([]float32(nil)), "an empty slice gives an empty word slice of its size, never an untyped nil")
}

// A transpose through the word view moves every bit pattern unchanged,
// NaN payloads and negative zero included, for each element size.
func TestTransposeMovesBits(t *testing.T) {
	nan := math.Float32frombits(0x7fc00123)
	src := &Tensor{DType: Float32, Shape: []int{2, 3}, Data: []float32{1, nan, float32(math.Copysign(0, -1)), 4, 5, 6}}
	dst := &Tensor{DType: Float32, Shape: []int{3, 2}, Data: make([]float32, 6)}
	require.NoError(t, TransposeInto(dst, src, nil))
	got := dst.Data.([]float32)
	want := []uint32{math.Float32bits(1), math.Float32bits(4), 0x7fc00123, math.Float32bits(5), 0x80000000, math.Float32bits(6)}
	for i, w := range want {
		assert.Equal(t, w, math.Float32bits(got[i]), "element %d", i)
	}

	b := &Tensor{DType: Bool, Shape: []int{2, 2}, Data: []bool{true, false, false, true}}
	bt := &Tensor{DType: Bool, Shape: []int{2, 2}, Data: make([]bool, 4)}
	require.NoError(t, TransposeInto(bt, b, nil))
	assert.Equal(t, []bool{true, false, false, true}, bt.Data)

	s := &Tensor{DType: String, Shape: []int{1, 2}, Data: []string{"x", "y"}}
	st := &Tensor{DType: String, Shape: []int{2, 1}, Data: make([]string, 2)}
	require.NoError(t, TransposeInto(st, s, nil))
	assert.Equal(t, []string{"x", "y"}, st.Data)
}
