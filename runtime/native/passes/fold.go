package passes

import (
	"context"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// maxFoldElements bounds the size of one folded constant, so folding an
// Expand or Tile cannot blow up the model's memory.
const maxFoldElements = 1 << 22

// FoldConstants evaluates the nodes whose inputs are all constant with the
// registered kernels and replaces them by initializers; see foldConstants.
var FoldConstants = Pass{
	Name: "fold-constants",
	Doc:  "nodes computable from constants (after shape inference) replaced by initializers",
	Run:  foldConstants,
}

// foldConstants folds a copy of g with foldGraph, evaluating nodes with the
// registered kernels (evalNode). The typed stage runs first (on the copy)
// so Shape nodes of statically shaped values fold too; a contradiction it
// finds is an error naming the node. Nodes whose kernel fails are kept, so
// the error surfaces at run time with full context.
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
	typed, err := operators.Infer(&mc)
	if err != nil {
		return nil, err
	}
	eval := func(n *graph.Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
		return evalNode(m, n, in), nil
	}
	if _, err := foldGraph(&ng, typed, eval); err != nil {
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
	b, err := operators.KernelBuilder(n.Domain, n.OpType, opset)
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
