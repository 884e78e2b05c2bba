package passes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the folding engine (foldGraph) with a hand-written evaluator;
// fold_test.go runs the pass with the real kernels.

// fakeEval implements, by hand and only for int64/float32 vectors, the few
// operators the folding tests use. It records which nodes it evaluated.
type fakeEval struct{ calls []string }

func (f *fakeEval) eval(n *graph.Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
	f.calls = append(f.calls, n.OpType)
	switch n.OpType {
	case "Constant":
		return []*ops.Tensor{n.Attrs["value"].T}, nil
	case "Add":
		a, b := in[0], in[1]
		if !ops.SameShape(a.Shape, b.Shape) {
			return nil, fmt.Errorf("fake Add needs equal shapes")
		}
		switch a.DType {
		case ops.Float32:
			out := make([]float32, a.Len())
			for i := range out {
				out[i] = a.F32()[i] + b.F32()[i]
			}
			return []*ops.Tensor{ops.FromFloat32(a.Shape, out)}, nil
		case ops.Int64:
			out := make([]int64, a.Len())
			for i := range out {
				out[i] = a.I64()[i] + b.I64()[i]
			}
			return []*ops.Tensor{ops.FromInt64(a.Shape, out)}, nil
		}
	case "Gather": // 1-D data, scalar index, axis 0
		idx := in[1].I64()[0]
		return []*ops.Tensor{ops.FromInt64(nil, []int64{in[0].I64()[idx]})}, nil
	case "Unsqueeze": // scalar → [1]
		return []*ops.Tensor{ops.FromInt64([]int{1}, []int64{in[0].I64()[0]})}, nil
	case "Concat": // 1-D int64
		var out []int64
		for _, t := range in {
			out = append(out, t.I64()...)
		}
		return []*ops.Tensor{ops.FromInt64([]int{len(out)}, out)}, nil
	case "Fail":
		return nil, errors.New("kernel exploded")
	case "Decline":
		return nil, nil
	case "NoOutput":
		return []*ops.Tensor{nil}, nil
	}
	return nil, fmt.Errorf("fake eval has no %s", n.OpType)
}

func i64(v ...int64) *ops.Tensor { return ops.FromInt64([]int{len(v)}, v) }

// valueOf is a value of element type dt and shape dims (ints are sizes,
// strings symbols).
func valueOf(name string, dt ops.DType, dims ...any) graph.ValueInfo {
	s := make(graph.Shape, len(dims))
	for i, d := range dims {
		switch v := d.(type) {
		case int:
			s[i] = graph.Dim{Value: int64(v)}
		case string:
			s[i] = graph.Dim{Value: -1, Param: v}
		}
	}
	return graph.ValueInfo{Name: name, DType: dt, Shape: s, HasShape: true}
}

func node(typ string, ins, outs []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{OpType: typ, Inputs: ins, Outputs: outs, Attrs: map[string]*graph.Attr{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

func modelOf(inputs []graph.ValueInfo, inits map[string]*ops.Tensor, nodes ...*graph.Node) *graph.Model {
	if inits == nil {
		inits = map[string]*ops.Tensor{}
	}
	g := &graph.Graph{Inputs: inputs, Initializers: inits, Nodes: nodes, ValueInfo: map[string]graph.ValueInfo{}}
	g.Outputs = []graph.ValueInfo{{Name: nodes[len(nodes)-1].Outputs[0]}}
	return &graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}
}

// flattenChain is the PyTorch x.view(x.size(0), -1) pattern.
func flattenChain(batch any) *graph.Model {
	inits := map[string]*ops.Tensor{"zero": ops.FromInt64(nil, []int64{0}), "minus1": i64(-1)}
	return modelOf([]graph.ValueInfo{valueOf("x", ops.Float32, batch, 4, 2, 2)}, inits,
		node("Shape", []string{"x"}, []string{"s"}),
		node("Constant", nil, []string{"ax"}, &graph.Attr{Name: "value", Type: graph.AttrTensor, T: i64(0)}),
		node("Gather", []string{"s", "zero"}, []string{"b"}, &graph.Attr{Name: "axis", Type: graph.AttrInt}),
		node("Unsqueeze", []string{"b", "ax"}, []string{"bu"}),
		node("Concat", []string{"bu", "minus1"}, []string{"shape"}, &graph.Attr{Name: "axis", Type: graph.AttrInt}),
		node("Reshape", []string{"x", "shape"}, []string{"y"}),
	)
}

func opTypes(nodes []*graph.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.OpType)
	}
	return out
}

func TestFoldStaticReshapeChain(t *testing.T) {
	m := flattenChain(3)
	typed, err := operators.Infer(m)
	require.NoError(t, err)
	f := &fakeEval{}
	n, err := foldGraph(m.Graph, typed, f.eval)
	require.NoError(t, err)
	assert.Equal(t, 5, n, "folded nodes (Shape, Constant, Gather, Unsqueeze, Concat)")
	g := m.Graph
	require.Equal(t, []string{"Reshape"}, opTypes(g.Nodes))
	shape := g.Initializers["shape"]
	require.NotNil(t, shape)
	assert.Equal(t, []int64{3, -1}, shape.I64())
	assert.Equal(t, []int{2}, shape.Shape)
	// Shape folds from the typed stage's values; the rest with eval.
	assert.Equal(t, "Constant,Gather,Unsqueeze,Concat", strings.Join(f.calls, ","))
	// Intermediate constants nobody reads any more are gone.
	for _, gone := range []string{"zero", "minus1", "s", "ax", "b", "bu"} {
		assert.NotContains(t, g.Initializers, gone, "initializer left behind")
	}
	assert.Equal(t, []string{"shape"}, g.InitOrder)
	vi := g.ValueInfo["shape"]
	assert.Equal(t, ops.Int64, vi.DType)
	assert.Equal(t, "[2]", vi.Shape.String())
	assert.NoError(t, g.Validate(), "folded graph")
	_, err = graph.Encode(m)
	assert.NoError(t, err, "the folded model still encodes")
}

func TestFoldKeepsSymbolicChain(t *testing.T) {
	m := flattenChain("batch")
	typed, err := operators.Infer(m)
	require.NoError(t, err)
	f := &fakeEval{}
	n, err := foldGraph(m.Graph, typed, f.eval)
	require.NoError(t, err)
	// Only the Constant node folds: Shape of [batch,4,2,2] is not static.
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"Constant"}, f.calls)
	assert.Len(t, m.Graph.Nodes, 5)
	assert.Contains(t, m.Graph.Initializers, "zero", "initializer zero (still used) was removed")
}

func TestFoldFixedPointAndLimits(t *testing.T) {
	one := ops.FromFloat32([]int{2}, []float32{1, 2})
	inits := map[string]*ops.Tensor{"a": one, "b": ops.FromFloat32([]int{2}, []float32{10, 20}), "over": one}
	// Listed out of order: a2 needs a1's output.
	m := modelOf([]graph.ValueInfo{valueOf("x", ops.Float32, 2)}, inits,
		node("Add", []string{"a1", "b"}, []string{"a2"}),
		node("Add", []string{"a", "b"}, []string{"a1"}),
		node("Add", []string{"a2", "x"}, []string{"dyn"}),
		node("RandomUniformLike", []string{"a"}, []string{"rnd"}),
		node("Add", []string{"over", "a"}, []string{"ov"}),
		node("Add", []string{"dyn", "ov"}, []string{"y"}),
	)
	m.Graph.OverridableInits = []graph.ValueInfo{valueOf("over", ops.Float32, 2)}
	m.Graph.Outputs = append(m.Graph.Outputs, graph.ValueInfo{Name: "rnd"})
	f := &fakeEval{}
	n, err := foldGraph(m.Graph, nil, f.eval)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "folded (the two constant Adds)")
	assert.Equal(t, []float32{21, 42}, m.Graph.Initializers["a2"].F32())
	var outs []string
	for _, nd := range m.Graph.Nodes {
		outs = append(outs, nd.Outputs[0])
	}
	assert.ElementsMatch(t, []string{"dyn", "rnd", "ov", "y"}, outs, "nodes left")
	assert.Contains(t, m.Graph.Initializers, "over", "overridable initializer removed")
	assert.NotContains(t, m.Graph.Initializers, "a1", "a1 is only read by a folded node and should be pruned")
	assert.Contains(t, m.Graph.Initializers, "a", "still read by RandomUniformLike and over's Add")
}

func TestFoldErrors(t *testing.T) {
	inits := map[string]*ops.Tensor{"a": i64(1)}
	m := modelOf(nil, inits, node("Fail", []string{"a"}, []string{"y"}))
	_, err := foldGraph(m.Graph, nil, (&fakeEval{}).eval)
	require.Error(t, err)
	assert.Equal(t, "fold constants: node Fail -> y: kernel exploded", err.Error())

	m = modelOf(nil, inits, node("NoOutput", []string{"a"}, []string{"y"}))
	_, err = foldGraph(m.Graph, nil, (&fakeEval{}).eval)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node NoOutput -> y")
	assert.Contains(t, err.Error(), "no tensor for output 0 (y)")

	// Declining keeps the node.
	m = modelOf(nil, inits, node("Decline", []string{"a"}, []string{"y"}))
	n, err := foldGraph(m.Graph, nil, (&fakeEval{}).eval)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Len(t, m.Graph.Nodes, 1)

	_, err = foldGraph(&graph.Graph{Nodes: []*graph.Node{nil}}, nil, (&fakeEval{}).eval)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node 0 is nil")
	_, err = foldGraph(m.Graph, nil, nil)
	assert.ErrorContains(t, err, "nil eval")
	_, err = foldGraph(nil, nil, (&fakeEval{}).eval)
	assert.ErrorContains(t, err, "nil graph")

	// Subgraph nodes and other domains are left alone even with constant inputs.
	m = modelOf(nil, map[string]*ops.Tensor{"c": ops.FromBool(nil, []bool{true})},
		&graph.Node{OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{
			"then_branch": {Name: "then_branch", Type: graph.AttrGraph, G: &graph.Graph{Outputs: []graph.ValueInfo{{Name: "c"}}}},
			"else_branch": {Name: "else_branch", Type: graph.AttrGraph, G: &graph.Graph{Outputs: []graph.ValueInfo{{Name: "c"}}}},
		}},
		&graph.Node{OpType: "Fail", Domain: "custom", Inputs: []string{"c"}, Outputs: []string{"z"}, Attrs: map[string]*graph.Attr{}},
	)
	n, err = foldGraph(m.Graph, nil, (&fakeEval{}).eval)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
}
