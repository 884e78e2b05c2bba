package passes_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func opsOf(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.OpType+"("+strings.Join(n.Inputs, ",")+")->"+strings.Join(n.Outputs, ","))
	}
	return out
}

// runGraph compiles g (unoptimised) with m's opsets and runs it on inputs.
func runGraph(t *testing.T, m *graph.Model, g *graph.Graph, inputs ...*ops.Tensor) []*ops.Tensor {
	t.Helper()
	mc := *m
	mc.Graph = g
	p, err := native.Compile(&mc, native.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testDomain holds the stand-in operators of the pass-only tests: the
// passes rewrite graphs without running them, so no kernels are needed.
const testDomain = "latent.passestest"

func TestDropPassThrough(t *testing.T) {
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
	got := opsOf(passes.DropPassThrough(g))
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
	got := opsOf(passes.DropPassThrough(g))
	want := []string{"AddOne(x)->y1", "Identity(y1)->t", "AddOne(t)->y2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestOptimizeKeepsOutputs runs a graph with and without the passes and
// checks the outputs agree: a = i + 1, y = a + i with Identity nodes around
// them, which the optimiser removes.
func TestOptimizeKeepsOutputs(t *testing.T) {
	one := ops.FromFloat32([]int{3}, []float32{1, 1, 1})
	g := &graph.Graph{
		Name:         "t",
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs:      []graph.ValueInfo{{Name: "y", DType: ops.Float32}},
		Initializers: map[string]*ops.Tensor{"one": one},
		InitOrder:    []string{"one"},
		Nodes: []*graph.Node{
			{OpType: "Identity", Inputs: []string{"x"}, Outputs: []string{"i"}},
			{Name: "a", OpType: "Add", Inputs: []string{"i", "one"}, Outputs: []string{"a"}},
			{OpType: "Identity", Inputs: []string{"a"}, Outputs: []string{"b"}},
			{Name: "c", OpType: "Add", Inputs: []string{"b", "i"}, Outputs: []string{"y"}},
		},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
	x := ops.FromFloat32([]int{3}, []float32{1, 2, 3})
	var res [2][]float32
	for i, opt := range []bool{false, true} {
		p, err := native.Compile(m, native.Options{Optimize: opt})
		require.NoError(t, err)
		if opt {
			assert.Equal(t, 2, p.NumSteps(), "optimised plan steps")
		}
		out, err := p.Run(context.Background(), []*ops.Tensor{x})
		require.NoError(t, err)
		res[i] = out[0].F32()
	}
	assert.Equal(t, []float32{3, 5, 7}, res[0], "unoptimised")
	assert.Equal(t, res[0], res[1], "optimised")
}

func TestFoldConstants(t *testing.T) {
	i64 := func(shape []int, v ...int64) *ops.Tensor { return ops.FromInt64(shape, v) }
	ints := func(name string, v ...int64) map[string]*graph.Attr {
		return map[string]*graph.Attr{name: {Name: name, Type: graph.AttrInts, Ints: v}}
	}
	// The PyTorch flatten idiom, on an initializer w [4, 6]:
	// Reshape(x, Concat(Unsqueeze(Gather(Shape(w), 0)), [-1])).
	// Everything but the Reshape (x is an input) and the random node folds.
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs: []graph.ValueInfo{{Name: "y"}, {Name: "r"}, {Name: "s"}},
		Initializers: map[string]*ops.Tensor{
			"w":    ops.New(ops.Float32, 4, 6),
			"zero": i64(nil, 0),
			"m1":   i64([]int{1}, -1),
			"ov":   i64([]int{1}, 3),
		},
		InitOrder:        []string{"w", "zero", "m1", "ov"},
		OverridableInits: []graph.ValueInfo{{Name: "ov", DType: ops.Int64}},
		Nodes: []*graph.Node{
			{OpType: "Shape", Inputs: []string{"w"}, Outputs: []string{"shape"}},
			{OpType: "Gather", Inputs: []string{"shape", "zero"}, Outputs: []string{"rows"}},
			{OpType: "Unsqueeze", Inputs: []string{"rows"}, Outputs: []string{"rows1"}, Attrs: ints("axes", 0)},
			{OpType: "Concat", Inputs: []string{"rows1", "m1"}, Outputs: []string{"target"},
				Attrs: map[string]*graph.Attr{"axis": {Name: "axis", Type: graph.AttrInt, I: 0}}},
			{OpType: "Reshape", Inputs: []string{"x", "target"}, Outputs: []string{"y"}},
			{OpType: "RandomUniformLike", Inputs: []string{"w"}, Outputs: []string{"r"}},
			{OpType: "Concat", Inputs: []string{"ov", "m1"}, Outputs: []string{"s"}, // ov is overridable: kept
				Attrs: map[string]*graph.Attr{"axis": {Name: "axis", Type: graph.AttrInt, I: 0}}},
		},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 11}, Graph: g}
	folded, err := passes.FoldConstants(m, g)
	if err != nil {
		t.Fatal(err)
	}
	got := opsOf(folded)
	want := []string{"Reshape(x,target)->y", "RandomUniformLike(w)->r", "Concat(ov,m1)->s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after folding:\n got %q\nwant %q", got, want)
	}
	if tg := folded.Initializers["target"]; tg == nil || !reflect.DeepEqual(tg.I64(), []int64{4, -1}) {
		t.Fatalf("folded target = %v", tg)
	}
	for _, dead := range []string{"shape", "rows", "rows1"} {
		if _, ok := folded.Initializers[dead]; ok {
			t.Errorf("unused folded constant %q kept", dead)
		}
	}
	if len(g.Nodes) != 7 || len(g.Initializers) != 4 {
		t.Fatalf("folding modified the input graph")
	}

	// Same outputs with and without optimisation.
	x := ops.FromFloat32([]int{2, 12}, make([]float32, 24))
	for i := range x.F32() {
		x.F32()[i] = float32(i)
	}
	var res [2][]*ops.Tensor
	for i, opt := range []bool{false, true} {
		p, err := native.Compile(m, native.Options{Optimize: opt, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res[i], err = p.Run(context.Background(), []*ops.Tensor{x}); err != nil {
			t.Fatal(err)
		}
	}
	for j := range res[0] {
		if !reflect.DeepEqual(res[0][j].Shape, res[1][j].Shape) || !reflect.DeepEqual(res[0][j].Data, res[1][j].Data) {
			t.Errorf("output %d differs: unoptimised %v %v, optimised %v %v", j, res[0][j], res[0][j].Data, res[1][j], res[1][j].Data)
		}
	}
	if !reflect.DeepEqual(res[1][0].Shape, []int{4, 6}) {
		t.Errorf("y shape %v, want [4 6]", res[1][0].Shape)
	}
}

func TestDropPassThroughEdgeCases(t *testing.T) {
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
	got := opsOf(passes.DropPassThrough(g))
	want := []string{
		"Dropout(x)->d2",
		"Dropout(d2,,x)->d3",
		"Identity(d3)->i2",
		"If(x)->y",
		"Identity(d3)->z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after pass:\n got %q\nwant %q", got, want)
	}
}
