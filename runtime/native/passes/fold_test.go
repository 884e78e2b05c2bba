package passes_test

import (
	"context"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	folded, err := passes.FoldConstants.Run(m, g)
	require.NoError(t, err)
	got := opsOf(folded)
	want := []string{"Reshape(x,target)->y", "RandomUniformLike(w)->r", "Concat(ov,m1)->s"}
	require.Equal(t, want, got, "after folding")
	tg := folded.Initializers["target"]
	require.NotNil(t, tg, "folded target")
	assert.Equal(t, []int64{4, -1}, tg.I64(), "folded target")
	for _, dead := range []string{"shape", "rows", "rows1"} {
		assert.NotContains(t, folded.Initializers, dead, "unused folded constant kept")
	}
	require.Len(t, g.Nodes, 7, "folding modified the input graph")
	require.Len(t, g.Initializers, 4, "folding modified the input graph")

	// Same outputs with and without optimisation.
	x := ops.FromFloat32([]int{2, 12}, make([]float32, 24))
	for i := range x.F32() {
		x.F32()[i] = float32(i)
	}
	var res [2][]*ops.Tensor
	for i, opt := range []bool{false, true} {
		p, err := native.Compile(m, native.Options{Optimize: opt, Seed: 5})
		require.NoError(t, err)
		res[i], err = p.Run(context.Background(), []*ops.Tensor{x})
		require.NoError(t, err)
	}
	for j := range res[0] {
		assert.Equal(t, res[0][j].Shape, res[1][j].Shape, "output %d shape", j)
		assert.Equal(t, res[0][j].Data, res[1][j].Data, "output %d", j)
	}
	assert.Equal(t, []int{4, 6}, res[1][0].Shape, "y shape")
}

// TestFoldReportsTypedStageErrors: the pass runs the typed stage to fold
// Shape nodes, and a contradiction it finds fails compilation naming the
// node instead of being ignored.
func TestFoldReportsTypedStageErrors(t *testing.T) {
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32, Shape: graph.ShapeOf(2, 4), HasShape: true}},
		Outputs:      []graph.ValueInfo{{Name: "y"}},
		Initializers: map[string]*ops.Tensor{"W": ops.New(ops.Float32, 3, 5)},
		Nodes:        []*graph.Node{{Name: "mm", OpType: "MatMul", Inputs: []string{"x", "W"}, Outputs: []string{"y"}}},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
	_, err := passes.FoldConstants.Run(m, g)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node mm (MatMul): inner dimensions differ")
	_, err = native.Compile(m, native.Options{Optimize: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node mm (MatMul)")
}
