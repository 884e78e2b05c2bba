package passes_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prepackModel: x → Gemm(w1ᵀ, transB=1) → Relu → h → Gemm(w2ᵀ) → Sigmoid → y,
// and h → Gemm(w3ᵀ) → Relu → y3 with 8 outputs (too narrow to pack); with
// lone, also a plain Gemm reading w1 and an Identity keeping w1 read.
func prepackModel(rng *rand.Rand, lone bool) *graph.Model {
	tb := func() map[string]*graph.Attr {
		return map[string]*graph.Attr{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}}
	}
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs: []graph.ValueInfo{{Name: "y"}},
		Initializers: map[string]*ops.Tensor{
			"w1": bnRandTensor(rng, -1, 1, 40, 5), "b1": bnRandTensor(rng, -1, 1, 40),
			"w2": bnRandTensor(rng, -1, 1, 36, 40), "b2": bnRandTensor(rng, -1, 1, 36),
			// A layer narrower than prepackMinCols: left as it is.
			"w3": bnRandTensor(rng, -1, 1, 8, 40), "b3": bnRandTensor(rng, -1, 1, 8),
		},
		InitOrder: []string{"w1", "b1", "w2", "b2", "w3", "b3"},
		Nodes: []*graph.Node{
			{Name: "g1", OpType: "Gemm", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"g1"}, Attrs: tb()},
			{Name: "r1", OpType: "Relu", Inputs: []string{"g1"}, Outputs: []string{"h"}},
			{Name: "g2", OpType: "Gemm", Inputs: []string{"h", "w2", "b2"}, Outputs: []string{"g2"}, Attrs: tb()},
			{Name: "s2", OpType: "Sigmoid", Inputs: []string{"g2"}, Outputs: []string{"y"}},
			{Name: "g4", OpType: "Gemm", Inputs: []string{"h", "w3", "b3"}, Outputs: []string{"g4"}, Attrs: tb()},
			{Name: "r4", OpType: "Relu", Inputs: []string{"g4"}, Outputs: []string{"y3"}},
		},
	}
	g.Outputs = append(g.Outputs, graph.ValueInfo{Name: "y3"})
	if lone {
		// A plain Gemm (no activation to fuse) shares w1's packed copy,
		// and an Identity keeps reading w1 itself.
		g.Outputs = append(g.Outputs, graph.ValueInfo{Name: "z"}, graph.ValueInfo{Name: "w1copy"})
		g.Nodes = append(g.Nodes,
			&graph.Node{Name: "g3", OpType: "Gemm", Inputs: []string{"x", "w1"}, Outputs: []string{"z"}, Attrs: tb()},
			&graph.Node{Name: "keep", OpType: "Identity", Inputs: []string{"w1"}, Outputs: []string{"w1copy"}})
	}
	return &graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}
}

func TestPrepackWeights(t *testing.T) {
	for _, lone := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(9, 10))
		m := prepackModel(rng, lone)
		fused := runPass(t, passes.FuseLayers, m, m.Graph)
		pg := runPass(t, passes.PrepackWeights, m, fused)

		var fusedNodes, plainNodes int
		for _, n := range pg.Nodes {
			if n.Name == "g4" {
				tb, err := n.Int("transB", 0)
				require.NoError(t, err)
				assert.Equal(t, int64(1), tb, "lone=%v: the 8-output layer was packed", lone)
				assert.Equal(t, "w3", n.Inputs[1], "lone=%v: the 8-output layer was packed", lone)
				continue
			}
			switch n.OpType {
			case "FusedGemm":
				fusedNodes++
			case "Gemm":
				plainNodes++
			default:
				continue
			}
			tb, err := n.Int("transB", 1)
			require.NoError(t, err)
			assert.Equal(t, int64(0), tb, "lone=%v: %s transB", lone, n.Label())
			w := pg.Initializers[n.Inputs[1]]
			orig := m.Graph.Initializers[map[string]string{"g1": "w1", "g2": "w2", "g3": "w1"}[n.Name]]
			require.NotNil(t, w, "lone=%v: %s reads %q", lone, n.Label(), n.Inputs[1])
			require.Equal(t, []int{orig.Shape[1], orig.Shape[0]}, w.Shape, "lone=%v: %s reads %q, want the transpose", lone, n.Label(), n.Inputs[1])
			for r := range orig.Shape[0] {
				for c := range orig.Shape[1] {
					require.Equal(t, orig.F32()[r*orig.Shape[1]+c], w.F32()[c*orig.Shape[0]+r], "%s: packed[%d,%d] differs from w[%d,%d]", n.Label(), c, r, r, c)
				}
			}
		}
		require.Equal(t, 2, fusedNodes, "lone=%v: FusedGemm nodes", lone)
		require.Equal(t, map[bool]int{false: 0, true: 1}[lone], plainNodes, "lone=%v: Gemm nodes", lone)
		if lone {
			g1, g3 := findNode(pg, "g1"), findNode(pg, "g3")
			assert.Equal(t, g1.Inputs[1], g3.Inputs[1], "g1 and g3 should read w1's one packed copy")
		}
		_, kept := pg.Initializers["w1"]
		assert.Equal(t, lone, kept, "lone=%v: w1 kept (the Identity reads it: keep only then)", lone)
		assert.NotContains(t, pg.Initializers, "w2", "w2 kept although only the packed node read it")
		require.Len(t, m.Graph.Initializers, 6, "prepack-weights modified its input")
		require.Equal(t, int64(1), m.Graph.Nodes[0].Attrs["transB"].I, "prepack-weights modified its input")
		require.Len(t, fused.Initializers, 6, "prepack-weights modified its input")

		for _, batch := range []int{1, 3} {
			x := bnRandTensor(rng, -1, 1, batch, 5)
			ref, got := runGraph(t, m, m.Graph, x), runGraph(t, m, pg, x)
			for i := range ref {
				for j, w := range ref[i].F32() {
					g := got[i].F32()[j]
					require.InDelta(t, w, g, 1e-5+1e-5*math.Abs(float64(w)), "lone=%v batch %d output %d[%d]: packed %g, original %g", lone, batch, i, j, g, w)
				}
			}
		}
	}
}

// findNode returns g's node named name (nil if none).
func findNode(g *graph.Graph, name string) *graph.Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}
