package passes_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seGraph is a squeeze-excitation block as the exporters write it:
// ReduceMean over H, W → 1×1 Conv + Relu → 1×1 Conv → Sigmoid → Mul with
// the input → the 1×1 projection after it. gateShape false gates with a
// full-size Sigmoid of x instead (no N×C×1×1 gate: the fallback).
func seGraph(rng *rand.Rand, dt ops.DType, c, mid, out int, gateShape bool) *graph.Model {
	randT := func(shape ...int) *ops.Tensor {
		t := ops.New(ops.Float32, shape...)
		for i := range t.F32() {
			t.F32()[i] = float32(rng.Float64()*2 - 1)
		}
		if dt == ops.Float64 {
			t64 := ops.New(ops.Float64, shape...)
			for i, v := range t.F32() {
				t64.F64()[i] = float64(v)
			}
			return t64
		}
		return t
	}
	nodes := []*graph.Node{
		{Name: "squeeze", OpType: "ReduceMean", Inputs: []string{"x", "axes"}, Outputs: []string{"m"}},
		{Name: "fc1", OpType: "Conv", Inputs: []string{"m", "w1", "b1"}, Outputs: []string{"h"}},
		{Name: "relu", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"hr"}},
		{Name: "fc2", OpType: "Conv", Inputs: []string{"hr", "w2", "b2"}, Outputs: []string{"e"}},
		{Name: "gate", OpType: "Sigmoid", Inputs: []string{"e"}, Outputs: []string{"s"}},
		{Name: "excite", OpType: "Mul", Inputs: []string{"x", "s"}, Outputs: []string{"xs"}},
		{Name: "project", OpType: "Conv", Inputs: []string{"xs", "w3", "b3"}, Outputs: []string{"y"}},
	}
	if !gateShape {
		nodes = []*graph.Node{
			{Name: "gate", OpType: "Sigmoid", Inputs: []string{"x"}, Outputs: []string{"s"}},
			{Name: "excite", OpType: "Mul", Inputs: []string{"s", "x"}, Outputs: []string{"xs"}},
			{Name: "project", OpType: "Conv", Inputs: []string{"xs", "w3"}, Outputs: []string{"y"}},
		}
	}
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x", DType: dt}},
		Outputs: []graph.ValueInfo{{Name: "y"}},
		Initializers: map[string]*ops.Tensor{
			"axes": ops.FromInt64([]int{2}, []int64{2, 3}),
			"w1":   randT(mid, c, 1, 1), "b1": randT(mid),
			"w2": randT(c, mid, 1, 1), "b2": randT(c),
			"w3": randT(out, c, 1, 1), "b3": randT(out),
		},
		Nodes: nodes,
	}
	return &graph.Model{Opsets: map[string]int64{"": 18}, Graph: g}
}

// TestFuseChannelScaleGraph: the gate's Mul disappears into the
// projection, which becomes a FusedConv with the gate as fourth input.
func TestFuseChannelScaleGraph(t *testing.T) {
	m := seGraph(rand.New(rand.NewPCG(1, 2)), ops.Float32, 8, 4, 6, true)
	g := runPass(t, passes.FuseLayers, m, m.Graph)
	out := runPass(t, passes.FuseChannelScale, m, g)
	assert.Equal(t, []string{
		"ReduceMean(x,axes)->m", "FusedConv(m,w1,b1)->hr", "FusedConv(hr,w2,b2)->s", "FusedConv(x,w3,b3,s)->y",
	}, opsOf(out), "after fuse-channel-scale")
	require.Len(t, g.Nodes, 5, "fuse-channel-scale modified its input")

	// Not a gate (the scale is a graph input): kept.
	m.Graph.Nodes[5].Inputs = []string{"x", "x"}
	out = runPass(t, passes.FuseChannelScale, m, runPass(t, passes.FuseLayers, m, m.Graph))
	assert.Contains(t, opsOf(out), "Mul(x,x)->xs", "Mul of two non-gates kept")
}

// TestChannelScaleMatchesUnscaled runs SE blocks optimised and not, on
// the fast path (N×C×1×1 gate, float32), with a full-size gate and in
// float64 (the fallbacks), and checks the outputs agree.
func TestChannelScaleMatchesUnscaled(t *testing.T) {
	for _, c := range []struct {
		name      string
		dt        ops.DType
		gateShape bool
	}{{"se float32", ops.Float32, true}, {"full gate float32", ops.Float32, false}, {"se float64", ops.Float64, true}} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			m := seGraph(rng, c.dt, 12, 4, 7, c.gateShape)
			x := ops.New(c.dt, 3, 12, 9, 10)
			for i := 0; i < x.Len(); i++ {
				v := rng.Float64()*2 - 1
				if c.dt == ops.Float64 {
					x.F64()[i] = v
				} else {
					x.F32()[i] = float32(v)
				}
			}
			var res [2]*ops.Tensor
			for i, opt := range []bool{false, true} {
				p, err := native.Compile(m, native.Options{Optimize: opt})
				require.NoError(t, err)
				if opt {
					assert.NotContains(t, opsOf(p.Graph()), "Mul(x,s)->xs", "the Mul was fused")
				}
				for run := 0; run < 2; run++ {
					out, err := p.Run(context.Background(), []*ops.Tensor{x})
					require.NoError(t, err)
					res[i] = out[0]
				}
			}
			require.Equal(t, []int{3, 7, 9, 10}, res[1].Shape)
			for i := 0; i < res[0].Len(); i++ {
				var a, b float64
				if c.dt == ops.Float64 {
					a, b = res[0].F64()[i], res[1].F64()[i]
				} else {
					a, b = float64(res[0].F32()[i]), float64(res[1].F32()[i])
				}
				require.InDelta(t, a, b, 1e-6+1e-5*math.Abs(a), "element %d", i)
			}
		})
	}
}
