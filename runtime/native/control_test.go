package native

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// builds counts the kernel builds of the test domain's Counted operator.
var builds atomic.Int64

func init() {
	operators.Register(operators.Op{Domain: testDomain, Type: "Counted", Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
		builds.Add(1)
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			out := env.New(in[0].DType, in[0].Shape...)
			ops.CopyData(out.Data, in[0].Data)
			return []*ops.Tensor{out}, nil
		}, nil
	}}, 1)
}

func cfNode(op string, ins, outs []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{OpType: op, Inputs: ins, Outputs: outs, Attrs: map[string]*graph.Attr{}}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
		n.AttrOrder = append(n.AttrOrder, a.Name)
	}
	return n
}

func tinfo(name string, dt ops.DType, dims ...int) graph.ValueInfo {
	return graph.ValueInfo{Name: name, DType: dt, Shape: graph.ShapeOf(dims...), HasShape: true}
}

func bodyAttr(name string, g *graph.Graph) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrGraph, G: g}
}

// denseLoop applies v = Relu(v·W + b) M times; W and b are outer values
// the body reads, and a Counted node copies v on every iteration.
func denseLoop() *graph.Model {
	body := &graph.Graph{
		Name:    "layer",
		Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool), tinfo("v_in", ops.Float32, 1, 4)},
		Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), tinfo("v_out", ops.Float32, 1, 4)},
		Nodes: []*graph.Node{
			cfNode("Identity", []string{"c"}, []string{"c_out"}),
			cfNode("MatMul", []string{"v_in", "W"}, []string{"h"}),
			cfNode("Add", []string{"h", "b"}, []string{"z"}),
			cfNode("Relu", []string{"z"}, []string{"r"}),
			{OpType: "Counted", Domain: testDomain, Inputs: []string{"r"}, Outputs: []string{"v_out"}},
		},
	}
	w := ops.New(ops.Float32, 4, 4)
	for i := range w.F32() {
		w.F32()[i] = float32(i%5)/4 - 0.3
	}
	b := ops.FromFloat32([]int{4}, []float32{0.1, -0.2, 0.3, 0})
	g := &graph.Graph{
		Name:         "dense-loop",
		Inputs:       []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("v0", ops.Float32, 1, 4)},
		Outputs:      []graph.ValueInfo{{Name: "v", DType: ops.Float32}},
		Initializers: map[string]*ops.Tensor{"W": w, "b": b},
		InitOrder:    []string{"W", "b"},
		Nodes:        []*graph.Node{cfNode("Loop", []string{"M", "", "v0"}, []string{"v"}, bodyAttr("body", body))},
	}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13, testDomain: 1}, Graph: g}
}

// The body of a Loop is compiled once with its plan (not per run or per
// iteration), optimised by the same passes as the main graph (MatMul +
// Add + Relu fused), without changing the caller's model, and gives the
// layer applied M times, computed here directly.
func TestSubgraphsPlannedOnceAndOptimised(t *testing.T) {
	m := denseLoop()
	before, err := graph.Encode(m)
	require.NoError(t, err)
	builds.Store(0)
	p, err := Compile(m, Options{Optimize: true})
	require.NoError(t, err)
	assert.EqualValues(t, 1, builds.Load(), "the body's kernels are built once, at Compile")
	after, err := graph.Encode(m)
	require.NoError(t, err)
	assert.Equal(t, before, after, "Compile does not change the model's subgraphs")

	require.Len(t, p.steps, 1)
	require.Len(t, p.steps[0].bodies, 1)
	var bodyOps []string
	for _, st := range p.steps[0].bodies[0].steps {
		bodyOps = append(bodyOps, st.node.OpType)
	}
	assert.Equal(t, []string{"Identity", "FusedGemm", "Counted"}, bodyOps, "the body is optimised: MatMul+Add+Relu fused")

	v0 := ops.FromFloat32([]int{1, 4}, []float32{1, -1, 0.5, 2})
	w, b := m.Graph.Initializers["W"].F32(), m.Graph.Initializers["b"].F32()
	want := append([]float32(nil), v0.F32()...)
	for range 6 {
		next := make([]float32, 4)
		for j := range 4 {
			s := b[j]
			for k := range 4 {
				s += want[k] * w[k*4+j]
			}
			next[j] = max(s, 0)
		}
		want = next
	}
	for range 3 {
		out, err := p.Run(context.Background(), []*ops.Tensor{ops.FromInt64(nil, []int64{6}), v0})
		require.NoError(t, err)
		assert.InDeltaSlice(t, want, out[0].F32(), 1e-5)
	}
	assert.EqualValues(t, 1, builds.Load(), "running does not rebuild the body")

	unopt, err := Compile(m, Options{})
	require.NoError(t, err)
	out, err := unopt.Run(context.Background(), []*ops.Tensor{ops.FromInt64(nil, []int64{6}), v0})
	require.NoError(t, err)
	assert.InDeltaSlice(t, want, out[0].F32(), 1e-5)
}

// A value the main graph's fusion would absorb (MatMul's output before
// Add) stays when an If branch reads it too, and so does an Identity's
// output a branch reads: the passes count subgraph reads.
func TestPassesKeepValuesSubgraphsRead(t *testing.T) {
	then := &graph.Graph{Name: "then", Outputs: []graph.ValueInfo{{Name: "t", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Neg", []string{"h"}, []string{"t"})}}
	els := &graph.Graph{Name: "else", Outputs: []graph.ValueInfo{{Name: "e", DType: ops.Float32}},
		Nodes: []*graph.Node{cfNode("Abs", []string{"id"}, []string{"e"})}}
	w := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	g := &graph.Graph{
		Name:         "shared",
		Inputs:       []graph.ValueInfo{tinfo("x", ops.Float32, 1, 2), tinfo("c", ops.Bool)},
		Outputs:      []graph.ValueInfo{{Name: "y", DType: ops.Float32}, {Name: "z", DType: ops.Float32}},
		Initializers: map[string]*ops.Tensor{"W": w, "bias": ops.FromFloat32([]int{2}, []float32{10, 20})},
		InitOrder:    []string{"W", "bias"},
		Nodes: []*graph.Node{
			cfNode("MatMul", []string{"x", "W"}, []string{"h"}),
			cfNode("Add", []string{"h", "bias"}, []string{"a"}),
			cfNode("Relu", []string{"a"}, []string{"y"}),
			cfNode("Identity", []string{"x"}, []string{"id"}),
			cfNode("If", []string{"c"}, []string{"z"}, bodyAttr("then_branch", then), bodyAttr("else_branch", els)),
		},
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
	x := ops.FromFloat32([]int{1, 2}, []float32{1, -1})
	for _, optimize := range []bool{false, true} {
		p, err := Compile(m, Options{Optimize: optimize})
		require.NoError(t, err, "optimize %v", optimize)
		out, err := p.Run(context.Background(), []*ops.Tensor{x, ops.FromBool(nil, []bool{true})})
		require.NoError(t, err, "optimize %v", optimize)
		assert.Equal(t, []float32{8, 18}, out[0].F32(), "optimize %v: y = relu(x·W + bias)", optimize)
		assert.Equal(t, []float32{2, 2}, out[1].F32(), "optimize %v: z = -(x·W)", optimize)
		out, err = p.Run(context.Background(), []*ops.Tensor{x, ops.FromBool(nil, []bool{false})})
		require.NoError(t, err, "optimize %v", optimize)
		assert.Equal(t, []float32{1, 1}, out[1].F32(), "optimize %v: z = |x|", optimize)
	}
}

// Loop stacks scan outputs of any element type (views and copies through
// ops.SliceData and ops.PutIndex), here int16 and string.
func TestLoopScanOutputsOfEveryType(t *testing.T) {
	for _, x := range []*ops.Tensor{
		{DType: ops.Int16, Shape: []int{2}, Data: []int16{-3, 7}},
		{DType: ops.String, Shape: []int{2}, Data: []string{"a", "bc"}},
	} {
		body := &graph.Graph{
			Name:    "emit",
			Inputs:  []graph.ValueInfo{tinfo("i", ops.Int64), tinfo("c", ops.Bool)},
			Outputs: []graph.ValueInfo{tinfo("c_out", ops.Bool), tinfo("y", x.DType, 2)},
			Nodes: []*graph.Node{
				cfNode("Identity", []string{"c"}, []string{"c_out"}),
				cfNode("Identity", []string{"x"}, []string{"y"}),
			},
		}
		g := &graph.Graph{
			Name:    "emit",
			Inputs:  []graph.ValueInfo{tinfo("M", ops.Int64), tinfo("x", x.DType, 2)},
			Outputs: []graph.ValueInfo{{Name: "ys", DType: x.DType}},
			Nodes:   []*graph.Node{cfNode("Loop", []string{"M", ""}, []string{"ys"}, bodyAttr("body", body))},
		}
		p, err := Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}, Options{})
		require.NoError(t, err)
		out, err := p.Run(context.Background(), []*ops.Tensor{ops.FromInt64(nil, []int64{40}), x})
		require.NoError(t, err, "%v", x.DType)
		require.Equal(t, []int{40, 2}, out[0].Shape)
		whole := ops.New(x.DType, 40, 2)
		for i := range 40 {
			require.NoError(t, ops.PutIndex(whole, 0, i, x))
		}
		assert.Equal(t, whole.Data, out[0].Data, "%v", x.DType)
	}
}
