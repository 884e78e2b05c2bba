package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layerFuzzOps lists each NN operator with its input count, an opset and the
// attribute values the fuzzer picks from.
var layerFuzzOps = []struct {
	op    string
	nIn   int
	nOut  int
	opset int64
	attrs map[string][]any
}{
	{"Gemm", 3, 1, 13, map[string][]any{"transA": {0, 1}, "transB": {0, 1}, "alpha": {float32(2)}}},
	{"MatMul", 2, 1, 13, nil},
	{"Conv", 3, 1, 11, map[string][]any{"group": {1, 2}, "strides": {[]int64{2}, []int64{1, 2}, []int64{0}}, "pads": {[]int64{1, 1}, []int64{1, 0, 1, 0}, []int64{-1, 0}},
		"dilations": {[]int64{2, 2}}, "auto_pad": {"SAME_UPPER", "VALID"}, "kernel_shape": {[]int64{1, 1}, []int64{3}}}},
	{"ConvTranspose", 3, 1, 11, map[string][]any{"group": {1, 2}, "strides": {[]int64{2}, []int64{2, 2}}, "output_padding": {[]int64{1}, []int64{1, 1}},
		"output_shape": {[]int64{5, 5}, []int64{1}}, "pads": {[]int64{5, 5, 5, 5}}, "auto_pad": {"SAME_LOWER"}}},
	{"MaxPool", 1, 2, 12, map[string][]any{"kernel_shape": {[]int64{2}, []int64{2, 2}, []int64{9, 9}}, "strides": {[]int64{2, 2}}, "pads": {[]int64{1, 1, 1, 1}, []int64{3, 3}},
		"ceil_mode": {1}, "storage_order": {1}, "dilations": {[]int64{2, 1}}}},
	{"AveragePool", 1, 1, 19, map[string][]any{"kernel_shape": {[]int64{2}, []int64{2, 2}}, "count_include_pad": {1}, "pads": {[]int64{1, 1, 1, 1}}, "ceil_mode": {1}}},
	{"GlobalAveragePool", 1, 1, 1, nil},
	{"GlobalMaxPool", 1, 1, 1, nil},
	{"BatchNormalization", 5, 3, 15, map[string][]any{"training_mode": {1}, "epsilon": {float32(0)}}},
	{"InstanceNormalization", 3, 1, 6, nil},
	{"LayerNormalization", 3, 3, 17, map[string][]any{"axis": {0, 1, -1, 5}}},
	{"Softmax", 1, 1, 13, map[string][]any{"axis": {0, 1, -1, 7}}},
	{"LogSoftmax", 1, 1, 11, map[string][]any{"axis": {0, 2}}},
	{"Hardmax", 1, 1, 13, map[string][]any{"axis": {0, -1, 9}}},
	{"Dropout", 3, 2, 13, nil},
	{"Pad", 4, 1, 19, map[string][]any{"mode": {"reflect", "edge", "wrap"}}},
	{"Resize", 4, 1, 19, map[string][]any{"mode": {"linear", "cubic"}, "coordinate_transformation_mode": {"tf_crop_and_resize", "align_corners"},
		"antialias": {1}, "axes": {[]int64{0}, []int64{-1, 1}}, "keep_aspect_ratio_policy": {"not_larger"}}},
	{"Upsample", 2, 1, 9, map[string][]any{"mode": {"linear"}}},
	{"LRN", 1, 1, 13, map[string][]any{"size": {1, 3}}},
	{"MeanVarianceNormalization", 1, 1, 13, map[string][]any{"axes": {[]int64{0}, []int64{4}}}},
	{"MaxUnpool", 3, 1, 11, map[string][]any{"kernel_shape": {[]int64{2}, []int64{2, 2}}, "strides": {[]int64{2, 2}}}},
	{"GridSample", 2, 1, 16, map[string][]any{"mode": {"nearest", "bicubic"}, "padding_mode": {"border", "reflection"}, "align_corners": {1}}},
	{"GridSample", 2, 1, 20, map[string][]any{"mode": {"nearest", "cubic"}, "padding_mode": {"border", "reflection"}, "align_corners": {1}}},
	{"NegativeLogLikelihoodLoss", 3, 1, 13, map[string][]any{"reduction": {"none", "sum"}, "ignore_index": {0, -1}}},
	{"SoftmaxCrossEntropyLoss", 3, 2, 13, map[string][]any{"reduction": {"none"}, "ignore_index": {1}}},
	{"ConvInteger", 4, 1, 10, map[string][]any{"pads": {[]int64{1, 1, 1, 1}}}},
	{"MatMulInteger", 4, 1, 10, nil},
	{"QLinearMatMul", 8, 1, 10, nil},
	{"QLinearConv", 9, 1, 10, nil},
	{"RNN", 6, 2, 14, map[string][]any{"hidden_size": {1, 2}, "direction": {"bidirectional", "reverse"}, "layout": {1}}},
	{"GRU", 6, 2, 14, map[string][]any{"hidden_size": {1, 2}, "linear_before_reset": {1}}},
	{"RoiAlign", 3, 1, 16, map[string][]any{"mode": {"max"}, "output_height": {2}, "sampling_ratio": {1}, "spatial_scale": {float32(2)}}},
	{"NonMaxSuppression", 5, 1, 11, map[string][]any{"center_point_box": {1}}},
	{"GroupNormalization", 3, 1, 21, map[string][]any{"num_groups": {1, 2}}},
	{"LpNormalization", 1, 1, 1, map[string][]any{"p": {1}, "axis": {0, 3}}},
	{"LpPool", 1, 1, 18, map[string][]any{"kernel_shape": {[]int64{2}, []int64{2, 2}}, "p": {1, 3}, "pads": {[]int64{1, 1}}}},
	{"GlobalLpPool", 1, 1, 2, nil},
	{"QuantizeLinear", 3, 1, 13, map[string][]any{"axis": {0, 1, -1, 4}}},
	{"DequantizeLinear", 3, 1, 13, map[string][]any{"axis": {0, 2}}},
	{"DynamicQuantizeLinear", 1, 3, 11, nil},
	{"Col2Im", 3, 1, 18, map[string][]any{"pads": {[]int64{1, 1}}, "strides": {[]int64{2}}}},
	{"Einsum", 2, 1, 12, map[string][]any{"equation": {"ij,jk->ik", "...i,...i", "ii->i", "ab,bc->ad", "a...b,c->", "i,i,i->i"}}},
	{"RMSNormalization", 2, 1, 23, map[string][]any{"axis": {0, 1, -1, 5}, "stash_type": {0}}},
	{"Det", 1, 1, 22, nil},
	{"Attention", 7, 4, 25, map[string][]any{"is_causal": {1}, "q_num_heads": {1, 2, 0}, "kv_num_heads": {1, 2}, "qk_matmul_output_mode": {0, 1, 2, 3, 5},
		"softcap": {float32(1), float32(-1)}, "scale": {float32(0.5)}, "left_window_size": {0, 1, -2}, "right_window_size": {0}, "softmax_precision": {1, 7}}},
	{"DFT", 3, 1, 20, map[string][]any{"inverse": {1}, "onesided": {1, 2}}},
	{"DFT", 2, 1, 17, map[string][]any{"inverse": {1}, "onesided": {1}, "axis": {0, -2, 3}}},
	{"STFT", 4, 1, 17, map[string][]any{"onesided": {0}}},
	{"DeformConv", 5, 1, 19, map[string][]any{"group": {1, 2}, "offset_group": {1, 2, 0}, "kernel_shape": {[]int64{1, 1}, []int64{2}},
		"strides": {[]int64{2, 2}}, "pads": {[]int64{1, 1, 1, 1}}, "dilations": {[]int64{2, 1}}}},
	{"CausalConvWithState", 4, 2, 27, map[string][]any{"activation": {"silu", "bogus"}}},
	{"LinearAttention", 6, 2, 27, map[string][]any{"update_rule": {"linear", "gated", "delta"}, "q_num_heads": {1, 2, 0}, "kv_num_heads": {1, 2},
		"scale": {float32(0.5)}}},
	{"TfIdfVectorizer", 1, 1, 9, map[string][]any{"mode": {"TF", "IDF", "TFIDF"}, "min_gram_length": {1, 3}, "max_gram_length": {1, 2},
		"max_skip_count": {0, 3}, "pool_int64s": {[]int64{0, 1, 1, 0}}, "ngram_counts": {[]int64{0, 2}, []int64{0, 5}}, "ngram_indexes": {[]int64{0, 1, 2}, []int64{-1}}}},
	{"RotaryEmbedding", 4, 1, 23, map[string][]any{"num_heads": {1, 2, -1}, "interleaved": {1}, "rotary_embedding_dim": {2, 1, 0}}},
	{"LSTM", 8, 3, 14, map[string][]any{"hidden_size": {1, 2}, "direction": {"bidirectional"}, "input_forget": {1}}},
	{"DeformConv", 5, 1, 22, map[string][]any{"group": {1, 2}, "offset_group": {1, 2}, "kernel_shape": {[]int64{1, 1}, []int64{2}},
		"pads": {[]int64{1, 1, 1, 1}, []int64{-1, 0}}, "strides": {[]int64{2, 2}, []int64{0}}, "dilations": {[]int64{2, 2}}}},
	{"CausalConvWithState", 4, 2, 27, map[string][]any{"activation": {"silu", "none", "relu"}}},
	{"LinearAttention", 6, 2, 27, map[string][]any{"update_rule": {"linear", "gated", "delta", "gated_delta", "x"}, "q_num_heads": {1, 2, 0},
		"kv_num_heads": {1, 2}, "scale": {float32(0.5)}}},
	{"TfIdfVectorizer", 1, 1, 9, map[string][]any{"mode": {"TF", "IDF", "TFIDF", "x"}, "min_gram_length": {1, 0}, "max_gram_length": {1, 2},
		"max_skip_count": {0, 1, -1}, "ngram_counts": {[]int64{0, 2}, []int64{5}}, "ngram_indexes": {[]int64{0, 1, 2}, []int64{9}}, "pool_int64s": {[]int64{1, 2, 1, 2}}}},
}

// layerFuzzTensor draws a small tensor: usually float32 with rank 0–4 and
// dims mostly equal to base (so that inputs of one node often fit each
// other), sometimes another type, sometimes nil.
func layerFuzzTensor(r *rand.Rand, base int) *ops.Tensor {
	if r.IntN(10) == 0 {
		return nil
	}
	shape := make([]int, r.IntN(5))
	for i := range shape {
		shape[i] = base
		if r.IntN(5) == 0 {
			shape[i] = r.IntN(4)
		}
	}
	dts := []ops.DType{ops.Float32, ops.Float32, ops.Float32, ops.Float32, ops.Float32, ops.Float32, ops.Int64, ops.Int32, ops.Float16, ops.Uint8, ops.Int8, ops.Bool, ops.Float64,
		// Types sharing another's storage (a kernel must not take their
		// bits for float16 or uint8 values), and strings.
		ops.BFloat16, ops.Uint16, ops.Float8E4M3FN, ops.Int4, ops.String}
	t := ops.New(dts[r.IntN(len(dts))], shape...)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = r.Float32()*4 - 2
		}
	case []int64:
		for i := range d {
			d[i] = int64(r.IntN(7) - 2)
		}
	case []int32:
		for i := range d {
			d[i] = int32(r.IntN(7) - 2)
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(r.IntN(256))
		}
	}
	return t
}

// TestNNFuzzNoPanic feeds every NN kernel random shapes, types and
// attribute combinations: each must return valid outputs or an error,
// never panic, never write its inputs, and give the same outputs on
// recycled (dirty) buffers.
func TestLayerOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	iters := 6000
	if testing.Short() {
		iters = 1000
	}
	nnFuzzOK := map[string]int{}
	defer func() { t.Logf("successful runs per operator: %v", nnFuzzOK) }()
	for it := 0; it < iters; it++ {
		spec := layerFuzzOps[it%len(layerFuzzOps)]
		var kv []any
		for name, vals := range spec.attrs {
			if r.IntN(2) == 0 {
				kv = append(kv, name, vals[r.IntN(len(vals))])
			}
		}
		n := newNodeKV(spec.op, spec.nIn, spec.nOut, kv...)
		in := make([]*ops.Tensor, r.IntN(spec.nIn+1))
		if r.IntN(2) == 0 {
			in = make([]*ops.Tensor, spec.nIn)
		}
		base := 1 + r.IntN(3)
		for i := range in {
			in[i] = layerFuzzTensor(r, base)
		}
		b, err := operators.KernelBuilder("", spec.op, spec.opset)
		require.NoError(t, err)
		// Dropout may draw a mask (training_mode); the rest are deterministic.
		if fuzzCall(t, b, n, spec.opset, in, spec.op != "Dropout") {
			nnFuzzOK[spec.op]++
		}
	}
}

// TestNNFuzzWindowOps drives Conv, ConvTranspose and the pools with
// consistent tensor ranks but random sizes, pads, strides, dilations,
// groups and auto_pad, so the geometry code sees small, empty and
// oversized windows: results or errors, never a panic, and every
// successful output has the shape its elements fill (fuzzCall's checks).
func TestWindowOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	okRuns := 0
	for it := 0; it < 3000; it++ {
		nd := 1 + r.IntN(3)
		g := 1 + r.IntN(2)
		c, m := g*(1+r.IntN(2)), g*(1+r.IntN(2))
		xs := []int{1 + r.IntN(2), c}
		ws := []int{m, c / g}
		op := []string{"Conv", "ConvTranspose", "MaxPool", "AveragePool"}[it%4]
		if op == "ConvTranspose" {
			ws = []int{c, m / g}
		}
		var kern, strides, dil, pads, opad []int64
		for i := 0; i < nd; i++ {
			xs = append(xs, r.IntN(6))
			k := 1 + r.IntN(3)
			ws = append(ws, k)
			kern = append(kern, int64(k))
			strides = append(strides, int64(1+r.IntN(3)))
			dil = append(dil, int64(1+r.IntN(2)))
			opad = append(opad, int64(r.IntN(2)))
		}
		for i := 0; i < 2*nd; i++ {
			pads = append(pads, int64(r.IntN(4)))
		}
		kv := []any{"strides", strides, "dilations", dil}
		switch r.IntN(4) {
		case 0:
			kv = append(kv, "pads", pads)
		case 1:
			kv = append(kv, "auto_pad", []string{"SAME_UPPER", "SAME_LOWER", "VALID"}[r.IntN(3)])
		}
		switch op {
		case "Conv", "ConvTranspose":
			kv = append(kv, "group", g)
			if op == "ConvTranspose" && r.IntN(2) == 0 {
				kv = append(kv, "output_padding", opad)
			}
		default:
			kv = append(kv, "kernel_shape", kern, "ceil_mode", r.IntN(2))
		}
		x := ops.New(ops.Float32, xs...)
		for i := range x.F32() {
			x.F32()[i] = r.Float32()
		}
		in := []*ops.Tensor{x}
		if op == "Conv" || op == "ConvTranspose" {
			in = append(in, ops.New(ops.Float32, ws...))
		}
		n := newNodeKV(op, len(in), 1, kv...)
		b, err := operators.KernelBuilder("", op, 19)
		require.NoError(t, err)
		if fuzzCall(t, b, n, 19, in, true) {
			okRuns++
		}
	}
	assert.False(t, okRuns < 500, "only %d of 3000 random window-op runs succeeded: the fuzzer is not reaching the kernels", okRuns)
}

// TestNNFuzzEinsumEquations feeds Einsum random equations built from
// labels, ellipses, commas, arrows and stray characters, with random
// operand ranks: the parser and kernel answer with outputs or an error
// naming the node, never a panic (fuzzCall's checks).
func TestEinsumEquationsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	parts := []string{"a", "b", "c", ".", "...", ",", "->", " ", "A", "é", "-", ">"}
	b, err := operators.KernelBuilder("", "Einsum", 12)
	require.NoError(t, err)
	okRuns := 0
	for it := 0; it < 5000; it++ {
		eq := ""
		for j := r.IntN(10); j > 0; j-- {
			eq += parts[r.IntN(len(parts))]
		}
		var in []*ops.Tensor
		for j := r.IntN(3); j >= 0; j-- {
			shape := make([]int, r.IntN(4))
			for k := range shape {
				shape[k] = 1 + r.IntN(3)
			}
			x := ops.New(ops.Float32, shape...)
			for k := range x.F32() {
				x.F32()[k] = r.Float32()
			}
			in = append(in, x)
		}
		if fuzzCall(t, b, newNodeKV("Einsum", len(in), 1, "equation", eq), 12, in, true) {
			okRuns++
		}
	}
	assert.False(t, okRuns < 50, "only %d of 5000 random equations ran: the fuzzer is not reaching the kernel", okRuns)
	t.Logf("%d of 5000 random equations ran", okRuns)
}

// trainingFuzzOps are the ai.onnx.preview.training optimiser steps: R, T,
// then (X, G, state…) per updated tensor.
var trainingFuzzOps = []struct {
	op        string
	nIn, nOut int
	attrs     map[string][]any
}{
	{"Adagrad", 5, 2, map[string][]any{"decay_factor": {float32(0.1)}, "epsilon": {float32(0)}, "norm_coefficient": {float32(1)}}},
	{"Momentum", 5, 2, map[string][]any{"alpha": {float32(0.9)}, "beta": {float32(1)}, "mode": {"standard", "nesterov", "x"}, "norm_coefficient": {float32(0)}}},
	{"Adam", 6, 3, map[string][]any{"alpha": {float32(0.9)}, "beta": {float32(0.999)}, "epsilon": {float32(0)}, "norm_coefficient_post": {float32(1)}}},
}

// TestTrainingOpsNeverPanic is TestLayerOpsNeverPanic for the optimiser
// steps of the ai.onnx.preview.training domain.
func TestTrainingOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for it := 0; it < 1500; it++ {
		spec := trainingFuzzOps[it%len(trainingFuzzOps)]
		var kv []any
		for name, vals := range spec.attrs {
			if r.IntN(2) == 0 {
				kv = append(kv, name, vals[r.IntN(len(vals))])
			}
		}
		n := newNodeKV(spec.op, spec.nIn, spec.nOut, kv...)
		n.Domain = "ai.onnx.preview.training"
		in := make([]*ops.Tensor, spec.nIn)
		base := 1 + r.IntN(3)
		for i := range in {
			in[i] = layerFuzzTensor(r, base)
		}
		if r.IntN(2) == 0 { // a well-typed R and T, so the calls get further
			in[0], in[1] = ops.FromFloat32(nil, []float32{0.1}), ops.FromInt64(nil, []int64{int64(r.IntN(3))})
		}
		b, err := operators.KernelBuilder(n.Domain, spec.op, 1)
		require.NoError(t, err)
		fuzzCall(t, b, n, 1, in, true)
	}
}
