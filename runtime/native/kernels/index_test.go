package kernels

import (
	"fmt"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func attrString(name, v string) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(v)}
}

func TestGatherElementsKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 3)
		// axis 1, indices [[2 -3] [1 1]]: out[i][j] = x[i][ind[i][j]].
		ind := ops.FromInt64([]int{2, 2}, []int64{2, -3, 1, 1})
		out := mustRunNode(t, newNode("GatherElements", 2, 1, attrInt("axis", -1)), 13, x, ind)[0]
		checkTensor(t, fmt.Sprintf("%v", dt), out, pick(x, []int{2, 2}, 2, 0, 4, 4))
	}
	x := sequence(ops.Float32, 2, 3)
	n := newNode("GatherElements", 2, 1)
	wantNodeError(t, n, 13, "out of range", x, ops.FromInt32([]int{1, 1}, []int32{2}))
	wantNodeError(t, n, 13, "rank of data", x, int64s(0))
	wantNodeError(t, n, 13, "exceeds data shape", x, ops.FromInt64([]int{1, 4}, []int64{0, 0, 0, 0}))
	wantNodeError(t, n, 13, "scalar", ops.Scalar(1), ops.FromInt64([]int{}, []int64{0}))
}

func TestScatterElementsKernel(t *testing.T) {
	x := ops.FromFloat32([]int{1, 5}, []float32{1, 2, 3, 4, 5})
	ind := ops.FromInt64([]int{1, 2}, []int64{1, 1})
	upd := ops.FromFloat32([]int{1, 2}, []float32{1.5, 2.5})
	for _, c := range []struct {
		red   string
		opset int64
		want  []float32
	}{
		{"", 13, []float32{1, 2.5, 3, 4, 5}},
		{"add", 16, []float32{1, 6, 3, 4, 5}},
		{"mul", 16, []float32{1, 7.5, 3, 4, 5}},
		{"max", 18, []float32{1, 2.5, 3, 4, 5}},
		{"min", 18, []float32{1, 1.5, 3, 4, 5}},
	} {
		var attrs []*graph.Attr
		attrs = append(attrs, attrInt("axis", 1))
		if c.red != "" {
			attrs = append(attrs, attrString("reduction", c.red))
		}
		out := mustRunNode(t, newNode("ScatterElements", 3, 1, attrs...), c.opset, x, ind, upd)[0]
		checkTensor(t, "reduction "+c.red, out, ops.FromFloat32([]int{1, 5}, c.want))
	}
	checkTensor(t, "input untouched", x, ops.FromFloat32([]int{1, 5}, []float32{1, 2, 3, 4, 5}))
	// Every dtype without reduction; the deprecated Scatter behaves the same.
	for _, dt := range allDTypes {
		d, u := sequence(dt, 3), sequence(dt, 6)
		u = pick(u, []int{2}, 5, 4)
		out := mustRunNode(t, newNode("Scatter", 3, 1), 9, d, int64s(2, 0), u)[0]
		want := ops.New(dt, 3)
		setElement(want, 0, u, 1)
		setElement(want, 1, d, 1)
		setElement(want, 2, u, 0)
		checkTensor(t, fmt.Sprintf("scatter %v", dt), out, want)
	}
	// float16 add computes in float32.
	h := &ops.Tensor{DType: ops.Float16, Shape: []int{2}, Data: []uint16{ops.Float32ToFloat16(1), ops.Float32ToFloat16(2)}}
	hu := &ops.Tensor{DType: ops.Float16, Shape: []int{1}, Data: []uint16{ops.Float32ToFloat16(0.5)}}
	out := mustRunNode(t, newNode("ScatterElements", 3, 1, attrString("reduction", "add")), 16, h, int64s(1), hu)[0]
	got := ops.Float16ToFloat32(out.F16()[1])
	assert.Equal(t, float32(2.5), got, "float16 add")

	_, err := runNode(newNode("ScatterElements", 3, 1, attrString("reduction", "max")), 16, x, ind, upd)
	require.Error(t, err, "max at opset 16: no error")
	n := newNode("ScatterElements", 3, 1, attrInt("axis", 1))
	wantNodeError(t, n, 13, "differs from indices", x, ind, sequence(ops.Float32, 1, 3))
	wantNodeError(t, n, 13, "updates are int32", x, ind, sequence(ops.Int32, 1, 2))
	wantNodeError(t, n, 13, "out of range", x, ops.FromInt64([]int{1, 1}, []int64{5}), sequence(ops.Float32, 1, 1))
	wantNodeError(t, newNode("ScatterElements", 3, 1, attrString("reduction", "add")), 16, "bool", sequence(ops.Bool, 2), int64s(0), sequence(ops.Bool, 1))
}

func TestGatherNDKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 2, 2)
		// Full tuples pick elements; short tuples pick rows.
		out := mustRunNode(t, newNode("GatherND", 2, 1), 13, x, ops.FromInt64([]int{2, 3}, []int64{1, 0, 1, 0, -1, 0}))[0]
		checkTensor(t, fmt.Sprintf("%v elements", dt), out, pick(x, []int{2}, 5, 2))
		out = mustRunNode(t, newNode("GatherND", 2, 1), 13, x, ops.FromInt64([]int{1, 2}, []int64{1, 1}))[0]
		checkTensor(t, fmt.Sprintf("%v rows", dt), out, pick(x, []int{1, 2}, 6, 7))
		// batch_dims 1: one index per batch entry.
		out = mustRunNode(t, newNode("GatherND", 2, 1, attrInt("batch_dims", 1)), 12, x, ops.FromInt64([]int{2, 1}, []int64{1, 0}))[0]
		checkTensor(t, fmt.Sprintf("%v batch", dt), out, pick(x, []int{2, 2}, 2, 3, 4, 5))
	}
	x := sequence(ops.Float32, 2, 2)
	wantNodeError(t, newNode("GatherND", 2, 1), 13, "do not fit", x, int64s(0, 0, 0))
	wantNodeError(t, newNode("GatherND", 2, 1), 13, "out of range", x, int64s(2))
	wantNodeError(t, newNode("GatherND", 2, 1, attrInt("batch_dims", 1)), 13, "batch dim", x, ops.FromInt64([]int{3, 1}, []int64{0, 0, 0}))
}

func TestScatterNDKernel(t *testing.T) {
	x := sequence(ops.Int64, 3, 2) // [[-7 -6] [-5 -4] [-3 -2]]
	upd := ops.FromInt64([]int{2, 2}, []int64{10, 20, 30, 40})
	out := mustRunNode(t, newNode("ScatterND", 3, 1), 13, x, ops.FromInt64([]int{2, 1}, []int64{2, 0}), upd)[0]
	checkTensor(t, "rows", out, ops.FromInt64([]int{3, 2}, []int64{30, 40, -5, -4, 10, 20}))
	out = mustRunNode(t, newNode("ScatterND", 3, 1, attrString("reduction", "add")), 16, x, ops.FromInt64([]int{2, 1}, []int64{1, 1}), upd)[0]
	checkTensor(t, "add duplicates", out, ops.FromInt64([]int{3, 2}, []int64{-7, -6, 35, 56, -3, -2}))
	out = mustRunNode(t, newNode("ScatterND", 3, 1, attrString("reduction", "min")), 18, x, ops.FromInt64([]int{1, 2}, []int64{0, 1}), int64s(-100))[0]
	checkTensor(t, "min element", out, ops.FromInt64([]int{3, 2}, []int64{-7, -100, -5, -4, -3, -2}))
	wantNodeError(t, newNode("ScatterND", 3, 1), 13, "updates shape", x, ops.FromInt64([]int{2, 1}, []int64{2, 0}), int64s(1, 2))
}

func TestCompressKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 3, 2)
		cond := ops.FromBool([]int{3}, []bool{true, false, true})
		out := mustRunNode(t, newNode("Compress", 2, 1, attrInt("axis", 0)), 11, x, cond)[0]
		checkTensor(t, fmt.Sprintf("%v axis 0", dt), out, pick(x, []int{2, 2}, 0, 1, 4, 5))
		// No axis: the flattened input; a short condition stops early.
		out = mustRunNode(t, newNode("Compress", 2, 1), 11, x, cond)[0]
		checkTensor(t, fmt.Sprintf("%v flat", dt), out, pick(x, []int{2}, 0, 2))
		out = mustRunNode(t, newNode("Compress", 2, 1, attrInt("axis", -1)), 11, x, ops.FromBool([]int{2}, []bool{false, false}))[0]
		require.True(t, ops.SameShape(out.Shape, []int{3, 0}), "nothing selected: %v", out.Shape)
	}
	x := sequence(ops.Float32, 2)
	// A condition longer than the axis: the extra entries are ignored.
	out := mustRunNode(t, newNode("Compress", 2, 1), 11, x, ops.FromBool([]int{3}, []bool{false, true, true}))[0]
	checkTensor(t, "long condition", out, pick(x, []int{1}, 1))
	wantNodeError(t, newNode("Compress", 2, 1), 11, "1-D bool", x, int64s(1))
	wantNodeError(t, newNode("Compress", 2, 1, attrInt("axis", -2)), 9, "out of range", x, ops.FromBool([]int{1}, []bool{true}))
}

func TestSizeKernel(t *testing.T) {
	for _, c := range []struct {
		x    *ops.Tensor
		want int64
	}{{sequence(ops.Bool, 2, 3, 4), 24}, {ops.Scalar(3), 1}, {ops.New(ops.Int8, 5, 0), 0}} {
		out := mustRunNode(t, newNode("Size", 1, 1), 13, c.x)[0]
		checkTensor(t, fmt.Sprint(c.x), out, ops.FromInt64([]int{}, []int64{c.want}))
	}
}

func TestGatherKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 3, 2)
		// axis 0 with negative and int32 indices: rows 2, 0, 1.
		out := mustRunNode(t, newNode("Gather", 2, 1), 13, x, int32s(-1, 0, 1))[0]
		checkTensor(t, fmt.Sprintf("%v axis 0", dt), out, pick(x, []int{3, 2}, 4, 5, 0, 1, 2, 3))
		// axis -1 with [[1 1] [0 1]] indices: out[i][j][k] = x[i][ind[j][k]].
		ind := ops.FromInt64([]int{2, 2}, []int64{1, 1, 0, -1})
		out = mustRunNode(t, newNode("Gather", 2, 1, attrInt("axis", -1)), 11, x, ind)[0]
		checkTensor(t, fmt.Sprintf("%v axis -1", dt), out, pick(x, []int{3, 2, 2}, 1, 1, 0, 1, 3, 3, 2, 3, 5, 5, 4, 5))
		// A scalar index drops the axis.
		out = mustRunNode(t, newNode("Gather", 2, 1, attrInt("axis", 1)), 13, x, ops.FromInt64([]int{}, []int64{1}))[0]
		checkTensor(t, fmt.Sprintf("%v scalar index", dt), out, pick(x, []int{3}, 1, 3, 5))
	}
	// Empty indices give an empty output.
	out := mustRunNode(t, newNode("Gather", 2, 1), 13, sequence(ops.Float32, 3, 2), ops.New(ops.Int64, 0))[0]
	require.True(t, ops.SameShape(out.Shape, []int{0, 2}), "empty indices: %v", out.Shape)
	x := sequence(ops.Float32, 3, 2)
	wantNodeError(t, newNode("Gather", 2, 1), 13, "out of range", x, int64s(3))
	wantNodeError(t, newNode("Gather", 2, 1), 13, "out of range", x, int32s(-4))
	wantNodeError(t, newNode("Gather", 2, 1, attrInt("axis", 2)), 13, "out of range", x, int64s(0))
	wantNodeError(t, newNode("Gather", 2, 1), 13, "int64 or int32", x, ops.FromFloat32([]int{1}, []float32{0}))
	wantNodeError(t, newNode("Gather", 2, 1), 13, "scalar", ops.Scalar(1), int64s(0))
}
