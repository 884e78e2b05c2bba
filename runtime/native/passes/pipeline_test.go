package passes_test

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestDefaultPipeline pins the passes and their order: folding before
// fusion (fused layers see folded weights), prepacking after fusion (it
// rewrites the fused Gemm nodes).
func TestDefaultPipeline(t *testing.T) {
	assert.Equal(t, []string{"remove-passthrough", "fold-constants", "fold-affine", "fold-batchnorm", "fuse-gelu", "fuse-softmax", "fuse-layers", "fuse-channel-scale", "prepack-weights"},
		passes.Default().Names())
	for _, p := range passes.Default() {
		assert.NotEmpty(t, p.Doc, "pass %s has no description", p.Name)
		assert.NotNil(t, p.Run, "pass %s has no rewrite", p.Name)
	}
}

func TestPipelineWithout(t *testing.T) {
	all := passes.Default()
	p, err := all.Without("fuse-layers", "fold-constants")
	require.NoError(t, err)
	assert.Equal(t, []string{"remove-passthrough", "fold-affine", "fold-batchnorm", "fuse-gelu", "fuse-softmax", "fuse-channel-scale", "prepack-weights"}, p.Names())
	assert.Len(t, all, 9, "Without modified its receiver")

	_, err = all.Without("fuse-layers", "fuse-everything")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown pass "fuse-everything"`)
	assert.Contains(t, err.Error(), "remove-passthrough, fold-constants", "the error lists the passes")

	none, err := all.Without()
	require.NoError(t, err)
	assert.Equal(t, all.Names(), none.Names())
}

// TestPipelineTrace runs the default passes on the dense autoencoder (four
// Gemm layers, three followed by an activation: 7 nodes) and checks what
// the trace reports: every pass in order, each step starting from the
// previous one's result, and fuse-layers taking the 7 nodes to 4 (three
// FusedGemm and the code layer's lone Gemm).
func TestPipelineTrace(t *testing.T) {
	m, err := graph.DecodeFile("../../../testdata/models/dense-ae/model.onnx")
	require.NoError(t, err)
	var steps []passes.Step
	g, err := passes.Default().Trace(m, m.Graph, func(s passes.Step) { steps = append(steps, s) })
	require.NoError(t, err)
	require.Len(t, steps, 9)
	nodes := len(m.Graph.Nodes)
	for i, s := range steps {
		assert.Equal(t, passes.Default()[i].Name, s.Pass)
		assert.Equal(t, nodes, s.NodesBefore, "pass %s starts from the previous result", s.Pass)
		nodes = s.NodesAfter
	}
	assert.Equal(t, 7, steps[6].NodesBefore)
	assert.Equal(t, 4, steps[6].NodesAfter, "fuse-layers")
	assert.Equal(t, []string{"FusedGemm", "FusedGemm", "FusedGemm", "Gemm"}, sortedOps(g))
	assert.Len(t, m.Graph.Nodes, 7, "the pipeline modified the model's graph")
}

// TestPipelineErrorsNameThePass: a failing pass stops the pipeline with an
// error naming it; so does a pass that returns no graph.
func TestPipelineErrorsNameThePass(t *testing.T) {
	m := &graph.Model{Opsets: map[string]int64{"": 17}, Graph: &graph.Graph{}}
	ran := false
	after := passes.Pass{Name: "after", Run: func(_ *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		ran = true
		return g, nil
	}}
	fail := passes.Pass{Name: "boom", Run: func(*graph.Model, *graph.Graph) (*graph.Graph, error) {
		return nil, errors.New("out of ideas")
	}}
	_, err := passes.Pipeline{fail, after}.Run(m, m.Graph)
	require.Error(t, err)
	assert.Equal(t, "pass boom: out of ideas", err.Error())
	assert.False(t, ran, "a pass ran after a failure")

	empty := passes.Pass{Name: "empty", Run: func(*graph.Model, *graph.Graph) (*graph.Graph, error) { return nil, nil }}
	_, err = passes.Pipeline{empty}.Run(m, m.Graph)
	assert.EqualError(t, err, "pass empty returned no graph")
}

// TestCompileWithoutFusion plans the dense autoencoder with fuse-layers
// (and therefore no fused prepacking) switched off: the plan runs the
// original Gemm and activation nodes, and the outputs match the fully
// optimised plan's within float32 rounding.
func TestCompileWithoutFusion(t *testing.T) {
	m, err := graph.DecodeFile("../../../testdata/models/dense-ae/model.onnx")
	require.NoError(t, err)
	unfused, err := passes.Default().Without("fuse-layers")
	require.NoError(t, err)
	p, err := native.Compile(m, native.Options{Optimize: true, Passes: unfused})
	require.NoError(t, err)
	full, err := native.Compile(m, native.Options{Optimize: true})
	require.NoError(t, err)
	assert.Equal(t, 7, p.NumSteps())
	assert.Equal(t, 4, full.NumSteps())
	for _, n := range p.Graph().Nodes {
		assert.NotEqual(t, "FusedGemm", n.OpType)
	}
	x := ops.New(ops.Float32, 3, 16)
	for i := range x.F32() {
		x.F32()[i] = float32(i%11) / 11
	}
	got, err := p.Run(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	want, err := full.Run(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		assert.InDeltaSlice(t, want[i].F32(), got[i].F32(), 1e-6, "output %d", i)
	}
}

func sortedOps(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.OpType)
	}
	sort.Strings(out)
	return out
}
