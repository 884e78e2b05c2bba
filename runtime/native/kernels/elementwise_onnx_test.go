package kernels_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native/kernels"
)

// elementwiseNodeTestOps are the operators of elementwise.go, compare.go, unary.go, reduce.go and cast.go
// whose ONNX backend node tests (test_<op>*) run here.
var elementwiseNodeTestOps = []string{
	"abs", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "pow", "reciprocal",
	"max", "min", "sum", "mean", "clip", "relu", "leakyrelu", "prelu", "elu", "selu",
	"sigmoid", "hardsigmoid", "tanh", "softplus", "softsign", "erf", "equal", "greater",
	"less", "not", "where", "cast", "castlike", "reduce", "and", "or", "xor", "floor", "ceil", "sign",
	"cos", "sin", "tan", "acos", "asin", "atan", "cosh", "sinh", "acosh", "asinh", "atanh", "round",
	"celu", "thresholdedrelu", "shrink", "hardswish", "mish", "gelu", "isnan", "isinf", "mod", "bitshift",
	"argmax", "argmin", "cumsum",
}

// elementwiseNodeTestOthers are matched by a prefix above but test other operators.
var elementwiseNodeTestOthers = []string{"test_maxpool", "test_maxunpool", "test_mean_variance", "test_logsoftmax", "test_expand"}

func TestONNXElementwiseConformance(t *testing.T) {
	cases := onnxNodeCases(t, "elementwise operators", 280, func(name string) bool {
		for _, o := range elementwiseNodeTestOthers {
			if strings.HasPrefix(name, o) {
				return false
			}
		}
		for _, op := range elementwiseNodeTestOps {
			rest, ok := strings.CutPrefix(name, "test_"+op)
			if ok && (rest == "" || rest[0] == '_' || (op == "reduce") || (op == "and" || op == "or" || op == "xor") && rest[0] >= '0' && rest[0] <= '9') {
				return true
			}
		}
		return false
	})
	for _, name := range cases {
		t.Run(name, func(t *testing.T) { runElementwiseNodeTest(t, filepath.Join(onnxNodeDir, name)) })
	}
}

func runElementwiseNodeTest(t *testing.T, dir string) {
	t.Helper()
	m := decodeNodeModel(t, dir)
	for _, vs := range [][]graph.ValueInfo{m.Graph.Inputs, m.Graph.Outputs} {
		for _, v := range vs {
			if v.DType == ops.Invalid {
				t.Skipf("value %s has type %s, which latent does not compute with", v.Name, graph.ElemTypeName(v.ElemTypeCode))
			}
			if v.DType == ops.BFloat16 {
				// ONNX 1.12 wrote bfloat16 data as UINT16 tensors; the onnx
				// 1.23.2 cases (runtime's TestConformance) have them typed.
				t.Skipf("value %s is bfloat16, stored as UINT16 in this data", v.Name)
			}
		}
	}
	// Cast results are exact (one rounding), so demand identical bits.
	exact := strings.Contains(filepath.Base(dir), "cast")
	runNodeTest(t, dir, m, func(got, want *ops.Tensor) string {
		tol := kernels.Tolerance(want.DType)
		if exact {
			tol = 0
		}
		return kernels.CompareTensors(got, want, tol, tol)
	})
}
