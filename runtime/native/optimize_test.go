package native

import (
	"context"
	"reflect"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func opsOf(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.OpType+"("+join(n.Inputs)+")->"+join(n.Outputs))
	}
	return out
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

func TestDropPassThrough(t *testing.T) {
	testKernels()
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
	got := opsOf(DropPassThrough(g))
	want := []string{
		"AddOne(x)->a",
		"Dropout(a,,on)->d2",
		"Dropout(d2)->d3,mask",
		"Add(d3,a)->s",
		"Identity(s)->y",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after pass:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(opsOf(g), before) {
		t.Fatalf("the pass modified its input graph: %q", opsOf(g))
	}
}

func TestDropPassThroughKeepsOutputAliases(t *testing.T) {
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
	got := opsOf(DropPassThrough(g))
	want := []string{"AddOne(x)->y1", "Identity(y1)->t", "AddOne(t)->y2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestOptimizeKeepsOutputs runs a graph with and without the passes and
// checks the outputs agree.
func TestOptimizeKeepsOutputs(t *testing.T) {
	idRegistered := Supported("", "Identity")
	if !idRegistered {
		t.Skip("no Identity kernel registered yet: the unoptimised graph cannot run")
	}
	m := model([]string{"x"}, []string{"y"}, nil,
		&graph.Node{OpType: "Identity", Inputs: []string{"x"}, Outputs: []string{"i"}},
		node("a", "AddOne", []string{"i"}, []string{"a"}),
		&graph.Node{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"b"}},
		node("c", "Add", []string{"b", "i"}, []string{"y"}),
	)
	x := vec(1, 2, 3)
	var res [2][]float32
	for i, opt := range []bool{false, true} {
		p, err := Compile(m, Options{Optimize: opt})
		if err != nil {
			t.Fatal(err)
		}
		if opt && p.NumSteps() != 2 {
			t.Fatalf("optimised plan has %d steps, want 2", p.NumSteps())
		}
		out, err := p.Run(context.Background(), []*ops.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		res[i] = out[0].F32()
	}
	if !reflect.DeepEqual(res[0], res[1]) || res[1][0] != 3 {
		t.Fatalf("unoptimised %v, optimised %v (want [3 5 7])", res[0], res[1])
	}
}
