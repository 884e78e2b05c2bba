package passes

import (
	"context"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// Optimize returns an optimised copy of g (a graph of m): Identity and
// inference-mode Dropout nodes are removed, constant subgraphs are folded,
// constant per-feature scaling is folded into dense layers or fused into
// one Affine pass (FoldAffine), BatchNormalization is folded into a preceding convolution
// (FoldBatchNorm), then dense and convolution layers are fused with their
// activation (FuseLayers) and fused dense layers get their weights in the
// faster k×n layout (PrepackWeights).
// g and its nodes are not modified.
func Optimize(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
	out := DropPassThrough(g)
	folded, err := foldConstants(m, out)
	if err != nil {
		return nil, err
	}
	return PrepackWeights(FuseLayers(m, FoldBatchNorm(m, FoldAffine(m, folded)))), nil
}

// DropPassThrough returns a copy of g without Identity nodes and without
// Dropout nodes that run in inference mode (no mask output used, no
// training_mode input other than a false constant). Readers of a removed
// node's output read its input instead. A node is kept when its output is
// a graph output, when its input is a graph output (dropping it would alias
// two outputs), or when a subgraph refers to its output by name.
func DropPassThrough(g *graph.Graph) *graph.Graph {
	outputs := map[string]bool{}
	for _, o := range g.Outputs {
		outputs[o.Name] = true
	}
	inner := map[string]bool{}
	for _, n := range g.Nodes {
		collectSubgraphNames(n, inner)
	}

	rename := map[string]string{}
	resolve := func(name string) string {
		for {
			r, ok := rename[name]
			if !ok {
				return name
			}
			name = r
		}
	}
	ng := *g
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		if src, dst, ok := passThrough(g, n); ok {
			src = resolve(src)
			if !outputs[dst] && !outputs[src] && !inner[dst] {
				rename[dst] = src
				continue
			}
		}
		ng.Nodes = append(ng.Nodes, n)
	}
	if len(rename) == 0 {
		return &ng
	}
	for i, n := range ng.Nodes {
		changed := false
		for _, in := range n.Inputs {
			if _, ok := rename[in]; ok {
				changed = true
				break
			}
		}
		if !changed {
			continue
		}
		c := *n
		c.Inputs = make([]string, len(n.Inputs))
		for j, in := range n.Inputs {
			if in != "" {
				in = resolve(in)
			}
			c.Inputs[j] = in
		}
		ng.Nodes[i] = &c
	}
	return &ng
}

// passThrough reports whether n copies its only data input to its output
// unchanged at inference time, returning the input and output names.
func passThrough(g *graph.Graph, n *graph.Node) (src, dst string, ok bool) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return "", "", false
	}
	if len(n.Inputs) == 0 || n.Inputs[0] == "" || len(n.Outputs) == 0 || n.Outputs[0] == "" {
		return "", "", false
	}
	switch n.OpType {
	case "Identity":
		if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
			return "", "", false
		}
	case "Dropout":
		if len(n.Outputs) > 1 && n.Outputs[1] != "" {
			return "", "", false // the mask is used
		}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			t := g.Initializers[n.Inputs[2]]
			if t == nil || t.DType != ops.Bool || t.Len() != 1 || t.B()[0] {
				return "", "", false // training mode, or not known at plan time
			}
		}
		// opset < 7: is_test=0 means training mode.
		if n.Has("is_test") {
			if v, err := n.Int("is_test", 0); err != nil || v == 0 {
				return "", "", false
			}
		}
	default:
		return "", "", false
	}
	return n.Inputs[0], n.Outputs[0], true
}

// collectNames adds every value name a subgraph reads to names.
func collectNames(g *graph.Graph, names map[string]bool) {
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			names[in] = true
		}
		collectSubgraphNames(n, names)
	}
	for _, o := range g.Outputs {
		names[o.Name] = true
	}
}

// collectSubgraphNames adds every value name read inside n's subgraph
// attributes (not n's own inputs) to names.
func collectSubgraphNames(n *graph.Node, names map[string]bool) {
	for _, a := range n.Attrs {
		if a.G != nil {
			collectNames(a.G, names)
		}
		for _, sg := range a.Graphs {
			collectNames(sg, names)
		}
	}
}

// maxFoldElements bounds the size of one folded constant, so folding an
// Expand or Tile cannot blow up the model's memory.
const maxFoldElements = 1 << 22

// foldConstants folds a copy of g with graph.FoldConstants, evaluating
// nodes with the registered kernels (evalNode). Shapes are inferred first
// (on the copy) so Shape nodes of statically shaped values fold too; an
// inference failure only means fewer nodes fold. Nodes whose kernel fails
// are kept, so the error surfaces at run time with full context.
func foldConstants(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
	ng := *g
	ng.Nodes = append([]*graph.Node(nil), g.Nodes...)
	ng.Initializers = make(map[string]*ops.Tensor, len(g.Initializers)+8)
	for k, v := range g.Initializers {
		ng.Initializers[k] = v
	}
	ng.InitOrder = append([]string(nil), g.InitOrder...)
	ng.ValueInfo = make(map[string]graph.ValueInfo, len(g.ValueInfo))
	for k, v := range g.ValueInfo {
		ng.ValueInfo[k] = v
	}
	mc := *m
	mc.Graph = &ng
	_ = graph.InferShapes(&mc) // best effort: only enables more folding
	eval := func(n *graph.Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
		return evalNode(m, n, in), nil
	}
	if _, err := graph.FoldConstants(&ng, eval); err != nil {
		return nil, err
	}
	return &ng, nil
}

// evalNode runs one node on constant inputs, returning nil when it cannot
// (no kernel, a kernel error or panic, or an output too large to keep).
func evalNode(m *graph.Model, n *graph.Node, in []*ops.Tensor) (outs []*ops.Tensor) {
	opset, ok := operators.ImportedVersion(m, n.Domain)
	if !ok {
		return nil
	}
	b, err := operators.Lookup(n.Domain, n.OpType, opset)
	if err != nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			outs = nil
		}
	}()
	k, err := b(n, opset)
	if err != nil || k == nil {
		return nil
	}
	env := &operators.Env{Ctx: context.Background(), Rand: rand.New(rand.NewPCG(0, 0))}
	res, err := k(env, in)
	if err != nil || len(res) < len(n.Outputs) {
		return nil
	}
	for j, name := range n.Outputs {
		if name == "" {
			continue
		}
		if res[j].Validate() != nil || res[j].Len() > maxFoldElements {
			return nil
		}
	}
	return res
}
