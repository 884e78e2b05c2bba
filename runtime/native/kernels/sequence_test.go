package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// sequenceFuzzOps are the operators of sequence.go (value kernels).
var sequenceFuzzOps = []string{
	"SequenceEmpty", "SequenceConstruct", "SequenceAt", "SequenceInsert", "SequenceErase",
	"SequenceLength", "SplitToSequence", "ConcatFromSequence", "Optional",
	"OptionalHasElement", "OptionalGetElement",
}

// runValues builds op at opset and runs it on in.
func runValues(t *testing.T, n *graph.Node, opset int64, in ...*graph.Value) ([]*graph.Value, error) {
	t.Helper()
	op, err := operators.Lookup("", n.OpType, opset)
	require.NoError(t, err)
	require.NotNil(t, op.BuildValues, n.OpType)
	k, err := op.BuildValues(n, opset)
	if err != nil {
		return nil, err
	}
	return k(&operators.Env{}, in)
}

func seqOf(ts ...*ops.Tensor) *graph.Value { return graph.TensorSequence(ts[0].DType, ts...) }

func scalarI64(v int64) *graph.Value { return graph.TensorOf(ops.FromInt64(nil, []int64{v})) }

// The sequence operators on hand-worked values, and their one-line errors
// for out-of-range positions and wrong element types.
func TestSequenceOps(t *testing.T) {
	a := ops.FromFloat32([]int{2}, []float32{1, 2})
	b := ops.FromFloat32([]int{2}, []float32{3, 4})
	c := ops.FromFloat32([]int{2}, []float32{5, 6})
	s := seqOf(a, b, c)

	out, err := runValues(t, newNode("SequenceAt", 2, 1), 11, s, scalarI64(-1))
	require.NoError(t, err)
	assert.Same(t, c, out[0].Tensor, "SequenceAt returns the element itself")

	_, err = runValues(t, newNode("SequenceAt", 2, 1), 11, s, scalarI64(3))
	assert.ErrorContains(t, err, "position 3 is out of range [-3, 2] for a sequence of 3 elements")

	out, err = runValues(t, newNode("SequenceInsert", 3, 1), 11, s, graph.TensorOf(a), scalarI64(1))
	require.NoError(t, err)
	got := out[0]
	require.Len(t, got.Elems, 4)
	assert.Equal(t, []*ops.Tensor{a, a, b, c}, []*ops.Tensor{got.Elems[0].Tensor, got.Elems[1].Tensor, got.Elems[2].Tensor, got.Elems[3].Tensor})
	assert.Len(t, s.Elems, 3, "the input sequence is not changed")

	_, err = runValues(t, newNode("SequenceInsert", 2, 1), 11, s, graph.TensorOf(ops.FromInt64([]int{1}, []int64{1})))
	assert.ErrorContains(t, err, "a int64 tensor cannot go into a sequence of float32")
	_, err = runValues(t, newNode("SequenceInsert", 3, 1), 11, s, graph.TensorOf(a), scalarI64(-4))
	assert.ErrorContains(t, err, "position -4 is out of range [-3, 3]")

	out, err = runValues(t, newNode("SequenceErase", 2, 1), 11, s, scalarI64(0))
	require.NoError(t, err)
	require.Len(t, out[0].Elems, 2)
	assert.Same(t, b, out[0].Elems[0].Tensor)
	_, err = runValues(t, newNode("SequenceErase", 1, 1), 11, graph.SequenceOf(ops.Float32))
	assert.ErrorContains(t, err, "cannot erase from an empty sequence")

	out, err = runValues(t, newNode("SequenceLength", 1, 1), 11, s)
	require.NoError(t, err)
	assert.Equal(t, []int64{3}, out[0].Tensor.I64())
	assert.Empty(t, out[0].Tensor.Shape)

	_, err = runValues(t, newNode("SequenceLength", 1, 1), 11, graph.TensorOf(a))
	assert.ErrorContains(t, err, "input input_sequence is a tensor, want a sequence")

	// ConcatFromSequence: [1 2 3 4 5 6] along axis 0, [[1 2] [3 4] [5 6]]
	// stacked along a new axis 0, and its transpose stacked along axis 1.
	cat := newNode("ConcatFromSequence", 1, 1, attrInt("axis", 0))
	out, err = runValues(t, cat, 11, s)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, out[0].Tensor.F32())
	stack := newNode("ConcatFromSequence", 1, 1, attrInt("axis", -1), attrInt("new_axis", 1))
	out, err = runValues(t, stack, 11, s)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, out[0].Tensor.Shape)
	assert.Equal(t, []float32{1, 3, 5, 2, 4, 6}, out[0].Tensor.F32())
	_, err = runValues(t, cat, 11, graph.SequenceOf(ops.Float32))
	assert.ErrorContains(t, err, "cannot concatenate an empty sequence")

	// SplitToSequence of [[0 1 2] [3 4 5]]: by a scalar chunk along axis
	// 1 (2 then 1 columns), and into rows without the split axis.
	x := ops.FromFloat32([]int{2, 3}, []float32{0, 1, 2, 3, 4, 5})
	out, err = runValues(t, newNode("SplitToSequence", 2, 1, attrInt("axis", 1)), 11, graph.TensorOf(x), scalarI64(2))
	require.NoError(t, err)
	require.Len(t, out[0].Elems, 2)
	assert.Equal(t, []float32{0, 1, 3, 4}, out[0].Elems[0].Tensor.F32())
	assert.Equal(t, []int{2, 1}, out[0].Elems[1].Tensor.Shape)
	assert.Equal(t, []float32{2, 5}, out[0].Elems[1].Tensor.F32())
	out, err = runValues(t, newNode("SplitToSequence", 1, 1, attrInt("keepdims", 0)), 11, graph.TensorOf(x))
	require.NoError(t, err)
	require.Len(t, out[0].Elems, 2)
	assert.Equal(t, []int{3}, out[0].Elems[1].Tensor.Shape)
	assert.Equal(t, []float32{3, 4, 5}, out[0].Elems[1].Tensor.F32())
	_, err = runValues(t, newNode("SplitToSequence", 2, 1), 11, graph.TensorOf(x), graph.TensorOf(ops.FromInt64([]int{2}, []int64{1, 2})))
	assert.ErrorContains(t, err, "split sizes [1 2] add up to 3, the axis has 2")

	out, err = runValues(t, newNode("SequenceConstruct", 2, 1), 11, graph.TensorOf(a), graph.TensorOf(b))
	require.NoError(t, err)
	assert.Equal(t, ops.Float32, out[0].DType)
	_, err = runValues(t, newNode("SequenceConstruct", 2, 1), 11, graph.TensorOf(a), scalarI64(1))
	assert.ErrorContains(t, err, "input 1 is int64, input 0 float32")

	out, err = runValues(t, newNode("SequenceEmpty", 0, 1, attrInt("dtype", 7)), 11)
	require.NoError(t, err)
	assert.Equal(t, "sequence(0 of int64)", out[0].String())
}

func TestOptionalOps(t *testing.T) {
	a := ops.FromFloat32([]int{1}, []float32{7})
	some := graph.OptionalOf(graph.TensorOf(a))
	none := graph.OptionalOf(nil)

	has := func(opset int64, v *graph.Value) (bool, error) {
		n := newNode("OptionalHasElement", 1, 1)
		var in []*graph.Value
		if v == nil {
			n.Inputs = []string{""}
			in = []*graph.Value{nil}
		} else {
			in = []*graph.Value{v}
		}
		out, err := runValues(t, n, opset, in...)
		if err != nil {
			return false, err
		}
		return out[0].Tensor.B()[0], nil
	}
	for _, c := range []struct {
		opset int64
		v     *graph.Value
		want  bool
		err   string
	}{
		{15, some, true, ""},
		{15, none, false, ""},
		{15, graph.TensorOf(a), false, "takes an optional before opset 18"},
		{18, graph.TensorOf(a), true, ""},
		{18, seqOf(a), true, ""},
		{18, nil, false, ""},
		{15, nil, false, "an empty input is allowed from opset 18"},
	} {
		got, err := has(c.opset, c.v)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, "opset %d %v", c.opset, c.v)
			continue
		}
		require.NoError(t, err, "opset %d %v", c.opset, c.v)
		assert.Equal(t, c.want, got, "opset %d %v", c.opset, c.v)
	}

	get := newNode("OptionalGetElement", 1, 1)
	out, err := runValues(t, get, 15, some)
	require.NoError(t, err)
	assert.Same(t, a, out[0].Tensor)
	_, err = runValues(t, get, 15, none)
	assert.ErrorContains(t, err, "the optional is empty")
	_, err = runValues(t, get, 15, graph.TensorOf(a))
	assert.ErrorContains(t, err, "takes an optional before opset 18")
	out, err = runValues(t, get, 18, graph.TensorOf(a))
	require.NoError(t, err)
	assert.Same(t, a, out[0].Tensor)

	out, err = runValues(t, newNode("Optional", 1, 1), 15, graph.TensorOf(a))
	require.NoError(t, err)
	assert.Equal(t, "optional(float32[1])", out[0].String())
	_, err = runValues(t, newNode("Optional", 0, 1), 15)
	assert.ErrorContains(t, err, "needs the type attribute")
	_, err = runValues(t, newNode("Optional", 1, 1), 15, some)
	assert.ErrorContains(t, err, "optionals of optionals are not allowed")
}

// sequenceFuzzValue returns a random value: mostly tensors and sequences
// of tensors (of one or mixed types), sometimes optionals or nil.
func sequenceFuzzValue(r *rand.Rand) *graph.Value {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1:
		if r.IntN(2) == 0 {
			return graph.OptionalOf(nil)
		}
		return graph.OptionalOf(graph.TensorOf(shapeFuzzTensor(r)))
	case 2, 3, 4:
		n := r.IntN(4)
		ts := make([]*ops.Tensor, n)
		dt := ops.Float32
		for i := range ts {
			ts[i] = shapeFuzzTensor(r)
			if r.IntN(3) != 0 {
				// Mostly one element type, often one shape, so the
				// operators get past their checks.
				ts[i] = ops.New(dt, ts[max(i-1, 0)].Shape...)
			}
		}
		elems := make([]*graph.Value, n)
		for i, t := range ts {
			elems[i] = graph.TensorOf(t)
		}
		if n > 0 {
			dt = ts[0].DType
		}
		return &graph.Value{Kind: graph.SequenceValue, Elems: elems, DType: dt}
	}
	return graph.TensorOf(shapeFuzzTensor(r))
}

// TestSequenceOpsNeverPanic feeds random values and attributes to every
// sequence and optional operator: each call returns values or an error
// naming the node, never panics, and never changes its inputs.
func TestSequenceOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2))
	opsets := []int64{11, 15, 17, 18, 21, 24}
	succeeded := map[string]int{}
	for it := 0; it < 20000; it++ {
		opName := sequenceFuzzOps[r.IntN(len(sequenceFuzzOps))]
		opset := opsets[r.IntN(len(opsets))]
		op, err := operators.Lookup("", opName, opset)
		if err != nil {
			continue
		}
		nIn := r.IntN(4)
		n := newNode(opName, nIn, 1, fuzzAttrs(r, fuzzAttrSpec{
			names: []string{"axis", "new_axis", "keepdims", "dtype"}, oneIn: 3, ints: 9, strs: []string{"x"},
		})...)
		in := make([]*graph.Value, nIn)
		for i := range in {
			in[i] = sequenceFuzzValue(r)
			if in[i] == nil {
				n.Inputs[i] = ""
			}
		}
		before := make([]string, len(in))
		wellFormed := true
		for i, v := range in {
			before[i] = valueDump(v)
			wellFormed = wellFormed && (v == nil || v.Check() == nil)
		}
		ok := func() (ok bool) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s at opset %d on %v: panic: %v", opName, opset, in, p)
				}
			}()
			k, err := op.BuildValues(n, opset)
			if err != nil {
				require.Contains(t, err.Error(), n.Name, "%s: build error does not name the node", opName)
				return false
			}
			outs, err := k(&operators.Env{}, in)
			if err != nil {
				require.Contains(t, err.Error(), n.Name, "%s: error does not name the node", opName)
				return false
			}
			require.Len(t, outs, 1)
			if wellFormed {
				// A malformed input may pass through (Identity-like).
				require.NoError(t, outs[0].Check(), "%s at opset %d on %v", opName, opset, in)
			}
			return true
		}()
		for i, v := range in {
			require.Equal(t, before[i], valueDump(v), "%s at opset %d changed input %d", opName, opset, i)
		}
		if ok {
			succeeded[opName]++
		}
	}
	for _, op := range sequenceFuzzOps {
		assert.NotZero(t, succeeded[op], "%s never ran successfully on random inputs", op)
	}
	t.Logf("successful random runs per operator: %v", succeeded)
}

// valueDump describes v completely (kinds, shapes, element values).
func valueDump(v *graph.Value) string {
	if v == nil {
		return "nil"
	}
	var b strings.Builder
	b.WriteString(v.String())
	v.Tensors(func(t *ops.Tensor) { fmt.Fprint(&b, t.Data) })
	return b.String()
}
