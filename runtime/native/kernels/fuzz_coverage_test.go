package kernels

import (
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/operators"
)

// fuzzExempt are registered operators the never-panic fuzzers leave out,
// with the reason.
var fuzzExempt = map[string]string{
	operators.FusedDomain + "/FusedGemm":          "built only by the fusion pass from a validated Gemm (optimize_fuse_test.go covers it)",
	operators.FusedDomain + "/FusedConv":          "built only by the fusion pass from a validated Conv (optimize_fuse_test.go covers it)",
	operators.FusedDomain + "/FusedConvTranspose": "built only by the fusion pass from a validated ConvTranspose (optimize_fuse_test.go covers it)",
	operators.FusedDomain + "/Affine":             "built only by FoldAffine from validated Mul/Div and Add nodes (optimize_affine_test.go covers it, bad inputs included)",
}

// TestEveryOperatorIsFuzzed keeps the never-panic fuzzers complete: each
// registered operator is in ewFuzzOps, tkFuzzOps or nnFuzzOps, or exempt
// with a reason, so a new kernel cannot skip the bad-input checks.
func TestEveryOperatorIsFuzzed(t *testing.T) {
	fuzzed := map[string]bool{}
	for _, op := range ewFuzzOps {
		fuzzed[op] = true
	}
	for _, op := range tkFuzzOps {
		fuzzed[op] = true
	}
	for _, op := range nnFuzzOps {
		fuzzed[op.op] = true
	}
	for _, name := range operators.Operators() {
		if _, ok := fuzzExempt[name]; ok {
			continue
		}
		op, onnx := strings.CutPrefix(name, "ai.onnx/")
		if !onnx || !fuzzed[op] {
			t.Errorf("operator %s is in no fuzz list (ewFuzzOps, tkFuzzOps, nnFuzzOps) and not in fuzzExempt", name)
		}
	}
}
