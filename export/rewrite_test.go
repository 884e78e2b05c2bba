package export_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}

func TestSetThreshold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete/model.onnx", path)
	before, err := graph.DecodeFile(path)
	require.NoError(t, err)
	_, ok := before.MetadataValue(metadata.KeyThreshold)
	require.False(t, ok, "golden model already carries a threshold; the test needs an uncalibrated one")
	ctx := context.Background()
	for _, thr := range []float64{0.125, 3.5e-7} {
		require.NoError(t, export.SetThreshold(ctx, path, thr))
		after, err := graph.DecodeFile(path)
		require.NoError(t, err)
		md, err := metadata.Read(after)
		require.NoError(t, err)
		require.NotNil(t, md.Threshold, "threshold after SetThreshold(%g)", thr)
		assert.Equal(t, thr, *md.Threshold)
		// Earlier entries keep their order and values; the threshold is
		// added once (replaced in place the second time).
		require.Len(t, after.Metadata, len(before.Metadata)+1)
		assert.Equal(t, before.Metadata, after.Metadata[:len(before.Metadata)], "existing metadata changed")
		// The graph itself is untouched: same nodes, same initializer bits.
		require.Len(t, after.Graph.Nodes, len(before.Graph.Nodes))
		for i, n := range after.Graph.Nodes {
			b := before.Graph.Nodes[i]
			assert.Equal(t, b.OpType, n.OpType, "node %d", i)
			assert.Equal(t, b.Inputs, n.Inputs, "node %d inputs", i)
			assert.Equal(t, b.Outputs, n.Outputs, "node %d outputs", i)
		}
		assert.Equal(t, before.Graph.Initializers, after.Graph.Initializers, "initializers changed")
		assert.Equal(t, before.Opset(), after.Opset())
		assert.Equal(t, before.IRVersion, after.IRVersion)
	}
	// The rewritten model still imports into the trainer, threshold included.
	_, md, err := export.Import(path)
	require.NoError(t, err, "import after SetThreshold")
	assert.NotNil(t, md.Threshold)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "temporary files left behind")
}

func TestSetMetadataKeepsOrderAndAddsSorted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete-encoder/model.onnx", path)
	before, err := graph.DecodeFile(path)
	require.NoError(t, err)
	first := before.Metadata[0]
	require.NoError(t, export.SetMetadata(context.Background(), path, map[string]string{"z.b": "2", "z.a": "1", first.Key: first.Value + "x"}))
	after, err := graph.DecodeFile(path)
	require.NoError(t, err)
	n := len(before.Metadata)
	require.Len(t, after.Metadata, n+2)
	assert.Equal(t, graph.MetadataEntry{Key: first.Key, Value: first.Value + "x"}, after.Metadata[0], "first entry not replaced in place")
	assert.Equal(t, []graph.MetadataEntry{{Key: "z.a", Value: "1"}, {Key: "z.b", Value: "2"}}, after.Metadata[n:])
}

func TestSetThresholdErrors(t *testing.T) {
	dir := t.TempDir()
	latentModel := filepath.Join(dir, "model.onnx")
	copyFile(t, "../testdata/golden/ae-undercomplete/model.onnx", latentModel)
	orig, err := os.ReadFile(latentModel)
	require.NoError(t, err)
	foreign := filepath.Join(dir, "foreign.onnx")
	copyFile(t, "../testdata/golden/dense_gemm/model.onnx", foreign)
	garbage := filepath.Join(dir, "garbage.onnx")
	require.NoError(t, os.WriteFile(garbage, []byte("not a model"), 0o644))
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nan", export.SetThreshold(ctx, latentModel, math.NaN()), "not a finite"},
		{"negative", export.SetThreshold(ctx, latentModel, -1), "not a finite"},
		{"foreign", export.SetThreshold(ctx, foreign, 1), "latent.format_version missing"},
		{"garbage", export.SetThreshold(ctx, garbage, 1), "garbage.onnx"},
		{"missing", export.SetThreshold(ctx, filepath.Join(dir, "nope.onnx"), 1), "nope.onnx"},
		{"cancelled", export.SetThreshold(cancelled, latentModel, 1), "context canceled"},
		{"empty", export.SetMetadata(ctx, latentModel, nil), "no entries"},
	}
	for _, c := range cases {
		assert.ErrorContains(t, c.err, c.want, c.name)
	}
	now, err := os.ReadFile(latentModel)
	require.NoError(t, err)
	assert.Equal(t, string(orig), string(now), "failed calls modified the model file")
}
