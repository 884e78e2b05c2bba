package passes

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// randomOps never fold: each run must draw fresh values. Dropout is left
// alone too (its training_mode input makes it random; the optimiser drops
// it in inference).
var randomOps = map[string]bool{
	"RandomNormal": true, "RandomUniform": true, "RandomNormalLike": true,
	"RandomUniformLike": true, "Multinomial": true, "Bernoulli": true, "Dropout": true,
}

// FoldConstants replaces nodes whose inputs are all constant — initializers
// that callers cannot override, or outputs of Constant nodes and of nodes
// folded earlier — by initializers holding their outputs, computed with
// eval (a backend passes its kernels in). Constant nodes themselves become
// initializers, and graph.Shape and Size nodes become initializers when the input
// shape is fully known from the graph's inputs, initializers or graph.ValueInfo
// (run InferShapes first), so the graph.Shape → Gather → Unsqueeze → Concat →
// Reshape chains exporters emit collapse when shapes are static.
//
// It repeats until nothing more folds and returns the number of nodes
// removed. Random operators, nodes with subgraphs and nodes of other
// domains are never folded. Initializers only the folded nodes used are
// removed. eval may decline a node (an operator it lacks, an output too
// large to keep) by returning a nil slice and nil error: the node stays.
// An error from eval is returned naming the node.
func foldGraph(g *graph.Graph, typed *operators.Typed, eval func(n *graph.Node, in []*ops.Tensor) ([]*ops.Tensor, error)) (int, error) {
	if g == nil {
		return 0, errors.New("fold constants: nil graph")
	}
	if eval == nil {
		return 0, errors.New("fold constants: nil eval function")
	}
	if g.Initializers == nil {
		g.Initializers = map[string]*ops.Tensor{}
	}
	if g.ValueInfo == nil {
		g.ValueInfo = map[string]graph.ValueInfo{}
	}
	overridable := map[string]bool{}
	for _, vi := range g.OverridableInits {
		overridable[vi.Name] = true
	}
	isConst := func(name string) bool {
		_, ok := g.Initializers[name]
		return ok && !overridable[name]
	}
	order, err := g.Order()
	if err != nil {
		return 0, fmt.Errorf("fold constants: %w", err)
	}
	g.Nodes = order
	candidates := map[string]bool{} // inputs of folded nodes, maybe now unused
	total := 0
	for {
		folded := 0
		kept := g.Nodes[:0:0]
		for _, n := range g.Nodes {
			outs, err := foldNode(g, typed, n, isConst, eval)
			if err != nil {
				return total + folded, fmt.Errorf("fold constants: node %s: %w", n.Label(), err)
			}
			if outs == nil {
				kept = append(kept, n)
				continue
			}
			for i, name := range n.Outputs {
				if name == "" {
					continue
				}
				t := outs[i]
				g.Initializers[name] = t
				g.InitOrder = append(g.InitOrder, name)
				vi := graph.TensorInfo(name, t)
				vi.DocString = g.ValueInfo[name].DocString
				g.ValueInfo[name] = vi
			}
			for _, in := range n.Inputs {
				if in != "" {
					candidates[in] = true
				}
			}
			folded++
		}
		g.Nodes = kept
		total += folded
		if folded == 0 {
			break
		}
	}
	pruneInitializers(g, candidates, overridable)
	return total, nil
}

// foldNode returns the outputs of n if it can be folded, nil otherwise.
func foldNode(g *graph.Graph, typed *operators.Typed, n *graph.Node, isConst func(string) bool, eval func(*graph.Node, []*ops.Tensor) ([]*ops.Tensor, error)) ([]*ops.Tensor, error) {
	if (n.Domain != graph.DefaultDomain && n.Domain != "ai.onnx") || randomOps[n.OpType] {
		return nil, nil
	}
	for _, a := range n.Attrs {
		if a != nil && (a.G != nil || len(a.Graphs) > 0) {
			return nil, nil
		}
	}
	switch n.OpType {
	case "Constant":
		outs, err := eval(n, nil)
		if err != nil || outs == nil {
			return nil, err
		}
		return checkFolded(n, outs)
	case "Shape", "Size":
		if len(n.Outputs) != 1 || n.Outputs[0] == "" || typed == nil {
			break
		}
		vals, ok := typed.Ints(n.Outputs[0])
		if !ok {
			break // maybe the input itself is constant: eval below
		}
		if n.OpType == "Size" {
			return checkFolded(n, []*ops.Tensor{ops.FromInt64(nil, vals)})
		}
		return checkFolded(n, []*ops.Tensor{ops.FromInt64([]int{len(vals)}, vals)})
	}
	in := make([]*ops.Tensor, len(n.Inputs))
	has := false
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		if !isConst(name) {
			return nil, nil
		}
		in[i] = g.Initializers[name]
		has = true
	}
	if !has {
		return nil, nil
	}
	outs, err := eval(n, in)
	if err != nil || outs == nil {
		return nil, err
	}
	return checkFolded(n, outs)
}

// checkFolded verifies that every named output got a valid tensor.
func checkFolded(n *graph.Node, outs []*ops.Tensor) ([]*ops.Tensor, error) {
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return nil, fmt.Errorf("evaluation gave no tensor for output %d (%s)", i, name)
		}
		if err := outs[i].Validate(); err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
	}
	return outs, nil
}

// pruneInitializers drops candidate initializers nothing reads any more.
func pruneInitializers(g *graph.Graph, candidates, keep map[string]bool) {
	if len(candidates) == 0 {
		return
	}
	used := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.NodeInputs() {
			used[in] = true
		}
	}
	for _, o := range g.Outputs {
		used[o.Name] = true
	}
	removed := false
	for name := range candidates {
		if _, ok := g.Initializers[name]; ok && !used[name] && !keep[name] {
			delete(g.Initializers, name)
			delete(g.ValueInfo, name)
			removed = true
		}
	}
	if removed {
		order := g.InitOrder[:0:0]
		for _, name := range g.InitOrder {
			if _, ok := g.Initializers[name]; ok {
				order = append(order, name)
			}
		}
		g.InitOrder = order
	}
}
