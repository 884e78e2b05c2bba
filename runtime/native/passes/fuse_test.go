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
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fattr(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

func intsAttr(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}

func iattr(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func TestFuseGemmGraph(t *testing.T) {
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x"}},
		Outputs: []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "y3"}, {Name: "g4"}, {Name: "y4"}, {Name: "y5"}, {Name: "y6"}, {Name: "y7"}, {Name: "y8"}, {Name: "y9"}},
		Nodes: []*graph.Node{
			{Name: "g1", OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"g1"}},
			{Name: "r1", OpType: "Relu", Inputs: []string{"g1"}, Outputs: []string{"y1"}}, // fused
			{Name: "m2", OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m2"}},
			{Name: "a2", OpType: "Add", Inputs: []string{"b", "m2"}, Outputs: []string{"a2"}},
			{Name: "s2", OpType: "Sigmoid", Inputs: []string{"a2"}, Outputs: []string{"y2"}}, // fused, bias first
			{Name: "m3", OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m3"}},
			{Name: "a3", OpType: "Add", Inputs: []string{"m3", "b"}, Outputs: []string{"y3"}}, // fused, no act
			{Name: "g4", OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"g4"}},
			{Name: "r4", OpType: "Relu", Inputs: []string{"g4"}, Outputs: []string{"y4"}}, // g4 is an output: kept
			{Name: "m5", OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m5"}},
			{Name: "a5", OpType: "Add", Inputs: []string{"m5", "b"}, Outputs: []string{"a5"}},
			{Name: "t5", OpType: "Tanh", Inputs: []string{"m5"}, Outputs: []string{"t5"}}, // m5 read twice: kept
			{Name: "s5", OpType: "Sum", Inputs: []string{"a5", "t5"}, Outputs: []string{"y5"}},
			{Name: "g6", OpType: "Gemm", Inputs: []string{"x", "w"}, Outputs: []string{"y6"}}, // lone Gemm: kept
			{Name: "c8", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c8"}},
			{Name: "r8", OpType: "Relu", Inputs: []string{"c8"}, Outputs: []string{"y8"}}, // fused into FusedConv
			{Name: "t9", OpType: "ConvTranspose", Inputs: []string{"x", "w"}, Outputs: []string{"t9"}},
			{Name: "s9", OpType: "Sigmoid", Inputs: []string{"t9"}, Outputs: []string{"y9"}}, // fused into FusedConvTranspose
			{Name: "m7", OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m7"}},
			{Name: "a7", OpType: "Add", Inputs: []string{"m7", "m7"}, Outputs: []string{"y7"}}, // m7 read twice: kept
		},
	}
	m := &graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}
	got := opsOf(runPass(t, passes.FuseLayers, m, g))
	want := []string{
		"FusedGemm(x,w,b)->y1",
		"FusedGemm(x,w,b)->y2",
		"FusedGemm(x,w,b)->y3",
		"Gemm(x,w,b)->g4", "Relu(g4)->y4",
		"MatMul(x,w)->m5", "Add(m5,b)->a5", "Tanh(m5)->t5", "Sum(a5,t5)->y5",
		"Gemm(x,w)->y6",
		"FusedConv(x,w)->y8",
		"FusedConvTranspose(x,w)->y9",
		"MatMul(x,w)->m7", "Add(m7,m7)->y7",
	}
	require.Equal(t, want, got, "after fusion")
	require.Len(t, g.Nodes, 20, "fuse-layers modified its input")
}

// TestFusedMatchesUnfused runs dense layers with and without optimisation
// on shapes that take the fused fast path and on shapes that fall back to
// the original kernels, and checks the results agree.
func TestFusedMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	randT := func(dt ops.DType, shape ...int) *ops.Tensor {
		t := ops.New(dt, shape...)
		switch dt {
		case ops.Float32:
			for i := range t.F32() {
				t.F32()[i] = float32(rng.Float64()*2 - 1)
			}
		case ops.Float64:
			for i := range t.F64() {
				t.F64()[i] = rng.Float64()*2 - 1
			}
		}
		return t
	}
	type tc struct {
		name   string
		nodes  []*graph.Node
		inits  map[string]*ops.Tensor
		x      *ops.Tensor
		fused  bool // expect a FusedGemm node after optimisation
		outDim []int
	}
	cases := []tc{
		{"gemm transB relu", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}, Attrs: map[string]*graph.Attr{"transB": iattr("transB", 1)}},
			{OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 5, 7), "b": randT(ops.Float32, 5)}, randT(ops.Float32, 3, 7), true, []int{3, 5}},
		{"gemm leakyrelu row bias", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}},
			{OpType: "LeakyRelu", Inputs: []string{"h"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 0.2)}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 7, 5), "b": randT(ops.Float32, 1, 5)}, randT(ops.Float32, 4, 7), true, []int{4, 5}},
		{"gemm alpha beta (fallback)", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 0.5), "beta": fattr("beta", 2), "transA": iattr("transA", 1)}},
			{OpType: "Tanh", Inputs: []string{"h"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 7, 5), "b": randT(ops.Float32, 4, 5)}, randT(ops.Float32, 7, 4), true, []int{4, 5}},
		{"gemm float64 (fallback)", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}},
			{OpType: "Sigmoid", Inputs: []string{"h"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float64, 7, 5), "b": randT(ops.Float64, 5)}, randT(ops.Float64, 2, 7), true, []int{2, 5}},
		{"matmul add sigmoid", []*graph.Node{
			{OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m"}},
			{OpType: "Add", Inputs: []string{"m", "b"}, Outputs: []string{"a"}},
			{OpType: "Sigmoid", Inputs: []string{"a"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 6, 3), "b": randT(ops.Float32, 3)}, randT(ops.Float32, 5, 6), true, []int{5, 3}},
		{"matmul 3-D add (fallback)", []*graph.Node{
			{OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m"}},
			{OpType: "Add", Inputs: []string{"b", "m"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 6, 3), "b": randT(ops.Float32, 3)}, randT(ops.Float32, 2, 5, 6), true, []int{2, 5, 3}},
		{"conv relu", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"pads": intsAttr("pads", 1, 1, 1, 1)}},
			{OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 4, 2, 3, 3), "b": randT(ops.Float32, 4)}, randT(ops.Float32, 2, 2, 5, 5), true, []int{2, 4, 5, 5}},
		{"conv grouped strided leakyrelu", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"group": iattr("group", 2), "strides": intsAttr("strides", 2, 2)}},
			{OpType: "LeakyRelu", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 0.3)}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 4, 1, 2, 2), "b": randT(ops.Float32, 4)}, randT(ops.Float32, 1, 2, 6, 6), true, []int{1, 4, 3, 3}},
		{"conv no bias sigmoid", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{OpType: "Sigmoid", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 3, 2, 3, 3)}, randT(ops.Float32, 1, 2, 4, 4), true, []int{1, 3, 2, 2}},
		{"conv float64 tanh (fallback)", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "Tanh", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float64, 2, 1, 2, 2), "b": randT(ops.Float64, 2)}, randT(ops.Float64, 1, 1, 3, 3), true, []int{1, 2, 2, 2}},
		{"convtranspose phase route relu", []*graph.Node{
			{OpType: "ConvTranspose", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"strides": intsAttr("strides", 2, 2), "pads": intsAttr("pads", 1, 1, 1, 1), "output_padding": intsAttr("output_padding", 1, 1)}},
			{OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 2, 4, 3, 3), "b": randT(ops.Float32, 4)}, randT(ops.Float32, 3, 2, 5, 5), true, []int{3, 4, 10, 10}},
		{"convtranspose shift route leakyrelu", []*graph.Node{
			{OpType: "ConvTranspose", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"strides": intsAttr("strides", 2, 2), "pads": intsAttr("pads", 1, 1, 1, 1), "output_padding": intsAttr("output_padding", 1, 1)}},
			{OpType: "LeakyRelu", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 0.3)}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 8, 4, 3, 3), "b": randT(ops.Float32, 4)}, randT(ops.Float32, 2, 8, 7, 7), true, []int{2, 4, 14, 14}},
		{"convtranspose col2im route sigmoid", []*graph.Node{
			{OpType: "ConvTranspose", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"strides": intsAttr("strides", 2, 2), "pads": intsAttr("pads", 1, 1, 1, 1), "output_padding": intsAttr("output_padding", 1, 1)}},
			{OpType: "Sigmoid", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 3, 1, 3, 3), "b": randT(ops.Float32, 1)}, randT(ops.Float32, 2, 3, 6, 6), true, []int{2, 1, 12, 12}},
		{"convtranspose float64 tanh (fallback)", []*graph.Node{
			{OpType: "ConvTranspose", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "Tanh", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float64, 1, 2, 2, 2), "b": randT(ops.Float64, 2)}, randT(ops.Float64, 1, 1, 3, 3), true, []int{1, 2, 4, 4}},
		{"depthwise conv hardswish", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"group": iattr("group", 3), "pads": intsAttr("pads", 2, 2, 2, 2)}},
			{OpType: "HardSwish", Inputs: []string{"c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 3, 1, 5, 5), "b": randT(ops.Float32, 3)}, randT(ops.Float32, 2, 3, 7, 7), true, []int{2, 3, 7, 7}},
		{"conv hardsigmoid", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "HardSigmoid", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 1.0/6)}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 4, 3, 1, 1), "b": randT(ops.Float32, 4)}, randT(ops.Float32, 2, 3, 4, 4), true, []int{2, 4, 4, 4}},
		{"conv relu6 clip", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "Clip", Inputs: []string{"c", "lo", "hi"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 4, 3, 3, 3), "b": randT(ops.Float32, 4), "lo": ops.Scalar(float32(0)), "hi": ops.Scalar(float32(0.5))}, randT(ops.Float32, 2, 3, 6, 6), true, []int{2, 4, 4, 4}},
		{"conv clip max only", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "Clip", Inputs: []string{"c", "", "hi"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 4, 3, 3, 3), "b": randT(ops.Float32, 4), "hi": ops.Scalar(float32(0.25))}, randT(ops.Float32, 1, 3, 5, 5), true, []int{1, 4, 3, 3}},
		{"conv silu as x*sigmoid(x)", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}, Attrs: map[string]*graph.Attr{"pads": intsAttr("pads", 1, 1, 1, 1)}},
			{OpType: "Sigmoid", Inputs: []string{"c"}, Outputs: []string{"s"}},
			{OpType: "Mul", Inputs: []string{"c", "s"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 5, 3, 3, 3), "b": randT(ops.Float32, 5)}, randT(ops.Float32, 2, 3, 6, 6), true, []int{2, 5, 6, 6}},
		{"conv silu sigmoid first, float64 (fallback)", []*graph.Node{
			{OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"}},
			{OpType: "Sigmoid", Inputs: []string{"c"}, Outputs: []string{"s"}},
			{OpType: "Mul", Inputs: []string{"s", "c"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float64, 2, 1, 2, 2), "b": randT(ops.Float64, 2)}, randT(ops.Float64, 1, 1, 3, 3), true, []int{1, 2, 2, 2}},
		{"gemm hardswish as x*hardsigmoid(x)", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}},
			{OpType: "HardSigmoid", Inputs: []string{"h"}, Outputs: []string{"s"}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", 1.0/6), "beta": fattr("beta", 0.5)}},
			{OpType: "Mul", Inputs: []string{"h", "s"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 7, 40), "b": randT(ops.Float32, 40)}, randT(ops.Float32, 3, 7), true, []int{3, 40}},
		{"gemm clip float64 (fallback)", []*graph.Node{
			{OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}},
			{OpType: "Clip", Inputs: []string{"h", "lo", "hi"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float64, 7, 5), "b": randT(ops.Float64, 5), "lo": ops.FromFloat64(nil, []float64{-0.2}), "hi": ops.FromFloat64(nil, []float64{0.3})}, randT(ops.Float64, 2, 7), false, []int{2, 5}},
		{"matmul add full bias (fallback)", []*graph.Node{
			{OpType: "MatMul", Inputs: []string{"x", "w"}, Outputs: []string{"m"}},
			{OpType: "Add", Inputs: []string{"m", "b"}, Outputs: []string{"a"}},
			{OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"y"}}},
			map[string]*ops.Tensor{"w": randT(ops.Float32, 6, 3), "b": randT(ops.Float32, 5, 3)}, randT(ops.Float32, 5, 6), true, []int{5, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &graph.Graph{
				Inputs:       []graph.ValueInfo{{Name: "x", DType: c.x.DType}},
				Outputs:      []graph.ValueInfo{{Name: "y"}},
				Initializers: c.inits,
				Nodes:        c.nodes,
			}
			m := &graph.Model{Opsets: map[string]int64{"": 14}, Graph: g}
			var res [2]*ops.Tensor
			for i, opt := range []bool{false, true} {
				p, err := native.Compile(m, native.Options{Optimize: opt})
				require.NoError(t, err)
				if opt {
					ops := opsOf(p.Graph())
					if c.fused {
						require.Len(t, ops, 1, "optimised graph %q, want one fused node", ops)
						require.Equal(t, operators.FusedDomain, p.Graph().Nodes[0].Domain, "optimised graph %q, want one fused node", ops)
					}
				}
				for run := 0; run < 2; run++ { // second run uses recycled buffers
					out, err := p.Run(context.Background(), []*ops.Tensor{c.x})
					require.NoError(t, err)
					res[i] = out[0]
				}
			}
			require.Equal(t, c.outDim, res[0].Shape, "unfused shape")
			require.Equal(t, c.outDim, res[1].Shape, "fused shape")
			require.Equal(t, res[0].DType, res[1].DType, "fused type")
			for i := 0; i < res[0].Len(); i++ {
				var a, b float64
				if res[0].DType == ops.Float64 {
					a, b = res[0].F64()[i], res[1].F64()[i]
				} else {
					a, b = float64(res[0].F32()[i]), float64(res[1].F32()[i])
				}
				require.InDelta(t, a, b, 1e-6+1e-5*math.Abs(a), "element %d: unfused %v, fused %v", i, a, b)
			}
		})
	}
}

func TestFusedGemmErrorsNameTheOriginalNode(t *testing.T) {
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32}},
		Outputs:      []graph.ValueInfo{{Name: "y"}},
		Initializers: map[string]*ops.Tensor{"w": ops.New(ops.Float32, 4, 3), "b": ops.New(ops.Float32, 3)},
		Nodes: []*graph.Node{
			{Name: "dense1", OpType: "Gemm", Inputs: []string{"x", "w", "b"}, Outputs: []string{"h"}},
			{Name: "act1", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"y"}},
		},
	}
	p, err := native.Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, native.Options{Optimize: true})
	require.NoError(t, err)
	_, err = p.Run(context.Background(), []*ops.Tensor{ops.New(ops.Float32, 2, 5)}) // inner dims 5 vs 4
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dense1 (Gemm)", "the error names the original node")
}

// TestFuseActivationPatternsGraph checks which activation patterns after a
// convolution fuse-layers absorbs: the single operators, Clip with constant
// bounds (Relu6), and the exporters' decompositions x·Sigmoid(x) (SiLU)
// and x·HardSigmoid(x) with PyTorch's constants (HardSwish); and which it
// must leave alone.
func TestFuseActivationPatternsGraph(t *testing.T) {
	conv := func(out string) *graph.Node {
		return &graph.Node{Name: "conv_" + out, OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{out}}
	}
	hsig := func(in, out string, a float32) *graph.Node {
		return &graph.Node{OpType: "HardSigmoid", Inputs: []string{in}, Outputs: []string{out}, Attrs: map[string]*graph.Attr{"alpha": fattr("alpha", a), "beta": fattr("beta", 0.5)}}
	}
	g := &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "x"}, {Name: "dyn"}},
		Outputs: []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "y3"}, {Name: "y4"}, {Name: "y5"}, {Name: "y6"}, {Name: "y7"}, {Name: "s7"}, {Name: "y8"}},
		Initializers: map[string]*ops.Tensor{"w": ops.New(ops.Float32, 2, 2, 1, 1),
			"zero": ops.Scalar(0), "six": ops.Scalar(6), "pair": ops.New(ops.Float32, 2)},
		Nodes: []*graph.Node{
			conv("c1"), {OpType: "Sigmoid", Inputs: []string{"c1"}, Outputs: []string{"s1"}},
			{OpType: "Mul", Inputs: []string{"s1", "c1"}, Outputs: []string{"y1"}}, // SiLU: fused
			conv("c2"), hsig("c2", "s2", 1.0/6), {OpType: "Mul", Inputs: []string{"c2", "s2"}, Outputs: []string{"y2"}}, // HardSwish: fused
			conv("c3"), hsig("c3", "s3", 0.2), {OpType: "Mul", Inputs: []string{"c3", "s3"}, Outputs: []string{"y3"}}, // alpha 0.2 is not HardSwish, and c3 has two readers: kept
			conv("c4"), {OpType: "Clip", Inputs: []string{"c4", "zero", "six"}, Outputs: []string{"y4"}}, // Relu6: fused
			conv("c5"), {OpType: "Clip", Inputs: []string{"c5", "zero", "dyn"}, Outputs: []string{"y5"}}, // bound fed at run time: kept
			conv("c6"), {OpType: "Clip", Inputs: []string{"c6", "pair"}, Outputs: []string{"y6"}}, // bound not a scalar: kept
			conv("c7"), {OpType: "Sigmoid", Inputs: []string{"c7"}, Outputs: []string{"s7"}},
			{OpType: "Mul", Inputs: []string{"c7", "s7"}, Outputs: []string{"y7"}}, // the Sigmoid's output is a graph output: kept
			conv("c8"), {OpType: "HardSwish", Inputs: []string{"c8"}, Outputs: []string{"y8"}}, // fused
		},
	}
	m := &graph.Model{Opsets: map[string]int64{"": 14}, Graph: g}
	out := runPass(t, passes.FuseLayers, m, g)
	want := []string{
		"FusedConv(x,w)->y1",
		"FusedConv(x,w)->y2",
		"Conv(x,w)->c3", "HardSigmoid(c3)->s3", "Mul(c3,s3)->y3",
		"FusedConv(x,w)->y4",
		"Conv(x,w)->c5", "Clip(c5,zero,dyn)->y5",
		"Conv(x,w)->c6", "Clip(c6,pair)->y6",
		"Conv(x,w)->c7", "Sigmoid(c7)->s7", "Mul(c7,s7)->y7",
		"FusedConv(x,w)->y8",
	}
	require.Equal(t, want, opsOf(out), "after fusion")
	acts := map[string]string{}
	for _, n := range out.Nodes {
		if n.OpType == "FusedConv" {
			a, err := n.String("activation", "")
			require.NoError(t, err)
			acts[n.Outputs[0]] = a
		}
	}
	assert.Equal(t, map[string]string{"y1": "Silu", "y2": "HardSwish", "y4": "Clip", "y8": "HardSwish"}, acts, "fused activations")
	for _, n := range out.Nodes {
		if n.Outputs[0] == "y4" {
			assert.Equal(t, float32(0), n.Attrs["activation_alpha"].F, "Clip min")
			assert.Equal(t, float32(6), n.Attrs["activation_beta"].F, "Clip max")
		}
	}
	require.Len(t, g.Nodes, 20, "fuse-layers modified its input")
}
