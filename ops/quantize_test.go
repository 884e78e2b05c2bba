package ops

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-computed: blocked scales along axis 1 (blocks of 2, the last one
// short), int4 output saturating at 7, half-to-even rounding, and back.
func TestQuantizeBlocked(t *testing.T) {
	x := FromFloat32([]int{2, 3}, []float32{1, 2.5, 30, -3, 5, -1.5})
	scale := FromFloat32([]int{2, 2}, []float32{1, 2, 0.5, 1})
	zp := &Tensor{DType: Int4, Shape: []int{2, 2}, Data: []int8{0, 1, 0, 0}}
	y := New(Int4, 2, 3)
	require.NoError(t, Quantize(y, x, scale, zp, QuantParams{Axis: 1, BlockSize: 2}, true, Invalid))
	// Row 0: 1/1=1, 2.5/1=2.5→2 (even), 30/2+1=16→7. Row 1: -3/0.5=-6,
	// 5/0.5=10→7, -1.5/1=-1.5→-2.
	assert.Equal(t, []int8{1, 2, 7, -6, 7, -2}, y.I8())

	back := New(Float32, 2, 3)
	require.NoError(t, Dequantize(back, y, scale, zp, QuantParams{Axis: 1, BlockSize: 2}))
	assert.Equal(t, []float32{1, 2, 12, -3, 3.5, -2}, back.F32())

	// A scale of the wrong blocked shape is an error naming the shapes.
	err := Quantize(y, x, FromFloat32([]int{2, 3}, make([]float32, 6)), nil, QuantParams{Axis: 1, BlockSize: 2}, true, Invalid)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want [2 2]")
}

// float8 outputs saturate or not as asked and ignore the zero point;
// uint16 outputs saturate to their range.
func TestQuantizeFloat8AndWideIntegers(t *testing.T) {
	x := FromFloat32([]int{3}, []float32{1000, -1, float32(math.Inf(1))})
	one := FromFloat32(nil, []float32{1})
	sat, plain := New(Float8E4M3FN, 3), New(Float8E4M3FN, 3)
	require.NoError(t, Quantize(sat, x, one, nil, QuantParams{}, true, Invalid))
	require.NoError(t, Quantize(plain, x, one, nil, QuantParams{}, false, Invalid))
	assert.Equal(t, []uint8{0x7E, 0xB8, 0x7E}, sat.U8())
	assert.Equal(t, []uint8{0x7F, 0xB8, 0x7F}, plain.U8())

	u := New(Uint16, 3)
	require.NoError(t, Quantize(u, FromFloat32([]int{3}, []float32{1e9, -5, 2.5}), one, nil, QuantParams{}, true, Invalid))
	assert.Equal(t, []uint16{65535, 0, 2}, u.U16())
	assert.Error(t, Quantize(New(Float32, 3), x, one, nil, QuantParams{}, true, Invalid), "float32 is not a quantized type")

	f8 := &Tensor{DType: Float8E4M3FN, Shape: []int{1}, Data: []uint8{0x38}}
	err := Dequantize(New(Float32, 1), f8, one, &Tensor{DType: Float8E4M3FN, Shape: nil, Data: []uint8{0x38}}, QuantParams{})
	assert.Error(t, err, "a float8 zero point must be zero")
}
