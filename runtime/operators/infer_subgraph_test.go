package operators_test

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	_ "github.com/latent-ml/latent/runtime/native" // the control-flow operators' rules
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loopModel is a Loop over one loop-carried value (carried, declared
// carriedType) whose body runs nodes; the main graph holds x (float32
// [2,3]) and the int64 constant shape = [5, 5].
func loopModel(carried string, carriedType graph.ValueInfo, bodyOut string, nodes ...*graph.Node) *graph.Model {
	carriedType.Name = carried
	outType := carriedType
	outType.Name = bodyOut
	body := &graph.Graph{
		Name:    "body",
		Inputs:  []graph.ValueInfo{tvi("i", ops.Int64), tvi("c", ops.Bool), carriedType},
		Outputs: []graph.ValueInfo{{Name: "c"}, outType},
		Nodes:   nodes,
	}
	g := &graph.Graph{
		Inputs: []graph.ValueInfo{tvi("M", ops.Int64), tvi("x", ops.Float32, 2, 3), carriedType},
		Initializers: map[string]*ops.Tensor{
			"shape": ops.FromInt64([]int{2}, []int64{5, 5}),
		},
		Outputs:   []graph.ValueInfo{{Name: "out"}},
		ValueInfo: map[string]graph.ValueInfo{},
		Nodes: []*graph.Node{
			op("Loop", []string{"M", "", carried}, []string{"out"}, &graph.Attr{Name: "body", Type: graph.AttrGraph, G: body}),
		},
	}
	return &graph.Model{Opsets: map[string]int64{"": 19}, Graph: g}
}

// The typed stage checks Loop bodies with the main graph's values in
// scope (their types and constants), lets a body's own names shadow them,
// and records nothing of the body in the model.
func TestInferSubgraphs(t *testing.T) {
	t.Run("outer types reach the body", func(t *testing.T) {
		// v + shape: float32 + the outer int64 constant.
		m := loopModel("v", tvi("", ops.Float32, 2, 3), "w",
			op("Add", []string{"v", "shape"}, []string{"w"}))
		wantErr(t, operators.InferShapes(m), "node Loop -> out: subgraph body: node Add -> w", "int64")
	})
	t.Run("outer constants reach the body", func(t *testing.T) {
		// x has 6 elements: the outer shape [5, 5] cannot hold them.
		m := loopModel("v", tvi("", ops.Float32, 5, 5), "w",
			op("Reshape", []string{"x", "shape"}, []string{"w"}))
		wantErr(t, operators.InferShapes(m), "subgraph body: node Reshape -> w")
	})
	t.Run("a body input shadows an outer constant", func(t *testing.T) {
		// The body's own input named shape is any int64 vector, not [5, 5].
		m := loopModel("shape", tvi("", ops.Int64, 2), "shape_out",
			op("Reshape", []string{"x", "shape"}, []string{"r"}),
			op("Shape", []string{"r"}, []string{"shape_out"}))
		require.NoError(t, operators.InferShapes(m))
		assert.NotContains(t, m.Graph.ValueInfo, "r", "body values stay out of the main graph's value_info")
	})
	t.Run("a body output of unknown type shadows an outer value", func(t *testing.T) {
		// The body's x comes from an operator of a domain the model does
		// not import, so its type is unknown; the outer x (float32) must
		// not stand in for it.
		unknown := op("Mystery", []string{"v"}, []string{"x"})
		unknown.Domain = "com.example"
		m := loopModel("v", tvi("", ops.Int64, 2), "w",
			unknown,
			op("Add", []string{"v", "x"}, []string{"w"}))
		require.NoError(t, operators.InferShapes(m))
	})
	t.Run("nested bodies see every enclosing graph", func(t *testing.T) {
		inner := &graph.Graph{
			Name:    "then",
			Outputs: []graph.ValueInfo{{Name: "t"}},
			Nodes:   []*graph.Node{op("Add", []string{"v", "shape"}, []string{"t"})},
		}
		els := &graph.Graph{
			Name:    "else",
			Outputs: []graph.ValueInfo{{Name: "e"}},
			Nodes:   []*graph.Node{op("Identity", []string{"v"}, []string{"e"})},
		}
		m := loopModel("v", tvi("", ops.Float32, 2), "w",
			op("If", []string{"c"}, []string{"w"},
				&graph.Attr{Name: "then_branch", Type: graph.AttrGraph, G: inner},
				&graph.Attr{Name: "else_branch", Type: graph.AttrGraph, G: els}))
		wantErr(t, operators.InferShapes(m), "subgraph body: node If -> w: subgraph then_branch: node Add -> t", "int64")
	})
}
