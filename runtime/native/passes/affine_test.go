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
	"github.com/stretchr/testify/require"
)

func affineRand(rng *rand.Rand, lo, hi float64, shape ...int) *ops.Tensor {
	t := ops.New(ops.Float32, shape...)
	for i := range t.F32() {
		t.F32()[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}

// TestFoldAffine shows the graph before and after the fold-affine pass for the
// patterns it rewrites and those it must leave alone, and checks that the
// optimised plan computes what the unoptimised one does within 1e-5
// relative (the Affine node itself is bit-exact: TestAffineKernel; the
// fused output sigmoid is not).
func TestFoldAffine(t *testing.T) {
	const n, k, o = 3, 6, 4
	rng := rand.New(rand.NewPCG(21, 7))
	tB := map[string]*graph.Attr{"transB": iattr("transB", 1)}
	gemm := func(in, w, b, out string) *graph.Node {
		ins := []string{in, w}
		if b != "" {
			ins = append(ins, b)
		}
		return &graph.Node{Name: "g", OpType: "Gemm", Inputs: ins, Outputs: []string{out}, Attrs: tB}
	}
	nd := func(op string, a, b, out string) *graph.Node {
		return &graph.Node{Name: out, OpType: op, Inputs: []string{a, b}, Outputs: []string{out}}
	}
	inits := func() map[string]*ops.Tensor {
		return map[string]*ops.Tensor{
			"c": affineRand(rng, -0.5, 0.5, k), "s": affineRand(rng, 0.5, 2, k), "c2": affineRand(rng, -0.5, 0.5, 1, k),
			"cb": affineRand(rng, -0.5, 0.5, n, k), "z": ops.FromFloat32([]int{k}, []float32{1, 2, 0, 3, 4, 5}),
			"one": ops.FromFloat32([]int{1}, []float32{1.5}),
			"W":   affineRand(rng, -1, 1, o, k), "b": affineRand(rng, -1, 1, o),
			"so": affineRand(rng, 0.5, 2, o), "zo": ops.FromFloat32([]int{o}, []float32{1, 0, 2, 4}), "co": affineRand(rng, -1, 1, o),
		}
	}
	cases := []struct {
		name    string
		nodes   []*graph.Node
		inputs  []string // graph inputs besides x
		outputs []string // graph outputs
		want    []string // the graph after fold-affine; nil: unchanged
	}{
		{"sub div gemm", []*graph.Node{nd("Sub", "x", "c", "xc"), nd("Div", "xc", "s", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W_affine,y_bias_affine)->y"}},
		{"sub mul(scale first) gemm", []*graph.Node{nd("Sub", "x", "c", "xc"), nd("Mul", "s", "xc", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W_affine,y_bias_affine)->y"}},
		{"[1,K] offset, scalar scale, no bias", []*graph.Node{nd("Sub", "x", "c2", "xc"), nd("Mul", "xc", "one", "xs"), gemm("xs", "W", "", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W_affine,y_bias_affine)->y"}},
		{"div only", []*graph.Node{nd("Div", "x", "s", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W_affine,y_bias_affine)->y"}},
		{"sub only", []*graph.Node{nd("Sub", "x", "c", "xc"), gemm("xc", "W", "b", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W_affine,y_bias_affine)->y"}},
		{"sub output shared: only the div folds", []*graph.Node{nd("Sub", "x", "c", "xc"), nd("Div", "xc", "s", "xs"), gemm("xs", "W", "b", "y"), nd("Mul", "xc", "xc", "y2")}, nil, []string{"y", "y2"},
			[]string{"Sub(x,c)->xc", "Gemm(xc,W_affine,y_bias_affine)->y", "Mul(xc,xc)->y2"}},
		{"scaled value is a graph output", []*graph.Node{nd("Sub", "x", "c", "xc"), nd("Div", "xc", "s", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y", "xs"},
			nil},
		{"non-constant offset and scale", []*graph.Node{nd("Sub", "x", "u", "xc"), nd("Div", "xc", "v", "xs"), gemm("xs", "W", "b", "y")}, []string{"u", "v"}, []string{"y"},
			nil},
		{"per-batch offset", []*graph.Node{nd("Sub", "x", "cb", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			nil},
		{"zero in the divisor", []*graph.Node{nd("Div", "x", "z", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			nil},
		{"reversed Sub", []*graph.Node{nd("Sub", "c", "x", "xs"), gemm("xs", "W", "b", "y")}, nil, []string{"y"},
			nil},
		{"transB=0", []*graph.Node{nd("Sub", "x", "c", "xs"), {Name: "g", OpType: "Gemm", Inputs: []string{"xs", "Wt", "b"}, Outputs: []string{"y"}}}, nil, []string{"y"},
			nil},
		{"output div add", []*graph.Node{gemm("x", "W", "b", "h"), {Name: "sg", OpType: "Sigmoid", Inputs: []string{"h"}, Outputs: []string{"r"}}, nd("Div", "r", "so", "rs"), nd("Add", "rs", "co", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W,b)->h", "Sigmoid(h)->r", "Affine(r,so_reciprocal,co)->y"}},
		{"output div by zero-holding constant stays a divide", []*graph.Node{gemm("x", "W", "b", "r"), nd("Div", "r", "zo", "rs"), nd("Add", "rs", "co", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W,b)->r", "Affine(r,zo,co)->y"}},
		{"output mul(scale first) add(offset first)", []*graph.Node{gemm("x", "W", "b", "h"), nd("Mul", "so", "h", "rs"), nd("Add", "co", "rs", "y")}, nil, []string{"y"},
			[]string{"Gemm(x,W,b)->h", "Affine(h,so,co)->y"}},
		{"output scaled value shared", []*graph.Node{gemm("x", "W", "b", "h"), nd("Mul", "h", "so", "rs"), nd("Add", "rs", "co", "y"), nd("Mul", "rs", "rs", "y2")}, nil, []string{"y", "y2"},
			nil},
		{"output non-constant offset", []*graph.Node{gemm("x", "W", "b", "h"), nd("Mul", "h", "so", "rs"), nd("Add", "rs", "uo", "y")}, []string{"uo"}, []string{"y"},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := inits()
			in["Wt"] = affineRand(rng, -1, 1, k, o)
			g := &graph.Graph{
				Inputs:       []graph.ValueInfo{{Name: "x", DType: ops.Float32, Shape: graph.Shape{{Value: n}, {Value: k}}}},
				Initializers: in,
				Nodes:        c.nodes,
			}
			feeds := []*ops.Tensor{affineRand(rng, -1, 1, n, k)}
			for _, name := range c.inputs {
				g.Inputs = append(g.Inputs, graph.ValueInfo{Name: name, DType: ops.Float32})
				size := k
				if name == "uo" {
					size = o
				}
				feeds = append(feeds, affineRand(rng, 0.5, 1.5, size))
			}
			for _, name := range c.outputs {
				g.Outputs = append(g.Outputs, graph.ValueInfo{Name: name})
			}
			m := &graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}
			before := opsOf(g)
			got := opsOf(runPass(t, passes.FoldAffine, m, g))
			want := c.want
			if want == nil {
				want = before
			}
			require.Equal(t, want, got, "after fold-affine")
			require.Equal(t, before, opsOf(g), "fold-affine modified its input graph")
			require.Len(t, g.Initializers, len(in), "fold-affine modified its input graph")
			var res [2][]*ops.Tensor
			for i, opt := range []bool{false, true} {
				p, err := native.Compile(m, native.Options{Optimize: opt})
				require.NoError(t, err)
				for run := 0; run < 2; run++ { // the second run gets recycled buffers
					res[i], err = p.Run(context.Background(), feeds)
					require.NoError(t, err)
				}
			}
			for j := range res[0] {
				a, b := res[0][j], res[1][j]
				require.Equal(t, a.Shape, b.Shape, "output %d: optimised shape", j)
				for i, av := range a.F32() {
					bv := b.F32()[i]
					require.InDelta(t, av, bv, 1e-5*math.Max(1, math.Abs(float64(av))), "output %d element %d: unoptimised %v, optimised %v", j, i, av, bv)
				}
			}
		})
	}
}
