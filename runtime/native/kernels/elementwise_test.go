package kernels

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newNodeInputs builds a node with n inputs named in0, in1, … ("" entries in
// omit mark omitted optional inputs) and the given attributes.
func newNodeInputs(op string, inputs []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{OpType: op, Name: "n_" + strings.ToLower(op), Inputs: inputs, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

// runFirst compiles n at opset and runs it once, returning its first output.
func runFirst(t *testing.T, n *graph.Node, opset int64, in ...*ops.Tensor) (*ops.Tensor, error) {
	t.Helper()
	outs, err := runNode(n, opset, in...)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

func mustRunFirst(t *testing.T, n *graph.Node, opset int64, in ...*ops.Tensor) *ops.Tensor {
	t.Helper()
	out, err := runFirst(t, n, opset, in...)
	require.NoError(t, err, "%s at opset %d", n.OpType, opset)
	return out
}

func wantErrorParts(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if !assert.Error(t, err, what) {
		return
	}
	for _, p := range parts {
		assert.Contains(t, err.Error(), p)
	}
}

func TestElemBinaryKernels(t *testing.T) {
	x := floats([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	bias := floats([]int{3}, 10, 20, 30)
	for op, want := range map[string]string{
		"Add": "[11 22 33 14 25 36]", "Sub": "[-9 -18 -27 -6 -15 -24]",
		"Mul": "[10 40 90 40 100 180]", "Div": "[0.1 0.1 0.1 0.4 0.25 0.2]",
	} {
		for _, opset := range []int64{7, 13, 14, 21} {
			out := mustRunFirst(t, newNodeInputs(op, []string{"x", "b"}), opset, x, bias)
			got := fmt.Sprint(out.F32())
			require.Equal(t, want, got, "%s opset %d = %v %s, want %s", op, opset, out.Shape, got, want)
			assert.Equal(t, ops.ShapeString([]int{2, 3}), ops.ShapeString(out.Shape), "%s opset %d = %v %s, want %s", op, opset, out.Shape, got, want)
		}
	}
	_, err := runFirst(t, newNodeInputs("Add", []string{"x", "b"}), 14, x, floats([]int{2}, 1, 2))
	wantErrorParts(t, "Add [2 3]+[2]", err, "n_add", "broadcast")
	_, err = runFirst(t, newNodeInputs("Mul", []string{"x", "b"}), 14, x, ops.FromInt64([]int{1}, []int64{1}))
	wantErrorParts(t, "float32*int64", err, "n_mul", "float32", "int64")
	_, err = runFirst(t, newNodeInputs("Div", []string{"x", "b"}), 14, ops.FromInt64([]int{2}, []int64{4, 5}), ops.FromInt64([]int{2}, []int64{2, 0}))
	wantErrorParts(t, "int Div by zero", err, "n_div", "division by zero")
	_, err = runFirst(t, newNodeInputs("Add", []string{"x", "b"}), 14, x)
	wantErrorParts(t, "missing input", err, "n_add", "missing input 1")
	_, err = runFirst(t, newNodeInputs("Add", []string{"x", "b"}), 14, ops.FromBool(nil, []bool{true}), ops.FromBool(nil, []bool{true}))
	wantErrorParts(t, "bool Add", err, "n_add", "bool")
}

func TestElemLegacyBroadcast(t *testing.T) {
	a := floats([]int{2, 3, 2}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	perChannel := floats([]int{3}, 100, 200, 300)
	out := mustRunFirst(t, newNodeInputs("Add", []string{"a", "b"}, attrInt("broadcast", 1), attrInt("axis", 1)), 6, a, perChannel)
	require.Equal(t, "[101 102 203 204 305 306 107 108 209 210 311 312]", fmt.Sprint(out.F32()), "Add-6 axis=1 = %v %v", out.Shape, out.F32())
	assert.Equal(t, ops.ShapeString(a.Shape), ops.ShapeString(out.Shape), "Add-6 axis=1 = %v %v", out.Shape, out.F32())
	trailing := floats([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	out = mustRunFirst(t, newNodeInputs("Sub", []string{"a", "b"}, attrInt("broadcast", 1)), 1, a, trailing)
	assert.Equal(t, "[0 0 0 0 0 0 6 6 6 6 6 6]", fmt.Sprint(out.F32()), "Sub-1 suffix broadcast = %v", out.F32())
	out = mustRunFirst(t, newNodeInputs("Mul", []string{"a", "b"}, attrInt("broadcast", 1)), 6, a, floats([]int{1}, 2))
	assert.Equal(t, float32(24), out.F32()[11], "Mul-6 scalar = %v", out.F32())
	same := mustRunFirst(t, newNodeInputs("Div", []string{"a", "b"}), 6, a, a)
	assert.Equal(t, float32(1), same.F32()[5], "Div-6 same shapes = %v", same.F32())
	_, err := runFirst(t, newNodeInputs("Add", []string{"a", "b"}), 6, a, perChannel)
	wantErrorParts(t, "Add-6 without broadcast", err, "n_add", "broadcast=0")
	_, err = runFirst(t, newNodeInputs("Add", []string{"a", "b"}, attrInt("broadcast", 1), attrInt("axis", 2)), 6, a, perChannel)
	wantErrorParts(t, "Add-6 wrong axis", err, "n_add", "axis 2")
	pw := mustRunFirst(t, newNodeInputs("Pow", []string{"a", "b"}, attrInt("broadcast", 1)), 1, trailing, floats([]int{2}, 2, 0))
	assert.Equal(t, "[1 1 9 1 25 1]", fmt.Sprint(pw.F32()), "Pow-1 broadcast = %v", pw.F32())
	x := floats([]int{2, 3, 2}, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, -2, -2)
	pr := mustRunFirst(t, newNodeInputs("PRelu", []string{"x", "s"}), 6, x, floats([]int{3}, 0.1, 0.2, 0.3))
	assert.Equal(t, "[-0.1 -0.1 -0.2 -0.2 -0.3 -0.3 1 1 1 1 -0.6 -0.6]", fmt.Sprint(pr.F32()), "PRelu-6 per channel = %v", pr.F32())
}

func TestElemPowOpsets(t *testing.T) {
	base := floats([]int{3}, 2, 3, 4)
	e := ops.FromInt64([]int{3}, []int64{3, 2, -1})
	_, err := runFirst(t, newNodeInputs("Pow", []string{"x", "e"}), 7, base, e)
	wantErrorParts(t, "Pow-7 mixed types", err, "n_pow", "float32", "int64")
	for _, opset := range []int64{12, 13, 15} {
		out := mustRunFirst(t, newNodeInputs("Pow", []string{"x", "e"}), opset, base, e)
		require.Equal(t, "[8 9 0.25]", fmt.Sprint(out.F32()), "Pow-%d = %v %v", opset, out.DType, out.F32())
		assert.Equal(t, ops.Float32, out.DType, "Pow-%d = %v %v", opset, out.DType, out.F32())
	}
}

func TestElemPRelu(t *testing.T) {
	x := floats([]int{2, 2, 2}, -1, 1, -2, 2, -3, 3, -4, 4)
	slope := floats([]int{2, 1, 1}, 0.5, 0.25) // per-channel slope as PyTorch exports it
	out := mustRunFirst(t, newNodeInputs("PRelu", []string{"x", "s"}), 9, x, slope)
	assert.Equal(t, "[-0.5 1 -1 2 -0.75 3 -1 4]", fmt.Sprint(out.F32()), "PRelu = %v", out.F32())
	_, err := runFirst(t, newNodeInputs("PRelu", []string{"x", "s"}), 16, floats([]int{2}, 1, 2), floats([]int{2, 2}, 1, 2, 3, 4))
	wantErrorParts(t, "slope larger than X", err, "n_prelu", "slope shape [2 2]", "X shape [2]")
}

func TestElemVariadic(t *testing.T) {
	a, b, c := floats([]int{2, 1}, 1, 5), floats([]int{3}, 2, 3, 4), floats(nil, 3)
	cases := map[string]string{
		"Sum":  "[6 7 8 10 11 12]",
		"Mean": "[2 2.3333333 2.6666667 3.3333333 3.6666667 4]",
		"Max":  "[3 3 4 5 5 5]",
		"Min":  "[1 1 1 2 3 3]",
	}
	for op, want := range cases {
		for _, opset := range []int64{8, 13} {
			out := mustRunFirst(t, newNodeInputs(op, []string{"a", "b", "c"}), opset, a, b, c)
			got := fmt.Sprint(out.F32())
			require.Equal(t, want, got, "%s-%d = %v %s, want %s", op, opset, out.Shape, got, want)
			assert.Equal(t, ops.ShapeString([]int{2, 3}), ops.ShapeString(out.Shape), "%s-%d = %v %s, want %s", op, opset, out.Shape, got, want)
		}
	}
	one := mustRunFirst(t, newNodeInputs("Max", []string{"a"}), 13, a)
	assert.Equal(t, "[1 5]", fmt.Sprint(one.F32()), "Max of one input = %v", one.F32())
	mi := mustRunFirst(t, newNodeInputs("Max", []string{"a", "b"}), 13, ops.FromInt64([]int{2}, []int64{-1, 9}), ops.FromInt64(nil, []int64{4}))
	assert.Equal(t, "[4 9]", fmt.Sprint(mi.I64()), "Max int64 = %v", mi.I64())
	_, err := runFirst(t, newNodeInputs("Sum", []string{"a", "b"}), 13, ops.FromInt64(nil, []int64{1}), ops.FromInt64(nil, []int64{1}))
	wantErrorParts(t, "Sum of int64", err, "n_sum", "int64")
	_, err = runFirst(t, newNodeInputs("Min", []string{"a", "b"}), 13, a, ops.FromFloat64(nil, []float64{1}))
	wantErrorParts(t, "Min of mixed types", err, "n_min", "float64")
}

func TestElemCompareLogicWhere(t *testing.T) {
	a, b := floats([]int{3}, 1, 2, 3), floats(nil, 2)
	for op, want := range map[string]string{"Equal": "[false true false]", "Greater": "[false false true]",
		"Less": "[true false false]", "GreaterOrEqual": "[false true true]", "LessOrEqual": "[true true false]"} {
		out := mustRunFirst(t, newNodeInputs(op, []string{"a", "b"}), 13, a, b)
		require.Equal(t, ops.Bool, out.DType, "%s = %v %v, want %s", op, out.DType, out.Data, want)
		assert.Equal(t, want, fmt.Sprint(out.B()), "%s = %v %v, want %s", op, out.DType, out.Data, want)
	}
	p, q := ops.FromBool([]int{2, 2}, []bool{false, false, true, true}), ops.FromBool([]int{2}, []bool{false, true})
	for op, want := range map[string]string{"And": "[false false false true]", "Or": "[false true true true]", "Xor": "[false true true false]"} {
		out := mustRunFirst(t, newNodeInputs(op, []string{"p", "q"}), 7, p, q)
		assert.Equal(t, want, fmt.Sprint(out.B()), "%s = %v, want %s", op, out.B(), want)
	}
	not := mustRunFirst(t, newNodeInputs("Not", []string{"p"}), 1, p)
	assert.Equal(t, "[true true false false]", fmt.Sprint(not.B()), "Not = %v", not.B())
	_, err := runFirst(t, newNodeInputs("Not", []string{"x"}), 1, a)
	wantErrorParts(t, "Not float", err, "n_not", "bool")
	_, err = runFirst(t, newNodeInputs("And", []string{"a", "b"}), 7, a, b)
	wantErrorParts(t, "And float", err, "n_and", "bool")

	w := mustRunFirst(t, newNodeInputs("Where", []string{"c", "x", "y"}), 16, q, floats([]int{2, 1}, 1, 2), floats(nil, -1))
	require.Equal(t, "[-1 1 -1 2]", fmt.Sprint(w.F32()), "Where = %v %v", w.Shape, w.F32())
	assert.Equal(t, ops.ShapeString([]int{2, 2}), ops.ShapeString(w.Shape), "Where = %v %v", w.Shape, w.F32())
	_, err = runFirst(t, newNodeInputs("Where", []string{"c", "x", "y"}), 16, a, a, a)
	wantErrorParts(t, "Where float condition", err, "n_where", "condition", "bool")
	_, err = runFirst(t, newNodeInputs("Where", []string{"c", "x", "y"}), 16, q, a, ops.FromInt64(nil, []int64{1}))
	wantErrorParts(t, "Where mixed X/Y", err, "n_where", "float32", "int64")
}

func TestElemUnaryAttributes(t *testing.T) {
	x := floats([]int{4}, -2, -0.5, 0, 3)
	cases := []struct {
		node *graph.Node
		want []float64
	}{
		{newNodeInputs("LeakyRelu", []string{"x"}), []float64{-0.02, -0.005, 0, 3}},
		{newNodeInputs("LeakyRelu", []string{"x"}, attrFloat("alpha", 0.5)), []float64{-1, -0.25, 0, 3}},
		{newNodeInputs("Elu", []string{"x"}), []float64{math.Exp(-2) - 1, math.Exp(-0.5) - 1, 0, 3}},
		{newNodeInputs("Elu", []string{"x"}, attrFloat("alpha", 2)), []float64{2 * (math.Exp(-2) - 1), 2 * (math.Exp(-0.5) - 1), 0, 3}},
		{newNodeInputs("Selu", []string{"x"}), []float64{1.0507009873554805 * 1.6732632423543772 * (math.Exp(-2) - 1),
			1.0507009873554805 * 1.6732632423543772 * (math.Exp(-0.5) - 1), 0, 1.0507009873554805 * 3}},
		{newNodeInputs("HardSigmoid", []string{"x"}), []float64{0.1, 0.4, 0.5, 1}},
		{newNodeInputs("HardSigmoid", []string{"x"}, attrFloat("alpha", 1), attrFloat("beta", 0)), []float64{0, 0, 0, 1}},
		{newNodeInputs("Relu", []string{"x"}), []float64{0, 0, 0, 3}},
		{newNodeInputs("Softsign", []string{"x"}), []float64{-2.0 / 3, -0.5 / 1.5, 0, 0.75}},
		{newNodeInputs("Abs", []string{"x"}), []float64{2, 0.5, 0, 3}},
	}
	for _, c := range cases {
		out := mustRunFirst(t, c.node, 13, x)
		for i, w := range c.want {
			if !assert.InDelta(t, w, float64(out.F32()[i]), 1e-6, "%s%v = %v, want %v", c.node.OpType, c.node.AttrOrder, out.F32(), c.want) {
				break
			}
		}
	}
	bad := newNodeInputs("LeakyRelu", []string{"x"}, attrInt("alpha", 1))
	_, err := runFirst(t, bad, 16, x)
	wantErrorParts(t, "int alpha", err, "n_leakyrelu", "alpha")
	_, err = runFirst(t, newNodeInputs("Exp", []string{"x"}), 13, ops.FromInt64(nil, []int64{1}))
	wantErrorParts(t, "Exp int64", err, "n_exp", "int64")
	ri := mustRunFirst(t, newNodeInputs("Relu", []string{"x"}), 14, ops.FromInt32([]int{2}, []int32{-4, 4}))
	assert.Equal(t, "[0 4]", fmt.Sprint(ri.I32()), "Relu-14 int32 = %v", ri.I32())
}

func TestElemClipOpsets(t *testing.T) {
	x := floats([]int{4}, -5, -0.5, 0.5, 5)
	old := mustRunFirst(t, newNodeInputs("Clip", []string{"x"}, attrFloat("min", -1), attrFloat("max", 1)), 6, x)
	assert.Equal(t, "[-1 -0.5 0.5 1]", fmt.Sprint(old.F32()), "Clip-6 = %v", old.F32())
	noBounds := mustRunFirst(t, newNodeInputs("Clip", []string{"x"}), 6, x)
	assert.Equal(t, "[-5 -0.5 0.5 5]", fmt.Sprint(noBounds.F32()), "Clip-6 without attributes = %v", noBounds.F32())
	newer := mustRunFirst(t, newNodeInputs("Clip", []string{"x", "lo", "hi"}), 13, x, ops.Scalar(-1), ops.Scalar(1))
	assert.Equal(t, "[-1 -0.5 0.5 1]", fmt.Sprint(newer.F32()), "Clip-13 = %v", newer.F32())
	onlyMax := mustRunFirst(t, newNodeInputs("Clip", []string{"x", "", "hi"}), 11, x, nil, ops.Scalar(0))
	assert.Equal(t, "[-5 -0.5 0 0]", fmt.Sprint(onlyMax.F32()), "Clip-11 max only = %v", onlyMax.F32())
	ints := mustRunFirst(t, newNodeInputs("Clip", []string{"x", "lo"}), 12, ops.FromInt64([]int{3}, []int64{-9, 0, 9}), ops.FromInt64(nil, []int64{-1}))
	assert.Equal(t, "[-1 0 9]", fmt.Sprint(ints.I64()), "Clip-12 int64 = %v", ints.I64())
	_, err := runFirst(t, newNodeInputs("Clip", []string{"x", "lo"}), 13, x, floats([]int{2}, 0, 1))
	wantErrorParts(t, "non-scalar min", err, "n_clip", "min", "scalar")
	_, err = runFirst(t, newNodeInputs("Clip", []string{"x", "lo"}), 13, x, ops.FromFloat64(nil, []float64{0}))
	wantErrorParts(t, "float64 min for float32", err, "n_clip", "float64")
}

func TestCastKernel(t *testing.T) {
	x := floats([]int{3}, -1.5, 0, 2.9)
	cases := map[int64]string{7: "[-1 0 2]", 6: "[-1 0 2]", 9: "[true false true]", 11: "[-1.5 0 2.9000000953674316]"}
	for to, want := range cases {
		for _, opset := range []int64{6, 13, 19, 21} {
			out := mustRunFirst(t, newNodeInputs("Cast", []string{"x"}, attrInt("to", to)), opset, x)
			got := fmt.Sprint(out.Data)
			assert.Equal(t, want, got, "Cast-%d to %d = %s, want %s", opset, to, got, want)
		}
	}
	same := mustRunFirst(t, newNodeInputs("Cast", []string{"x"}, attrInt("to", 1)), 13, x)
	assert.Same(t, &x.F32()[0], &same.F32()[0], "Cast to the same type copied instead of returning a view")
	like := mustRunFirst(t, newNodeInputs("CastLike", []string{"x", "t"}), 15, x, ops.FromInt64(nil, []int64{0}))
	require.Equal(t, ops.Int64, like.DType, "CastLike = %v %v", like.DType, like.Data)
	assert.Equal(t, "[-1 0 2]", fmt.Sprint(like.I64()), "CastLike = %v %v", like.DType, like.Data)
	named := mustRunFirst(t, newNodeInputs("Cast", []string{"x"}, &graph.Attr{Name: "to", Type: graph.AttrString, S: []byte("INT32")}), 1, x)
	require.Equal(t, ops.Int32, named.DType, "Cast-1 to \"INT32\" = %v %v", named.DType, named.Data)
	assert.Equal(t, "[-1 0 2]", fmt.Sprint(named.I32()), "Cast-1 to \"INT32\" = %v %v", named.DType, named.Data)
	_, err := runFirst(t, newNodeInputs("Cast", []string{"x"}, &graph.Attr{Name: "to", Type: graph.AttrString, S: []byte("INT33")}), 1, x)
	wantErrorParts(t, "Cast-1 to unknown name", err, "n_cast", "INT33")
	str := mustRunFirst(t, newNodeInputs("Cast", []string{"x"}, attrInt("to", 8)), 13, x)
	require.Equal(t, ops.String, str.DType, "Cast to STRING = %v %v", str.DType, str.Data)
	assert.Equal(t, "[-1.5 0.0 2.9]", fmt.Sprint(str.Str()), "Cast to STRING = %v %v", str.DType, str.Data)
	_, err = runFirst(t, newNodeInputs("Cast", []string{"x"}, attrInt("to", 14)), 13, x)
	wantErrorParts(t, "Cast to complex", err, "n_cast", "COMPLEX64")
	_, err = runFirst(t, newNodeInputs("Cast", []string{"x"}), 13, x)
	wantErrorParts(t, "Cast without to", err, "n_cast", "to")
}

func TestReduceKernelOpsets(t *testing.T) {
	x := floats([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	axes1 := ops.FromInt64([]int{1}, []int64{1})
	type tc struct {
		node  *graph.Node
		opset int64
		in    []*ops.Tensor
		shape []int
		want  string
	}
	cases := []tc{
		{newNodeInputs("ReduceSum", []string{"x"}, attrInts("axes", 1)), 11, []*ops.Tensor{x}, []int{2, 1}, "[6 15]"},
		{newNodeInputs("ReduceSum", []string{"x"}, attrInts("axes", -2), attrInt("keepdims", 0)), 11, []*ops.Tensor{x}, []int{3}, "[5 7 9]"},
		{newNodeInputs("ReduceSum", []string{"x"}), 1, []*ops.Tensor{x}, []int{1, 1}, "[21]"},
		{newNodeInputs("ReduceSum", []string{"x", "axes"}), 13, []*ops.Tensor{x, axes1}, []int{2, 1}, "[6 15]"},
		{newNodeInputs("ReduceSum", []string{"x", "axes"}, attrInt("keepdims", 0)), 13, []*ops.Tensor{x, ops.FromInt64([]int{0}, nil)}, []int{}, "[21]"},
		{newNodeInputs("ReduceSum", []string{"x", "axes"}, attrInt("noop_with_empty_axes", 1)), 13, []*ops.Tensor{x, ops.FromInt64([]int{0}, nil)}, []int{2, 3}, "[1 2 3 4 5 6]"},
		{newNodeInputs("ReduceSum", []string{"x"}, attrInt("noop_with_empty_axes", 1)), 13, []*ops.Tensor{x}, []int{2, 3}, "[1 2 3 4 5 6]"},
		{newNodeInputs("ReduceMean", []string{"x"}, attrInts("axes", 0)), 13, []*ops.Tensor{x}, []int{1, 3}, "[2.5 3.5 4.5]"},
		{newNodeInputs("ReduceMean", []string{"x", "axes"}), 18, []*ops.Tensor{x, axes1}, []int{2, 1}, "[2 5]"},
		{newNodeInputs("ReduceMax", []string{"x", "axes"}, attrInt("keepdims", 0)), 20, []*ops.Tensor{x, axes1}, []int{2}, "[3 6]"},
		{newNodeInputs("ReduceMin", []string{"x"}, attrInts("axes", 0, 1)), 12, []*ops.Tensor{x}, []int{1, 1}, "[1]"},
		{newNodeInputs("ReduceSumSquare", []string{"x"}, attrInts("axes", 1)), 13, []*ops.Tensor{x}, []int{2, 1}, "[14 77]"},
		{newNodeInputs("ReduceL2", []string{"x"}, attrInts("axes", 0)), 13, []*ops.Tensor{floats([]int{2, 2}, 3, 0, 4, 2)}, []int{1, 2}, "[5 2]"},
		{newNodeInputs("ReduceL1", []string{"x"}, attrInts("axes", 1)), 13, []*ops.Tensor{floats([]int{2, 2}, -3, 1, 4, -2)}, []int{2, 1}, "[4 6]"},
		{newNodeInputs("ReduceSumSquare", []string{"x", "axes"}, attrInt("noop_with_empty_axes", 1)), 18, []*ops.Tensor{floats([]int{2}, -3, 2)}, []int{2}, "[9 4]"},
	}
	for _, c := range cases {
		out := mustRunFirst(t, c.node, c.opset, c.in...)
		got := fmt.Sprint(out.F32())
		require.Equal(t, c.want, got, "%s-%d %v: got %v %s, want %v %s", c.node.OpType, c.opset, c.node.AttrOrder, out.Shape, got, c.shape, c.want)
		assert.Equal(t, ops.ShapeString(c.shape), ops.ShapeString(out.Shape), "%s-%d %v: got %v %s, want %v %s", c.node.OpType, c.opset, c.node.AttrOrder, out.Shape, got, c.shape, c.want)
	}
	lse := mustRunFirst(t, newNodeInputs("ReduceLogSumExp", []string{"x"}, attrInts("axes", 1)), 13, floats([]int{2, 2}, 1000, 1000, -1, float32(math.Inf(-1))))
	g := lse.F32()
	assert.False(t, math.Abs(float64(g[0])-(1000+math.Ln2)) > 1e-3 || math.Abs(float64(g[1])+1) > 1e-6, "ReduceLogSumExp = %v, want [1000.693 -1]", g)
	_, err := runFirst(t, newNodeInputs("ReduceMean", []string{"x"}, attrInts("axes", 1)), 18, x)
	wantErrorParts(t, "axes attribute at opset 18", err, "n_reducemean", "axes", "input")
	_, err = runFirst(t, newNodeInputs("ReduceSum", []string{"x"}, attrInts("axes", -1)), 1, x)
	wantErrorParts(t, "negative axis at opset 1", err, "n_reducesum", "negative axis")
	_, err = runFirst(t, newNodeInputs("ReduceSum", []string{"x"}, attrInts("axes", 2)), 11, x)
	wantErrorParts(t, "axis out of range", err, "n_reducesum", "out of range")
	_, err = runFirst(t, newNodeInputs("ReduceSum", []string{"x", "axes"}), 13, x, ops.FromInt32([]int{1}, []int32{0}))
	wantErrorParts(t, "int32 axes", err, "n_reducesum", "int64")
	_, err = runFirst(t, newNodeInputs("ReduceMax", []string{"x"}), 13, ops.FromBool([]int{1}, []bool{true}))
	wantErrorParts(t, "bool ReduceMax", err, "n_reducemax", "bool")
	ri := mustRunFirst(t, newNodeInputs("ReduceSum", []string{"x"}, attrInts("axes", 0), attrInt("keepdims", 0)), 11, ops.FromInt64([]int{2, 2}, []int64{1, 2, 3, 4}))
	assert.Equal(t, "[4 6]", fmt.Sprint(ri.I64()), "ReduceSum int64 = %v", ri.I64())
}

func TestElemFloat16Kernels(t *testing.T) {
	h := ops.New(ops.Float16, 3)
	ops.Float32sToFloat16s(h.F16(), []float32{1, -2, 0.5})
	out := mustRunFirst(t, newNodeInputs("Mul", []string{"a", "b"}), 14, h, h)
	got := make([]float32, 3)
	ops.Float16sToFloat32s(got, out.F16())
	require.Equal(t, ops.Float16, out.DType, "float16 Mul = %v %v", out.DType, got)
	assert.Equal(t, "[1 4 0.25]", fmt.Sprint(got), "float16 Mul = %v %v", out.DType, got)
	s := mustRunFirst(t, newNodeInputs("Sigmoid", []string{"a"}), 13, h)
	ops.Float16sToFloat32s(got, s.F16())
	require.InDelta(t, 0.7310586, float64(got[0]), 1e-3, "float16 Sigmoid = %v", got)
	assert.InDelta(t, 0.1192029, float64(got[1]), 1e-3, "float16 Sigmoid = %v", got)
}

func TestElemMoreKernelErrors(t *testing.T) {
	x := floats([]int{3}, 1, 2, 3)
	_, err := runFirst(t, newNodeInputs("Mod", []string{"a", "b"}), 13, x, x)
	wantErrorParts(t, "float Mod without fmod", err, "n_mod", "fmod=1")
	out := mustRunFirst(t, newNodeInputs("Mod", []string{"a", "b"}, attrInt("fmod", 1)), 13, floats([]int{3}, -5, 5, 7), floats(nil, 3))
	assert.Equal(t, "[-2 2 1]", fmt.Sprint(out.F32()), "Mod fmod=1 = %v", out.F32())
	_, err = runFirst(t, newNodeInputs("BitShift", []string{"a", "b"}, &graph.Attr{Name: "direction", Type: graph.AttrString, S: []byte("UP")}), 11, x, x)
	wantErrorParts(t, "BitShift direction", err, "n_bitshift", "UP")
	_, err = runFirst(t, newNodeInputs("Gelu", []string{"x"}, &graph.Attr{Name: "approximate", Type: graph.AttrString, S: []byte("erf")}), 20, x)
	wantErrorParts(t, "Gelu approximate", err, "n_gelu", "erf")
	_, err = runFirst(t, newNodeInputs("ArgMax", []string{"x"}, attrInt("select_last_index", 1)), 11, x)
	wantErrorParts(t, "select_last_index at 11", err, "n_argmax", "opset 12")
	_, err = runFirst(t, newNodeInputs("ArgMin", []string{"x"}, attrInt("axis", -1)), 1, x)
	wantErrorParts(t, "negative axis at opset 1", err, "n_argmin", "axis -1")
	am := mustRunFirst(t, newNodeInputs("ArgMin", []string{"x"}, attrInt("axis", -1), attrInt("keepdims", 0)), 13, floats([]int{2, 3}, 3, 1, 2, 0, 5, 0))
	require.Equal(t, "[1 0]", fmt.Sprint(am.I64()), "ArgMin = %v %v", am.Shape, am.I64())
	assert.Equal(t, ops.ShapeString([]int{2}), ops.ShapeString(am.Shape), "ArgMin = %v %v", am.Shape, am.I64())
	_, err = runFirst(t, newNodeInputs("CumSum", []string{"x", "axis"}), 14, x, ops.FromInt64([]int{2}, []int64{0, 0}))
	wantErrorParts(t, "CumSum vector axis", err, "n_cumsum", "scalar")
	cs := mustRunFirst(t, newNodeInputs("CumSum", []string{"x", "axis"}, attrInt("reverse", 1)), 14, x, ops.FromInt32(nil, []int32{-1}))
	assert.Equal(t, "[6 5 3]", fmt.Sprint(cs.F32()), "CumSum reverse = %v", cs.F32())
	_, err = runFirst(t, newNodeInputs("IsNaN", []string{"x"}), 20, ops.FromInt64(nil, []int64{1}))
	wantErrorParts(t, "IsNaN int64", err, "n_isnan", "int64")
}
