package kernels

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attrOf builds an attribute from a Go value: int64, []int64, float32,
// []float32 or string.
func attrOf(name string, v any) *graph.Attr {
	switch x := v.(type) {
	case int:
		return &graph.Attr{Name: name, Type: graph.AttrInt, I: int64(x)}
	case int64:
		return &graph.Attr{Name: name, Type: graph.AttrInt, I: x}
	case []int64:
		return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: x}
	case float32:
		return &graph.Attr{Name: name, Type: graph.AttrFloat, F: x}
	case []float32:
		return &graph.Attr{Name: name, Type: graph.AttrFloats, Floats: x}
	case string:
		return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(x)}
	}
	panic(fmt.Sprintf("attrOf %T", v))
}

// newNodeKV builds a node with nIn inputs, nOut outputs and attributes given
// as name/value pairs.
func newNodeKV(op string, nIn, nOut int, kv ...any) *graph.Node {
	n := &graph.Node{Name: "nn_" + strings.ToLower(op), OpType: op, Attrs: map[string]*graph.Attr{}}
	for i := 0; i < nIn; i++ {
		n.Inputs = append(n.Inputs, fmt.Sprintf("i%d", i))
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, fmt.Sprintf("o%d", i))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		a := attrOf(kv[i].(string), kv[i+1])
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

// checkFloats compares got with a float32 expectation of the given shape.
func checkFloats(t *testing.T, what string, got *ops.Tensor, shape []int, want ...float32) {
	t.Helper()
	require.Empty(t, compareTensors(got, floats(shape, want...), 1e-5, 1e-5), "%s: %s (got %v)", what, tensorF64(got))
}

func toFloat16(t *ops.Tensor) *ops.Tensor {
	h := make([]uint16, t.Len())
	ops.Float32sToFloat16s(h, t.F32())
	return &ops.Tensor{DType: ops.Float16, Shape: t.Shape, Data: h}
}

func toFloat64(t *ops.Tensor) *ops.Tensor {
	f := t.F32()
	d := make([]float64, len(f))
	for i, v := range f {
		d[i] = float64(v)
	}
	return ops.FromFloat64(t.Shape, d)
}

func TestGemmBroadcastAndTypes(t *testing.T) {
	a := floats([]int{3, 2}, 1, 2, 3, 4, 5, 6)  // transposed: A is 2×3
	b := floats([]int{2, 3}, 1, 0, 2, -1, 1, 0) // transposed: B is 3×2
	// op(A)·op(B) with transA, transB: A' = [[1 3 5] [2 4 6]], B' = [[1 -1] [0 1] [2 0]]
	// product = [[11 2] [14 2]]; alpha 2 → [[22 4] [28 4]].
	prod := []float32{22, 4, 28, 4}
	cs := []struct {
		c    *ops.Tensor
		want []float32
	}{
		{nil, prod},
		{floats(nil, 1), []float32{22.5, 4.5, 28.5, 4.5}},
		{floats([]int{2}, 1, 2), []float32{22.5, 5, 28.5, 5}},
		{floats([]int{1, 2}, 1, 2), []float32{22.5, 5, 28.5, 5}},
		{floats([]int{2, 1}, 1, 2), []float32{22.5, 4.5, 29, 5}},
		{floats([]int{2, 2}, 1, 2, 3, 4), []float32{22.5, 5, 29.5, 6}},
	}
	for i, c := range cs {
		n := newNodeKV("Gemm", 3, 1, "alpha", float32(2), "beta", float32(0.5), "transA", 1, "transB", 1)
		in := []*ops.Tensor{a, b, c.c}
		out := mustRunNode(t, n, 13, in...)
		checkFloats(t, fmt.Sprintf("float32 case %d", i), out[0], []int{2, 2}, c.want...)
		in16 := []*ops.Tensor{toFloat16(a), toFloat16(b), nil}
		in64 := []*ops.Tensor{toFloat64(a), toFloat64(b), nil}
		if c.c != nil {
			in16[2], in64[2] = toFloat16(c.c), toFloat64(c.c)
		}
		out16 := mustRunNode(t, n, 13, in16...)
		require.Equal(t, ops.Float16, out16[0].DType, "float16 Gemm returned %v", out16[0])
		out64 := mustRunNode(t, n, 13, in64...)
		require.Empty(t, compareTensors(out64[0], toFloat64(floats([]int{2, 2}, c.want...)), 1e-12, 1e-12), "float64 case %d", i)
		require.Empty(t, compareTensors(out16[0], toFloat16(floats([]int{2, 2}, c.want...)), 1e-2, 1e-3), "float16 case %d", i)
	}
	ni := newNodeKV("Gemm", 2, 1)
	out := mustRunNode(t, ni, 13, ops.FromInt64([]int{1, 2}, []int64{2, 3}), ops.FromInt64([]int{2, 1}, []int64{4, 5}))
	assert.True(t, slices.Equal(out[0].I64(), []int64{23}), "int64 Gemm: got %v, want [23]", out[0].I64())
	// int32 with transA, alpha 2, beta 3 and a row C broadcast over rows:
	// Aᵀ = [[1 3] [2 4]], Aᵀ·B = [[1+3 2+6] [2+4 4+8]] = [[4 8] [6 12]],
	// 2·that + 3·[1 -1] = [[11 13] [15 21]].
	ni32 := newNodeKV("Gemm", 3, 1, "transA", 1, "alpha", float32(2), "beta", float32(3))
	out32 := mustRunNode(t, ni32, 13, ops.FromInt32([]int{2, 2}, []int32{1, 2, 3, 4}),
		ops.FromInt32([]int{2, 2}, []int32{1, 2, 1, 2}), ops.FromInt32([]int{2}, []int32{1, -1}))
	require.Equal(t, ops.Int32, out32[0].DType, "int32 Gemm: got %v %v, want [11 13 15 21]", out32[0], out32[0].Data)
	assert.Equal(t, []int32{11, 13, 15, 21}, out32[0].I32(), "int32 Gemm: got %v %v, want [11 13 15 21]", out32[0], out32[0].Data)

	n := newNodeKV("Gemm", 3, 1)
	wantNodeError(t, n, 13, "does not broadcast", floats([]int{2, 2}, 1, 2, 3, 4), floats([]int{2, 2}, 1, 2, 3, 4), floats([]int{3}, 1, 2, 3))
	wantNodeError(t, n, 13, "inner dimensions", floats([]int{2, 3}, 1, 2, 3, 4, 5, 6), floats([]int{2, 2}, 1, 2, 3, 4))
	wantNodeError(t, n, 13, "must be 2-D", floats([]int{4}, 1, 2, 3, 4), floats([]int{2, 2}, 1, 2, 3, 4))
	wantNodeError(t, n, 13, "missing input 1", floats([]int{2, 2}, 1, 2, 3, 4))
	wantNodeError(t, n, 13, "share one type", floats([]int{1, 1}, 1), ops.FromInt64([]int{1, 1}, []int64{1}))
}

func TestMatMulTypes(t *testing.T) {
	n := newNodeKV("MatMul", 2, 1)
	out := mustRunNode(t, n, 13, ops.FromInt32([]int{2}, []int32{1, 2}), ops.FromInt32([]int{2, 2}, []int32{3, 4, 5, 6}))
	assert.Equal(t, []int{2}, out[0].Shape, "int32 vector·matrix: shape")
	assert.Equal(t, []int32{13, 16}, out[0].I32(), "int32 vector·matrix")
	a := floats([]int{2, 1, 1, 2}, 1, 2, 3, 4)
	b := floats([]int{3, 2, 1}, 1, 1, 0, 1, 1, 0)
	out = mustRunNode(t, n, 13, toFloat16(a), toFloat16(b))
	require.Equal(t, ops.Float16, out[0].DType, "float16 batched")
	require.Equal(t, []int{2, 3, 1, 1}, out[0].Shape, "float16 batched")
	assert.Empty(t, compareTensors(out[0], toFloat16(floats([]int{2, 3, 1, 1}, 3, 2, 1, 7, 4, 3)), 0, 0), "float16 batched")
	wantNodeError(t, n, 13, "inner dimensions differ", floats([]int{2, 3}, 1, 2, 3, 4, 5, 6), floats([]int{2, 3}, 1, 2, 3, 4, 5, 6))
	wantNodeError(t, n, 13, "A is float32 but B is int64", floats([]int{1}, 1), ops.FromInt64([]int{1}, []int64{1}))
}

func TestConvAutoPad(t *testing.T) {
	x := floats([]int{1, 1, 5}, 1, 2, 3, 4, 5)
	w := floats([]int{1, 1, 3}, 1, 1, 1)
	// SAME_UPPER, stride 2: out 3, total pad 2 split 1/1.
	out := mustRunNode(t, newNodeKV("Conv", 2, 1, "auto_pad", "SAME_UPPER", "strides", []int64{2}), 11, x, w)
	checkFloats(t, "SAME_UPPER stride 2", out[0], []int{1, 1, 3}, 3, 9, 9)
	out = mustRunNode(t, newNodeKV("Conv", 2, 1, "auto_pad", "VALID"), 11, x, w)
	checkFloats(t, "VALID", out[0], []int{1, 1, 3}, 6, 9, 12)
	// operators.Kernel 2, stride 1: one pad, at the end (upper) or the start (lower).
	x3 := floats([]int{1, 1, 3}, 1, 2, 3)
	w2 := floats([]int{1, 1, 2}, 1, 1)
	out = mustRunNode(t, newNodeKV("Conv", 2, 1, "auto_pad", "SAME_UPPER"), 11, x3, w2)
	checkFloats(t, "SAME_UPPER k2", out[0], []int{1, 1, 3}, 3, 5, 3)
	out = mustRunNode(t, newNodeKV("Conv", 2, 1, "auto_pad", "SAME_LOWER"), 11, x3, w2)
	checkFloats(t, "SAME_LOWER k2", out[0], []int{1, 1, 3}, 1, 3, 5)
	// Explicit pads, dilation 2 and bias.
	out = mustRunNode(t, newNodeKV("Conv", 3, 1, "pads", []int64{2, 0}, "dilations", []int64{2}), 11, x3, w2, floats([]int{1}, 10))
	checkFloats(t, "pads+dilation", out[0], []int{1, 1, 3}, 11, 12, 14)
	// float64 input computes too.
	out = mustRunNode(t, newNodeKV("Conv", 2, 1, "auto_pad", "VALID"), 11, toFloat64(x), toFloat64(w))
	require.Equal(t, ops.Float64, out[0].DType, "float64 conv: got %v %v", out[0], out[0].Data)
	assert.EqualValues(t, 12, out[0].F64()[2], "float64 conv: got %v %v", out[0], out[0].Data)
}

func TestConvErrors(t *testing.T) {
	x := floats([]int{1, 2, 3}, 1, 2, 3, 4, 5, 6)
	n := newNodeKV("Conv", 3, 1)
	wantNodeError(t, n, 11, "input channels per group", x, floats([]int{1, 3, 1}, 1, 1, 1))
	wantNodeError(t, newNodeKV("Conv", 2, 1, "group", 3), 11, "group 3 must divide", x, floats([]int{1, 1, 1}, 1))
	wantNodeError(t, n, 11, "B must have 1 elements", x, floats([]int{1, 2, 1}, 1, 1), floats([]int{2}, 1, 2))
	wantNodeError(t, newNodeKV("Conv", 2, 1, "kernel_shape", []int64{2}), 11, "disagrees", x, floats([]int{1, 2, 1}, 1, 1))
	wantNodeError(t, n, 11, "must be float32", ops.FromInt64([]int{1, 1, 1}, []int64{1}), ops.FromInt64([]int{1, 1, 1}, []int64{1}))
	wantNodeError(t, n, 11, "smaller than the effective kernel", x, floats([]int{1, 2, 4}, 1, 1, 1, 1, 1, 1, 1, 1))
	wantNodeError(t, n, 11, "at least 1 spatial axes", floats([]int{1, 2}, 1, 2), floats([]int{1, 2}, 1, 2))
	wantNodeError(t, newNodeKV("Conv", 2, 1, "pads", []int64{1}), 11, "pads [1] should have 2 values", x, floats([]int{1, 2, 1}, 1, 1))
	_, err := runNode(newNodeKV("Conv", 2, 1, "auto_pad", "SAME"), 11)
	assert.ErrorContains(t, err, "auto_pad", "unknown auto_pad: got %v", err)
}

func TestConvTransposeShapes(t *testing.T) {
	x := floats([]int{1, 1, 2}, 1, 2)
	w := floats([]int{1, 1, 3}, 1, 1, 1)
	// Full output (stride 2): [1 1 1+2 2 2].
	out := mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "strides", []int64{2}), 11, x, w)
	checkFloats(t, "full", out[0], []int{1, 1, 5}, 1, 1, 3, 2, 2)
	out = mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "strides", []int64{2}, "output_padding", []int64{1}), 11, x, w)
	checkFloats(t, "output_padding", out[0], []int{1, 1, 6}, 1, 1, 3, 2, 2, 0)
	out = mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "strides", []int64{2}, "auto_pad", "SAME_UPPER"), 11, x, w)
	checkFloats(t, "SAME_UPPER", out[0], []int{1, 1, 4}, 1, 1, 3, 2)
	out = mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "strides", []int64{2}, "auto_pad", "SAME_LOWER"), 11, x, w)
	checkFloats(t, "SAME_LOWER", out[0], []int{1, 1, 4}, 1, 3, 2, 2)
	// output_shape 3 of the full 5: total padding 2, split 1/1.
	out = mustRunNode(t, newNodeKV("ConvTranspose", 3, 1, "strides", []int64{2}, "output_shape", []int64{3}), 11, x, w, floats([]int{1}, 0.5))
	checkFloats(t, "output_shape", out[0], []int{1, 1, 3}, 1.5, 3.5, 2.5)
	out = mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "strides", []int64{2}, "pads", []int64{1, 2}), 11, x, w)
	checkFloats(t, "pads", out[0], []int{1, 1, 2}, 1, 3)
	// Groups: 2 input channels, 2 groups, one output channel each.
	x2 := floats([]int{1, 2, 1}, 1, 10)
	w2 := floats([]int{2, 1, 2}, 1, 2, 3, 4)
	out = mustRunNode(t, newNodeKV("ConvTranspose", 2, 1, "group", 2), 11, x2, w2)
	checkFloats(t, "groups", out[0], []int{1, 2, 2}, 1, 2, 30, 40)
	wantNodeError(t, newNodeKV("ConvTranspose", 2, 1), 11, "should have 2 (input channels)", x2, floats([]int{1, 1, 2}, 1, 2))
	wantNodeError(t, newNodeKV("ConvTranspose", 2, 1, "pads", []int64{3, 3}), 11, "negative", x, w)
}

func TestMaxPoolIndicesAndTypes(t *testing.T) {
	x := floats([]int{1, 1, 2, 3}, 1, 5, 2, 6, 3, 4)
	n := newNodeKV("MaxPool", 1, 2, "kernel_shape", []int64{2, 2})
	out := mustRunNode(t, n, 12, x)
	checkFloats(t, "max", out[0], []int{1, 1, 1, 2}, 6, 5)
	assert.Equal(t, []int64{3, 1}, out[1].I64(), "row-major indices")
	n = newNodeKV("MaxPool", 1, 2, "kernel_shape", []int64{2, 2}, "storage_order", 1)
	out = mustRunNode(t, n, 12, x)
	assert.Equal(t, []int64{1, 2}, out[1].I64(), "column-major indices") // (1,0) → 1, (0,1) → 2
	xi := ops.New(ops.Int8, 1, 1, 3)
	copy(xi.I8(), []int8{-5, -7, -2})
	out = mustRunNode(t, newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{2}, "pads", []int64{1, 0}), 12, xi)
	assert.True(t, slices.Equal(out[0].I8(), []int8{-5, -5, -2}), "int8 max pool with padding: got %v, want [-5 -5 -2]", out[0].I8())
	out = mustRunNode(t, newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{2}, "strides", []int64{2}, "ceil_mode", 1), 12, floats([]int{1, 1, 5}, 1, 2, 3, 4, 5))
	checkFloats(t, "ceil_mode", out[0], []int{1, 1, 3}, 2, 4, 5)
	wantNodeError(t, newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{2}), 12, "unsupported type", ops.FromInt64([]int{1, 1, 2}, []int64{1, 2}))
	_, err := runNode(newNodeKV("MaxPool", 1, 1), 12, x)
	assert.ErrorContains(t, err, "kernel_shape", "missing kernel_shape: got %v", err)
	_, err = runNode(newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{2}, "auto_pad", "VALID", "pads", []int64{1, 1}), 12, x)
	assert.Error(t, err, "pads with auto_pad VALID")
}

func TestAveragePool(t *testing.T) {
	x := floats([]int{1, 1, 4}, 1, 2, 3, 4)
	out := mustRunNode(t, newNodeKV("AveragePool", 1, 1, "kernel_shape", []int64{3}, "pads", []int64{1, 1}), 11, x)
	checkFloats(t, "exclude pad", out[0], []int{1, 1, 4}, 1.5, 2, 3, 3.5)
	out = mustRunNode(t, newNodeKV("AveragePool", 1, 1, "kernel_shape", []int64{3}, "pads", []int64{1, 1}, "count_include_pad", 1), 11, x)
	checkFloats(t, "include pad", out[0], []int{1, 1, 4}, 1, 2, 3, 7.0/3)
	out = mustRunNode(t, newNodeKV("AveragePool", 1, 1, "kernel_shape", []int64{2}, "dilations", []int64{2}), 19, x)
	checkFloats(t, "dilations", out[0], []int{1, 1, 2}, 2, 3)
	out = mustRunNode(t, newNodeKV("GlobalAveragePool", 1, 1), 1, floats([]int{1, 2, 2}, 1, 3, 5, 9))
	checkFloats(t, "global average", out[0], []int{1, 2, 1}, 2, 7)
	out = mustRunNode(t, newNodeKV("GlobalMaxPool", 1, 1), 1, toFloat16(floats([]int{1, 2, 2}, 1, 3, 5, 9)))
	assert.Empty(t, compareTensors(out[0], toFloat16(floats([]int{1, 2, 1}, 3, 9)), 0, 0), "float16 global max")
	wantNodeError(t, newNodeKV("GlobalMaxPool", 1, 1), 1, "must be float32", ops.FromInt64([]int{1, 1}, []int64{1}))
}

func TestBatchNorm(t *testing.T) {
	x := floats([]int{2, 1, 2}, 1, 2, 3, 4)
	one, zero := floats([]int{1}, 1), floats([]int{1}, 0)
	// Inference with mean 2, var 4, eps 0: (x−2)/2.
	out := mustRunNode(t, newNodeKV("BatchNormalization", 5, 1, "epsilon", float32(0)), 15, x, one, zero, floats([]int{1}, 2), floats([]int{1}, 4))
	checkFloats(t, "inference", out[0], []int{2, 1, 2}, -0.5, 0, 0.5, 1)
	// Training mode: batch mean 2.5, var 1.25; running stats blend with
	// momentum 0.5.
	n := newNodeKV("BatchNormalization", 5, 3, "epsilon", float32(0), "momentum", float32(0.5), "training_mode", 1)
	out = mustRunNode(t, n, 15, x, one, zero, floats([]int{1}, 0.5), floats([]int{1}, 0.75))
	s := float32(1 / math.Sqrt(1.25))
	checkFloats(t, "training Y", out[0], []int{2, 1, 2}, -1.5*s, -0.5*s, 0.5*s, 1.5*s)
	checkFloats(t, "running mean", out[1], []int{1}, 1.5)
	checkFloats(t, "running var", out[2], []int{1}, 1)
	wantNodeError(t, newNodeKV("BatchNormalization", 5, 3), 15, "training_mode=1", x, one, zero, one, one)
	wantNodeError(t, newNodeKV("BatchNormalization", 5, 1), 15, "must have 1 elements", x, floats([]int{2}, 1, 1), zero, one, one)
	// Opset 7 spatial=0: statistics per channel and position.
	n7 := newNodeKV("BatchNormalization", 5, 1, "epsilon", float32(0), "spatial", 0)
	out = mustRunNode(t, n7, 7, x, floats([]int{1, 2}, 1, 2), floats([]int{1, 2}, 0, 0), floats([]int{1, 2}, 1, 2), floats([]int{1, 2}, 1, 4))
	checkFloats(t, "spatial=0", out[0], []int{2, 1, 2}, 0, 0, 2, 2)
}

func TestLayerNormAndInstanceNorm(t *testing.T) {
	x := floats([]int{2, 2}, 1, 3, 2, 6)
	n := newNodeKV("LayerNormalization", 3, 3, "epsilon", float32(0))
	out := mustRunNode(t, n, 17, x, floats([]int{2}, 1, 2), floats([]int{2}, 0, 1))
	checkFloats(t, "Y", out[0], []int{2, 2}, -1, 3, -1, 3)
	checkFloats(t, "Mean", out[1], []int{2, 1}, 2, 4)
	checkFloats(t, "InvStdDev", out[2], []int{2, 1}, 1, 0.5)
	// axis 0 normalises everything; a scalar scale broadcasts.
	out = mustRunNode(t, newNodeKV("LayerNormalization", 2, 1, "axis", 0, "epsilon", float32(0)), 17, floats([]int{2, 1}, 1, 3), floats(nil, 2))
	checkFloats(t, "axis 0", out[0], []int{2, 1}, -2, 2)
	wantNodeError(t, newNodeKV("LayerNormalization", 2, 1, "axis", 2), 17, "axis 2 out of range", x, floats([]int{2}, 1, 1))
	wantNodeError(t, newNodeKV("LayerNormalization", 2, 1), 17, "does not broadcast", x, floats([]int{3}, 1, 1, 1))

	xi := floats([]int{1, 2, 2}, 1, 3, 5, 7)
	out = mustRunNode(t, newNodeKV("InstanceNormalization", 3, 1, "epsilon", float32(0)), 6, xi, floats([]int{2}, 1, 1), floats([]int{2}, 0, 7))
	checkFloats(t, "instance norm", out[0], []int{1, 2, 2}, -1, 1, 6, 8)
}

func TestSoftmaxOpsets(t *testing.T) {
	x := floats([]int{2, 2}, 0, 0, float32(math.Log(3)), 0)
	// Opset 11, axis 0: the whole tensor is one row.
	out := mustRunNode(t, newNodeKV("Softmax", 1, 1, "axis", 0), 11, x)
	checkFloats(t, "opset 11 axis 0", out[0], []int{2, 2}, 1.0/6, 1.0/6, 0.5, 1.0/6)
	// Opset 13, axis 0: along the columns.
	out = mustRunNode(t, newNodeKV("Softmax", 1, 1, "axis", 0), 13, x)
	checkFloats(t, "opset 13 axis 0", out[0], []int{2, 2}, 0.25, 0.5, 0.75, 0.5)
	out = mustRunNode(t, newNodeKV("LogSoftmax", 1, 1), 13, x)
	l2 := float32(math.Log(0.5))
	checkFloats(t, "log default axis", out[0], []int{2, 2}, l2, l2, float32(math.Log(0.75)), float32(math.Log(0.25)))
	wantNodeError(t, newNodeKV("Softmax", 1, 1, "axis", 2), 13, "axis 2 out of range", x)
}

func TestDropout(t *testing.T) {
	x := floats([]int{3}, 1, 2, 3)
	out := mustRunNode(t, newNodeKV("Dropout", 1, 2), 13, x)
	require.Equal(t, x, out[0], "inference dropout: got %v %v", out[0], out[1])
	require.Equal(t, ops.Bool, out[1].DType, "inference dropout: got %v %v", out[0], out[1])
	assert.Equal(t, []bool{true, true, true}, out[1].B(), "inference dropout: got %v %v", out[0], out[1])
	out = mustRunNode(t, newNodeKV("Dropout", 1, 2), 7, x)
	checkFloats(t, "opset 7 mask", out[1], []int{3}, 1, 1, 1)
	on := ops.FromBool(nil, []bool{true})
	wantNodeError(t, newNodeKV("Dropout", 3, 1), 13, "ratio 1 must be in [0, 1)", x, floats(nil, 1), on)
	wantNodeError(t, newNodeKV("Dropout", 3, 1), 13, "training_mode must be a bool", x, floats(nil, 0.5), floats(nil, 1))
	// Training with ratio 0 is the identity.
	out = mustRunNode(t, newNodeKV("Dropout", 3, 1), 13, x, floats(nil, 0), on)
	checkFloats(t, "ratio 0", out[0], []int{3}, 1, 2, 3)
}

func TestPadOpsets(t *testing.T) {
	x := floats([]int{2, 2}, 1, 2, 3, 4)
	out := mustRunNode(t, newNodeKV("Pad", 1, 1, "pads", []int64{0, 1, 0, 0}, "value", float32(9)), 2, x)
	checkFloats(t, "opset 2 attributes", out[0], []int{2, 3}, 9, 1, 2, 9, 3, 4)
	out = mustRunNode(t, newNodeKV("Pad", 3, 1, "mode", "edge"), 13, x, ops.FromInt64([]int{4}, []int64{1, 0, 0, 1}), nil)
	checkFloats(t, "opset 13 edge", out[0], []int{3, 3}, 1, 2, 2, 1, 2, 2, 3, 4, 4)
	out = mustRunNode(t, newNodeKV("Pad", 4, 1), 18, x, ops.FromInt64([]int{2}, []int64{1, -1}), floats(nil, 5), ops.FromInt64([]int{1}, []int64{-1}))
	checkFloats(t, "opset 18 axes", out[0], []int{2, 2}, 5, 1, 5, 3)
	out = mustRunNode(t, newNodeKV("Pad", 2, 1, "mode", "wrap"), 19, x, ops.FromInt64([]int{4}, []int64{0, 1, 0, 1}))
	checkFloats(t, "wrap", out[0], []int{2, 4}, 2, 1, 2, 1, 4, 3, 4, 3)
	_, err := runNode(newNodeKV("Pad", 2, 1, "mode", "wrap"), 18)
	assert.ErrorContains(t, err, "opset 19", "wrap at opset 18: got %v", err)
	xb := ops.FromBool([]int{2}, []bool{true, false})
	out = mustRunNode(t, newNodeKV("Pad", 3, 1), 13, xb, ops.FromInt64([]int{2}, []int64{1, 1}), ops.FromBool(nil, []bool{true}))
	assert.True(t, slices.Equal(out[0].B(), []bool{true, true, false, true}), "bool pad: got %v", out[0].B())
	out = mustRunNode(t, newNodeKV("Pad", 2, 1, "mode", "reflect"), 13, toFloat16(floats([]int{3}, 1, 2, 3)), ops.FromInt64([]int{2}, []int64{2, 0}))
	assert.Empty(t, compareTensors(out[0], toFloat16(floats([]int{5}, 3, 2, 1, 2, 3)), 0, 0), "float16 reflect")
	wantNodeError(t, newNodeKV("Pad", 2, 1), 13, "pads has 2 values, want 4", x, ops.FromInt64([]int{2}, []int64{1, 1}))
	wantNodeError(t, newNodeKV("Pad", 2, 1), 13, "negative size", x, ops.FromInt64([]int{4}, []int64{-2, 0, -1, 0}))
	wantNodeError(t, newNodeKV("Pad", 3, 1), 13, "constant_value", x, ops.FromInt64([]int{4}, []int64{0, 0, 0, 0}), ops.FromInt64(nil, []int64{1}))
}

func TestResizeOpsets(t *testing.T) {
	x := floats([]int{1, 1, 1, 2}, 1, 3)
	none := ops.New(ops.Float32, 0)
	// Opset 18: scales for the last axis only.
	n := newNodeKV("Resize", 3, 1, "mode", "linear", "axes", []int64{3}, "coordinate_transformation_mode", "align_corners")
	out := mustRunNode(t, n, 18, x, none, floats([]int{1}, 1.5))
	checkFloats(t, "axes", out[0], []int{1, 1, 1, 3}, 1, 2, 3)
	// Sizes with not_larger: 2×2 into at most 4×6 → scale 2 on both axes.
	x2 := floats([]int{2, 2}, 1, 2, 3, 4)
	n = newNodeKV("Resize", 4, 1, "keep_aspect_ratio_policy", "not_larger", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor")
	out = mustRunNode(t, n, 18, x2, nil, nil, ops.FromInt64([]int{2}, []int64{4, 6}))
	checkFloats(t, "not_larger", out[0], []int{4, 4}, 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4)
	n = newNodeKV("Resize", 4, 1, "keep_aspect_ratio_policy", "not_smaller")
	out = mustRunNode(t, n, 18, x2, nil, nil, ops.FromInt64([]int{2}, []int64{4, 6}))
	assert.True(t, slices.Equal(out[0].Shape, []int{6, 6}), "not_smaller shape: got %v, want [6 6]", out[0].Shape)
	// Opset 10: asymmetric nearest.
	out = mustRunNode(t, newNodeKV("Resize", 2, 1), 10, floats([]int{3}, 1, 2, 3), floats([]int{1}, 2))
	checkFloats(t, "opset 10", out[0], []int{6}, 1, 1, 2, 2, 3, 3)
	// Upsample: opset 7 attribute, opset 9 input.
	out = mustRunNode(t, newNodeKV("Upsample", 1, 1, "scales", []float32{1, 2}), 7, floats([]int{1, 2}, 1, 2))
	checkFloats(t, "upsample 7", out[0], []int{1, 4}, 1, 1, 2, 2)
	out = mustRunNode(t, newNodeKV("Upsample", 2, 1, "mode", "linear"), 9, floats([]int{1, 2}, 1, 3), floats([]int{2}, 1, 2))
	checkFloats(t, "upsample 9 linear", out[0], []int{1, 4}, 1, 2, 3, 3)
	// float16 passes through float32.
	out = mustRunNode(t, newNodeKV("Resize", 3, 1), 13, toFloat16(floats([]int{2}, 1, 2)), nil, floats([]int{1}, 2))
	require.Equal(t, ops.Float16, out[0].DType, "float16 resize: got %v", out[0])
	assert.Equal(t, []int{4}, out[0].Shape, "float16 resize: got %v", out[0])
	wantNodeError(t, newNodeKV("Resize", 4, 1), 13, "only one of scales and sizes", x2, nil, floats([]int{2}, 1, 1), ops.FromInt64([]int{2}, []int64{2, 2}))
	wantNodeError(t, newNodeKV("Resize", 3, 1), 13, "scales has 1 values, want 2", x2, nil, floats([]int{1}, 2))
	wantNodeError(t, newNodeKV("Resize", 3, 1, "coordinate_transformation_mode", "tf_crop_and_resize"), 13, "needs the roi", x2, nil, floats([]int{2}, 1, 1))
	wantNodeError(t, newNodeKV("Resize", 3, 1), 13, "must be positive", x2, nil, floats([]int{2}, 1, -1))
	wantNodeError(t, newNodeKV("Resize", 1, 1), 13, "one of scales and sizes is required", x2)
	_, err := runNode(newNodeKV("Resize", 3, 1, "mode", "area"), 13)
	assert.ErrorContains(t, err, "unknown mode", "unknown mode: got %v", err)
}

func TestGroupNormAndLp(t *testing.T) {
	// Two channels in one group: values 1, 3 | 5, 7 → mean 4, var 5.
	x := floats([]int{1, 2, 2}, 1, 3, 5, 7)
	s := float32(1 / math.Sqrt(5))
	// Opset 18: scale and bias per group.
	out := mustRunNode(t, newNodeKV("GroupNormalization", 3, 1, "num_groups", 1, "epsilon", float32(0)), 18, x, floats([]int{1}, 2), floats([]int{1}, 1))
	checkFloats(t, "opset 18", out[0], []int{1, 2, 2}, 1-6*s, 1-2*s, 1+2*s, 1+6*s)
	// Opset 21: per channel.
	out = mustRunNode(t, newNodeKV("GroupNormalization", 3, 1, "num_groups", 1, "epsilon", float32(0)), 21, x, floats([]int{2}, 1, 2), floats([]int{2}, 0, 1))
	checkFloats(t, "opset 21", out[0], []int{1, 2, 2}, -3*s, -s, 1+2*s, 1+6*s)
	wantNodeError(t, newNodeKV("GroupNormalization", 3, 1, "num_groups", 3), 21, "must divide", x, floats([]int{2}, 1, 1), floats([]int{2}, 0, 0))
	wantNodeError(t, newNodeKV("GroupNormalization", 3, 1, "num_groups", 2), 18, "must have 2 elements", x, floats([]int{1}, 1), floats([]int{2}, 0, 0))

	out = mustRunNode(t, newNodeKV("LpNormalization", 1, 1, "p", 1), 1, floats([]int{2, 2}, 1, 3, -2, 2))
	checkFloats(t, "L1 rows", out[0], []int{2, 2}, 0.25, 0.75, -0.5, 0.5)
	out = mustRunNode(t, newNodeKV("GlobalLpPool", 1, 1), 2, floats([]int{1, 1, 2}, 3, 4))
	checkFloats(t, "global L2", out[0], []int{1, 1, 1}, 5)
	out = mustRunNode(t, newNodeKV("LpPool", 1, 1, "kernel_shape", []int64{2}, "p", 1), 18, floats([]int{1, 1, 3}, 1, -2, 3))
	checkFloats(t, "L1 pool", out[0], []int{1, 1, 2}, 3, 5)
}

func TestCol2Im(t *testing.T) {
	// 1-D image of 4, block 2, stride 1: three columns; overlapping
	// positions add up. Columns [a0 a1 a2] (block offset 0) and [b0 b1 b2]
	// (offset 1): image = [a0, a1+b0, a2+b1, b2].
	x := floats([]int{1, 2, 3}, 1, 2, 3, 10, 20, 30)
	out := mustRunNode(t, newNodeKV("Col2Im", 3, 1), 18, x, ops.FromInt64([]int{1}, []int64{4}), ops.FromInt64([]int{1}, []int64{2}))
	checkFloats(t, "1-D", out[0], []int{1, 1, 4}, 1, 12, 23, 30)
	// Padding 1 on both sides with stride 2: columns at padded 0 and 2.
	out = mustRunNode(t, newNodeKV("Col2Im", 3, 1, "pads", []int64{1, 1}, "strides", []int64{2}), 18,
		floats([]int{1, 2, 2}, 1, 2, 10, 20), ops.FromInt64([]int{1}, []int64{2}), ops.FromInt64([]int{1}, []int64{2}))
	checkFloats(t, "padded", out[0], []int{1, 1, 2}, 10, 2)
	wantNodeError(t, newNodeKV("Col2Im", 3, 1), 18, "block positions", x, ops.FromInt64([]int{1}, []int64{5}), ops.FromInt64([]int{1}, []int64{2}))
}

func TestResizeOutputSizeFloat32(t *testing.T) {
	// float32(0.7)·10 rounds to exactly 7 in float32 (ONNX Runtime's
	// arithmetic) although it is 6.99999988 in float64.
	x := ops.New(ops.Float32, 10)
	out := mustRunNode(t, newNodeKV("Resize", 3, 1), 13, x, nil, floats([]int{1}, 0.7))
	assert.Equal(t, 7, out[0].Shape[0], "output size %d, want 7", out[0].Shape[0])
}

func TestResizeBytes(t *testing.T) {
	x := ops.New(ops.Uint8, 1, 2)
	copy(x.U8(), []uint8{7, 250})
	out := mustRunNode(t, newNodeKV("Resize", 3, 1, "coordinate_transformation_mode", "asymmetric"), 13, x, nil, floats([]int{2}, 1, 2))
	require.Equal(t, ops.Uint8, out[0].DType, "uint8 nearest: got %v %v", out[0], out[0].Data)
	assert.Equal(t, []uint8{7, 7, 250, 250}, out[0].U8(), "uint8 nearest: got %v %v", out[0], out[0].Data)
	wantNodeError(t, newNodeKV("Resize", 3, 1, "mode", "linear"), 13, "nearest mode only", x, nil, floats([]int{2}, 1, 2))
	wantNodeError(t, newNodeKV("Resize", 3, 1), 13, "must be float32", ops.FromInt64([]int{2}, []int64{1, 2}), nil, floats([]int{1}, 2))
}

func TestEinsum(t *testing.T) {
	// Broadcast ellipsis: a [2 1 2] · b [3 2] row-wise dot → [2 3].
	a := floats([]int{2, 1, 2}, 1, 2, 3, 4)
	b := floats([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	out := mustRunNode(t, newNodeKV("Einsum", 2, 1, "equation", "...i,...i->..."), 12, a, b)
	checkFloats(t, "broadcast dot", out[0], []int{2, 3}, 1, 2, 3, 3, 4, 7)
	// Implicit output: letters once, alphabetical ("ba,cb" → "ac").
	x, y := floats([]int{2, 2}, 1, 2, 3, 4), floats([]int{1, 2}, 5, 6)
	out = mustRunNode(t, newNodeKV("Einsum", 2, 1, "equation", "ba,cb"), 12, x, y)
	// out[a][c] = Σ_b x[b][a]·y[c][b]: a=0: 1·5+3·6 = 23; a=1: 2·5+4·6 = 34.
	checkFloats(t, "implicit", out[0], []int{2, 1}, 23, 34)
	iout := mustRunNode(t, newNodeKV("Einsum", 1, 1, "equation", "ii"), 12, ops.FromInt64([]int{2, 2}, []int64{1, 2, 3, 4}))
	require.EqualValues(t, 0, iout[0].Rank(), "int64 trace: got %v %v, want scalar 5", iout[0], iout[0].Data)
	assert.EqualValues(t, 5, iout[0].I64()[0], "int64 trace: got %v %v, want scalar 5", iout[0], iout[0].Data)
	wantNodeError(t, newNodeKV("Einsum", 2, 1, "equation", "ij,jk->ik"), 12, "label 'j' has sizes", x, floats([]int{3, 1}, 1, 2, 3))
	wantNodeError(t, newNodeKV("Einsum", 1, 1, "equation", "ij->k"), 12, "appears in no operand", x)
	wantNodeError(t, newNodeKV("Einsum", 1, 1, "equation", "ijk"), 12, "rank", x)
	_, err := runNode(newNodeKV("Einsum", 1, 1, "equation", "i1->i"), 12, x)
	assert.ErrorContains(t, err, "invalid subscript", "bad subscript: got %v", err)
}

func TestSamePadShorterKernel(t *testing.T) {
	// operators.Kernel 1, stride 3 over [0 1 2]: the spec's pad_shape is −2, so
	// SAME_UPPER starts at −(−2/2) = 1 and SAME_LOWER at −((−2+1)/2) = 0
	// (C-style truncation), as in ONNX Runtime.
	x := floats([]int{1, 1, 3}, 0, 1, 2)
	out := mustRunNode(t, newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{1}, "strides", []int64{3}, "auto_pad", "SAME_UPPER"), 12, x)
	checkFloats(t, "SAME_UPPER", out[0], []int{1, 1, 1}, 1)
	out = mustRunNode(t, newNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{1}, "strides", []int64{3}, "auto_pad", "SAME_LOWER"), 12, x)
	checkFloats(t, "SAME_LOWER", out[0], []int{1, 1, 1}, 0)
	out = mustRunNode(t, newNodeKV("Conv", 2, 1, "strides", []int64{3}, "auto_pad", "SAME_UPPER"), 11, x, floats([]int{1, 1, 1}, 2))
	checkFloats(t, "conv SAME_UPPER", out[0], []int{1, 1, 1}, 2)
}

func TestConvFloat64KeepsPrecision(t *testing.T) {
	x := ops.FromFloat64([]int{1, 1, 2}, []float64{1, 1e-12})
	w := ops.FromFloat64([]int{1, 1, 2}, []float64{1, 1})
	out := mustRunNode(t, newNodeKV("Conv", 2, 1), 11, x, w)
	require.Equal(t, ops.Float64, out[0].DType, "got %v %v, want float64 1+1e-12", out[0], out[0].Data)
	assert.EqualValues(t, 1+1e-12, out[0].F64()[0], "got %v %v, want float64 1+1e-12", out[0], out[0].Data)
}

// TestNNEnumAttributesRejectUnknown checks the string-valued attributes
// parsed by enumAttr: an unknown value fails at build time naming the node,
// the attribute and the accepted values.
func TestEnumAttributesRejectUnknown(t *testing.T) {
	for _, c := range []struct {
		op    string
		nIn   int
		opset int64
		attr  string
		want  string
	}{
		{"Resize", 3, 13, "coordinate_transformation_mode", `unknown coordinate_transformation_mode "bogus" (want one of half_pixel, half_pixel_symmetric,`},
		{"Resize", 3, 13, "nearest_mode", `unknown nearest_mode "bogus" (want one of round_prefer_floor, round_prefer_ceil, floor, ceil)`},
		{"GridSample", 2, 16, "padding_mode", `unknown padding_mode "bogus" (want one of zeros, border, reflection)`},
	} {
		wantNodeError(t, newNodeKV(c.op, c.nIn, 1, c.attr, "bogus"), c.opset, c.want)
	}
}
