package passes_test

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/require"
)

// testDomain holds the stand-in operators of the pass-only tests: the
// passes rewrite graphs without running them, so no kernels are needed.
const testDomain = "latent.passestest"

func TestRemovePassThrough(t *testing.T) {
	falseT := ops.FromBool(nil, []bool{false})
	trueT := ops.FromBool(nil, []bool{true})
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Initializers: map[string]*ops.Tensor{"off": falseT, "on": trueT},
		Nodes: []*graph.Node{
			{OpType: "Identity", Inputs: []string{"x"}, Outputs: []string{"i1"}},
			{OpType: "Identity", Inputs: []string{"i1"}, Outputs: []string{"i2"}},
			{OpType: "AddOne", Domain: testDomain, Inputs: []string{"i2"}, Outputs: []string{"a"}},
			{OpType: "Dropout", Inputs: []string{"a", "", "off"}, Outputs: []string{"d1"}},
			{OpType: "Dropout", Inputs: []string{"d1", "", "on"}, Outputs: []string{"d2"}}, // training: kept
			{OpType: "Dropout", Inputs: []string{"d2"}, Outputs: []string{"d3", "mask"}},   // mask used: kept
			{OpType: "Add", Domain: testDomain, Inputs: []string{"d3", "d1"}, Outputs: []string{"s"}},
			{OpType: "Identity", Inputs: []string{"s"}, Outputs: []string{"y"}}, // graph output: kept
		},
		Outputs: []graph.ValueInfo{{Name: "y"}, {Name: "mask"}},
	}
	before := opsOf(g)
	got := opsOf(runPass(t, passes.RemovePassThrough, nil, g))
	want := []string{
		"AddOne(x)->a",
		"Dropout(a,,on)->d2",
		"Dropout(d2)->d3,mask",
		"Add(d3,a)->s",
		"Identity(s)->y",
	}
	require.Equal(t, want, got, "after remove-passthrough")
	require.Equal(t, before, opsOf(g), "the pass modified its input graph")
}

func TestRemovePassThroughKeepsOutputAliases(t *testing.T) {
	// y1 = AddOne(x); y2 = Identity(y1): both are outputs, so the Identity
	// stays (otherwise y2 would have no producer).
	g := &graph.Graph{
		Inputs: []graph.ValueInfo{{Name: "x"}},
		Nodes: []*graph.Node{
			{OpType: "AddOne", Domain: testDomain, Inputs: []string{"x"}, Outputs: []string{"y1"}},
			{OpType: "Identity", Inputs: []string{"y1"}, Outputs: []string{"t"}},
			{OpType: "AddOne", Domain: testDomain, Inputs: []string{"t"}, Outputs: []string{"y2"}},
		},
		Outputs: []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}},
	}
	got := opsOf(runPass(t, passes.RemovePassThrough, nil, g))
	want := []string{"AddOne(x)->y1", "Identity(y1)->t", "AddOne(t)->y2"}
	require.Equal(t, want, got, "after remove-passthrough")
}

func TestRemovePassThroughEdgeCases(t *testing.T) {
	body := &graph.Graph{Nodes: []*graph.Node{{OpType: "Identity", Inputs: []string{"i2"}, Outputs: []string{"o"}}},
		Outputs: []graph.ValueInfo{{Name: "o"}}}
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x"}},
		Outputs: []graph.ValueInfo{{Name: "y"}, {Name: "z"}},
		Nodes: []*graph.Node{
			// opset-6 style Dropout: is_test=1 is inference (dropped), is_test=0 training (kept).
			{OpType: "Dropout", Inputs: []string{"x"}, Outputs: []string{"d1"}, Attrs: map[string]*graph.Attr{"is_test": iattr("is_test", 1)}},
			{OpType: "Dropout", Inputs: []string{"d1"}, Outputs: []string{"d2"}, Attrs: map[string]*graph.Attr{"is_test": iattr("is_test", 0)}},
			// training_mode fed at run time: kept.
			{OpType: "Dropout", Inputs: []string{"d2", "", "x"}, Outputs: []string{"d3"}},
			// read by a subgraph: kept.
			{OpType: "Identity", Inputs: []string{"d3"}, Outputs: []string{"i2"}},
			{OpType: "If", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{"then_branch": {Name: "then_branch", Type: graph.AttrGraph, G: body}}},
			// another domain's Identity is not ours to remove.
			{OpType: "Identity", Domain: "com.example", Inputs: []string{"d3"}, Outputs: []string{"z"}},
		},
	}
	got := opsOf(runPass(t, passes.RemovePassThrough, nil, g))
	want := []string{
		"Dropout(x)->d2",
		"Dropout(d2,,x)->d3",
		"Identity(d3)->i2",
		"If(x)->y",
		"Identity(d3)->z",
	}
	require.Equal(t, want, got, "after remove-passthrough")
}
