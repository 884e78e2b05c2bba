package operators_test

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// fuzzOps are the operators FuzzInferShapes builds single-node graphs for.
var fuzzOps = []string{"Relu", "Add", "Where", "Gemm", "MatMul", "Conv", "ConvTranspose", "MaxPool",
	"AveragePool", "GlobalAveragePool", "Reshape", "Flatten", "Transpose", "Concat", "Squeeze",
	"Unsqueeze", "Shape", "Size", "Gather", "Slice", "Expand", "ReduceSum", "ReduceMean",
	"ConstantOfShape", "Cast", "Softmax", "Dropout", "BatchNormalization", "Constant",
	"Split", "Resize", "Upsample", "Pad", "Tile", "TopK", "ArgMax", "RandomNormal", "Range", "NonZero",
	"LSTM", "GRU", "LayerNormalization", "QuantizeLinear", "DequantizeLinear"}

// FuzzInferShapes runs shape inference on one-node graphs whose input
// shapes, constant inputs and attributes come from the fuzzer: it must
// return an error or a result, never panic.
func FuzzInferShapes(f *testing.F) {
	f.Add(uint8(5), []byte{1, 3, 8, 8}, []byte{4, 3, 3, 3}, []byte{1, 1, 1, 1, 2, 2}, int64(1), int64(13))
	f.Add(uint8(10), []byte{0, 4, 2, 2}, []byte{2}, []byte{0, 255}, int64(0), int64(13))
	f.Add(uint8(19), []byte{0, 5}, []byte{1}, []byte{1, 255, 0, 2}, int64(-1), int64(13))
	f.Fuzz(func(t *testing.T, opIdx uint8, xdims, wdims, ints []byte, axis, opset int64) {
		if len(xdims) > 6 || len(wdims) > 6 || len(ints) > 16 {
			return
		}
		dims := func(b []byte) graph.Shape {
			s := make(graph.Shape, len(b))
			for i, v := range b {
				switch {
				case v == 0:
					s[i] = graph.Dim{Value: -1, Param: "batch"}
				case v == 255:
					s[i] = operators.UnknownDim
				default:
					s[i] = operators.KnownDim(int64(v % 16))
				}
			}
			return s
		}
		vals := make([]int64, len(ints))
		for i, v := range ints {
			vals[i] = int64(int8(v))
		}
		wshape := make([]int, len(wdims))
		for i, v := range wdims {
			wshape[i] = int(v % 8)
		}
		name := fuzzOps[int(opIdx)%len(fuzzOps)]
		n := op(name, []string{"x", "w", "k"}, []string{"y", "y2"},
			aInt("axis", axis), aInts("perm", vals...), aInts("axes", vals...),
			aInts("kernel_shape", vals...), aInts("pads", vals...), aInts("strides", vals...),
			aInt("to", axis), aInt("transB", axis&1), aInt("group", axis), aInt("keepdims", axis&1),
			aInts("starts", vals...), aInts("ends", vals...), aInts("split", vals...), aInts("shape", vals...),
			aInt("k", axis), aInt("hidden_size", axis), aInt("layout", axis&1), &graph.Attr{Name: "scales", Type: graph.AttrFloats, Floats: []float32{float32(axis), 2, 0.5}})
		if name == "Constant" {
			n = op(name, nil, []string{"y"}, aTensor("value", i64(vals...)))
		}
		m := model(opset, []graph.ValueInfo{{Name: "x", DType: ops.Float32, Shape: dims(xdims), HasShape: true}},
			map[string]*ops.Tensor{"w": ops.New(ops.Float32, wshape...), "k": i64(vals...)}, n)
		_ = operators.InferShapes(m)
	})
}
