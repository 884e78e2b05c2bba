package passes

import (
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/kernels"
	"github.com/latent-ml/latent/runtime/operators"
)

// FuseLayers fuses dense and convolution layers with their activation;
// see fuseLayers.
var FuseLayers = Pass{
	Name: "fuse-layers",
	Doc:  "Gemm, MatMul+Add, Conv and ConvTranspose fused with the activation after them",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return fuseLayers(m, g), nil
	},
}

// fuseLayers returns a copy of g in which the layer patterns exporters
// write become one node of domain operators.FusedDomain:
//
//	Gemm → act                  FusedGemm  (act: Relu, LeakyRelu, Sigmoid, Tanh)
//	MatMul → Add(bias) [→ act]  FusedGemm
//	Conv → act                  FusedConv
//	ConvTranspose → act         FusedConvTranspose
//
// A pattern is fused only when each intermediate value has that single
// reader and is neither a graph output nor used by a subgraph. FusedGemm
// computes act(A·B + bias) in one pass with ops.GemmEpilogue when the
// run-time shapes allow (float32, 2-D A and B, 1-D bias, alpha = beta = 1);
// FusedConv and FusedConvTranspose apply the activation inside ops.Conv
// and ops.ConvTranspose for float32. Otherwise
// both run the original kernels one after the other, so results never
// depend on whether fusion happened. g is not modified.
func fuseLayers(m *graph.Model, g *graph.Graph) *graph.Graph {
	opset, ok := operators.ImportedVersion(m, "")
	if !ok {
		return g
	}
	// readers counts every read, including repeated ones (Add(m, m)) and
	// those inside subgraphs.
	readers := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			readers[in]++
		}
		if n.HasSubgraph() {
			for _, in := range n.NodeInputs() {
				readers[in]++
			}
		}
	}
	for _, o := range g.Outputs {
		readers[o.Name] += 2 // never fuse away a graph output
	}
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	single := func(name string) bool { return name != "" && readers[name] == 1 }
	isDefault := func(n *graph.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }

	// Visit candidate tails last to first, so that an activation claims its
	// MatMul+Add before the Add is considered as a tail of its own.
	absorbed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{} // tail node → fused node
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		tail := g.Nodes[i]
		if absorbed[tail] || !isDefault(tail) || len(tail.Outputs) != 1 || tail.Outputs[0] == "" {
			continue
		}
		head, act := tail, (*graph.Node)(nil)
		if kernels.FusableActivation(tail.OpType) {
			if len(tail.Inputs) != 1 {
				continue
			}
			p := producer[tail.Inputs[0]]
			if p == nil || !single(tail.Inputs[0]) || !isDefault(p) || absorbed[p] || len(p.Outputs) != 1 {
				continue
			}
			head, act = p, tail
		}
		var fused *graph.Node
		switch head.OpType {
		case "Gemm":
			if act == nil || len(head.Inputs) < 2 {
				continue // a lone Gemm gains nothing
			}
			fused = fusedNode(head, head.Inputs, act, tail.Outputs[0], opset, false)
		case "Conv":
			if act == nil || len(head.Inputs) < 2 {
				continue
			}
			fused = fusedNode(head, head.Inputs, act, tail.Outputs[0], opset, false)
			fused.OpType = "FusedConv"
		case "ConvTranspose":
			if act == nil || len(head.Inputs) < 2 {
				continue
			}
			fused = fusedNode(head, head.Inputs, act, tail.Outputs[0], opset, false)
			fused.OpType = "FusedConvTranspose"
		case "Add":
			if len(head.Inputs) != 2 {
				continue
			}
			var mm *graph.Node
			bias := ""
			for j, in := range head.Inputs {
				if p := producer[in]; p != nil && p.OpType == "MatMul" && isDefault(p) && single(in) && !absorbed[p] && len(p.Inputs) == 2 && len(p.Outputs) == 1 {
					mm, bias = p, head.Inputs[1-j]
					break
				}
			}
			if mm == nil || bias == "" || bias == mm.Outputs[0] {
				continue
			}
			fused = fusedNode(mm, []string{mm.Inputs[0], mm.Inputs[1], bias}, act, tail.Outputs[0], opset, true)
			fused.Attrs["add_name"] = &graph.Attr{Name: "add_name", Type: graph.AttrString, S: []byte(head.Name)}
			absorbed[mm] = true
		default:
			continue
		}
		if head != tail {
			absorbed[head] = true
		}
		replace[tail] = fused
	}
	if len(replace) == 0 {
		return g
	}
	ng := *g
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		if f, ok := replace[n]; ok {
			ng.Nodes = append(ng.Nodes, f)
			continue
		}
		if absorbed[n] {
			continue
		}
		ng.Nodes = append(ng.Nodes, n)
	}
	return &ng
}

// fusedNode builds the FusedGemm node for a Gemm or MatMul head, carrying
// the head's attributes, the activation and the default-domain opset the
// fallback kernels are built at.
func fusedNode(head *graph.Node, inputs []string, act *graph.Node, out string, opset int64, matmul bool) *graph.Node {
	f := &graph.Node{
		Name:    head.Name,
		OpType:  "FusedGemm",
		Domain:  operators.FusedDomain,
		Inputs:  append([]string(nil), inputs...),
		Outputs: []string{out},
		Attrs:   map[string]*graph.Attr{},
	}
	for k, v := range head.Attrs {
		f.Attrs[k] = v
	}
	f.Attrs["opset"] = &graph.Attr{Name: "opset", Type: graph.AttrInt, I: opset}
	if matmul {
		f.Attrs["matmul"] = &graph.Attr{Name: "matmul", Type: graph.AttrInt, I: 1}
	}
	if act != nil {
		f.Attrs["activation"] = &graph.Attr{Name: "activation", Type: graph.AttrString, S: []byte(act.OpType)}
		f.Attrs["act_name"] = &graph.Attr{Name: "act_name", Type: graph.AttrString, S: []byte(act.Name)}
		if a, ok := act.Attrs["alpha"]; ok {
			f.Attrs["activation_alpha"] = &graph.Attr{Name: "activation_alpha", Type: graph.AttrFloat, F: a.F}
		}
	}
	for _, k := range []string{"alpha", "beta", "transA", "transB"} {
		if _, ok := f.Attrs[k]; ok {
			f.AttrOrder = append(f.AttrOrder, k)
		}
	}
	return f
}
