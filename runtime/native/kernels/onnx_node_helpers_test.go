package kernels_test

// Helpers of the ONNX backend node-test suites, which run each one-node
// model through the native planner (runtime/native) and so live in the
// external test package.

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onnxNodeDir holds the ONNX backend node tests (Debian libonnx-testdata).
const onnxNodeDir = "/usr/share/libonnx-testdata/data/node"

// onnxNodeCases lists the node tests in onnxNodeDir whose directory name
// match accepts, sorted. It skips the test when the data is not installed
// and fails it when fewer than atLeast match, so a renamed or missing
// test set cannot silently shrink the coverage.
func onnxNodeCases(t *testing.T, what string, atLeast int, match func(name string) bool) []string {
	t.Helper()
	entries, err := os.ReadDir(onnxNodeDir)
	testenv.Need(t, "the ONNX node tests (apt-get install libonnx-testdata)", err)
	var cases []string
	for _, e := range entries {
		if match(e.Name()) {
			cases = append(cases, e.Name())
		}
	}
	sort.Strings(cases)
	require.GreaterOrEqual(t, len(cases), atLeast, "node tests for the %s in %s", what, onnxNodeDir)
	return cases
}

// readNodeInputs reads input_0.pb … input_{n-1}.pb of one test_data_set.
func readNodeInputs(t *testing.T, set string, n int) []*ops.Tensor {
	t.Helper()
	inputs := make([]*ops.Tensor, 0, n)
	for i := 0; i < n; i++ {
		_, x, err := graph.ReadTensorFile(filepath.Join(set, "input_"+strconv.Itoa(i)+".pb"))
		require.NoError(t, err)
		inputs = append(inputs, x)
	}
	return inputs
}

// decodeNodeModel decodes dir/model.onnx.
func decodeNodeModel(t *testing.T, dir string) *graph.Model {
	t.Helper()
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	require.NoError(t, err)
	return m
}

// runNodeTest compiles the model of one ONNX node test directory, runs
// every test_data_set_* in it and reports each output for which compare
// returns a non-empty mismatch description.
func runNodeTest(t *testing.T, dir string, m *graph.Model, compare func(got, want *ops.Tensor) string) {
	t.Helper()
	p, err := native.Compile(m, native.Options{})
	require.NoError(t, err)
	sets, err := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	require.NoError(t, err)
	require.NotEmpty(t, sets, "no test_data_set_* in %s", dir)
	for _, set := range sets {
		inputs := readNodeInputs(t, set, len(m.Graph.Inputs))
		outs, err := p.Run(context.Background(), inputs)
		require.NoError(t, err, "%s", filepath.Base(set))
		for i, got := range outs {
			_, want, err := graph.ReadTensorFile(filepath.Join(set, "output_"+strconv.Itoa(i)+".pb"))
			require.NoError(t, err)
			assert.Empty(t, compare(got, want), "%s output %d (%s)", filepath.Base(set), i, m.Graph.Outputs[i].Name)
		}
	}
}
