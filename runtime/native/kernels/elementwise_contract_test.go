package kernels

import (
	"reflect"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestElemKernelContract runs representative nodes of every kernel family
// twice, with fresh zeroed buffers and with junk-filled recycled ones, and
// demands identical outputs and untouched inputs.
func TestElemKernelContract(t *testing.T) {
	x := floats([]int{2, 3}, -1.5, 0, 2, 3.5, -4, 5)
	row := floats([]int{3}, 1, -2, 0.5)
	h := ops.New(ops.Float16, 2, 3)
	ops.Float32sToFloat16s(h.F16(), x.F32())
	i64 := ops.FromInt64([]int{2, 3}, []int64{-3, 0, 2, 7, -8, 1})
	cond := ops.FromBool([]int{3}, []bool{true, false, true})
	axes := ops.FromInt64([]int{1}, []int64{1})
	cases := []struct {
		node  *graph.Node
		opset int64
		in    []*ops.Tensor
	}{
		{newNodeInputs("Add", []string{"a", "b"}), 14, []*ops.Tensor{x, row}},
		{newNodeInputs("Div", []string{"a", "b"}), 14, []*ops.Tensor{h, h}},
		{newNodeInputs("Pow", []string{"a", "b"}), 15, []*ops.Tensor{x, ops.FromInt64(nil, []int64{2})}},
		{newNodeInputs("Sum", []string{"a", "b", "c"}), 13, []*ops.Tensor{x, row, floats(nil, 1)}},
		{newNodeInputs("Mean", []string{"a", "b"}), 13, []*ops.Tensor{h, h}},
		{newNodeInputs("Max", []string{"a", "b"}), 13, []*ops.Tensor{i64, ops.FromInt64(nil, []int64{0})}},
		{newNodeInputs("PRelu", []string{"a", "b"}), 16, []*ops.Tensor{x, row}},
		{newNodeInputs("Greater", []string{"a", "b"}), 13, []*ops.Tensor{x, row}},
		{newNodeInputs("Where", []string{"c", "a", "b"}), 16, []*ops.Tensor{cond, x, floats(nil, 9)}},
		{newNodeInputs("Sigmoid", []string{"x"}), 13, []*ops.Tensor{h}},
		{newNodeInputs("Relu", []string{"x"}), 14, []*ops.Tensor{i64}},
		{newNodeInputs("Clip", []string{"x", "lo", "hi"}), 13, []*ops.Tensor{x, floats(nil, -1), floats(nil, 1)}},
		{newNodeInputs("Cast", []string{"x"}, attrInt("to", 10)), 13, []*ops.Tensor{x}},
		{newNodeInputs("Cast", []string{"x"}, attrInt("to", 9)), 13, []*ops.Tensor{i64}},
		{newNodeInputs("ReduceSum", []string{"x", "axes"}), 13, []*ops.Tensor{x, axes}},
		{newNodeInputs("ReduceMax", []string{"x", "axes"}, attrInt("keepdims", 0)), 18, []*ops.Tensor{i64, axes}},
		{newNodeInputs("ReduceL2", []string{"x"}), 13, []*ops.Tensor{h}},
		{newNodeInputs("ReduceLogSumExp", []string{"x"}, attrInts("axes", 0)), 13, []*ops.Tensor{x}},
		{newNodeInputs("ArgMax", []string{"x"}, attrInt("axis", 1)), 13, []*ops.Tensor{x}},
		{newNodeInputs("CumSum", []string{"x", "axis"}, attrInt("exclusive", 1)), 14, []*ops.Tensor{x, ops.FromInt64(nil, []int64{1})}},
		{newNodeInputs("Mod", []string{"a", "b"}), 13, []*ops.Tensor{i64, ops.FromInt64(nil, []int64{3})}},
		{newNodeInputs("IsInf", []string{"x"}), 20, []*ops.Tensor{x}},
	}
	for _, c := range cases {
		before := make([]*ops.Tensor, len(c.in))
		for i, t := range c.in {
			before[i] = t.Clone()
		}
		b, err := operators.KernelBuilder("", c.node.OpType, c.opset)
		require.NoError(t, err)
		k, err := b(c.node, c.opset)
		require.NoError(t, err)
		fresh, err := k(&operators.Env{}, c.in)
		require.NoError(t, err, "%s", c.node.OpType)
		junk, err := k(&operators.Env{Alloc: dirtyAlloc}, c.in)
		require.NoError(t, err, "%s with recycled buffers", c.node.OpType)
		assert.Empty(t, compareTensors(junk[0], fresh[0], 0, 0), "%s: recycled-buffer output differs from fresh output", c.node.OpType)
		for i := range c.in {
			assert.False(t, !reflect.DeepEqual(before[i].Data, c.in[i].Data) && !equalWithNaN(before[i], c.in[i]), "%s wrote into input %d", c.node.OpType, i)
		}
	}
}

// equalWithNaN compares float tensors treating NaN as equal to NaN.
func equalWithNaN(a, b *ops.Tensor) bool { return compareTensors(a, b, 0, 0) == "" }
