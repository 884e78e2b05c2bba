package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}

// TestRegenerateMatchesCommitted regenerates dense_gemm's sets with the
// committed settings and checks they reproduce the committed files, and
// that a shipped model is imported.
func TestRegenerateMatchesCommitted(t *testing.T) {
	requireORT(t)
	committed := filepath.Join("..", "..", "testdata", "golden", "dense_gemm")
	golden := t.TempDir()
	copyFile(t, filepath.Join(committed, "model.onnx"), filepath.Join(golden, "dense_gemm", "model.onnx"))
	// A stale set must be replaced, and a shipped model imported.
	require.NoError(t, os.MkdirAll(filepath.Join(golden, "dense_gemm", "test_data_set_7"), 0o755))
	models := t.TempDir()
	copyFile(t, filepath.Join(committed, "model.onnx"), filepath.Join(models, "shipped", "model.onnx"))

	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-golden", golden, "-models", models}, &out, &errb)
	require.NoError(t, err, "mkgolden:\n%s", errb.String())
	assert.Contains(t, out.String(), "imported", "shipped model not imported")
	for _, name := range []string{"dense_gemm", "shipped"} {
		sets, err := verify.DataSets(filepath.Join(golden, name))
		require.NoError(t, err, "%s: data sets", name)
		require.Len(t, sets, 2, "%s: data sets", name)
	}
	for _, set := range []string{"test_data_set_0", "test_data_set_1"} {
		// Inputs come from the seeded generator: identical bytes.
		want, err := os.ReadFile(filepath.Join(committed, set, "input_0.pb"))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(golden, "dense_gemm", set, "input_0.pb"))
		require.NoError(t, err)
		assert.Truef(t, bytes.Equal(got, want), "%s/input_0.pb differs from the committed golden file", set)
		// Outputs come from ORT, whose kernels depend on the CPU: compare
		// within the default tolerance.
		wantOut, err := verify.ReadTensors(filepath.Join(committed, set), "output")
		require.NoError(t, err)
		gotOut, err := verify.ReadTensors(filepath.Join(golden, "dense_gemm", set), "output")
		require.NoError(t, err)
		require.Len(t, gotOut, len(wantOut), "%s: outputs", set)
		for k := range wantOut {
			r := verify.CompareTensors("out", gotOut[k], wantOut[k], verify.DefaultAtol, verify.DefaultRtol)
			assert.True(t, r.Pass, "%s/output_%d differs from the committed golden file: %+v", set, k, r)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-batches", "1,x"}, &out, &errb)
	assert.ErrorContains(t, err, `"x"`, "bad -batches")
	requireORT(t)
	err = run(context.Background(), []string{"-golden", t.TempDir(), "-models", t.TempDir()}, &out, &errb)
	assert.ErrorContains(t, err, "no golden models", "empty golden folder")
}
