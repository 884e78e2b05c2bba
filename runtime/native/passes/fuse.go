package passes

import (
	"math"

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
//	Gemm → act                  FusedGemm  (act: see matchActivation)
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
	consts := newAffineScan(g)
	isDefault := func(n *graph.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }

	// Visit candidate tails last to first, so that an activation claims its
	// MatMul+Add before the Add is considered as a tail of its own.
	absorbed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{} // tail node → fused node
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		tail := g.Nodes[i]
		// Tails are ai.onnx nodes, or the Gelu fuse-gelu writes.
		fusedGelu := tail.Domain == operators.FusedDomain && tail.OpType == "Gelu"
		if absorbed[tail] || !isDefault(tail) && !fusedGelu || len(tail.Outputs) != 1 || tail.Outputs[0] == "" {
			continue
		}
		head, act := tail, matchActivation(tail, opset, readers, producer, consts)
		if act != nil {
			p := producer[tail.Inputs[0]]
			if act.x != "" {
				p = producer[act.x]
			}
			if p == nil || !isDefault(p) || absorbed[p] || len(p.Outputs) != 1 {
				continue
			}
			if act.sigmoid != nil && absorbed[act.sigmoid] {
				continue
			}
			head = p
		} else if kernels.FusableActivation(tail.OpType) || tail.OpType == "Mul" {
			continue
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
		if act != nil && act.sigmoid != nil {
			absorbed[act.sigmoid] = true
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
func fusedNode(head *graph.Node, inputs []string, act *actMatch, out string, opset int64, matmul bool) *graph.Node {
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
		f.Attrs["activation"] = &graph.Attr{Name: "activation", Type: graph.AttrString, S: []byte(act.name)}
		f.Attrs["act_name"] = &graph.Attr{Name: "act_name", Type: graph.AttrString, S: []byte(act.node.Name)}
		if act.alpha != nil {
			f.Attrs["activation_alpha"] = &graph.Attr{Name: "activation_alpha", Type: graph.AttrFloat, F: *act.alpha}
		}
		if act.beta != nil {
			f.Attrs["activation_beta"] = &graph.Attr{Name: "activation_beta", Type: graph.AttrFloat, F: *act.beta}
		}
	}
	for _, k := range []string{"alpha", "beta", "transA", "transB"} {
		if _, ok := f.Attrs[k]; ok {
			f.AttrOrder = append(f.AttrOrder, k)
		}
	}
	return f
}

// actMatch is an activation found after a layer: its fused name (a
// kernels.FusableActivation), the node that ends it, its parameters when
// set, and for the x·Sigmoid(x) and x·HardSigmoid(x) patterns the layer
// output x and the Sigmoid/HardSigmoid node the fusion also absorbs.
type actMatch struct {
	name        string
	node        *graph.Node
	alpha, beta *float32
	x           string
	sigmoid     *graph.Node
}

// matchActivation recognises the activation that tail ends, reading its
// input from a layer:
//
//	Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish   the operator
//	Clip(x, min, max)            min and max attributes or constant scalars (Relu6 is Clip(x, 0, 6))
//	Mul(x, Sigmoid(x))           Silu (PyTorch's SiLU as the exporters write it), either operand order
//	Mul(x, HardSigmoid(x))       HardSwish, when alpha is 1/6 and beta 1/2
//	Gelu                         fuse-gelu's node (latent domain), or ai.onnx Gelu (GeluTanh with approximate=tanh)
//
// The layer output x must have no other readers than the pattern's own
// nodes. It returns nil when tail is none of these.
func matchActivation(tail *graph.Node, opset int64, readers map[string]int, producer map[string]*graph.Node, consts *affineScan) *actMatch {
	attr := func(n *graph.Node, k string) *float32 {
		if a, ok := n.Attrs[k]; ok && a.Type == graph.AttrFloat {
			v := a.F
			return &v
		}
		return nil
	}
	isDefault := func(n *graph.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }
	if tail.OpType == "Gelu" && (isDefault(tail) || tail.Domain == operators.FusedDomain) {
		if len(tail.Inputs) != 1 || tail.Inputs[0] == "" || readers[tail.Inputs[0]] != 1 {
			return nil
		}
		switch a, ok := tail.Attrs["approximate"]; {
		case !ok || string(a.S) == "none":
			return &actMatch{name: "Gelu", node: tail}
		case string(a.S) == "tanh":
			return &actMatch{name: "GeluTanh", node: tail}
		}
		return nil
	}
	if !isDefault(tail) || len(tail.Inputs) == 0 || tail.Inputs[0] == "" || readers[tail.Inputs[0]] != 1 && tail.OpType != "Mul" {
		return nil
	}
	switch tail.OpType {
	case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish":
		if len(tail.Inputs) != 1 {
			return nil
		}
		return &actMatch{name: tail.OpType, node: tail, alpha: attr(tail, "alpha"), beta: attr(tail, "beta")}
	case "Clip":
		m := &actMatch{name: "Clip", node: tail}
		if opset < 11 {
			m.alpha, m.beta = attr(tail, "min"), attr(tail, "max")
			return m
		}
		for i := 1; i < len(tail.Inputs) && i < 3; i++ {
			if tail.Inputs[i] == "" {
				continue
			}
			t := consts.constF32(tail.Inputs[i])
			if t == nil || t.Len() != 1 {
				return nil
			}
			v := t.F32()[0]
			if i == 1 {
				m.alpha = &v
			} else {
				m.beta = &v
			}
		}
		if len(tail.Inputs) > 3 {
			return nil
		}
		return m
	case "Mul":
		if len(tail.Inputs) != 2 {
			return nil
		}
		for j, in := range tail.Inputs {
			s, x := producer[in], tail.Inputs[1-j]
			if s == nil || !isDefault(s) || len(s.Inputs) != 1 || s.Inputs[0] != x || len(s.Outputs) != 1 ||
				readers[in] != 1 || readers[x] != 2 || x == in {
				continue
			}
			switch s.OpType {
			case "Sigmoid":
				return &actMatch{name: "Silu", node: tail, x: x, sigmoid: s}
			case "HardSigmoid":
				a, b := attr(s, "alpha"), attr(s, "beta")
				if a != nil && b != nil && math.Abs(float64(*a)-1.0/6) < 1e-6 && *b == 0.5 {
					return &actMatch{name: "HardSwish", node: tail, x: x, sigmoid: s}
				}
			}
		}
	}
	return nil
}
