package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/require"
)

func TestConcatKernel(t *testing.T) {
	for _, dt := range allDTypes {
		a, b := sequence(dt, 2, 1), sequence(dt, 2, 2)
		// Rows of a then rows of b, side by side: [a0 b0 b1; a1 b2 b3].
		ab := ops.New(dt, 6)
		ops.CopyData(ab.Data, a.Data)
		bd := pick(b, []int{4}, 0, 1, 2, 3)
		for i := 0; i < 4; i++ {
			setElement(ab, 2+i, bd, i)
		}
		want := pick(ab, []int{2, 3}, 0, 2, 3, 1, 4, 5)
		for _, c := range []struct{ axis, opset int64 }{{1, 4}, {-1, 11}, {1, 13}} {
			out := mustRunNode(t, newNode("Concat", 2, 1, attrInt("axis", c.axis)), c.opset, a, b)[0]
			checkTensor(t, fmt.Sprintf("%v axis %d", dt, c.axis), out, want)
		}
	}
	// Zero-size inputs contribute nothing.
	a, z := sequence(ops.Float32, 2, 2), ops.New(ops.Float32, 0, 2)
	out := mustRunNode(t, newNode("Concat", 3, 1, attrInt("axis", 0)), 13, z, a, z)[0]
	checkTensor(t, "with empty", out, a)
	// Opset 1 defaults to axis 1.
	out = mustRunNode(t, newNode("Concat", 2, 1), 1, a, a)[0]
	checkTensor(t, "opset 1 default axis", out, pick(a, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))

	_, err := runNode(newNode("Concat", 2, 1), 13, a, a)
	require.Error(t, err, "Concat-13 without axis: no error")
	wantNodeError(t, newNode("Concat", 2, 1, attrInt("axis", -3)), 4, "out of range", a, a)
	out = mustRunNode(t, newNode("Concat", 2, 1, attrInt("axis", -1)), 4, a, a)[0]
	checkTensor(t, "opset 4 negative axis", out, pick(a, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))
	wantNodeError(t, newNode("Concat", 2, 1, attrInt("axis", 0)), 13, "differs", a, sequence(ops.Float32, 1, 3))
	wantNodeError(t, newNode("Concat", 2, 1, attrInt("axis", 0)), 13, "int32", a, sequence(ops.Int32, 1, 2))
	wantNodeError(t, newNode("Concat", 2, 1, attrInt("axis", 0)), 13, "missing input 1", a, nil)
}

// setElement sets dst[i] = src[j] for tensors of the same type.
func setElement(dst *ops.Tensor, i int, src *ops.Tensor, j int) {
	one := pick(src, []int{1}, j)
	switch d := dst.Data.(type) {
	case []float32:
		d[i] = one.F32()[0]
	case []float64:
		d[i] = one.F64()[0]
	case []uint16:
		d[i] = one.F16()[0]
	case []int64:
		d[i] = one.I64()[0]
	case []int32:
		d[i] = one.I32()[0]
	case []int8:
		d[i] = one.I8()[0]
	case []uint8:
		d[i] = one.U8()[0]
	case []bool:
		d[i] = one.B()[0]
	}
}

func TestSplitKernel(t *testing.T) {
	x := sequence(ops.Int32, 2, 5) // rows 0..4 and 5..9
	cols := func(c ...int) *ops.Tensor {
		var idx []int
		for r := 0; r < 2; r++ {
			for _, k := range c {
				idx = append(idx, r*5+k)
			}
		}
		return pick(x, []int{2, len(c)}, idx...)
	}
	check := func(what string, outs []*ops.Tensor, want ...*ops.Tensor) {
		t.Helper()
		require.Equal(t, len(want), len(outs), "%s: %d outputs, want %d", what, len(outs), len(want))
		for i := range want {
			checkTensor(t, fmt.Sprintf("%s output %d", what, i), outs[i], want[i])
		}
	}
	// Attribute split (opset 2..12), negative axis from 11.
	check("split-11 attr", mustRunNode(t, newNode("Split", 1, 2, attrInt("axis", -1), attrInts("split", 2, 3)), 11, x), cols(0, 1), cols(2, 3, 4))
	check("split-7 attr", mustRunNode(t, newNode("Split", 1, 3, attrInt("axis", 1), attrInts("split", 1, 0, 4)), 7, x), cols(0), cols(), cols(1, 2, 3, 4))
	// Input split from 13.
	check("split-13 input", mustRunNode(t, newNode("Split", 2, 2, attrInt("axis", 1)), 13, x, int64s(4, 1)), cols(0, 1, 2, 3), cols(4))
	// Equal parts.
	y := sequence(ops.Bool, 6)
	check("split equal", mustRunNode(t, newNode("Split", 1, 3), 13, y), pick(y, []int{2}, 0, 1), pick(y, []int{2}, 2, 3), pick(y, []int{2}, 4, 5))
	// num_outputs (18): uneven last chunk, ceil(5/3) = 2 → 2, 2, 1.
	check("split-18 num_outputs", mustRunNode(t, newNode("Split", 1, 3, attrInt("axis", 1), attrInt("num_outputs", 3)), 18, x), cols(0, 1), cols(2, 3), cols(4))
	check("split-18 split input", mustRunNode(t, newNode("Split", 2, 2, attrInt("axis", 1)), 18, x, int64s(3, 2)), cols(0, 1, 2), cols(3, 4))

	wantNodeError(t, newNode("Split", 1, 2, attrInt("axis", 1)), 13, "does not split evenly", x)
	wantNodeError(t, newNode("Split", 2, 2, attrInt("axis", 1)), 13, "sums to", x, int64s(1, 1))
	wantNodeError(t, newNode("Split", 2, 2, attrInt("axis", 1)), 13, "entries", x, int64s(5))
	wantNodeError(t, newNode("Split", 1, 2, attrInt("axis", -3)), 7, "out of range", x)
	check("split-7 negative axis", mustRunNode(t, newNode("Split", 1, 2, attrInt("axis", -1), attrInts("split", 4, 1)), 7, x), cols(0, 1, 2, 3), cols(4))
	wantNodeError(t, newNode("Split", 1, 4, attrInt("axis", 1), attrInt("num_outputs", 4)), 18, "chunks", x)
	_, err := runNode(newNode("Split", 1, 2, attrInt("num_outputs", 3)), 18, x)
	require.Error(t, err, "num_outputs 3 with 2 outputs: no error")
}

// pySliceIndices lists the indices Python's x[start:end:step] visits for a
// sequence of length n, written as a plain loop over Python's rules, with
// one difference the ONNX spec (and ONNX Runtime) makes: with a negative
// step a start still below 0 after adding n is clamped to 0, not -1, so
// x[-7::-1] of 3 elements is [x0], not empty; and, as in ONNX Runtime, an
// end of INT64_MAX with a negative step runs to the beginning.
func pySliceIndices(n int, start, end, step int64) []int {
	ln := int64(n)
	norm := func(v, lo, hi int64) int64 {
		if v < 0 {
			v += ln
		}
		return min(max(v, lo), hi)
	}
	var out []int
	if step < 0 && end == math.MaxInt64 {
		end = math.MinInt64
	}
	if step > 0 {
		for i := norm(start, 0, ln); i < norm(end, 0, ln); i += step {
			out = append(out, int(i))
		}
	} else {
		for i := norm(start, 0, ln-1); i > norm(end, -1, ln-1); i += step {
			out = append(out, int(i))
		}
	}
	return out
}

func TestSliceKernel(t *testing.T) {
	// The ONNX spec examples: data [[1 2 3 4] [5 6 7 8]].
	data := ops.FromFloat32([]int{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	out := mustRunNode(t, newNode("Slice", 5, 1), 13, data, int64s(1, 0), int64s(2, 3), int64s(0, 1), int64s(1, 2))[0]
	checkTensor(t, "spec example 1", out, ops.FromFloat32([]int{1, 2}, []float32{5, 7}))
	out = mustRunNode(t, newNode("Slice", 3, 1), 13, data, int64s(0, 1), int64s(-1, 1000))[0]
	checkTensor(t, "spec example 2", out, ops.FromFloat32([]int{1, 3}, []float32{2, 3, 4}))
	// Opset 1 attributes.
	n := newNode("Slice", 1, 1, attrInts("starts", 0, 1), attrInts("ends", -1, 1000), attrInts("axes", 0, 1))
	out = mustRunNode(t, n, 9, data)[0]
	checkTensor(t, "slice-9 attributes", out, ops.FromFloat32([]int{1, 3}, []float32{2, 3, 4}))
	// Reverse everything with INT_MIN/INT_MAX sentinels and int32 inputs.
	out = mustRunNode(t, newNode("Slice", 5, 1), 11, data, int32s(-1, math.MaxInt32), int32s(math.MinInt32, math.MinInt32), int32s(-2, -1), int32s(-1, -1))[0]
	checkTensor(t, "reverse", out, ops.FromFloat32([]int{2, 4}, []float32{8, 7, 6, 5, 4, 3, 2, 1}))

	// Every dtype, per-axis windows against Python slicing semantics.
	sentinels := []int64{math.MinInt64, -7, -4, -1, 0, 1, 2, 4, 6, math.MaxInt64}
	steps := []int64{-3, -1, 1, 2, 5}
	shape := []int{4, 3}
	for ci := 0; ci < 300; ci++ {
		dt := allDTypes[ci%len(allDTypes)]
		x := sequence(dt, shape...)
		s0, e0 := sentinels[ci%len(sentinels)], sentinels[(ci*7+3)%len(sentinels)]
		st0 := steps[(ci/3)%len(steps)]
		s1, e1 := sentinels[(ci*3+1)%len(sentinels)], sentinels[(ci/7)%len(sentinels)]
		st1 := steps[(ci/5)%len(steps)]
		r0, r1 := pySliceIndices(4, s0, e0, st0), pySliceIndices(3, s1, e1, st1)
		var idx []int
		for _, i := range r0 {
			for _, j := range r1 {
				idx = append(idx, i*3+j)
			}
		}
		want := pick(x, []int{len(r0), len(r1)}, idx...)
		// Axes given in reverse order, negative.
		out := mustRunNode(t, newNode("Slice", 5, 1), 13, x, int64s(s1, s0), int64s(e1, e0), int64s(-1, -2), int64s(st1, st0))[0]
		checkTensor(t, fmt.Sprintf("%v [%d:%d:%d, %d:%d:%d]", dt, s0, e0, st0, s1, e1, st1), out, want)
	}
	// Extreme steps take one element.
	out = mustRunNode(t, newNode("Slice", 5, 1), 13, data, int64s(1, 1), int64s(math.MaxInt64, math.MinInt64), int64s(0, 1), int64s(math.MaxInt64, math.MinInt64))[0]
	checkTensor(t, "extreme steps", out, ops.FromFloat32([]int{1, 1}, []float32{6}))
	// Omitted axes and steps: leading axes, step 1.
	x := sequence(ops.Uint8, 3, 4)
	out = mustRunNode(t, newNode("Slice", 5, 1), 10, x, int64s(1), int64s(3), nil, nil)[0]
	checkTensor(t, "rows 1..2", out, pick(x, []int{2, 4}, 4, 5, 6, 7, 8, 9, 10, 11))
	// Empty result.
	out = mustRunNode(t, newNode("Slice", 3, 1), 13, x, int64s(2), int64s(1))[0]
	require.True(t, ops.SameShape(out.Shape, []int{0, 4}), "empty slice: %v", out.Shape)

	wantNodeError(t, newNode("Slice", 5, 1), 13, "step 0", x, int64s(0), int64s(1), int64s(0), int64s(0))
	wantNodeError(t, newNode("Slice", 4, 1), 13, "given twice", x, int64s(0, 0), int64s(1, 1), int64s(1, -1))
	wantNodeError(t, newNode("Slice", 4, 1), 13, "axis 2 out of range", x, int64s(0), int64s(1), int64s(2))
	wantNodeError(t, newNode("Slice", 3, 1), 13, "2 ends", x, int64s(0), int64s(1, 1))
	wantNodeError(t, newNode("Slice", 3, 1), 13, "int64 or int32", x, ops.FromFloat32([]int{1}, []float32{0}), int64s(1))
	wantNodeError(t, newNode("Slice", 3, 1), 13, "missing input 2", x, int64s(0))
	_, err := runNode(newNode("Slice", 1, 1, attrInts("starts", 0)), 9, x)
	require.Error(t, err, "Slice-9 without ends: no error")
}

func TestSliceAndSplitViews(t *testing.T) {
	x := sequence(ops.Int32, 4, 3)
	// Rows 1..2 are contiguous: a view at an interior address.
	out := mustRunNode(t, newNode("Slice", 3, 1), 13, x, int64s(1), int64s(3))[0]
	checkTensor(t, "rows", out, pick(x, []int{2, 3}, 3, 4, 5, 6, 7, 8))
	require.Same(t, &x.I32()[3], &out.I32()[0], "contiguous slice copied")
	// One row, a run of columns: also contiguous.
	out = mustRunNode(t, newNode("Slice", 4, 1), 13, x, int64s(2, 1), int64s(3, 3), int64s(0, 1))[0]
	checkTensor(t, "row 2 cols 1..2", out, pick(x, []int{1, 2}, 7, 8))
	require.Same(t, &x.I32()[7], &out.I32()[0], "contiguous row run copied")
	// Columns are not contiguous: a fresh tensor.
	out = mustRunNode(t, newNode("Slice", 4, 1), 13, x, int64s(1), int64s(3), int64s(1))[0]
	require.NotSame(t, &x.I32()[1], &out.I32()[0], "strided slice returned a view")
	// Split along the leading axis returns views; along another axis copies.
	parts := mustRunNode(t, newNode("Split", 2, 2), 13, x, int64s(1, 3))
	checkTensor(t, "split part 1", parts[1], pick(x, []int{3, 3}, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	require.Same(t, &x.I32()[3], &parts[1].I32()[0], "leading-axis split copied")
}
