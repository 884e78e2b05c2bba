package kernels_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/kernels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layerNodeTestPrefixes select the ONNX backend node tests of the operators in
// conv, pool, norm, rnn, resize and the other layer files.
var layerNodeTestPrefixes = []string{
	"test_gemm_", "test_matmul_", "test_conv", "test_basic_conv", "test_maxpool_", "test_averagepool_",
	"test_globalaveragepool", "test_globalmaxpool", "test_batchnorm_", "test_instancenorm_",
	"test_layer_normalization_", "test_resize_", "test_upsample_", "test_constant_pad", "test_edge_pad",
	"test_reflect_pad", "test_wrap_pad", "test_softmax_", "test_logsoftmax_", "test_dropout_",
	"test_training_dropout", "test_nllloss", "test_sce_", "test_hardmax", "test_lrn", "test_mvn", "test_maxunpool", "test_gridsample", "test_qlinearconv", "test_qlinearmatmul", "test_matmulinteger", "test_gru_", "test_lstm_", "test_rnn_", "test_simple_rnn_", "test_roialign", "test_nonmaxsuppression", "test_quantizelinear", "test_dequantizelinear", "test_dynamicquantizelinear", "test_einsum_",
}

// TestNNONNXNodeConformance runs the ONNX backend node tests of the NN
// operators through Compile and Run and compares with the expected outputs
// within float32 tolerance (exactly for integer and bool outputs).
// Expanded (function-body) variants run too: they exercise these kernels
// next to the elementwise ones when those are registered.
func TestONNXNodeConformance(t *testing.T) {
	cases := onnxNodeCases(t, "NN operators", 100, func(name string) bool {
		if strings.HasSuffix(name, "_expanded") {
			return false
		}
		for _, p := range layerNodeTestPrefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	})
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "test_training_dropout") && !strings.Contains(name, "zero_ratio") {
				checkTrainingDropout(t, filepath.Join(onnxNodeDir, name))
				return
			}
			runLayerNodeTest(t, filepath.Join(onnxNodeDir, name))
		})
	}
}

// runLayerNodeTest runs one node test, floats within 1e-4 absolute plus
// 1e-4 relative.
func runLayerNodeTest(t *testing.T, dir string) {
	t.Helper()
	runNodeTest(t, dir, decodeNodeModel(t, dir), func(got, want *ops.Tensor) string { return kernels.CompareTensors(got, want, 1e-4, 1e-4) })
}

// checkTrainingDropout runs a training-mode Dropout test. Its expected
// outputs come from NumPy's random generator, which latent does not
// reproduce, so the test checks the defining properties instead: every
// output is 0 or x/(1−ratio), the mask marks exactly the kept elements,
// and the dropped fraction is within 5 standard deviations of ratio.
func checkTrainingDropout(t *testing.T, dir string) {
	t.Helper()
	m := decodeNodeModel(t, dir)
	p, err := native.Compile(m, native.Options{Seed: 42})
	require.NoError(t, err)
	inputs := readNodeInputs(t, filepath.Join(dir, "test_data_set_0"), len(m.Graph.Inputs))
	ratio := 0.5
	if len(inputs) > 1 {
		ratio = kernels.TensorF64(inputs[1])[0]
	}
	outs, err := p.Run(context.Background(), inputs)
	require.NoError(t, err)
	x, y := kernels.TensorF64(inputs[0]), kernels.TensorF64(outs[0])
	var mask []float64
	if len(outs) > 1 {
		require.Equal(t, ops.Bool, outs[1].DType, "mask is %v, want bool", outs[1])
		mask = kernels.TensorF64(outs[1])
	}
	dropped := 0
	for i := range x {
		kept := math.Abs(y[i]-x[i]/(1-ratio)) <= 1e-5*(1+math.Abs(y[i]))
		if !kept {
			require.Zero(t, y[i], "element %d is neither 0 nor x/(1-ratio) = %v", i, x[i]/(1-ratio))
		}
		if !kept {
			dropped++
		}
		if mask != nil {
			require.Equal(t, kept, mask[i] == 1, "element %d: mask %v but y = %v (x = %v)", i, mask[i], y[i], x[i])
		}
	}
	nf := float64(len(x))
	sd := math.Sqrt(nf * ratio * (1 - ratio))
	assert.InDelta(t, ratio*nf, float64(dropped), 5*sd+1, "dropped %d of %d elements, expected about %.0f", dropped, len(x), ratio*nf)
}

// pyTorchCases are the PyTorch-exported models (libonnx-testdata
// pytorch-converted and pytorch-operator) whose operators are NN kernels.
var pyTorchCases = []string{
	"pytorch-converted/test_AvgPool1d", "pytorch-converted/test_AvgPool1d_stride", "pytorch-converted/test_AvgPool2d",
	"pytorch-converted/test_AvgPool2d_stride", "pytorch-converted/test_AvgPool3d", "pytorch-converted/test_AvgPool3d_stride",
	"pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input", "pytorch-converted/test_BatchNorm1d_3d_input_eval",
	"pytorch-converted/test_BatchNorm2d_eval", "pytorch-converted/test_BatchNorm2d_momentum_eval",
	"pytorch-converted/test_BatchNorm3d_eval", "pytorch-converted/test_BatchNorm3d_momentum_eval",
	"pytorch-converted/test_ConstantPad2d", "pytorch-converted/test_Conv1d", "pytorch-converted/test_Conv1d_dilated",
	"pytorch-converted/test_Conv1d_groups", "pytorch-converted/test_Conv1d_pad1", "pytorch-converted/test_Conv1d_pad1size1",
	"pytorch-converted/test_Conv1d_pad2", "pytorch-converted/test_Conv1d_pad2size1", "pytorch-converted/test_Conv1d_stride",
	"pytorch-converted/test_Conv2d", "pytorch-converted/test_Conv2d_depthwise", "pytorch-converted/test_Conv2d_depthwise_padded",
	"pytorch-converted/test_Conv2d_depthwise_strided", "pytorch-converted/test_Conv2d_depthwise_with_multiplier",
	"pytorch-converted/test_Conv2d_dilated", "pytorch-converted/test_Conv2d_groups", "pytorch-converted/test_Conv2d_groups_thnn",
	"pytorch-converted/test_Conv2d_no_bias", "pytorch-converted/test_Conv2d_padding", "pytorch-converted/test_Conv2d_strided",
	"pytorch-converted/test_Conv3d", "pytorch-converted/test_Conv3d_dilated", "pytorch-converted/test_Conv3d_dilated_strided",
	"pytorch-converted/test_Conv3d_groups", "pytorch-converted/test_Conv3d_no_bias", "pytorch-converted/test_Conv3d_stride",
	"pytorch-converted/test_Conv3d_stride_padding", "pytorch-converted/test_ConvTranspose2d", "pytorch-converted/test_ConvTranspose2d_no_bias",
	"pytorch-converted/test_Linear", "pytorch-converted/test_Linear_no_bias", "pytorch-converted/test_LogSoftmax",
	"pytorch-converted/test_MaxPool1d", "pytorch-converted/test_MaxPool1d_stride", "pytorch-converted/test_MaxPool1d_stride_padding_dilation",
	"pytorch-converted/test_MaxPool2d", "pytorch-converted/test_MaxPool2d_stride_padding_dilation", "pytorch-converted/test_MaxPool3d",
	"pytorch-converted/test_MaxPool3d_stride", "pytorch-converted/test_MaxPool3d_stride_padding", "pytorch-converted/test_ReflectionPad2d",
	"pytorch-converted/test_ReplicationPad2d", "pytorch-converted/test_Softmax", "pytorch-converted/test_ZeroPad2d",
	"pytorch-converted/test_log_softmax_dim3", "pytorch-converted/test_log_softmax_lastdim", "pytorch-converted/test_softmax_functional_dim3",
	"pytorch-converted/test_softmax_lastdim", "pytorch-operator/test_operator_conv", "pytorch-operator/test_operator_convtranspose",
	"pytorch-operator/test_operator_maxpool", "pytorch-operator/test_operator_pad", "pytorch-operator/test_operator_mm",
	"pytorch-operator/test_operator_addmm",
}

// TestNNPyTorchConformance runs PyTorch-exported models built from the NN
// operators (old opsets, IR 3 models with initializers listed as inputs).
// A model that also needs an operator no kernel provides yet is skipped
// with the compile error naming it.
func TestPyTorchConformance(t *testing.T) {
	root := filepath.Dir(onnxNodeDir)
	_, err := os.Stat(filepath.Join(root, "pytorch-converted"))
	testenv.Need(t, "the PyTorch conversion tests (apt-get install libonnx-testdata)", err)
	for _, name := range pyTorchCases {
		t.Run(filepath.Base(name), func(t *testing.T) {
			dir := filepath.Join(root, name)
			m := decodeNodeModel(t, dir)
			runNodeTest(t, dir, m, func(got, want *ops.Tensor) string { return kernels.CompareTensors(got, want, 1e-4, 1e-4) })
		})
	}
}
