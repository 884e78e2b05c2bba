package kernels_test

// Kernels run through the native planner: views and recycled buffers across
// nodes, concurrent runs of one plan and seeded random operators.

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/kernels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNNRecycledBuffers runs a small conv/pool/softmax model several times
// through the planner, whose pooled buffers (outputs and kernel scratch)
// come back dirty, and checks every run against a fresh single-node run.
func TestRecycledBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	w1, w2 := kernels.RandFloats(r, 4, 2, 3, 3), kernels.RandFloats(r, 4, 3, 2, 2)
	g := &graph.Graph{Name: "nn", Initializers: map[string]*ops.Tensor{"w1": w1, "w2": w2}, InitOrder: []string{"w1", "w2"},
		ValueInfo: map[string]graph.ValueInfo{}}
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: ops.Float16, Shape: graph.Shape{{Param: "n", Value: -1}, {Value: 2}, {Value: 6}, {Value: 6}}, HasShape: true}}
	cast := kernels.NewNodeKV("Cast", 1, 1, "to", 1)
	cast.Inputs, cast.Outputs = []string{"x"}, []string{"xf"}
	conv := kernels.NewNodeKV("Conv", 2, 1, "pads", []int64{1, 1, 1, 1})
	conv.Inputs, conv.Outputs = []string{"xf", "w1"}, []string{"c1"}
	ct := kernels.NewNodeKV("ConvTranspose", 2, 1, "strides", []int64{2, 2})
	ct.Inputs, ct.Outputs = []string{"c1", "w2"}, []string{"c2"}
	mp := kernels.NewNodeKV("MaxPool", 1, 1, "kernel_shape", []int64{3, 3}, "strides", []int64{2, 2})
	mp.Inputs, mp.Outputs = []string{"c2"}, []string{"p"}
	sm := kernels.NewNodeKV("Softmax", 1, 1, "axis", 1)
	sm.Inputs, sm.Outputs = []string{"p"}, []string{"y"}
	g.Nodes = []*graph.Node{cast, conv, ct, mp, sm}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: ops.Float32}}
	plan, err := native.Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}, native.Options{})
	require.NoError(t, err)
	for run := 0; run < 4; run++ {
		x := kernels.RandFloats(r, 1+run%2, 2, 6, 6)
		xh := kernels.ToFloat16(x)
		outs, err := plan.Run(context.Background(), []*ops.Tensor{xh})
		require.NoError(t, err)
		// Reference: the same chain node by node on fresh tensors.
		xf := ops.New(ops.Float32, x.Shape...)
		ops.Float16sToFloat32s(xf.F32(), xh.F16())
		c1 := kernels.MustRunNode(t, conv, 13, xf, w1)[0]
		c2 := kernels.MustRunNode(t, ct, 13, c1, w2)[0]
		p := kernels.MustRunNode(t, mp, 13, c2)[0]
		want := kernels.MustRunNode(t, sm, 13, p)[0]
		require.Empty(t, kernels.CompareTensors(outs[0], want, 1e-6, 1e-6), "run %d", run)
	}
}

// TestNNConcurrentRuns runs one compiled NN plan from several goroutines
// at once (the plan is shared, run state per call); every result must
// match a sequential run on the same input. Run with -race to check the
// kernels keep no shared mutable state.
func TestConcurrentRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	w := kernels.RandFloats(r, 3, 2, 3, 3)
	g := &graph.Graph{Name: "nn", Initializers: map[string]*ops.Tensor{"w": w}, InitOrder: []string{"w"}, ValueInfo: map[string]graph.ValueInfo{}}
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: ops.Float32, Shape: graph.ShapeOf(1, 2, 8, 8), HasShape: true}}
	conv := kernels.NewNodeKV("Conv", 2, 1, "pads", []int64{1, 1, 1, 1}, "strides", []int64{2, 2})
	conv.Inputs, conv.Outputs = []string{"x", "w"}, []string{"c"}
	rs := kernels.NewNodeKV("Resize", 3, 1, "mode", "cubic")
	rs.Inputs, rs.Outputs = []string{"c", "", "s"}, []string{"r"}
	g.Initializers["s"] = kernels.Floats([]int{4}, 1, 1, 2, 2)
	g.InitOrder = append(g.InitOrder, "s")
	ln := kernels.NewNodeKV("LayerNormalization", 2, 1, "axis", 1)
	ln.Inputs, ln.Outputs = []string{"r", "scale"}, []string{"y"}
	g.Initializers["scale"] = kernels.RandFloats(r, 3, 8, 8)
	g.InitOrder = append(g.InitOrder, "scale")
	g.Nodes = []*graph.Node{conv, rs, ln}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: ops.Float32}}
	plan, err := native.Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 18}, Graph: g}, native.Options{})
	require.NoError(t, err)
	const workers = 4
	inputs := make([]*ops.Tensor, workers)
	want := make([]*ops.Tensor, workers)
	for i := range inputs {
		inputs[i] = kernels.RandFloats(r, 1, 2, 8, 8)
		out, err := plan.Run(context.Background(), []*ops.Tensor{inputs[i]})
		require.NoError(t, err)
		want[i] = out[0].Clone()
	}
	errs := make(chan string, workers)
	for i := 0; i < workers; i++ {
		go func(i int) {
			msg := ""
			for k := 0; k < 20 && msg == ""; k++ {
				out, err := plan.Run(context.Background(), []*ops.Tensor{inputs[i]})
				if err != nil {
					msg = err.Error()
				} else {
					msg = kernels.CompareTensors(out[0], want[i], 0, 0)
				}
			}
			errs <- msg
		}(i)
	}
	for i := 0; i < workers; i++ {
		msg := <-errs
		assert.Equal(t, "", msg, msg)
	}
}

// TestRandomLikeInPlan runs RandomNormalLike through Compile/Run: with
// Options.Seed and no seed attribute, every run of the plan gives the same
// values.
func TestRandomLikeInPlan(t *testing.T) {
	n := &graph.Node{Name: "rnd", OpType: "RandomNormalLike", Inputs: []string{"x"}, Outputs: []string{"y"}}
	g := &graph.Graph{
		Name:    "random",
		Inputs:  []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs: []graph.ValueInfo{{Name: "y", DType: ops.Float32}},
		Nodes:   []*graph.Node{n},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
	p, err := native.Compile(m, native.Options{Seed: 42})
	require.NoError(t, err)
	x := ops.New(ops.Float32, 64)
	a, err := p.Run(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	b, err := p.Run(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	assert.Equal(t, a[0].Data, b[0].Data, "runs of a seeded plan differ")
	var zero int
	for _, v := range a[0].F32() {
		if v == 0 {
			zero++
		}
	}
	assert.LessOrEqual(t, zero, 1, "normal samples that are exactly 0, of 64")
}

// TestViewsThroughPlan runs Slice/Split views through the executor twice
// with different inputs: recycled buffers must not leak between values.
func TestViewsThroughPlan(t *testing.T) {
	nodes := []*graph.Node{
		{Name: "s", OpType: "Slice", Inputs: []string{"x", "st", "en"}, Outputs: []string{"rows"}},
		{Name: "t", OpType: "Transpose", Inputs: []string{"rows"}, Outputs: []string{"rt"}},
		{Name: "p", OpType: "Split", Inputs: []string{"x", "sp"}, Outputs: []string{"a", "b"}},
		{Name: "c", OpType: "Concat", Inputs: []string{"b", "a"}, Outputs: []string{"ba"}, Attrs: map[string]*graph.Attr{"axis": kernels.AttrInt("axis", 0)}},
	}
	g := &graph.Graph{
		Name:   "views",
		Inputs: []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs: []graph.ValueInfo{
			{Name: "rt", DType: ops.Float32}, {Name: "a", DType: ops.Float32}, {Name: "ba", DType: ops.Float32},
		},
		Initializers: map[string]*ops.Tensor{"st": kernels.Int64s(1), "en": kernels.Int64s(3), "sp": kernels.Int64s(1, 2)},
		Nodes:        nodes,
	}
	p, err := native.Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}, native.Options{})
	require.NoError(t, err)
	for run := 0; run < 3; run++ {
		x := ops.New(ops.Float32, 3, 2)
		for i := range x.F32() {
			x.F32()[i] = float32(10*run + i)
		}
		outs, err := p.Run(context.Background(), []*ops.Tensor{x})
		require.NoError(t, err)
		f := func(v ...int) []float32 {
			r := make([]float32, len(v))
			for i, k := range v {
				r[i] = float32(10*run + k)
			}
			return r
		}
		kernels.CheckTensor(t, "rows transposed", outs[0], ops.FromFloat32([]int{2, 2}, f(2, 4, 3, 5)))
		kernels.CheckTensor(t, "split a", outs[1], ops.FromFloat32([]int{1, 2}, f(0, 1)))
		kernels.CheckTensor(t, "b then a", outs[2], ops.FromFloat32([]int{3, 2}, f(2, 3, 4, 5, 0, 1)))
		kernels.CheckTensor(t, "input untouched", x, ops.FromFloat32([]int{3, 2}, f(0, 1, 2, 3, 4, 5)))
	}
}
