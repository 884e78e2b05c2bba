package graph_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// A tiny encoder, y = Relu(x·Wᵀ + b) with a symbolic batch, built in memory,
// written as an ONNX file and read back. (runtime/operators' InferShapes
// example types its values.)
func Example() {
	w := ops.FromFloat32([]int{2, 3}, []float32{1, 0, 0, 0, 1, 0})
	b := ops.FromFloat32([]int{2}, []float32{0.5, -0.5})
	batch := graph.Dim{Value: -1, Param: "batch"}
	m := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int64{"": 17},
		Metadata:  []graph.MetadataEntry{{Key: "latent.kind", Value: "ae"}},
		Graph: &graph.Graph{
			Name:         "encoder",
			Inputs:       []graph.ValueInfo{{Name: "input", DType: ops.Float32, Shape: graph.Shape{batch, {Value: 3}}, HasShape: true}},
			Outputs:      []graph.ValueInfo{{Name: "code", DType: ops.Float32}},
			Initializers: map[string]*ops.Tensor{"W": w, "b": b},
			InitOrder:    []string{"W", "b"},
			Nodes: []*graph.Node{
				{OpType: "Gemm", Inputs: []string{"input", "W", "b"}, Outputs: []string{"h"},
					Attrs: map[string]*graph.Attr{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}}},
				{OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"code"}},
			},
		},
	}
	data, err := graph.Encode(m)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "encoder.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}

	back, err := graph.DecodeFile(path)
	if err != nil {
		log.Fatal(err)
	}
	kind, _ := back.MetadataValue("latent.kind")
	fmt.Println("kind:", kind, "opset:", back.Opset())
	in := back.Graph.Inputs[0]
	fmt.Printf("input %s %v%s\n", in.Name, in.DType, in.Shape)
	for _, n := range back.Graph.Nodes {
		fmt.Println(n.OpType, n.Inputs, "->", n.Outputs)
	}
	// Output:
	// kind: ae opset: 17
	// input input float32[batch,3]
	// Gemm [input W b] -> [h]
	// Relu [h] -> [code]
}

// Backend-test tensors (test_data_set_N/input_K.pb) are single TensorProto
// files.
func ExampleWriteTensorFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "input_0.pb")
	x := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	if err := graph.WriteTensorFile(path, "input", x); err != nil {
		log.Fatal(err)
	}
	name, t, err := graph.ReadTensorFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name, t, t.F32())
	// Output: input float32[2 2] [1 2 3 4]
}
