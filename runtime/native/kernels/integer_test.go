package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func uint8s(shape []int, v ...uint8) *ops.Tensor {
	t := ops.New(ops.Uint8, shape...)
	copy(t.U8(), v)
	return t
}

func int8s(shape []int, v ...int8) *ops.Tensor {
	t := ops.New(ops.Int8, shape...)
	copy(t.I8(), v)
	return t
}

func TestMatMulIntegerZeroPoints(t *testing.T) {
	a := uint8s([]int{2, 2}, 10, 11, 12, 13)
	b := int8s([]int{2, 2}, 1, -1, 2, 0)
	// Per-row a_zero_point [10 12] → A' = [[0 1] [0 1]]; per-column
	// b_zero_point [1 0] → B' = [[0 −1] [1 0]]; A'·B' = [[1 0] [1 0]].
	out := mustRunNode(t, newNodeKV("MatMulInteger", 4, 1), 10, a, b, uint8s([]int{2}, 10, 12), int8s([]int{2}, 1, 0))
	require.Equal(t, ops.Int32, out[0].DType, "got %v %v, want int32 [1 0 1 0]", out[0], out[0].Data)
	assert.Equal(t, []int32{1, 0, 1, 0}, out[0].I32(), "got %v %v, want int32 [1 0 1 0]", out[0], out[0].Data)
	wantNodeError(t, newNodeKV("MatMulInteger", 3, 1), 10, "a_zero_point must be uint8", a, b, int8s(nil, 1))
	wantNodeError(t, newNodeKV("MatMulInteger", 2, 1), 10, "must be uint8 or int8", floats([]int{1, 2}, 1, 2), b)
}

func TestQLinearMatMulSaturates(t *testing.T) {
	// 1×1 product 100·3 = 300, scales 1·1/1, zero point 0 → saturates at 255;
	// with y_scale 4: 75 (+ zero point 5 = 80); with 0.5·1/200: 0.75 → 1.
	f := func(v float32) *ops.Tensor { return floats(nil, v) }
	a, b := uint8s([]int{1, 1}, 100), uint8s([]int{1, 1}, 3)
	zero := uint8s(nil, 0)
	n := newNodeKV("QLinearMatMul", 8, 1)
	cases := []struct {
		ys, as float32
		yz     uint8
		want   uint8
	}{{1, 1, 0, 255}, {4, 1, 5, 80}, {200, 0.5, 0, 1}}
	for _, c := range cases {
		out := mustRunNode(t, n, 10, a, f(c.as), zero, b, f(1), zero, f(c.ys), uint8s(nil, c.yz))
		assert.Equal(t, c.want, out[0].U8()[0], "y_scale %v a_scale %v zp %d: got %d, want %d", c.ys, c.as, c.yz, out[0].U8()[0], c.want)
	}
	// Round half to even: 2.5 → 2 (acc 5, scale 0.5).
	out := mustRunNode(t, n, 10, uint8s([]int{1, 1}, 5), f(0.5), zero, uint8s([]int{1, 1}, 1), f(1), zero, f(1), zero)
	assert.Equal(t, uint8(2), out[0].U8()[0], "2.5 rounded to even")
}

func TestConvIntegerPerChannel(t *testing.T) {
	// 1-D, two output channels with w_zero_point [1 2]: w' = [[0 1] [−1 0]].
	x := uint8s([]int{1, 1, 3}, 5, 6, 7)
	w := uint8s([]int{2, 1, 2}, 1, 2, 1, 2)
	out := mustRunNode(t, newNodeKV("ConvInteger", 4, 1), 10, x, w, uint8s(nil, 4), uint8s([]int{2}, 1, 2))
	// x' = [1 2 3]; channel 0: [2 3]; channel 1: [−1 −2].
	require.Equal(t, []int{1, 2, 2}, out[0].Shape, "got %v %v, want [1 2 2] [2 3 -1 -2]", out[0], out[0].Data)
	assert.Equal(t, []int32{2, 3, -1, -2}, out[0].I32(), "got %v %v, want [1 2 2] [2 3 -1 -2]", out[0], out[0].Data)
	wantNodeError(t, newNodeKV("ConvInteger", 4, 1), 10, "w_zero_point must be a scalar or have 2 values", x, w, nil, uint8s([]int{3}, 1, 2, 3))
}
