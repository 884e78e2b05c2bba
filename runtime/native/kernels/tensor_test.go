package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func TestTransposeKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, 2, 3)
		// Default perm reverses: out[j][i] = x[i][j].
		out := mustRunNode(t, tkNode("Transpose", 1, 1), 13, x)[0]
		tkCheck(t, fmt.Sprintf("%v default", dt), out, tkPickT(x, []int{3, 2}, 0, 3, 1, 4, 2, 5))
	}
	// [2,3,2] perm [1,0,2] keeps the last axis: rows move whole.
	x := tkSeqT(ops.Int64, 2, 3, 2)
	out := mustRunNode(t, tkNode("Transpose", 1, 1, attrInts("perm", 1, 0, 2)), 21, x)[0]
	tkCheck(t, "perm 1 0 2", out, tkPickT(x, []int{3, 2, 2}, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11))
	// Moving only a size-1 axis is a view.
	x = tkSeqT(ops.Float32, 3, 1, 4)
	out = mustRunNode(t, tkNode("Transpose", 1, 1, attrInts("perm", 1, 0, 2)), 13, x)[0]
	tkCheck(t, "size-1 move", out, &ops.Tensor{DType: ops.Float32, Shape: []int{1, 3, 4}, Data: x.Data})
	// Empty tensors transpose to empty tensors.
	out = mustRunNode(t, tkNode("Transpose", 1, 1), 13, ops.New(ops.Bool, 0, 3))[0]
	if !ops.SameShape(out.Shape, []int{3, 0}) {
		t.Fatalf("empty transpose: %v", out.Shape)
	}
	wantNodeError(t, tkNode("Transpose", 1, 1, attrInts("perm", 0, 0)), 13, "not a permutation", tkSeqT(ops.Float32, 2, 2))
	wantNodeError(t, tkNode("Transpose", 1, 1, attrInts("perm", 0)), 13, "perm", tkSeqT(ops.Float32, 2, 2))
}

func TestConcatKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		a, b := tkSeqT(dt, 2, 1), tkSeqT(dt, 2, 2)
		// Rows of a then rows of b, side by side: [a0 b0 b1; a1 b2 b3].
		ab := ops.New(dt, 6)
		ops.CopyData(ab.Data, a.Data)
		bd := tkPickT(b, []int{4}, 0, 1, 2, 3)
		for i := 0; i < 4; i++ {
			tkSetT(ab, 2+i, bd, i)
		}
		want := tkPickT(ab, []int{2, 3}, 0, 2, 3, 1, 4, 5)
		for _, c := range []struct{ axis, opset int64 }{{1, 4}, {-1, 11}, {1, 13}} {
			out := mustRunNode(t, tkNode("Concat", 2, 1, attrInt("axis", c.axis)), c.opset, a, b)[0]
			tkCheck(t, fmt.Sprintf("%v axis %d", dt, c.axis), out, want)
		}
	}
	// Zero-size inputs contribute nothing.
	a, z := tkSeqT(ops.Float32, 2, 2), ops.New(ops.Float32, 0, 2)
	out := mustRunNode(t, tkNode("Concat", 3, 1, attrInt("axis", 0)), 13, z, a, z)[0]
	tkCheck(t, "with empty", out, a)
	// Opset 1 defaults to axis 1.
	out = mustRunNode(t, tkNode("Concat", 2, 1), 1, a, a)[0]
	tkCheck(t, "opset 1 default axis", out, tkPickT(a, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))

	if _, err := runNode(tkNode("Concat", 2, 1), 13, a, a); err == nil {
		t.Fatal("Concat-13 without axis: no error")
	}
	wantNodeError(t, tkNode("Concat", 2, 1, attrInt("axis", -3)), 4, "out of range", a, a)
	out = mustRunNode(t, tkNode("Concat", 2, 1, attrInt("axis", -1)), 4, a, a)[0]
	tkCheck(t, "opset 4 negative axis", out, tkPickT(a, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))
	wantNodeError(t, tkNode("Concat", 2, 1, attrInt("axis", 0)), 13, "differs", a, tkSeqT(ops.Float32, 1, 3))
	wantNodeError(t, tkNode("Concat", 2, 1, attrInt("axis", 0)), 13, "int32", a, tkSeqT(ops.Int32, 1, 2))
	wantNodeError(t, tkNode("Concat", 2, 1, attrInt("axis", 0)), 13, "missing input 1", a, nil)
}

// tkSetT sets dst[i] = src[j] for tensors of the same type.
func tkSetT(dst *ops.Tensor, i int, src *ops.Tensor, j int) {
	one := tkPickT(src, []int{1}, j)
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
	x := tkSeqT(ops.Int32, 2, 5) // rows 0..4 and 5..9
	cols := func(c ...int) *ops.Tensor {
		var idx []int
		for r := 0; r < 2; r++ {
			for _, k := range c {
				idx = append(idx, r*5+k)
			}
		}
		return tkPickT(x, []int{2, len(c)}, idx...)
	}
	check := func(what string, outs []*ops.Tensor, want ...*ops.Tensor) {
		t.Helper()
		if len(outs) != len(want) {
			t.Fatalf("%s: %d outputs, want %d", what, len(outs), len(want))
		}
		for i := range want {
			tkCheck(t, fmt.Sprintf("%s output %d", what, i), outs[i], want[i])
		}
	}
	// Attribute split (opset 2..12), negative axis from 11.
	check("split-11 attr", mustRunNode(t, tkNode("Split", 1, 2, attrInt("axis", -1), attrInts("split", 2, 3)), 11, x), cols(0, 1), cols(2, 3, 4))
	check("split-7 attr", mustRunNode(t, tkNode("Split", 1, 3, attrInt("axis", 1), attrInts("split", 1, 0, 4)), 7, x), cols(0), cols(), cols(1, 2, 3, 4))
	// Input split from 13.
	check("split-13 input", mustRunNode(t, tkNode("Split", 2, 2, attrInt("axis", 1)), 13, x, tkI64(4, 1)), cols(0, 1, 2, 3), cols(4))
	// Equal parts.
	y := tkSeqT(ops.Bool, 6)
	check("split equal", mustRunNode(t, tkNode("Split", 1, 3), 13, y), tkPickT(y, []int{2}, 0, 1), tkPickT(y, []int{2}, 2, 3), tkPickT(y, []int{2}, 4, 5))
	// num_outputs (18): uneven last chunk, ceil(5/3) = 2 → 2, 2, 1.
	check("split-18 num_outputs", mustRunNode(t, tkNode("Split", 1, 3, attrInt("axis", 1), attrInt("num_outputs", 3)), 18, x), cols(0, 1), cols(2, 3), cols(4))
	check("split-18 split input", mustRunNode(t, tkNode("Split", 2, 2, attrInt("axis", 1)), 18, x, tkI64(3, 2)), cols(0, 1, 2), cols(3, 4))

	wantNodeError(t, tkNode("Split", 1, 2, attrInt("axis", 1)), 13, "does not split evenly", x)
	wantNodeError(t, tkNode("Split", 2, 2, attrInt("axis", 1)), 13, "sums to", x, tkI64(1, 1))
	wantNodeError(t, tkNode("Split", 2, 2, attrInt("axis", 1)), 13, "entries", x, tkI64(5))
	wantNodeError(t, tkNode("Split", 1, 2, attrInt("axis", -3)), 7, "out of range", x)
	check("split-7 negative axis", mustRunNode(t, tkNode("Split", 1, 2, attrInt("axis", -1), attrInts("split", 4, 1)), 7, x), cols(0, 1, 2, 3), cols(4))
	wantNodeError(t, tkNode("Split", 1, 4, attrInt("axis", 1), attrInt("num_outputs", 4)), 18, "chunks", x)
	if _, err := runNode(tkNode("Split", 1, 2, attrInt("num_outputs", 3)), 18, x); err == nil {
		t.Fatal("num_outputs 3 with 2 outputs: no error")
	}
}

// tkPySlice lists the indices Python's x[start:end:step] visits for a
// sequence of length n, written as a plain loop over Python's rules, with
// one difference the ONNX spec (and ONNX Runtime) makes: with a negative
// step a start still below 0 after adding n is clamped to 0, not -1, so
// x[-7::-1] of 3 elements is [x0], not empty; and, as in ONNX Runtime, an
// end of INT64_MAX with a negative step runs to the beginning.
func tkPySlice(n int, start, end, step int64) []int {
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
	out := mustRunNode(t, tkNode("Slice", 5, 1), 13, data, tkI64(1, 0), tkI64(2, 3), tkI64(0, 1), tkI64(1, 2))[0]
	tkCheck(t, "spec example 1", out, ops.FromFloat32([]int{1, 2}, []float32{5, 7}))
	out = mustRunNode(t, tkNode("Slice", 3, 1), 13, data, tkI64(0, 1), tkI64(-1, 1000))[0]
	tkCheck(t, "spec example 2", out, ops.FromFloat32([]int{1, 3}, []float32{2, 3, 4}))
	// Opset 1 attributes.
	n := tkNode("Slice", 1, 1, attrInts("starts", 0, 1), attrInts("ends", -1, 1000), attrInts("axes", 0, 1))
	out = mustRunNode(t, n, 9, data)[0]
	tkCheck(t, "slice-9 attributes", out, ops.FromFloat32([]int{1, 3}, []float32{2, 3, 4}))
	// Reverse everything with INT_MIN/INT_MAX sentinels and int32 inputs.
	out = mustRunNode(t, tkNode("Slice", 5, 1), 11, data, tkI32(-1, math.MaxInt32), tkI32(math.MinInt32, math.MinInt32), tkI32(-2, -1), tkI32(-1, -1))[0]
	tkCheck(t, "reverse", out, ops.FromFloat32([]int{2, 4}, []float32{8, 7, 6, 5, 4, 3, 2, 1}))

	// Every dtype, per-axis windows against Python slicing semantics.
	sentinels := []int64{math.MinInt64, -7, -4, -1, 0, 1, 2, 4, 6, math.MaxInt64}
	steps := []int64{-3, -1, 1, 2, 5}
	shape := []int{4, 3}
	for ci := 0; ci < 300; ci++ {
		dt := tkDTypes[ci%len(tkDTypes)]
		x := tkSeqT(dt, shape...)
		s0, e0 := sentinels[ci%len(sentinels)], sentinels[(ci*7+3)%len(sentinels)]
		st0 := steps[(ci/3)%len(steps)]
		s1, e1 := sentinels[(ci*3+1)%len(sentinels)], sentinels[(ci/7)%len(sentinels)]
		st1 := steps[(ci/5)%len(steps)]
		r0, r1 := tkPySlice(4, s0, e0, st0), tkPySlice(3, s1, e1, st1)
		var idx []int
		for _, i := range r0 {
			for _, j := range r1 {
				idx = append(idx, i*3+j)
			}
		}
		want := tkPickT(x, []int{len(r0), len(r1)}, idx...)
		// Axes given in reverse order, negative.
		out := mustRunNode(t, tkNode("Slice", 5, 1), 13, x, tkI64(s1, s0), tkI64(e1, e0), tkI64(-1, -2), tkI64(st1, st0))[0]
		tkCheck(t, fmt.Sprintf("%v [%d:%d:%d, %d:%d:%d]", dt, s0, e0, st0, s1, e1, st1), out, want)
	}
	// Extreme steps take one element.
	out = mustRunNode(t, tkNode("Slice", 5, 1), 13, data, tkI64(1, 1), tkI64(math.MaxInt64, math.MinInt64), tkI64(0, 1), tkI64(math.MaxInt64, math.MinInt64))[0]
	tkCheck(t, "extreme steps", out, ops.FromFloat32([]int{1, 1}, []float32{6}))
	// Omitted axes and steps: leading axes, step 1.
	x := tkSeqT(ops.Uint8, 3, 4)
	out = mustRunNode(t, tkNode("Slice", 5, 1), 10, x, tkI64(1), tkI64(3), nil, nil)[0]
	tkCheck(t, "rows 1..2", out, tkPickT(x, []int{2, 4}, 4, 5, 6, 7, 8, 9, 10, 11))
	// Empty result.
	out = mustRunNode(t, tkNode("Slice", 3, 1), 13, x, tkI64(2), tkI64(1))[0]
	if !ops.SameShape(out.Shape, []int{0, 4}) {
		t.Fatalf("empty slice: %v", out.Shape)
	}

	wantNodeError(t, tkNode("Slice", 5, 1), 13, "step 0", x, tkI64(0), tkI64(1), tkI64(0), tkI64(0))
	wantNodeError(t, tkNode("Slice", 4, 1), 13, "given twice", x, tkI64(0, 0), tkI64(1, 1), tkI64(1, -1))
	wantNodeError(t, tkNode("Slice", 4, 1), 13, "axis 2 out of range", x, tkI64(0), tkI64(1), tkI64(2))
	wantNodeError(t, tkNode("Slice", 3, 1), 13, "2 ends", x, tkI64(0), tkI64(1, 1))
	wantNodeError(t, tkNode("Slice", 3, 1), 13, "int64 or int32", x, ops.FromFloat32([]int{1}, []float32{0}), tkI64(1))
	wantNodeError(t, tkNode("Slice", 3, 1), 13, "missing input 2", x, tkI64(0))
	if _, err := runNode(tkNode("Slice", 1, 1, attrInts("starts", 0)), 9, x); err == nil {
		t.Fatal("Slice-9 without ends: no error")
	}
}

func TestGatherKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, 3, 2)
		// axis 0 with negative and int32 indices: rows 2, 0, 1.
		out := mustRunNode(t, tkNode("Gather", 2, 1), 13, x, tkI32(-1, 0, 1))[0]
		tkCheck(t, fmt.Sprintf("%v axis 0", dt), out, tkPickT(x, []int{3, 2}, 4, 5, 0, 1, 2, 3))
		// axis -1 with [[1 1] [0 1]] indices: out[i][j][k] = x[i][ind[j][k]].
		ind := ops.FromInt64([]int{2, 2}, []int64{1, 1, 0, -1})
		out = mustRunNode(t, tkNode("Gather", 2, 1, attrInt("axis", -1)), 11, x, ind)[0]
		tkCheck(t, fmt.Sprintf("%v axis -1", dt), out, tkPickT(x, []int{3, 2, 2}, 1, 1, 0, 1, 3, 3, 2, 3, 5, 5, 4, 5))
		// A scalar index drops the axis.
		out = mustRunNode(t, tkNode("Gather", 2, 1, attrInt("axis", 1)), 13, x, ops.FromInt64([]int{}, []int64{1}))[0]
		tkCheck(t, fmt.Sprintf("%v scalar index", dt), out, tkPickT(x, []int{3}, 1, 3, 5))
	}
	// Empty indices give an empty output.
	out := mustRunNode(t, tkNode("Gather", 2, 1), 13, tkSeqT(ops.Float32, 3, 2), ops.New(ops.Int64, 0))[0]
	if !ops.SameShape(out.Shape, []int{0, 2}) {
		t.Fatalf("empty indices: %v", out.Shape)
	}
	x := tkSeqT(ops.Float32, 3, 2)
	wantNodeError(t, tkNode("Gather", 2, 1), 13, "out of range", x, tkI64(3))
	wantNodeError(t, tkNode("Gather", 2, 1), 13, "out of range", x, tkI32(-4))
	wantNodeError(t, tkNode("Gather", 2, 1, attrInt("axis", 2)), 13, "out of range", x, tkI64(0))
	wantNodeError(t, tkNode("Gather", 2, 1), 13, "int64 or int32", x, ops.FromFloat32([]int{1}, []float32{0}))
	wantNodeError(t, tkNode("Gather", 2, 1), 13, "scalar", ops.Scalar(1), tkI64(0))
}

func TestTileKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, 2, 2)
		out := mustRunNode(t, tkNode("Tile", 2, 1), 13, x, tkI64(1, 2))[0]
		tkCheck(t, fmt.Sprintf("%v tile 1x2", dt), out, tkPickT(x, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))
	}
	x := tkSeqT(ops.Int64, 3)
	out := mustRunNode(t, tkNode("Tile", 2, 1), 6, x, tkI64(2))[0]
	tkCheck(t, "tile-6 1-D", out, tkPickT(x, []int{6}, 0, 1, 2, 0, 1, 2))
	out = mustRunNode(t, tkNode("Tile", 2, 1), 13, x, tkI64(0))[0]
	if !ops.SameShape(out.Shape, []int{0}) {
		t.Fatalf("tile by 0: %v", out.Shape)
	}
	wantNodeError(t, tkNode("Tile", 2, 1), 13, "repeats for rank", x, tkI64(1, 2))
	wantNodeError(t, tkNode("Tile", 2, 1), 13, "not a valid dimension", x, tkI64(-1))
	wantNodeError(t, tkNode("Tile", 2, 1), 13, "int64", x, tkI32(2))
}

func TestExpandKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, 3, 1)
		// Bidirectional: [3,1] with [2,1,2] → [2,3,2].
		out := mustRunNode(t, tkNode("Expand", 2, 1), 13, x, tkI64(2, 1, 2))[0]
		tkCheck(t, fmt.Sprintf("%v expand", dt), out, tkPickT(x, []int{2, 3, 2}, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2))
	}
	// A shape that changes nothing gives a view.
	x := tkSeqT(ops.Float32, 2, 3)
	out := mustRunNode(t, tkNode("Expand", 2, 1), 8, x, tkI64(3))[0]
	tkCheck(t, "no-op expand", out, x)
	out = mustRunNode(t, tkNode("Expand", 2, 1), 8, x, tkI64(0, 1, 1))[0]
	if !ops.SameShape(out.Shape, []int{0, 2, 3}) {
		t.Fatalf("expand to a zero dim: %v", out.Shape)
	}
	wantNodeError(t, tkNode("Expand", 2, 1), 13, "broadcast", x, tkI64(4))
	wantNodeError(t, tkNode("Expand", 2, 1), 13, "too many elements", x, tkI64(1<<30, 1<<30, 1, 3))
	wantNodeError(t, tkNode("Tile", 2, 1), 13, "too many elements", x, tkI64(1<<30, 1<<30))
	wantNodeError(t, tkNode("ConstantOfShape", 1, 1), 13, "too many elements", tkI64(1<<40, 2))
	wantNodeError(t, tkNode("Expand", 2, 1), 13, "not a valid dimension", x, tkI64(-1, 3))
}

func TestConstantOfShapeKernel(t *testing.T) {
	out := mustRunNode(t, tkNode("ConstantOfShape", 1, 1), 9, tkI64(2, 3))[0]
	tkCheck(t, "default", out, ops.FromFloat32([]int{2, 3}, make([]float32, 6)))
	for _, dt := range tkDTypes {
		v := tkSeqT(dt, 1)
		n := tkNode("ConstantOfShape", 1, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: v})
		out := mustRunNode(t, n, 21, tkI64(2, 2))[0]
		tkCheck(t, fmt.Sprintf("%v value", dt), out, tkPickT(v, []int{2, 2}, 0, 0, 0, 0))
		// An empty shape gives a scalar.
		out = mustRunNode(t, n, 21, tkI64())[0]
		tkCheck(t, fmt.Sprintf("%v scalar", dt), out, tkPickT(v, []int{}, 0))
	}
	out = mustRunNode(t, tkNode("ConstantOfShape", 1, 1), 20, tkI64(0, 3))[0]
	if out.Len() != 0 || !ops.SameShape(out.Shape, []int{0, 3}) {
		t.Fatalf("zero dim: %v", out)
	}
	wantNodeError(t, tkNode("ConstantOfShape", 1, 1), 9, "not a valid dimension", tkI64(-2))
	wantNodeError(t, tkNode("ConstantOfShape", 1, 1), 9, "int64", tkI32(2))
	if _, err := runNode(tkNode("ConstantOfShape", 1, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: tkI64(1, 2)}), 9, tkI64(2)); err == nil {
		t.Fatal("two-element value: no error")
	}
}

func TestConstantKernel(t *testing.T) {
	v := ops.FromFloat64([]int{2}, []float64{1.5, -2})
	n := tkNode("Constant", 0, 1, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: v})
	out := mustRunNode(t, n, 9, nil...)[0]
	tkCheck(t, "value", out, ops.FromFloat64([]int{2}, []float64{1.5, -2}))
	out.F64()[0] = 99 // the caller's copy; the node must not change
	out = mustRunNode(t, n, 9, nil...)[0]
	tkCheck(t, "value after a write to an earlier output", out, ops.FromFloat64([]int{2}, []float64{1.5, -2}))

	cases := []struct {
		attr *graph.Attr
		want *ops.Tensor
	}{
		{attrFloat("value_float", 2.5), ops.Scalar(2.5)},
		{&graph.Attr{Name: "value_floats", Type: graph.AttrFloats, Floats: []float32{1, 2}}, ops.FromFloat32([]int{2}, []float32{1, 2})},
		{attrInt("value_int", -3), ops.FromInt64([]int{}, []int64{-3})},
		{attrInts("value_ints", 4, 5, 6), tkI64(4, 5, 6)},
	}
	for _, c := range cases {
		out := mustRunNode(t, tkNode("Constant", 0, 1, c.attr), 13, nil...)[0]
		tkCheck(t, c.attr.Name, out, c.want)
		if _, err := runNode(tkNode("Constant", 0, 1, c.attr), 11); err == nil {
			t.Fatalf("%s at opset 11: no error", c.attr.Name)
		}
	}
	for _, attrs := range [][]*graph.Attr{
		nil,
		{attrInt("value_int", 1), attrFloat("value_float", 1)},
		{{Name: "value_string", Type: graph.AttrString, S: []byte("x")}},
		{{Name: "sparse_value", Type: graph.AttrSparseTensor}},
	} {
		if _, err := runNode(tkNode("Constant", 0, 1, attrs...), 13); err == nil {
			t.Fatalf("Constant with %d attributes %v: no error", len(attrs), attrs)
		}
	}
}

func TestRangeKernel(t *testing.T) {
	f32 := func(v float32) *ops.Tensor { return ops.FromFloat32([]int{}, []float32{v}) }
	f64 := func(v float64) *ops.Tensor { return ops.FromFloat64([]int{}, []float64{v}) }
	i32 := func(v int32) *ops.Tensor { return ops.FromInt32([]int{}, []int32{v}) }
	i64 := func(v int64) *ops.Tensor { return ops.FromInt64([]int{}, []int64{v}) }
	i8 := func(v int8) *ops.Tensor { return &ops.Tensor{DType: ops.Int8, Shape: []int{}, Data: []int8{v}} }
	n := tkNode("Range", 3, 1)
	// count = ceil((limit-start)/delta).
	tkCheck(t, "float32", mustRunNode(t, n, 11, f32(1), f32(5), f32(1.5))[0], ops.FromFloat32([]int{3}, []float32{1, 2.5, 4}))
	tkCheck(t, "float64 negative", mustRunNode(t, n, 11, f64(1), f64(-1), f64(-0.5))[0], ops.FromFloat64([]int{4}, []float64{1, 0.5, 0, -0.5}))
	tkCheck(t, "int32 negative", mustRunNode(t, n, 11, i32(10), i32(4), i32(-3))[0], ops.FromInt32([]int{2}, []int32{10, 7}))
	tkCheck(t, "int64", mustRunNode(t, n, 11, i64(-2), i64(3), i64(2))[0], ops.FromInt64([]int{3}, []int64{-2, 0, 2}))
	tkCheck(t, "int64 exact", mustRunNode(t, n, 11, i64(0), i64(6), i64(3))[0], ops.FromInt64([]int{2}, []int64{0, 3}))
	tkCheck(t, "empty", mustRunNode(t, n, 11, i64(5), i64(1), i64(1))[0], ops.FromInt64([]int{0}, []int64{}))
	tkCheck(t, "1-element inputs", mustRunNode(t, n, 11, tkI64(0), tkI64(2), tkI64(1))[0], ops.FromInt64([]int{2}, []int64{0, 1}))

	// Extremes: the count needs the full unsigned distance.
	tkCheck(t, "int64 extremes", mustRunNode(t, n, 11, i64(math.MinInt64), i64(math.MaxInt64), i64(math.MaxInt64))[0],
		ops.FromInt64([]int{3}, []int64{math.MinInt64, -1, math.MaxInt64 - 1}))
	tkCheck(t, "int64 min delta", mustRunNode(t, n, 11, i64(math.MaxInt64), i64(math.MinInt64), i64(math.MinInt64))[0],
		ops.FromInt64([]int{2}, []int64{math.MaxInt64, -1}))
	wantNodeError(t, n, 11, "elements", i64(0), i64(math.MaxInt64), i64(2))
	wantNodeError(t, n, 11, "delta 0", i64(0), i64(3), i64(0))
	wantNodeError(t, n, 11, "limit is int32", i64(0), i32(3), i64(1))
	wantNodeError(t, n, 11, "not supported", i8(1), i8(3), i8(1))
	wantNodeError(t, n, 11, "must be a scalar", tkI64(0, 1), i64(3), i64(1))
	wantNodeError(t, n, 11, "elements", f32(0), f32(1e30), f32(1e-30))
}

func TestSliceAndSplitViews(t *testing.T) {
	x := tkSeqT(ops.Int32, 4, 3)
	// Rows 1..2 are contiguous: a view at an interior address.
	out := mustRunNode(t, tkNode("Slice", 3, 1), 13, x, tkI64(1), tkI64(3))[0]
	tkCheck(t, "rows", out, tkPickT(x, []int{2, 3}, 3, 4, 5, 6, 7, 8))
	if &out.I32()[0] != &x.I32()[3] {
		t.Fatal("contiguous slice copied")
	}
	// One row, a run of columns: also contiguous.
	out = mustRunNode(t, tkNode("Slice", 4, 1), 13, x, tkI64(2, 1), tkI64(3, 3), tkI64(0, 1))[0]
	tkCheck(t, "row 2 cols 1..2", out, tkPickT(x, []int{1, 2}, 7, 8))
	if &out.I32()[0] != &x.I32()[7] {
		t.Fatal("contiguous row run copied")
	}
	// Columns are not contiguous: a fresh tensor.
	out = mustRunNode(t, tkNode("Slice", 4, 1), 13, x, tkI64(1), tkI64(3), tkI64(1))[0]
	if &out.I32()[0] == &x.I32()[1] {
		t.Fatal("strided slice returned a view")
	}
	// Split along the leading axis returns views; along another axis copies.
	parts := mustRunNode(t, tkNode("Split", 2, 2), 13, x, tkI64(1, 3))
	tkCheck(t, "split part 1", parts[1], tkPickT(x, []int{3, 3}, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	if &parts[1].I32()[0] != &x.I32()[3] {
		t.Fatal("leading-axis split copied")
	}
}
