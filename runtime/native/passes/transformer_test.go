package passes_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scalarInit(v float32) *ops.Tensor { return ops.FromFloat32([]int{}, []float32{v}) }

// geluInits are the constants of the decomposed GELU patterns.
func geluInits() map[string]*ops.Tensor {
	return map[string]*ops.Tensor{
		"sqrt2": scalarInit(float32(math.Sqrt2)), "rsqrt2": scalarInit(float32(1 / math.Sqrt2)),
		"one": scalarInit(1), "half": scalarInit(0.5), "two": scalarInit(2),
	}
}

func node(name, op string, in []string, out string) *graph.Node {
	return &graph.Node{Name: name, OpType: op, Inputs: in, Outputs: []string{out}}
}

// TestFuseGeluPatterns checks every operand order the exporters write,
// and the near misses that must stay as they are; the fused graph computes
// what the original did.
func TestFuseGeluPatterns(t *testing.T) {
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x"}},
		Outputs:      []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "y3"}, {Name: "y4"}, {Name: "y5"}, {Name: "y6"}, {Name: "e7"}, {Name: "y7"}},
		Initializers: geluInits(),
		Nodes: []*graph.Node{
			// dynamo: Div, Erf, Add, Mul(0.5, a), Mul(x, ·)
			node("d1", "Div", []string{"x", "sqrt2"}, "d1"), node("e1", "Erf", []string{"d1"}, "e1"),
			node("a1", "Add", []string{"e1", "one"}, "a1"), node("m1", "Mul", []string{"half", "a1"}, "m1"),
			node("n1", "Mul", []string{"x", "m1"}, "y1"),
			// Mul(x, 1/√2), Mul(Mul(a, x), 0.5)
			node("d2", "Mul", []string{"rsqrt2", "x"}, "d2"), node("e2", "Erf", []string{"d2"}, "e2"),
			node("a2", "Add", []string{"one", "e2"}, "a2"), node("m2", "Mul", []string{"a2", "x"}, "m2"),
			node("n2", "Mul", []string{"m2", "half"}, "y2"),
			// TorchScript: Mul(Mul(x, 0.5), a)
			node("h3", "Mul", []string{"x", "half"}, "h3"), node("d3", "Div", []string{"x", "sqrt2"}, "d3"),
			node("e3", "Erf", []string{"d3"}, "e3"), node("a3", "Add", []string{"e3", "one"}, "a3"),
			node("n3", "Mul", []string{"h3", "a3"}, "y3"),
			// Kept: divides by 2, not √2.
			node("d4", "Div", []string{"x", "two"}, "d4"), node("e4", "Erf", []string{"d4"}, "e4"),
			node("a4", "Add", []string{"e4", "one"}, "a4"), node("m4", "Mul", []string{"half", "a4"}, "m4"),
			node("n4", "Mul", []string{"x", "m4"}, "y4"),
			// Kept: multiplies by another value than x.
			node("d5", "Div", []string{"x", "sqrt2"}, "d5"), node("e5", "Erf", []string{"d5"}, "e5"),
			node("a5", "Add", []string{"e5", "one"}, "a5"), node("m5", "Mul", []string{"half", "a5"}, "m5"),
			node("n5", "Mul", []string{"d5", "m5"}, "y5"),
			// Kept: adds 2.
			node("d6", "Div", []string{"x", "sqrt2"}, "d6"), node("e6", "Erf", []string{"d6"}, "e6"),
			node("a6", "Add", []string{"e6", "two"}, "a6"), node("m6", "Mul", []string{"half", "a6"}, "m6"),
			node("n6", "Mul", []string{"x", "m6"}, "y6"),
			// Kept: the Erf's output is a graph output too.
			node("d7", "Div", []string{"x", "sqrt2"}, "d7"), node("e7", "Erf", []string{"d7"}, "e7"),
			node("a7", "Add", []string{"e7", "one"}, "a7"), node("m7", "Mul", []string{"half", "a7"}, "m7"),
			node("n7", "Mul", []string{"x", "m7"}, "y7"),
		},
	}
	m := &graph.Model{Opsets: map[string]int64{"": 18}, Graph: g}
	fused := runPass(t, passes.FuseGelu, m, g)
	got := opsOf(fused)
	assert.Equal(t, []string{"Gelu(x)->y1", "Gelu(x)->y2", "Gelu(x)->y3"}, got[:3])
	assert.Len(t, got, 3+4*5, "the near misses stay")
	assert.Len(t, g.Nodes, 35, "fuse-gelu modified its input")

	rng := rand.New(rand.NewPCG(4, 2))
	x := ops.New(ops.Float32, 3, 37)
	for i := range x.F32() {
		x.F32()[i] = float32(rng.NormFloat64() * 3)
	}
	x.F32()[0], x.F32()[1] = -30, 30
	before, after := runGraph(t, m, g, x), runGraph(t, m, fused, x)
	require.Len(t, after, len(before))
	for i := range before {
		for j, w := range before[i].F32() {
			v := float64(after[i].F32()[j])
			// The unfused chain rounds 1 + erf in float32: 6e-8 absolute
			// times |x|.
			require.InDeltaf(t, float64(w), v, 1e-6*math.Max(1, math.Abs(float64(x.F32()[j]))), "output %d element %d", i, j)
			want := 0.5 * float64(x.F32()[j]) * math.Erfc(-float64(x.F32()[j])/math.Sqrt2)
			if i < 3 {
				assert.InDeltaf(t, want, v, 1e-6*math.Max(1, math.Abs(want)), "fused output %d element %d against float64", i, j)
			}
		}
	}
}

// TestFuseSoftmaxPattern: the masked softmax becomes one FusedSoftmax, and
// a fully masked row comes out as zeros both before and after.
func TestFuseSoftmaxPattern(t *testing.T) {
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x"}, {Name: "mask"}},
		Outputs:      []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "s3"}, {Name: "y3"}},
		Initializers: map[string]*ops.Tensor{"zero": scalarInit(0), "one": scalarInit(1)},
		Nodes: []*graph.Node{
			node("add", "Add", []string{"x", "mask"}, "z"),
			node("s1", "Softmax", []string{"z"}, "s1"), node("i1", "IsNaN", []string{"s1"}, "i1"),
			node("w1", "Where", []string{"i1", "zero", "s1"}, "y1"),
			// Kept: replaces NaN with 1.
			node("s2", "Softmax", []string{"z"}, "s2"), node("i2", "IsNaN", []string{"s2"}, "i2"),
			node("w2", "Where", []string{"i2", "one", "s2"}, "y2"),
			// Kept: the softmax is a graph output too.
			node("s3", "Softmax", []string{"z"}, "s3"), node("i3", "IsNaN", []string{"s3"}, "i3"),
			node("w3", "Where", []string{"i3", "zero", "s3"}, "y3"),
		},
	}
	g.Nodes[1].Attrs = map[string]*graph.Attr{"axis": iattr("axis", -1)}
	m := &graph.Model{Opsets: map[string]int64{"": 18}, Graph: g}
	fused := runPass(t, passes.FuseSoftmax, m, g)
	got := opsOf(fused)
	assert.Equal(t, "FusedSoftmax(z)->y1", got[1])
	assert.Len(t, got, 8)
	assert.Len(t, g.Nodes, 10, "fuse-softmax modified its input")

	rng := rand.New(rand.NewPCG(8, 1))
	const rows, cols = 5, 19
	x, mask := ops.New(ops.Float32, 2, rows, cols), ops.New(ops.Float32, 1, rows, cols)
	for i := range x.F32() {
		x.F32()[i] = float32(rng.NormFloat64() * 4)
	}
	inf := float32(math.Inf(-1))
	for j := range cols {
		mask.F32()[2*cols+j] = inf // row 2 fully masked
		if j%3 == 0 {
			mask.F32()[j] = inf
		}
	}
	before, after := runGraph(t, m, g, x, mask), runGraph(t, m, fused, x, mask)
	for i := range before {
		for j, w := range before[i].F32() {
			v := after[i].F32()[j]
			if w != w {
				assert.Truef(t, v != v, "output %d element %d: NaN before, %g after", i, j, v)
				continue
			}
			require.InDeltaf(t, w, v, 1e-6, "output %d element %d", i, j)
		}
	}
	for j := range cols {
		assert.Zero(t, after[0].F32()[2*cols+j], "a fully masked row gives zeros")
	}
}

// TestFusedGemmBatchedRows: a MatMul of a 3-D activation by a 2-D weight
// plus a bias, fused, computes what MatMul then Add do, for a bias of one
// row (the one-Gemm path) and a bias varying by row (the fallback).
func TestFusedGemmBatchedRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	randT := func(shape ...int) *ops.Tensor {
		x := ops.New(ops.Float32, shape...)
		for i := range x.F32() {
			x.F32()[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, bias := range [][]int{{4}, {1, 1, 4}, {3, 4}, {2, 1, 4}} {
		g := &graph.Graph{
			Inputs:       []graph.ValueInfo{{Name: "x"}},
			Outputs:      []graph.ValueInfo{{Name: "y"}},
			Initializers: map[string]*ops.Tensor{"w": randT(5, 4), "b": randT(bias...)},
			Nodes: []*graph.Node{
				node("mm", "MatMul", []string{"x", "w"}, "m"),
				node("add", "Add", []string{"m", "b"}, "a"),
				node("act", "Relu", []string{"a"}, "y"),
			},
		}
		m := &graph.Model{Opsets: map[string]int64{"": 18}, Graph: g}
		fused := runPass(t, passes.FuseLayers, m, g)
		require.Equal(t, []string{"FusedGemm(x,w,b)->y"}, opsOf(fused))
		x := randT(2, 3, 5)
		before, after := runGraph(t, m, g, x), runGraph(t, m, fused, x)
		require.Equal(t, before[0].Shape, after[0].Shape, "bias %v", bias)
		for i, w := range before[0].F32() {
			require.InDeltaf(t, w, after[0].F32()[i], 1e-5, "bias %v element %d", bias, i)
		}
	}
}

// TestFuseGeluIntoLayers: a GELU after a Conv, Gemm or MatMul+Add (the
// decomposed form through fuse-gelu, or ai.onnx Gelu in either
// approximation) becomes the fused layer's epilogue; a layer output with
// another reader keeps its Gelu. The fused graph computes what the
// original did, on the vector path (float32) and on the fallback
// (float64, where the fused node runs Gemm then Gelu).
func TestFuseGeluIntoLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	randT := func(dt ops.DType, shape ...int) *ops.Tensor {
		v := ops.New(dt, shape...)
		for i := 0; i < v.Len(); i++ {
			x := rng.NormFloat64() * 1.5
			if dt == ops.Float64 {
				v.F64()[i] = x
			} else {
				v.F32()[i] = float32(x)
			}
		}
		return v
	}
	decomposed := func(p, x, y string) []*graph.Node {
		return []*graph.Node{
			node(p+"d", "Div", []string{x, "sqrt2"}, p+"d"), node(p+"e", "Erf", []string{p + "d"}, p+"e"),
			node(p+"a", "Add", []string{p + "e", "one"}, p+"a"), node(p+"m", "Mul", []string{"half", p + "a"}, p+"m"),
			node(p+"n", "Mul", []string{x, p + "m"}, y),
		}
	}
	tanh := map[string]*graph.Attr{"approximate": {Name: "approximate", Type: graph.AttrString, S: []byte("tanh")}}
	inits := geluInits()
	inits["cw"], inits["cb"] = randT(ops.Float32, 6, 3, 3, 3), randT(ops.Float32, 6)
	inits["mw"], inits["mb"] = randT(ops.Float32, 9, 20), randT(ops.Float32, 20)
	inits["dw"], inits["db"] = randT(ops.Float64, 9, 5), randT(ops.Float64, 5)
	var nodes []*graph.Node
	nodes = append(nodes, &graph.Node{Name: "conv1", OpType: "Conv", Inputs: []string{"x", "cw", "cb"}, Outputs: []string{"c1"}, Attrs: map[string]*graph.Attr{"pads": intsAttr("pads", 1, 1, 1, 1)}})
	nodes = append(nodes, decomposed("g1", "c1", "y1")...)
	nodes = append(nodes,
		node("mm2", "MatMul", []string{"v", "mw"}, "m2"), node("add2", "Add", []string{"m2", "mb"}, "a2"),
		&graph.Node{Name: "gelu2", OpType: "Gelu", Inputs: []string{"a2"}, Outputs: []string{"y2"}, Attrs: tanh},
		node("gemm3", "Gemm", []string{"u", "mw", "mb"}, "h3"), node("gelu3", "Gelu", []string{"h3"}, "y3"),
		node("conv4", "Conv", []string{"x", "cw", "cb"}, "c4"), node("gelu4", "Gelu", []string{"c4"}, "y4"), // c4 is a graph output: kept
		node("gemm5", "Gemm", []string{"d", "dw", "db"}, "h5"), node("gelu5", "Gelu", []string{"h5"}, "y5"))
	nodes = append(nodes, node("gemm6", "Gemm", []string{"d", "dw", "db"}, "h6"),
		&graph.Node{Name: "gelu6", OpType: "Gelu", Inputs: []string{"h6"}, Outputs: []string{"y6"}, Attrs: tanh})
	g := &graph.Graph{
		Inputs:       []graph.ValueInfo{{Name: "x"}, {Name: "v"}, {Name: "u"}, {Name: "d"}},
		Outputs:      []graph.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "y3"}, {Name: "c4"}, {Name: "y4"}, {Name: "y5"}, {Name: "y6"}},
		Initializers: inits,
		Nodes:        nodes,
	}
	m := &graph.Model{Opsets: map[string]int64{"": 20}, Graph: g}
	fused := runPass(t, passes.FuseLayers, m, runPass(t, passes.FuseGelu, m, g))
	assert.Equal(t, []string{
		"FusedConv(x,cw,cb)->y1", "FusedGemm(v,mw,mb)->y2", "FusedGemm(u,mw,mb)->y3",
		"Conv(x,cw,cb)->c4", "Gelu(c4)->y4", "FusedGemm(d,dw,db)->y5", "FusedGemm(d,dw,db)->y6",
	}, opsOf(fused), "after fuse-gelu and fuse-layers")
	acts := map[string]string{}
	for _, n := range fused.Nodes {
		if a, err := n.String("activation", ""); err == nil && a != "" {
			acts[n.Outputs[0]] = a
		}
	}
	assert.Equal(t, map[string]string{"y1": "Gelu", "y2": "GeluTanh", "y3": "Gelu", "y5": "Gelu", "y6": "GeluTanh"}, acts, "fused activations")

	x, v, u, d := randT(ops.Float32, 2, 3, 7, 6), randT(ops.Float32, 2, 4, 9), randT(ops.Float32, 5, 9), randT(ops.Float64, 3, 9)
	before, after := runGraph(t, m, g, x, v, u, d), runGraph(t, m, fused, x, v, u, d)
	require.Len(t, after, len(before))
	for i := range before {
		require.Equal(t, before[i].Shape, after[i].Shape, "output %d shape", i)
		for j := 0; j < before[i].Len(); j++ {
			var w, got float64
			if before[i].DType == ops.Float64 {
				w, got = before[i].F64()[j], after[i].F64()[j]
			} else {
				w, got = float64(before[i].F32()[j]), float64(after[i].F32()[j])
			}
			require.InDeltaf(t, w, got, 1e-5*math.Max(1, math.Abs(w)), "output %d element %d", i, j)
		}
	}
}
