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

func bnRandTensor(rng *rand.Rand, lo, hi float32, shape ...int) *ops.Tensor {
	t := ops.New(ops.Float32, shape...)
	for i := range t.F32() {
		t.F32()[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

func bnNodeOps(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.OpType)
	}
	return out
}

// bnTestModel: x → Conv(+bias) → BN → Relu → y1; x → ConvTranspose (no
// bias, stride 2) → BN → y2; x → Conv → c3 (a graph output) → BN → y3,
// which must stay unfolded.
func bnTestModel(rng *rand.Rand) *graph.Model {
	inits := map[string]*ops.Tensor{
		"w1": bnRandTensor(rng, -1, 1, 4, 3, 3, 3), "b1": bnRandTensor(rng, -1, 1, 4),
		"wt": bnRandTensor(rng, -1, 1, 3, 5, 2, 2),
	}
	for _, p := range []struct {
		name string
		c    int
	}{{"n1", 4}, {"n2", 5}, {"n3", 4}} {
		inits[p.name+"_scale"] = bnRandTensor(rng, 0.5, 2, p.c)
		inits[p.name+"_bias"] = bnRandTensor(rng, -1, 1, p.c)
		inits[p.name+"_mean"] = bnRandTensor(rng, -1, 1, p.c)
		inits[p.name+"_var"] = bnRandTensor(rng, 0.1, 3, p.c)
	}
	bn := func(name, in, out string) *graph.Node {
		return &graph.Node{Name: name, OpType: "BatchNormalization", Outputs: []string{out},
			Inputs: []string{in, name + "_scale", name + "_bias", name + "_mean", name + "_var"},
			Attrs:  map[string]*graph.Attr{"epsilon": {Name: "epsilon", Type: graph.AttrFloat, F: 1e-3}}}
	}
	pads := &graph.Attr{Name: "pads", Type: graph.AttrInts, Ints: []int64{1, 1, 1, 1}}
	strides := &graph.Attr{Name: "strides", Type: graph.AttrInts, Ints: []int64{2, 2}}
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs:      []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "c3"}, {Name: "y3"}},
		Initializers: inits,
		Nodes: []*graph.Node{
			{Name: "c1", OpType: "Conv", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"c1"}, Attrs: map[string]*graph.Attr{"pads": pads}},
			bn("n1", "c1", "bn1"),
			{Name: "r1", OpType: "Relu", Inputs: []string{"bn1"}, Outputs: []string{"y1"}},
			{Name: "t2", OpType: "ConvTranspose", Inputs: []string{"x", "wt"}, Outputs: []string{"t2"}, Attrs: map[string]*graph.Attr{"strides": strides}},
			bn("n2", "t2", "y2"),
			{Name: "c3", OpType: "Conv", Inputs: []string{"x", "w1"}, Outputs: []string{"c3"}},
			bn("n3", "c3", "y3"),
		},
	}
	for k := range inits {
		g.InitOrder = append(g.InitOrder, k)
	}
	return &graph.Model{Opsets: map[string]int64{"": 15}, Graph: g}
}

func TestFoldBatchNormGraphAndOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := bnTestModel(rng)
	before := bnNodeOps(m.Graph)
	nInits := len(m.Graph.Initializers)

	fg := runPass(t, passes.FoldBatchNorm, m, m.Graph)
	got := bnNodeOps(fg)
	want := []string{"Conv", "Relu", "ConvTranspose", "Conv", "BatchNormalization"}
	require.Equal(t, want, got, "after folding")
	require.Equal(t, before, bnNodeOps(m.Graph), "fold-batchnorm modified its input graph")
	require.Len(t, m.Graph.Initializers, nInits, "fold-batchnorm modified its input graph")
	assert.Equal(t, "bn1", fg.Nodes[0].Outputs[0], "the folded Conv writes the BatchNormalization's output")
	assert.Equal(t, "y2", fg.Nodes[2].Outputs[0], "the folded ConvTranspose writes the BatchNormalization's output")
	assert.Len(t, fg.Nodes[2].Inputs, 3, "the folded ConvTranspose gains a bias")

	x := bnRandTensor(rng, -1, 1, 2, 3, 6, 6)
	ref, folded := runGraph(t, m, m.Graph, x), runGraph(t, m, fg, x)
	for i := range ref {
		require.Equal(t, folded[i].Shape, ref[i].Shape, "output")
		for j, w := range ref[i].F32() {
			g := folded[i].F32()[j]
			require.InDelta(t, w, g, 1e-5+1e-5*math.Abs(float64(w)), "output %d[%d]: folded %g, unfolded %g", i, j, g, w)
		}
	}
}

func TestFoldBatchNormKeepsWhatItCannotFold(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := map[string]func(m *graph.Model){
		"old opset": func(m *graph.Model) { m.Opsets[""] = 8 },
		"training mode": func(m *graph.Model) {
			m.Graph.Nodes[1].Attrs["training_mode"] = &graph.Attr{Name: "training_mode", Type: graph.AttrInt, I: 1}
		},
		"weights an input": func(m *graph.Model) { m.Graph.OverridableInits = []graph.ValueInfo{{Name: "w1"}} },
		"mean not const": func(m *graph.Model) {
			delete(m.Graph.Initializers, "n1_mean")
			m.Graph.Inputs = append(m.Graph.Inputs, graph.ValueInfo{Name: "n1_mean"})
		},
		"wrong channels":  func(m *graph.Model) { m.Graph.Initializers["n1_var"] = bnRandTensor(rng, 0.1, 1, 3) },
		"conv read twice": func(m *graph.Model) { m.Graph.Nodes[2].Inputs = []string{"c1"} },
	}
	for name, mutate := range cases {
		m := bnTestModel(rng)
		mutate(m)
		fg := runPass(t, passes.FoldBatchNorm, m, m.Graph)
		assert.Equal(t, "Conv", fg.Nodes[0].OpType, "%s: first pair folded anyway: %v", name, bnNodeOps(fg))
		assert.Equal(t, "BatchNormalization", fg.Nodes[1].OpType, "%s: first pair folded anyway: %v", name, bnNodeOps(fg))
		assert.Equal(t, "c1", fg.Nodes[1].Inputs[0], "%s: first pair folded anyway: %v", name, bnNodeOps(fg))
	}
}
