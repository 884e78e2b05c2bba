package passes

import (
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// RemovePassThrough removes Identity nodes and inference-mode Dropout
// nodes; see removePassThrough.
var RemovePassThrough = Pass{
	Name: "remove-passthrough",
	Doc:  "Identity and inference-mode Dropout nodes removed, readers rewired to their input",
	Run: func(_ *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return removePassThrough(g), nil
	},
}

// removePassThrough returns a copy of g without Identity nodes and without
// Dropout nodes that run in inference mode (no mask output used, no
// training_mode input other than a false constant). Readers of a removed
// node's output read its input instead. A node is kept when its output is
// a graph output, when its input is a graph output (dropping it would alias
// two outputs), or when a subgraph refers to its output by name.
func removePassThrough(g *graph.Graph) *graph.Graph {
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
