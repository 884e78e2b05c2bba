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
		{&Tensor{DType: Int16, Shape: []int{2}, Data: []int16{-2, 258}}, []byte{0xfe, 0xff, 2, 1}},
		{&Tensor{DType: Uint16, Shape: []int{1}, Data: []uint16{0xfffe}}, []byte{0xfe, 0xff}},
		{&Tensor{DType: Uint32, Shape: []int{1}, Data: []uint32{0xfffffffe}}, []byte{0xfe, 0xff, 0xff, 0xff}},
		{&Tensor{DType: Uint64, Shape: []int{1}, Data: []uint64{1<<64 - 2}}, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{&Tensor{DType: BFloat16, Shape: []int{1}, Data: []uint16{0x3f80}}, []byte{0x80, 0x3f}},
		{&Tensor{DType: Float8E5M2, Shape: []int{1}, Data: []uint8{0x3c}}, []byte{0x3c}},
		// Packed, first element in the low bits, the last byte padded.
		{&Tensor{DType: Int4, Shape: []int{3}, Data: []int8{-8, 7, -1}}, []byte{0x78, 0x0f}},
		{&Tensor{DType: Uint4, Shape: []int{2}, Data: []uint8{15, 1}}, []byte{0x1f}},
		{&Tensor{DType: Float4E2M1, Shape: []int{2}, Data: []uint8{0x7, 0xA}}, []byte{0xA7}},
		{&Tensor{DType: Int2, Shape: []int{5}, Data: []int8{-2, 1, 0, -1, 1}}, []byte{0xC6, 0x01}},
		{&Tensor{DType: Uint2, Shape: []int{4}, Data: []uint8{3, 0, 1, 2}}, []byte{0x93}},
	}
	for _, c := range cases {
		got, err := AppendLE([]byte{9}, c.t)
		require.NoErrorf(t, err, "%v: AppendLE", c.t.DType)
		require.Equalf(t, append([]byte{9}, c.bytes...), got, "%v: AppendLE after one byte", c.t.DType)
		back, err := FromLE(c.t.DType, c.bytes, c.t.Len())
		require.NoErrorf(t, err, "%v: FromLE", c.t.DType)
		again, err := AppendLE(nil, &Tensor{DType: c.t.DType, Shape: c.t.Shape, Data: back})
		require.NoError(t, err)
		require.Truef(t, bytes.Equal(again, c.bytes), "%v: round trip gives % x, want % x", c.t.DType, again, c.bytes)
	}
	_, err := AppendLE(nil, &Tensor{DType: String, Shape: []int{1}, Data: []string{"a"}})
	assert.Error(t, err, "strings have no byte form")
	_, err = FromLE(String, make([]byte, 16), 1)
	assert.Error(t, err, "strings have no byte form")
	_, err = FromLE(Float32, make([]byte, 7), 2)
	assert.Error(t, err, "FromLE accepted 7 bytes for 2 float32")
	v, err := FromLE(Bool, []byte{0, 2}, 2)
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true}, v, "FromLE(Bool, 0 2): any non-zero byte is true")
}
