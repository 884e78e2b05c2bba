package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConstantKernel(t *testing.T) {
	v := ops.FromFloat64([]int{2}, []float64{1.5, -2})
	n := newNode("Constant", 0, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: v})
	out := mustRunNode(t, n, 9, nil...)[0]
	checkTensor(t, "value", out, ops.FromFloat64([]int{2}, []float64{1.5, -2}))
	out.F64()[0] = 99 // the caller's copy; the node must not change
	out = mustRunNode(t, n, 9, nil...)[0]
	checkTensor(t, "value after a write to an earlier output", out, ops.FromFloat64([]int{2}, []float64{1.5, -2}))

	cases := []struct {
		attr *graph.Attr
		want *ops.Tensor
	}{
		{attrFloat("value_float", 2.5), ops.Scalar(2.5)},
		{&graph.Attr{Name: "value_floats", Type: graph.AttrFloats, Floats: []float32{1, 2}}, ops.FromFloat32([]int{2}, []float32{1, 2})},
		{attrInt("value_int", -3), ops.FromInt64([]int{}, []int64{-3})},
		{attrInts("value_ints", 4, 5, 6), int64s(4, 5, 6)},
	}
	for _, c := range cases {
		out := mustRunNode(t, newNode("Constant", 0, 1, c.attr), 13, nil...)[0]
		checkTensor(t, c.attr.Name, out, c.want)
		_, err := runNode(newNode("Constant", 0, 1, c.attr), 11)
		require.Error(t, err, "%s at opset 11: no error", c.attr.Name)
	}
	for _, attrs := range [][]*graph.Attr{
		nil,
		{attrInt("value_int", 1), attrFloat("value_float", 1)},
		{{Name: "value_string", Type: graph.AttrString, S: []byte("x")}},
		{{Name: "sparse_value", Type: graph.AttrSparseTensor}},
	} {
		_, err := runNode(newNode("Constant", 0, 1, attrs...), 13)
		require.Error(t, err, "Constant with %d attributes %v: no error", len(attrs), attrs)
	}
}

func TestConstantOfShapeKernel(t *testing.T) {
	out := mustRunNode(t, newNode("ConstantOfShape", 1, 1), 9, int64s(2, 3))[0]
	checkTensor(t, "default", out, ops.FromFloat32([]int{2, 3}, make([]float32, 6)))
	for _, dt := range allDTypes {
		v := sequence(dt, 1)
		n := newNode("ConstantOfShape", 1, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: v})
		out := mustRunNode(t, n, 21, int64s(2, 2))[0]
		checkTensor(t, fmt.Sprintf("%v value", dt), out, pick(v, []int{2, 2}, 0, 0, 0, 0))
		// An empty shape gives a scalar.
		out = mustRunNode(t, n, 21, int64s())[0]
		checkTensor(t, fmt.Sprintf("%v scalar", dt), out, pick(v, []int{}, 0))
	}
	out = mustRunNode(t, newNode("ConstantOfShape", 1, 1), 20, int64s(0, 3))[0]
	assert.Equal(t, []int{0, 3}, out.Shape, "zero dim")
	assert.Zero(t, out.Len(), "zero dim")
	wantNodeError(t, newNode("ConstantOfShape", 1, 1), 9, "not a valid dimension", int64s(-2))
	wantNodeError(t, newNode("ConstantOfShape", 1, 1), 9, "int64", int32s(2))
	_, err := runNode(newNode("ConstantOfShape", 1, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: int64s(1, 2)}), 9, int64s(2))
	require.Error(t, err, "two-element value")
}

func TestRangeKernel(t *testing.T) {
	floats := func(v float32) *ops.Tensor { return ops.FromFloat32([]int{}, []float32{v}) }
	f64 := func(v float64) *ops.Tensor { return ops.FromFloat64([]int{}, []float64{v}) }
	i32 := func(v int32) *ops.Tensor { return ops.FromInt32([]int{}, []int32{v}) }
	i64 := func(v int64) *ops.Tensor { return ops.FromInt64([]int{}, []int64{v}) }
	i8 := func(v int8) *ops.Tensor { return &ops.Tensor{DType: ops.Int8, Shape: []int{}, Data: []int8{v}} }
	n := newNode("Range", 3, 1)
	// count = ceil((limit-start)/delta).
	checkTensor(t, "float32", mustRunNode(t, n, 11, floats(1), floats(5), floats(1.5))[0], ops.FromFloat32([]int{3}, []float32{1, 2.5, 4}))
	checkTensor(t, "float64 negative", mustRunNode(t, n, 11, f64(1), f64(-1), f64(-0.5))[0], ops.FromFloat64([]int{4}, []float64{1, 0.5, 0, -0.5}))
	checkTensor(t, "int32 negative", mustRunNode(t, n, 11, i32(10), i32(4), i32(-3))[0], ops.FromInt32([]int{2}, []int32{10, 7}))
	checkTensor(t, "int64", mustRunNode(t, n, 11, i64(-2), i64(3), i64(2))[0], ops.FromInt64([]int{3}, []int64{-2, 0, 2}))
	checkTensor(t, "int64 exact", mustRunNode(t, n, 11, i64(0), i64(6), i64(3))[0], ops.FromInt64([]int{2}, []int64{0, 3}))
	checkTensor(t, "empty", mustRunNode(t, n, 11, i64(5), i64(1), i64(1))[0], ops.FromInt64([]int{0}, []int64{}))
	checkTensor(t, "1-element inputs", mustRunNode(t, n, 11, int64s(0), int64s(2), int64s(1))[0], ops.FromInt64([]int{2}, []int64{0, 1}))

	// Extremes: the count needs the full unsigned distance.
	checkTensor(t, "int64 extremes", mustRunNode(t, n, 11, i64(math.MinInt64), i64(math.MaxInt64), i64(math.MaxInt64))[0],
		ops.FromInt64([]int{3}, []int64{math.MinInt64, -1, math.MaxInt64 - 1}))
	checkTensor(t, "int64 min delta", mustRunNode(t, n, 11, i64(math.MaxInt64), i64(math.MinInt64), i64(math.MinInt64))[0],
		ops.FromInt64([]int{2}, []int64{math.MaxInt64, -1}))
	wantNodeError(t, n, 11, "elements", i64(0), i64(math.MaxInt64), i64(2))
	wantNodeError(t, n, 11, "delta 0", i64(0), i64(3), i64(0))
	wantNodeError(t, n, 11, "limit is int32", i64(0), i32(3), i64(1))
	wantNodeError(t, n, 11, "not supported", i8(1), i8(3), i8(1))
	wantNodeError(t, n, 11, "must be a scalar", int64s(0, 1), i64(3), i64(1))
	wantNodeError(t, n, 11, "elements", floats(0), floats(1e30), floats(1e-30))
}

func TestEyeLikeKernel(t *testing.T) {
	for _, dt := range allDTypes {
		one := oneOf(dt)
		src := ops.New(dt, 2)
		setElement(src, 1, one, 0) // src = [0, 1]
		for _, k := range []int64{-1, 0, 2, 5} {
			var idx []int
			for i := 0; i < 3; i++ {
				for j := 0; j < 4; j++ {
					if int64(j-i) == k {
						idx = append(idx, 1)
					} else {
						idx = append(idx, 0)
					}
				}
			}
			out := mustRunNode(t, newNode("EyeLike", 1, 1, attrInt("k", k)), 9, ops.New(ops.Int32, 3, 4))[0]
			require.Equal(t, ops.Int32, out.DType, "without dtype: %v", out.DType)
			out = mustRunNode(t, newNode("EyeLike", 1, 1, attrInt("k", k), attrInt("dtype", int64(graphElemType(dt)))), 9, ops.New(ops.Int32, 3, 4))[0]
			checkTensor(t, fmt.Sprintf("%v k=%d", dt, k), out, pick(src, []int{3, 4}, idx...))
		}
	}
	wantNodeError(t, newNode("EyeLike", 1, 1), 9, "2-D", ops.New(ops.Float32, 3))
}

func TestOneHotKernel(t *testing.T) {
	for _, dt := range allDTypes {
		vals := sequence(dt, 2) // off = vals[0], on = vals[1]
		ind := ops.FromFloat32([]int{3}, []float32{0, 2.7, -1})
		// axis -1: [3, depth 3]; -1 wraps to 2 from opset 11; 2.7 truncates to 2.
		out := mustRunNode(t, newNode("OneHot", 3, 1), 11, ind, ops.FromInt64([]int{}, []int64{3}), vals)[0]
		checkTensor(t, fmt.Sprintf("%v axis -1", dt), out, pick(vals, []int{3, 3}, 1, 0, 0, 0, 0, 1, 0, 0, 1))
		// axis 0: [depth 3, 3].
		out = mustRunNode(t, newNode("OneHot", 3, 1, attrInt("axis", 0)), 11, ind, ops.FromFloat32([]int{1}, []float32{3}), vals)[0]
		checkTensor(t, fmt.Sprintf("%v axis 0", dt), out, pick(vals, []int{3, 3}, 1, 0, 0, 0, 0, 0, 0, 1, 1))
	}
	// Opset 9: negative and too-large indices give all-off rows.
	vals := int64s(0, 1)
	out := mustRunNode(t, newNode("OneHot", 3, 1), 9, int64s(-1, 5, 1), int64s(2), vals)[0]
	checkTensor(t, "opset 9 out of range", out, ops.FromInt64([]int{3, 2}, []int64{0, 0, 0, 0, 0, 1}))
	wantNodeError(t, newNode("OneHot", 3, 1), 11, "depth", int64s(0), int64s(0), vals)
	wantNodeError(t, newNode("OneHot", 3, 1), 11, "values", int64s(0), int64s(2), int64s(1))
	wantNodeError(t, newNode("OneHot", 3, 1, attrInt("axis", 2)), 11, "out of range", int64s(0), int64s(2), vals)
}
