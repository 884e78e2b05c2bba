package operators_test

import (
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fused marks a node as the optimiser's (domain latent.native).
func fused(n *graph.Node) *graph.Node {
	n.Domain = operators.FusedDomain
	return n
}

func TestInferMoreOps(t *testing.T) {
	x := tvi("x", ops.Float32, "batch", 4, 6)
	f32v := func(v ...float32) *ops.Tensor { return ops.FromFloat32([]int{len(v)}, v) }
	cases := []struct {
		name  string
		opset int64
		node  *graph.Node
		inits map[string]*ops.Tensor
		want  map[string]string // output → "dtype shape"
	}{
		{"split equal (VAE chunk)", 13, op("Split", []string{"x"}, []string{"mu", "logvar"}, aInt("axis", 2)), nil,
			map[string]string{"mu": "float32[batch,4,3]", "logvar": "float32[batch,4,3]"}},
		{"split input", 13, op("Split", []string{"x", "s"}, []string{"a", "b"}, aInt("axis", 1)), map[string]*ops.Tensor{"s": i64(1, 3)},
			map[string]string{"a": "float32[batch,1,6]", "b": "float32[batch,3,6]"}},
		{"split attr", 11, op("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", -1), aInts("split", 2, 4)), nil,
			map[string]string{"a": "float32[batch,4,2]", "b": "float32[batch,4,4]"}},
		{"split uneven opset 18", 18, op("Split", []string{"x"}, []string{"a", "b", "c", "d"}, aInt("axis", 1), aInt("num_outputs", 4)), nil,
			map[string]string{"a": "float32[batch,1,6]", "d": "float32[batch,1,6]"}},
		{"resize scales", 13, op("Resize", []string{"x", "", "sc"}, []string{"y"}), map[string]*ops.Tensor{"sc": f32v(1, 1, 2.5)},
			map[string]string{"y": "float32[batch,4,15]"}},
		{"resize sizes", 13, op("Resize", []string{"x", "", "", "sz"}, []string{"y"}), map[string]*ops.Tensor{"sz": i64(2, 8, 3)},
			map[string]string{"y": "float32[2,8,3]"}},
		{"upsample attr", 7, op("Upsample", []string{"x"}, []string{"y"}, &graph.Attr{Name: "scales", Type: graph.AttrFloats, Floats: []float32{1, 2, 2}}), nil,
			map[string]string{"y": "float32[batch,8,12]"}},
		{"pad input", 13, op("Pad", []string{"x", "p"}, []string{"y"}), map[string]*ops.Tensor{"p": i64(0, 1, 2, 0, 3, -1)},
			map[string]string{"y": "float32[batch,8,7]"}},
		{"pad attr", 2, op("Pad", []string{"x"}, []string{"y"}, aInts("pads", 0, 0, 1, 0, 0, 1)), nil,
			map[string]string{"y": "float32[batch,4,8]"}},
		{"tile", 13, op("Tile", []string{"x", "r"}, []string{"y"}), map[string]*ops.Tensor{"r": i64(1, 2, 3)},
			map[string]string{"y": "float32[batch,8,18]"}},
		{"topk (k-sparse code)", 13, op("TopK", []string{"x", "k"}, []string{"v", "i"}), map[string]*ops.Tensor{"k": i64(2)},
			map[string]string{"v": "float32[batch,4,2]", "i": "int64[batch,4,2]"}},
		{"argmax", 13, op("ArgMax", []string{"x"}, []string{"y"}, aInt("axis", 1), aInt("keepdims", 0)), nil,
			map[string]string{"y": "int64[batch,6]"}},
		{"random normal like", 13, op("RandomNormalLike", []string{"x"}, []string{"y"}), nil,
			map[string]string{"y": "float32[batch,4,6]"}},
		{"random uniform", 13, op("RandomUniform", nil, []string{"y"}, aInts("shape", 3, 2), aInt("dtype", 11)), nil,
			map[string]string{"y": "float64[3,2]"}},
		{"range", 13, op("Range", []string{"s", "l", "d"}, []string{"y"}), map[string]*ops.Tensor{
			"s": ops.FromInt64(nil, []int64{10}), "l": ops.FromInt64(nil, []int64{1}), "d": ops.FromInt64(nil, []int64{-4})},
			map[string]string{"y": "int64[3]"}}, // 10, 6, 2
		{"nonzero", 13, op("NonZero", []string{"x"}, []string{"y"}), nil, map[string]string{"y": "int64[3,?]"}},
		{"lstm bidirectional", 14, op("LSTM", []string{"x", "W", "R"}, []string{"Y", "Yh", "Yc"}, aInt("hidden_size", 5), aStr("direction", "bidirectional")),
			map[string]*ops.Tensor{"W": f32(2, 20, 6), "R": f32(2, 20, 5)},
			map[string]string{"Y": "float32[batch,2,4,5]", "Yh": "float32[2,4,5]", "Yc": "float32[2,4,5]"}},
		{"gru batch first", 14, op("GRU", []string{"x", "W", "R"}, []string{"Y", "Yh"}, aInt("hidden_size", 3), aInt("layout", 1)),
			map[string]*ops.Tensor{"W": f32(1, 9, 6), "R": f32(1, 9, 3)},
			map[string]string{"Y": "float32[batch,4,1,3]", "Yh": "float32[batch,1,3]"}},
		{"layer norm stats", 17, op("LayerNormalization", []string{"x", "g"}, []string{"y", "mean", "inv"}, aInt("axis", 1)),
			map[string]*ops.Tensor{"g": f32(4, 6)},
			map[string]string{"y": "float32[batch,4,6]", "mean": "float32[batch,1,1]", "inv": "float32[batch,1,1]"}},
		{"quantize", 13, op("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}),
			map[string]*ops.Tensor{"s": ops.Scalar(0.1), "z": {DType: ops.Int8, Shape: []int{}, Data: []int8{0}}},
			map[string]string{"y": "int8[batch,4,6]"}},
		{"trilu", 14, op("Trilu", []string{"x"}, []string{"y"}), nil, map[string]string{"y": "float32[batch,4,6]"}},
		{"einsum batched matmul", 12, op("Einsum", []string{"x", "w"}, []string{"y"}, aStr("equation", "bij,jk->bik")), map[string]*ops.Tensor{"w": f32(6, 5)},
			map[string]string{"y": "float32[batch,4,5]"}},
		{"einsum implicit ellipsis", 12, op("Einsum", []string{"x"}, []string{"y"}, aStr("equation", "...ji")), nil,
			map[string]string{"y": "float32[batch,6,4]"}}, // implicit output: ellipsis, then i, j
		{"one-hot", 11, op("OneHot", []string{"x", "d", "v"}, []string{"y"}, aInt("axis", 1)), map[string]*ops.Tensor{"d": ops.FromInt64(nil, []int64{3}), "v": f32(2)},
			map[string]string{"y": "float32[batch,3,4,6]"}},
		{"gather elements", 13, op("GatherElements", []string{"x", "i"}, []string{"y"}, aInt("axis", 2)), map[string]*ops.Tensor{"i": ops.New(ops.Int64, 1, 4, 2)},
			map[string]string{"y": "float32[1,4,2]"}},
		{"gather nd", 13, op("GatherND", []string{"x", "i"}, []string{"y"}), map[string]*ops.Tensor{"i": ops.New(ops.Int64, 5, 2)},
			map[string]string{"y": "float32[5,6]"}},
		{"gather nd batch_dims", 13, op("GatherND", []string{"x", "i"}, []string{"y"}, aInt("batch_dims", 1)), map[string]*ops.Tensor{"i": ops.New(ops.Int64, 3, 7, 1)},
			map[string]string{"y": "float32[3,7,6]"}},
		{"fused matmul+add", 1, fused(op("FusedGemm", []string{"x", "w", "b"}, []string{"y"}, aInt("matmul", 1), aInt("opset", 13), aStr("activation", "Relu"))),
			map[string]*ops.Tensor{"w": f32(6, 5), "b": f32(5)}, map[string]string{"y": "float32[batch,4,5]"}},
		{"fused gemm", 1, fused(op("FusedGemm", []string{"x2", "w", "b"}, []string{"y"}, aInt("transB", 1), aInt("opset", 13))),
			map[string]*ops.Tensor{"x2": f32(3, 6), "w": f32(5, 6), "b": f32(5)}, map[string]string{"y": "float32[3,5]"}},
		{"fused channel-scaled conv", 1, fused(op("FusedConv", []string{"x", "w", "b", "s"}, []string{"y"}, aInt("opset", 11), aStr("activation", "Relu"), aInt("channel_scale", 1))),
			map[string]*ops.Tensor{"w": f32(3, 4, 3), "b": f32(3), "s": f32(1, 4, 1)}, map[string]string{"y": "float32[batch,3,4]"}},
		{"fused conv transpose", 1, fused(op("FusedConvTranspose", []string{"x", "w"}, []string{"y"}, aInt("opset", 11), aStr("activation", "Sigmoid"), aInts("strides", 2))),
			map[string]*ops.Tensor{"w": f32(4, 2, 2)}, map[string]string{"y": "float32[batch,2,12]"}},
		{"affine", 1, fused(op("Affine", []string{"x", "s", "c"}, []string{"y"})), map[string]*ops.Tensor{"s": f32(6), "c": f32(1, 6)},
			map[string]string{"y": "float32[batch,4,6]"}},
		{"col2im", 18, op("Col2Im", []string{"x", "img", "blk"}, []string{"y"}), map[string]*ops.Tensor{"img": i64(3, 4), "blk": i64(2, 1)},
			map[string]string{"y": "float32[batch,2,3,4]"}},
		{"max unpool", 11, op("MaxUnpool", []string{"x", "i"}, []string{"y"}, aInts("kernel_shape", 2), aInts("strides", 2)), map[string]*ops.Tensor{"i": ops.New(ops.Int64, 1, 4, 6)},
			map[string]string{"y": "float32[batch,4,12]"}},
		{"max unpool output_shape", 11, op("MaxUnpool", []string{"x", "i", "os"}, []string{"y"}, aInts("kernel_shape", 2), aInts("strides", 2)),
			map[string]*ops.Tensor{"i": ops.New(ops.Int64, 1, 4, 6), "os": i64(1, 4, 13)}, map[string]string{"y": "float32[1,4,13]"}},
		{"center crop pad", 18, op("CenterCropPad", []string{"x", "s"}, []string{"y"}, aInts("axes", 1, -1)), map[string]*ops.Tensor{"s": i64(3, 8)},
			map[string]string{"y": "float32[batch,3,8]"}},
		{"affine grid 3-d", 20, op("AffineGrid", []string{"th", "sz"}, []string{"y"}),
			map[string]*ops.Tensor{"th": f32(2, 3, 4), "sz": i64(2, 1, 5, 6, 7)},
			map[string]string{"y": "float32[2,5,6,7,3]"}},
		{"grid sample 3-d", 20, op("GridSample", []string{"v", "g"}, []string{"y"}),
			map[string]*ops.Tensor{"v": f32(2, 3, 4, 4, 4), "g": f32(2, 5, 6, 7, 3)},
			map[string]string{"y": "float32[2,3,5,6,7]"}},
		{"rfft opset 20", 20, op("DFT", []string{"sig", "l", "ax"}, []string{"y"}, aInt("onesided", 1)),
			map[string]*ops.Tensor{"sig": f32(2, 16, 3, 1), "l": ops.FromInt64(nil, []int64{10}), "ax": ops.FromInt64(nil, []int64{1})},
			map[string]string{"y": "float32[2,6,3,2]"}},
		{"irfft opset 17", 17, op("DFT", []string{"spec"}, []string{"y"}, aInt("inverse", 1), aInt("onesided", 1)),
			map[string]*ops.Tensor{"spec": f32(2, 9, 2)},
			map[string]string{"y": "float32[2,16,1]"}},
		{"stft", 17, op("STFT", []string{"sig", "step", "w"}, []string{"y"}),
			map[string]*ops.Tensor{"sig": f32(2, 64, 1), "step": ops.FromInt64(nil, []int64{8}), "w": f32(16)},
			map[string]string{"y": "float32[2,7,9,2]"}},
		{"hann window", 17, op("HannWindow", []string{"n"}, []string{"y"}, aInt("output_datatype", 11)),
			map[string]*ops.Tensor{"n": ops.FromInt64(nil, []int64{10})},
			map[string]string{"y": "float64[10]"}},
		{"mel weight matrix", 17, op("MelWeightMatrix", []string{"bins", "len", "rate", "lo", "hi"}, []string{"y"}),
			map[string]*ops.Tensor{"bins": ops.FromInt64(nil, []int64{8}), "len": ops.FromInt64(nil, []int64{16}), "rate": ops.FromInt64(nil, []int64{8000}),
				"lo": ops.Scalar(0), "hi": ops.Scalar(4000)},
			map[string]string{"y": "float32[9,8]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := model(c.opset, []graph.ValueInfo{x}, c.inits, c.node)
			require.NoError(t, operators.InferShapes(m))
			for name, want := range c.want {
				vi, ok := m.Graph.ValueInfo[name]
				require.True(t, ok, "%s not inferred", name)
				assert.Equal(t, want, vi.DType.String()+vi.Shape.String(), name)
			}
		})
	}
}

func TestInferMoreContradictions(t *testing.T) {
	x := tvi("x", ops.Float32, 2, 6)
	cases := []struct {
		name  string
		opset int64
		node  *graph.Node
		inits map[string]*ops.Tensor
		frags []string
	}{
		{"split sum", 13, op("Split", []string{"x", "s"}, []string{"a", "b"}, aInt("axis", 1)), map[string]*ops.Tensor{"s": i64(2, 3)},
			[]string{"node Split -> a", "sums to 5", "size 6"}},
		{"split uneven", 13, op("Split", []string{"x"}, []string{"a", "b", "c", "d"}, aInt("axis", 1)), nil,
			[]string{"node Split -> a", "does not split into 4 equal parts"}},
		{"split parts", 13, op("Split", []string{"x", "s"}, []string{"a"}, aInt("axis", 1)), map[string]*ops.Tensor{"s": i64(2, 4)},
			[]string{"2 parts for 1 outputs"}},
		{"topk too big", 13, op("TopK", []string{"x", "k"}, []string{"v", "i"}), map[string]*ops.Tensor{"k": i64(7)},
			[]string{"node TopK -> v", "K 7 exceeds axis 1 of size 6"}},
		{"pad length", 13, op("Pad", []string{"x", "p"}, []string{"y"}), map[string]*ops.Tensor{"p": i64(1, 1)},
			[]string{"node Pad -> y", "want 4"}},
		{"tile length", 13, op("Tile", []string{"x", "r"}, []string{"y"}), map[string]*ops.Tensor{"r": i64(2)},
			[]string{"node Tile -> y", "repeats [2]"}},
		{"lstm input size", 14, op("LSTM", []string{"x", "W", "R"}, []string{"Y"}, aInt("hidden_size", 5)),
			map[string]*ops.Tensor{"W": f32(1, 20, 7), "R": f32(1, 20, 5)},
			[]string{"node LSTM -> Y", "X [2,6] must be 3-D"}},
		{"range delta", 13, op("Range", []string{"s", "s", "z"}, []string{"y"}), map[string]*ops.Tensor{"s": ops.FromInt64(nil, []int64{1}), "z": ops.FromInt64(nil, []int64{0})},
			[]string{"node Range -> y", "delta is 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, operators.InferShapes(model(c.opset, []graph.ValueInfo{x}, c.inits, c.node)), c.frags...)
		})
	}
	seq := tvi("x", ops.Float32, 5, "batch", 6)
	m := model(14, []graph.ValueInfo{seq}, map[string]*ops.Tensor{"W": f32(1, 20, 7), "R": f32(1, 20, 5)},
		op("LSTM", []string{"x", "W", "R"}, []string{"Y"}, aInt("hidden_size", 5)))
	wantErr(t, operators.InferShapes(m), "node LSTM -> Y", "W [1,20,7] expects input size 7, X [5,batch,6] has 6")
	m = model(14, []graph.ValueInfo{seq}, map[string]*ops.Tensor{"W": f32(1, 20, 6), "R": f32(1, 20, 5)},
		op("LSTM", []string{"x", "W", "R"}, []string{"Y"}, aInt("hidden_size", 5), aStr("direction", "bidirectional")))
	wantErr(t, operators.InferShapes(m), "node LSTM -> Y", "direction \"bidirectional\" needs 2")
}

// TestEveryOperatorHasARule: an operator's output rule lives with its
// registration, so every registered operator (at every version) has one
// and the typed stage never leaves a kernel's outputs untyped.
func TestEveryOperatorHasARule(t *testing.T) {
	names := operators.Operators()
	require.NotEmpty(t, names)
	for _, k := range names {
		i := strings.LastIndex(k, "/")
		domain, name := k[:i], k[i+1:]
		for v := int64(1); v <= 30; v++ {
			op, err := operators.Lookup(domain, name, v)
			if err != nil {
				continue // not defined yet at this version
			}
			assert.NotNil(t, op.Infer, "%s at opset %d has a kernel but no shape rule", k, v)
		}
	}
}
