package operators_test

import (
	"fmt"
	"log"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// The typed stage on a tiny encoder, y = Relu(x·Wᵀ + b), with a symbolic
// batch: every value gets its element type and shape, the batch symbol
// carried through.
func ExampleInferShapes() {
	batch := graph.Dim{Value: -1, Param: "batch"}
	m := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int64{"": 17},
		Graph: &graph.Graph{
			Inputs:  []graph.ValueInfo{{Name: "input", DType: ops.Float32, Shape: graph.Shape{batch, {Value: 3}}, HasShape: true}},
			Outputs: []graph.ValueInfo{{Name: "code"}},
			Initializers: map[string]*ops.Tensor{
				"W": ops.FromFloat32([]int{2, 3}, []float32{1, 0, 0, 0, 1, 0}),
				"b": ops.FromFloat32([]int{2}, []float32{0.5, -0.5}),
			},
			Nodes: []*graph.Node{
				{OpType: "Gemm", Inputs: []string{"input", "W", "b"}, Outputs: []string{"h"},
					Attrs: map[string]*graph.Attr{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}}},
				{OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"code"}},
			},
		},
	}
	if err := operators.InferShapes(m); err != nil {
		log.Fatal(err)
	}
	for _, n := range m.Graph.Nodes {
		out := m.Graph.ValueInfo[n.Outputs[0]]
		fmt.Printf("%s -> %s %v%s\n", n.OpType, out.Name, out.DType, out.Shape)
	}

	// A contradiction is an error naming the node: W's 3 columns do not
	// match an input of width 4.
	m.Graph.Inputs[0].Shape = graph.Shape{batch, {Value: 4}}
	m.Graph.ValueInfo = nil
	fmt.Println(operators.InferShapes(m))
	// Output:
	// Gemm -> h float32[batch,2]
	// Relu -> code float32[batch,2]
	// shape inference: node Gemm -> h: inner dimensions differ: A [batch,4] (transA=0) has K=4, B [2,3] (transB=1) has K=3
}
