package passes_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/passes"
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

	fg := passes.FoldBatchNorm(m, m.Graph)
	got := bnNodeOps(fg)
	want := []string{"Conv", "Relu", "ConvTranspose", "Conv", "BatchNormalization"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after folding: %v, want %v", got, want)
	}
	if !reflect.DeepEqual(bnNodeOps(m.Graph), before) || len(m.Graph.Initializers) != nInits {
		t.Fatal("FoldBatchNorm modified its input graph")
	}
	if fg.Nodes[0].Outputs[0] != "bn1" || fg.Nodes[2].Outputs[0] != "y2" || len(fg.Nodes[2].Inputs) != 3 {
		t.Errorf("folded convolutions: %+v, %+v", fg.Nodes[0], fg.Nodes[2])
	}

	x := bnRandTensor(rng, -1, 1, 2, 3, 6, 6)
	ref, folded := runGraph(t, m, m.Graph, x), runGraph(t, m, fg, x)
	for i := range ref {
		if !reflect.DeepEqual(ref[i].Shape, folded[i].Shape) {
			t.Fatalf("output %d: shape %v, want %v", i, folded[i].Shape, ref[i].Shape)
		}
		for j, w := range ref[i].F32() {
			g := folded[i].F32()[j]
			if math.Abs(float64(g-w)) > 1e-5+1e-5*math.Abs(float64(w)) {
				t.Fatalf("output %d[%d]: folded %g, unfolded %g", i, j, g, w)
			}
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
		fg := passes.FoldBatchNorm(m, m.Graph)
		if fg.Nodes[0].OpType != "Conv" || fg.Nodes[1].OpType != "BatchNormalization" || fg.Nodes[1].Inputs[0] != "c1" {
			t.Errorf("%s: first pair folded anyway: %v", name, bnNodeOps(fg))
		}
	}
}
