package ops

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestByteFormRoundTrip checks AppendLE and FromLE against hand-written
// little-endian bytes for every element type, and that they round-trip.
func TestByteFormRoundTrip(t *testing.T) {
	cases := []struct {
		t     *Tensor
		bytes []byte
	}{
		{&Tensor{DType: Float32, Shape: []int{2}, Data: []float32{1, float32(math.Copysign(0, -1))}}, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x80}},
		{&Tensor{DType: Float64, Shape: []int{1}, Data: []float64{-2}}, []byte{0, 0, 0, 0, 0, 0, 0, 0xc0}},
		{&Tensor{DType: Float16, Shape: []int{1}, Data: []uint16{0x3c00}}, []byte{0x00, 0x3c}},
		{&Tensor{DType: Int64, Shape: []int{1}, Data: []int64{-2}}, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{&Tensor{DType: Int32, Shape: []int{1}, Data: []int32{258}}, []byte{2, 1, 0, 0}},
		{&Tensor{DType: Int8, Shape: []int{2}, Data: []int8{-1, 5}}, []byte{0xff, 5}},
		{&Tensor{DType: Uint8, Shape: []int{2}, Data: []uint8{7, 200}}, []byte{7, 200}},
		{&Tensor{DType: Bool, Shape: []int{3}, Data: []bool{true, false, true}}, []byte{1, 0, 1}},
	}
	for _, c := range cases {
		got, err := AppendLE([]byte{9}, c.t)
		require.NoErrorf(t, err, "%v: AppendLE", c.t.DType)
		require.Equalf(t, append([]byte{9}, c.bytes...), got, "%v: AppendLE after one byte", c.t.DType)
		back, err := FromLE(c.t.DType, c.bytes, c.t.Len())
		require.NoErrorf(t, err, "%v: FromLE", c.t.DType)
		again, _ := AppendLE(nil, &Tensor{DType: c.t.DType, Shape: c.t.Shape, Data: back})
		require.Truef(t, bytes.Equal(again, c.bytes), "%v: round trip gives % x, want % x", c.t.DType, again, c.bytes)
	}
	_, err := FromLE(Float32, make([]byte, 7), 2)
	assert.Error(t, err, "FromLE accepted 7 bytes for 2 float32")
	v, err := FromLE(Bool, []byte{0, 2}, 2)
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true}, v, "FromLE(Bool, 0 2): any non-zero byte is true")
}
