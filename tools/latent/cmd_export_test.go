package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
)

func exportCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"export"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestTrainThenExport: latent train leaves the three ONNX files beside the
// checkpoint, and latent export re-exports the checkpoint at another opset
// with a threshold; both agree with the checkpoint's own forward pass and
// carry the training data's units and range.
func TestTrainThenExport(t *testing.T) {
	csv := writeManifoldCSV(t, 120, 7)
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "k-sparse", "--data", csv, "--code", "4", "--k", "2",
		"--epochs", "2", "--batch", "16", "--seed", "3", "--quiet", "--out", dir)
	require.Equal(t, 0, code, "train: %s", stderr)
	assert.Contains(t, stdout, "model.onnx", "train output names the ONNX files")
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	require.NoError(t, err)
	train, err := data.Load(csv, data.Options{})
	require.NoError(t, err)
	lo, hi, ok := train.Range()
	require.True(t, ok)
	x := ops.FromFloat32([]int{3, 7}, []float32{
		0.1, 0.5, 0.9, 0.2, 0.3, 0.7, 0.4,
		0.8, 0.2, 0.1, 0.6, 0.9, 0.3, 0.5,
		0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5})
	want, err := m.Reconstruct(x.F32(), 3)
	require.NoError(t, err)
	check := func(path string, opset int64, threshold string) {
		t.Helper()
		gm, err := graph.DecodeFile(path)
		require.NoError(t, err)
		assert.Equal(t, opset, gm.Opset(), path)
		md, err := metadata.Read(gm)
		require.NoError(t, err)
		require.NotNil(t, md.Training, path)
		assert.Equal(t, 2, md.Training.Epochs, path)
		got, _ := gm.MetadataValue(metadata.KeyThreshold)
		assert.Equal(t, threshold, got, path)
		// The validation split leaves the training rows' range within the file's.
		assert.Equal(t, data.AsStored, md.Scaler.Units, path)
		require.Len(t, md.Scaler.Range, 2, path)
		assert.True(t, md.Scaler.Range[0] >= lo && md.Scaler.Range[1] <= hi && md.Scaler.Range[0] < md.Scaler.Range[1],
			"%s: range %v within the data's [%g, %g]", path, md.Scaler.Range, lo, hi)
		out, err := verify.RunBackend(context.Background(), "native", gm, runtime.Config{}, []*ops.Tensor{x})
		require.NoError(t, err)
		r := verify.CompareTensors("reconstruction", out[0], ops.FromFloat32([]int{3, 7}, want), 1e-5, 0)
		assert.True(t, r.Pass, "%s: %+v", path, r)
	}
	for _, f := range []string{"model.onnx", "encoder.onnx", "decoder.onnx", "training.json"} {
		assert.FileExists(t, filepath.Join(dir, f), "latent train writes it")
	}
	check(filepath.Join(dir, "model.onnx"), 17, "")
	gm, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	require.NoError(t, err)
	s, _ := gm.MetadataValue(metadata.KeyTraining)
	assert.Contains(t, s, `"data_shape":[120,7]`)

	out := filepath.Join(t.TempDir(), "onnx13")
	code, stdout, stderr = exportCLI(filepath.Join(dir, "model.latent"), "--out", out, "--opset", "13", "--threshold", "0.25")
	require.Equal(t, 0, code, "export: %s", stderr)
	assert.Contains(t, stdout, "encoder.onnx")
	check(filepath.Join(out, "model.onnx"), 13, "0.25")

	// Without --out, export rewrites the run folder and keeps the threshold
	// latent calibrate wrote into the model.onnx it replaces.
	code, _, stderr = latent(t, "calibrate", dir, "--data", csv, "--percentile", "90")
	require.Equal(t, 0, code, "calibrate: %s", stderr)
	gm, err = graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	require.NoError(t, err)
	calibrated, ok := gm.MetadataValue(metadata.KeyThreshold)
	require.True(t, ok, "calibrate writes latent.threshold")
	code, stdout, stderr = exportCLI(dir, "--opset", "13")
	require.Equal(t, 0, code, "export: %s", stderr)
	assert.Contains(t, stdout, "model:   "+filepath.Join(dir, "model.onnx"))
	assert.Contains(t, stdout, "kept latent.threshold="+calibrated+" from the model.onnx it replaced")
	check(filepath.Join(dir, "model.onnx"), 13, calibrated)
	code, stdout, stderr = exportCLI(dir, "--threshold", "0.5")
	require.Equal(t, 0, code, "export: %s", stderr)
	assert.NotContains(t, stdout, "kept")
	check(filepath.Join(dir, "model.onnx"), 17, "0.5")
}

func TestExportCLIErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", "x"}, exitUsage, "missing CHECKPOINT argument"},
		{[]string{"a.latent", "b.latent"}, exitUsage, "want one CHECKPOINT argument, got 2"},
		{[]string{"a.latent", "--out", "x", "--opset", "12"}, exitUsage, "--opset 12 not supported"},
		{[]string{"a.latent", "--out", "x", "--threshold", "inf"}, exitUsage, "--threshold must be finite"},
		{[]string{filepath.Join(t.TempDir(), "missing.latent"), "--out", t.TempDir()}, exitFail, "missing.latent"},
	} {
		code, _, stderr := exportCLI(tc.args...)
		assert.Equal(t, tc.code, code, "export %v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "export %v", tc.args)
	}
}
