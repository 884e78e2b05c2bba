package kernels

import (
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
)

// fuzzExempt are registered operators the never-panic fuzzers leave out,
// with the reason.
var fuzzExempt = map[string]string{
	operators.FusedDomain + "/FusedGemm":          "built only by the fusion pass from a validated Gemm (passes/fuse_test.go covers it)",
	operators.FusedDomain + "/FusedConv":          "built only by the fusion pass from a validated Conv (passes/fuse_test.go covers it)",
	operators.FusedDomain + "/FusedConvTranspose": "built only by the fusion pass from a validated ConvTranspose (passes/fuse_test.go covers it)",
	operators.FusedDomain + "/Gelu":               "built only by FuseGelu from a validated Erf chain; the same kernel as ai.onnx Gelu, which the fuzzers cover",
	operators.FusedDomain + "/FusedSoftmax":       "built only by FuseSoftmax from a validated Softmax (passes/transformer_test.go covers it)",
	operators.FusedDomain + "/Affine":             "built only by FoldAffine from validated Mul/Div and Add nodes (passes/affine_test.go and affine_test.go cover it, bad inputs included)",
	trainingDomain + "/Adagrad":                   "training domain, which the fuzz lists (ai.onnx only) do not build; optimizers_test.go checks bad arity, shapes, types and attributes",
	trainingDomain + "/Momentum":                  "training domain, which the fuzz lists (ai.onnx only) do not build; optimizers_test.go checks bad arity, shapes, types and attributes",
	trainingDomain + "/Adam":                      "training domain, which the fuzz lists (ai.onnx only) do not build; optimizers_test.go checks bad arity, shapes, types and attributes",
	"ai.onnx/If":                                  "runs subgraphs (runtime/native/control.go): runtime.FuzzControlFlow fuzzes it in whole models",
	"ai.onnx/Loop":                                "runs subgraphs (runtime/native/control.go): runtime.FuzzControlFlow fuzzes it in whole models",
	"ai.onnx/Scan":                                "runs subgraphs (runtime/native/control.go): runtime.FuzzControlFlow fuzzes it in whole models",
	"ai.onnx/SequenceMap":                         "runs subgraphs (runtime/native/control.go): runtime.FuzzControlFlow fuzzes it in whole models",
}

// TestEveryOperatorIsFuzzed keeps the never-panic fuzzers complete: each
// registered operator is in elementwiseFuzzOps, shapeFuzzOps, layerFuzzOps
// sequenceFuzzOps, trainingFuzzOps or mlFuzzCases, or exempt with a reason, so a new kernel cannot skip
// the bad-input checks.
func TestEveryOperatorIsFuzzed(t *testing.T) {
	fuzzed := map[string]bool{}
	for _, op := range elementwiseFuzzOps {
		fuzzed[op] = true
	}
	for _, op := range shapeFuzzOps {
		fuzzed[op] = true
	}
	for _, op := range layerFuzzOps {
		fuzzed[op.op] = true
	}
	for _, op := range sequenceFuzzOps {
		fuzzed[op] = true
	}
	for _, op := range trainingFuzzOps {
		fuzzed["ai.onnx.preview.training/"+op.op] = true
	}
	for _, c := range mlFuzzCases() {
		fuzzed[mlDomain+"/"+c.op] = true
	}
	for _, name := range operators.Operators() {
		if _, ok := fuzzExempt[name]; ok {
			continue
		}
		if fuzzed[name] {
			continue
		}
		op, onnx := strings.CutPrefix(name, "ai.onnx/")
		assert.False(t, !onnx || !fuzzed[op], "operator %s is in no fuzz list (elementwiseFuzzOps, shapeFuzzOps, layerFuzzOps, sequenceFuzzOps) and not in fuzzExempt", name)
	}
}
