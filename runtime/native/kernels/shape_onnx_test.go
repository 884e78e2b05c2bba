package kernels_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
)

// shapeNodeTestPrefixes select the node tests of the operators in shape.go,
// slice.go, layout.go, constant.go, index.go and random.go.
var shapeNodeTestPrefixes = []string{
	"test_reshape_", "test_flatten_", "test_transpose_", "test_squeeze", "test_unsqueeze_",
	"test_concat_", "test_split_", "test_slice", "test_gather_", "test_shape",
	"test_expand_", "test_tile", "test_constantofshape_", "test_constant", "test_identity",
	"test_range_", "test_size", "test_gather_elements", "test_gathernd", "test_scatter",
	"test_compress", "test_tril", "test_triu", "test_depthtospace", "test_spacetodepth",
	"test_onehot", "test_eyelike", "test_reversesequence", "test_unique",
}

// TestShapeONNXNodeConformance runs the ONNX backend node tests of this file's
// operators through Compile and Run and demands exact outputs: the
// operators only move data (Range computes start + i·delta, exact for the
// test values).
func TestShapeONNXNodeConformance(t *testing.T) {
	cases := onnxNodeCases(t, "shape operators", 50, func(name string) bool {
		if name == "test_identity_opt" || name == "test_identity_sequence" {
			return false // optional and sequence inputs: runtime's conformance suite reads those values
		}
		for _, p := range shapeNodeTestPrefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	})
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			runShapeNodeTest(t, filepath.Join(onnxNodeDir, name))
		})
	}
}

// runShapeNodeTest runs one node test demanding identical outputs.
func runShapeNodeTest(t *testing.T, dir string) {
	t.Helper()
	runNodeTest(t, dir, decodeNodeModel(t, dir), func(got, want *ops.Tensor) string {
		if got.DType != want.DType || !ops.SameShape(got.Shape, want.Shape) || !reflect.DeepEqual(got.Data, want.Data) {
			return fmt.Sprintf("\n got %v %v\nwant %v %v", got, firstElements(got), want, firstElements(want))
		}
		return ""
	})
}

// firstElements formats the first elements of a tensor for failure messages.
func firstElements(t *ops.Tensor) any {
	v := reflect.ValueOf(t.Data)
	if v.Len() > 16 {
		return v.Slice(0, 16).Interface()
	}
	return t.Data
}
