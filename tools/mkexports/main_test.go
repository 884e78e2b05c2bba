package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/runtime/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegenerateMatchesCommitted regenerates one kind and compares it with
// the committed golden files: identical inputs, and outputs within the
// golden tolerance (the trainer's Gemm kernels depend on the CPU).
func TestRegenerateMatchesCommitted(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-golden", dir, "-only", "k-sparse"}, &out, &errb)
	require.NoError(t, err, "mkexports:\n%s", errb.String())
	committed := filepath.Join("..", "..", "testdata", "golden")
	for _, name := range []string{"ae-k-sparse", "ae-k-sparse-encoder", "ae-k-sparse-decoder"} {
		sets, err := verify.DataSets(filepath.Join(dir, name))
		require.NoError(t, err, "%s: data sets", name)
		require.Len(t, sets, 2, "%s: data sets", name)
		for _, set := range sets {
			rel := filepath.Base(set)
			for _, prefix := range []string{"input", "output"} {
				got, err := verify.ReadTensors(set, prefix)
				require.NoError(t, err)
				want, err := verify.ReadTensors(filepath.Join(committed, name, rel), prefix)
				require.NoError(t, err)
				require.Len(t, got, 1, "%s/%s %s: regenerated tensors", name, rel, prefix)
				require.Len(t, want, 1, "%s/%s %s: committed tensors", name, rel, prefix)
				r := verify.CompareTensors(prefix, got[0], want[0], 1e-5, 0)
				assert.True(t, r.Pass, "%s/%s %s differs from the committed file: %+v", name, rel, prefix, r)
			}
		}
	}
}

func TestFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-golden", t.TempDir(), "-only", "nope"}, &out, &errb)
	assert.ErrorContains(t, err, `"nope" is not a model kind`, "-only nope")
	err = run(context.Background(), []string{"-golden", t.TempDir(), "-opset", "9", "-only", "deep"}, &out, &errb)
	assert.ErrorContains(t, err, "opset 9", "-opset 9")
	err = run(context.Background(), []string{"extra"}, &out, &errb)
	assert.Error(t, err, "positional argument")
}
