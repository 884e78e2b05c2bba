package native

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// tkONNXNodeDir holds the ONNX backend node tests (Debian libonnx-testdata).
const tkONNXNodeDir = "/usr/share/libonnx-testdata/data/node"

// tkONNXPrefixes select the node tests of the operators in k_shape.go,
// k_tensor.go and k_random.go.
var tkONNXPrefixes = []string{
	"test_reshape_", "test_flatten_", "test_transpose_", "test_squeeze", "test_unsqueeze_",
	"test_concat_", "test_split_", "test_slice", "test_gather_", "test_shape",
	"test_expand_", "test_tile", "test_constantofshape_", "test_constant", "test_identity",
	"test_range_", "test_size", "test_gather_elements", "test_gathernd", "test_scatter",
	"test_compress", "test_tril", "test_triu", "test_depthtospace", "test_spacetodepth",
	"test_onehot", "test_eyelike", "test_reversesequence", "test_unique",
}

// tkONNXOthers are matched by a prefix above but exercise other operators.
var tkONNXOthers = map[string]string{
	"test_constant_pad":                             "Pad",
	"test_identity_opt":                             "optional types",
	"test_identity_sequence":                        "sequence types",
	"test_range_float_type_positive_delta_expanded": "Loop",
	"test_range_int32_type_negative_delta_expanded": "Loop",
}

// TestShapeONNXNodeConformance runs the ONNX backend node tests of this file's
// operators through Compile and Run and demands exact outputs: the
// operators only move data (Range computes start + i·delta, exact for the
// test values).
func TestShapeONNXNodeConformance(t *testing.T) {
	entries, err := os.ReadDir(tkONNXNodeDir)
	if err != nil {
		t.Skipf("ONNX node tests not installed (%v): apt-get install libonnx-testdata", err)
	}
	var cases []string
	for _, e := range entries {
		for _, p := range tkONNXPrefixes {
			if strings.HasPrefix(e.Name(), p) {
				cases = append(cases, e.Name())
				break
			}
		}
	}
	sort.Strings(cases)
	if len(cases) < 50 {
		t.Fatalf("found only %d node tests for the shape operators in %s", len(cases), tkONNXNodeDir)
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			if why, ok := tkONNXOthers[name]; ok {
				t.Skipf("tests %s, not an operator of this file", why)
			}
			tkRunNodeTest(t, filepath.Join(tkONNXNodeDir, name))
		})
	}
}

func tkRunNodeTest(t *testing.T, dir string) {
	t.Helper()
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatalf("no test_data_set_* in %s", dir)
	}
	for _, set := range sets {
		var inputs []*ops.Tensor
		for i := range m.Graph.Inputs {
			_, x, err := graph.ReadTensorFile(filepath.Join(set, "input_"+strconv.Itoa(i)+".pb"))
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, x)
		}
		outs, err := p.Run(context.Background(), inputs)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(set), err)
		}
		for i, got := range outs {
			_, want, err := graph.ReadTensorFile(filepath.Join(set, "output_"+strconv.Itoa(i)+".pb"))
			if err != nil {
				t.Fatal(err)
			}
			if got.DType != want.DType || !ops.SameShape(got.Shape, want.Shape) || !reflect.DeepEqual(got.Data, want.Data) {
				t.Errorf("%s output %d (%s):\n got %v %v\nwant %v %v", filepath.Base(set), i, m.Graph.Outputs[i].Name, got, tkHead(got), want, tkHead(want))
			}
		}
	}
}

// tkHead formats the first elements of a tensor for failure messages.
func tkHead(t *ops.Tensor) any {
	v := reflect.ValueOf(t.Data)
	if v.Len() > 16 {
		return v.Slice(0, 16).Interface()
	}
	return t.Data
}
