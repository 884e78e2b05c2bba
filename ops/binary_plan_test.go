package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryPlanMatchesBinary runs every planned operator against Binary
// (the reference entry point) over broadcasting shapes and element types,
// including a shape mismatch that both must reject, and checks the planned
// float32 path allocates nothing.
func TestBinaryPlanMatchesBinary(t *testing.T) {
	shapes := [][2][]int{{{2, 3}, {2, 3}}, {{1, 784}, {784}}, {{2, 3, 4}, {3, 1}}, {{4}, {}}, {{1}, {2, 2}}}
	for _, op := range []BinOp{OpAdd, OpSub, OpMul, OpDiv, OpMax, OpMin, OpPow} {
		p, err := NewBinaryPlan(op)
		require.NoError(t, err)
		for _, dt := range []DType{Float32, Float64, Int32, Float16} {
			for _, sh := range shapes {
				a, b := New(dt, sh[0]...), New(dt, sh[1]...)
				for i := range a.Len() {
					setFloatT(a, i, float64(i%7)+1)
				}
				for i := range b.Len() {
					setFloatT(b, i, float64(i%3)+1)
				}
				out, err := BroadcastShape(a.Shape, b.Shape)
				require.NoError(t, err)
				want, got := New(dt, out...), New(dt, out...)
				require.NoError(t, Binary(op, want, a, b))
				require.NoErrorf(t, p.Run(got, a, b), "%v %v %v", op, dt, sh)
				for i := range want.Len() {
					if floatT(want, i) != floatT(got, i) {
						require.Equalf(t, floatT(want, i), floatT(got, i), "%v %v %v: [%d] = %v, want %v", op, dt, sh, i, floatT(got, i), floatT(want, i))
					}
				}
			}
		}
	}
	p, err := NewBinaryPlan(OpAdd)
	require.NoError(t, err)
	bad := New(Float32, 2, 4)
	assert.Error(t, p.Run(bad, New(Float32, 2, 3), New(Float32, 3)), "output [2 4] for inputs [2 3], [3]: want a shape error")
	_, err = NewBinaryPlan(BinOp(200))
	assert.Error(t, err, "NewBinaryPlan(BinOp(200))")
	sh, err := NewBinaryPlan(OpShiftLeft)
	require.NoError(t, err)
	x, y, z := &Tensor{DType: Uint8, Shape: []int{3}, Data: []uint8{1, 3, 255}}, &Tensor{DType: Uint8, Shape: []int{3}, Data: []uint8{1, 8, 1}}, New(Uint8, 3)
	require.NoError(t, sh.Run(z, x, y))
	assert.Equal(t, []uint8{2, 0, 254}, z.U8(), "planned BitShift left [1 3 255] << [1 8 1]")
	assert.Error(t, sh.Run(New(Float32, 3), New(Float32, 3), New(Float32, 3)), "planned BitShift on float32: want a type error")
	a, b, d := New(Float32, 1, 784), New(Float32, 784), New(Float32, 1, 784)
	assert.Zerof(t, testing.AllocsPerRun(100, func() { _ = p.Run(d, a, b) }), "planned float32 Add: %.1f allocations per call, want 0")
}

// setFloatT and Float are test-only element accessors over the types above.
func setFloatT(t *Tensor, i int, v float64) {
	switch d := t.Data.(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	case []int32:
		d[i] = int32(v)
	case []uint16:
		h := []uint16{0}
		Float32sToFloat16s(h, []float32{float32(v)})
		d[i] = h[0]
	}
}

func floatT(t *Tensor, i int) float64 {
	switch d := t.Data.(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case []int32:
		return float64(d[i])
	case []uint16:
		f := []float32{0}
		Float16sToFloat32s(f, d[i:i+1])
		return float64(f[0])
	}
	return 0
}
