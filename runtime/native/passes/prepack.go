package passes

import (
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// prepackMinCols is the fewest outputs (columns of B) a layer needs to be
// prepacked. Below it the batch-1 product is faster as dot products on the
// n×k layout (one row of A against each weight row) than streamed through
// k×n with one accumulator per 16 outputs: 0.14 against 0.35 µs for
// 256→16, 0.79 against 2.1 µs for 1568→16; from 32 outputs on the two are
// even (0.97 against 0.89 µs for 784→32) and wider layers gain. Batch 64
// gains little from packing narrow layers (2.6 against 5.5 µs for
// 256→16, and 784→8 loses), and batch 1 is the latency that matters.
const prepackMinCols = 32

// PrepackWeights stores the constant weights of wide dense layers in the
// faster k×n layout; see prepackWeights.
var PrepackWeights = Pass{
	Name: "prepack-weights",
	Doc:  "constant weights of Gemm layers with 32 or more outputs stored k×n",
	Run: func(_ *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return prepackWeights(g), nil
	},
}

// prepackWeights returns a copy of g in which every Gemm or FusedGemm node
// (built from a Gemm) with transB=1 (the PyTorch Linear layout, weights
// stored n×k) and a constant float32 B reads a transposed copy of B (k×n)
// with transB=0 instead. The untransposed layout streams B along its rows and
// is the faster kernel, most of all at batch 1 where the product is a
// matrix-vector one (see BENCHMARKS.md "Gemm": ~94 against ~57
// GFLOPS). Nodes sharing a weight share its transposed copy, and the
// original initializer is dropped when nothing else reads it.
//
// Layers narrower than prepackMinCols outputs keep their layout.
//
// Run it after fuseLayers. g, its nodes and its initializers are not
// modified.
func prepackWeights(g *graph.Graph) *graph.Graph {
	overridable := map[string]bool{}
	for _, vi := range g.OverridableInits {
		overridable[vi.Name] = true
	}
	for _, vi := range g.Inputs {
		overridable[vi.Name] = true
	}
	candidate := func(n *graph.Node) (*ops.Tensor, bool) {
		switch {
		case n.Domain == operators.FusedDomain && n.OpType == "FusedGemm":
			if mm, err := n.Int("matmul", 0); err != nil || mm != 0 {
				return nil, false
			}
		case n.Domain == "" && n.OpType == "Gemm":
			// A layer without activation (an autoencoder's linear code
			// layer) stays a plain Gemm: the same layout serves it.
		default:
			return nil, false
		}
		if len(n.Inputs) < 2 {
			return nil, false
		}
		ta, err1 := n.Int("transA", 0)
		tb, err2 := n.Int("transB", 0)
		if err1 != nil || err2 != nil || ta != 0 || tb == 0 {
			return nil, false
		}
		name := n.Inputs[1]
		if name == "" || overridable[name] {
			return nil, false
		}
		b := g.Initializers[name]
		if b == nil || b.DType != ops.Float32 || b.Rank() != 2 || b.Validate() != nil || b.Shape[0] < prepackMinCols {
			return nil, false
		}
		return b, true
	}

	var ng *graph.Graph
	packed := map[string]string{} // original name → transposed name
	for i, n := range g.Nodes {
		b, ok := candidate(n)
		if !ok {
			continue
		}
		if ng == nil {
			ng = copyGraphForInits(g)
			ng.Nodes = append([]*graph.Node(nil), g.Nodes...)
		}
		orig := n.Inputs[1]
		tname, done := packed[orig]
		if !done {
			rows, cols := b.Shape[0], b.Shape[1] // n×k
			t := ops.New(ops.Float32, cols, rows)
			src, dst := b.F32(), t.F32()
			for r := range rows {
				for c, v := range src[r*cols : (r+1)*cols] {
					dst[c*rows+r] = v
				}
			}
			tname = freshName(ng, orig+"/packed_kxn")
			ng.Initializers[tname] = t
			ng.InitOrder = append(ng.InitOrder, tname)
			packed[orig] = tname
		}
		c := *n
		c.Inputs = append([]string(nil), n.Inputs...)
		c.Inputs[1] = tname
		c.Attrs = make(map[string]*graph.Attr, len(n.Attrs))
		for k, v := range n.Attrs {
			c.Attrs[k] = v
		}
		c.Attrs["transB"] = &graph.Attr{Name: "transB", Type: graph.AttrInt, I: 0}
		ng.Nodes[i] = &c
	}
	if ng == nil {
		return g
	}

	// Drop originals nothing reads any more.
	read := map[string]bool{}
	for _, n := range ng.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
		collectSubgraphNames(n, read)
	}
	for _, o := range ng.Outputs {
		read[o.Name] = true
	}
	for orig := range packed {
		if read[orig] {
			continue
		}
		delete(ng.Initializers, orig)
		order := ng.InitOrder[:0]
		for _, name := range ng.InitOrder {
			if name != orig {
				order = append(order, name)
			}
		}
		ng.InitOrder = order
	}
	return ng
}
