package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/trainer"
)

// writeBlobNPY writes n 1×8×8 blob images, peak scale, as an N×H×W
// float32 NPY file.
func writeBlobNPY(t *testing.T, n int, scale float64) string {
	t.Helper()
	x := make([]float32, n*64)
	for i := 0; i < n; i++ {
		cy, cx := float64(1+i%6), float64(1+(i/6)%6)
		for y := 0; y < 8; y++ {
			for xx := 0; xx < 8; xx++ {
				d := (float64(y)-cy)*(float64(y)-cy) + (float64(xx)-cx)*(float64(xx)-cx)
				x[i*64+y*8+xx] = float32(scale * math.Exp(-d/3))
			}
		}
	}
	p := filepath.Join(t.TempDir(), "blobs.npy")
	var b bytes.Buffer
	require.NoError(t, data.WriteImagesNPY(&b, n, []int{1, 8, 8}, x))
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	return p
}

func TestTrainAndSampleConvVAE(t *testing.T) {
	npy := writeBlobNPY(t, 72, 1)
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "conv-vae", "--data", npy, "--filters", "4", "--code", "2",
		"--epochs", "3", "--batch", "16", "--lr", "0.01", "--kl-warmup", "2", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "generate.onnx")
	assert.Contains(t, stderr, "kl ", "per-epoch kl")
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	require.NoError(t, err)
	assert.Equal(t, 2, m.Spec.KLWarmup)
	assert.Equal(t, 8, m.Spec.Image[1])
	assert.Len(t, m.Spec.Filters, 1)
	want, _, err := m.Sample(5, 9)
	require.NoError(t, err)
	backends := []string{"native"}
	if ort.Available() == nil {
		backends = append(backends, "ort")
	}
	for _, src := range []string{dir, filepath.Join(dir, "model.latent")} {
		for _, b := range backends {
			out := filepath.Join(t.TempDir(), "s.npy")
			var so, se bytes.Buffer
			c := run([]string{"sample", src, "--n", "5", "--seed", "9", "--out", out, "--backend", b}, &so, &se)
			require.Equal(t, 0, c, "sample %s on %s: %s", src, b, se.String())
			im, err := data.Load(out, data.Options{})
			require.NoError(t, err)
			assert.Equal(t, 5, im.N)
			assert.Equal(t, []int{1, 8, 8}, im.Shape)
			assert.InDeltaSlice(t, want, im.X[:len(want)], 1e-5, "%s on %s: samples vs the trainer's", src, b)
			f, err := os.Open(strings.TrimSuffix(out, ".npy") + ".png")
			require.NoError(t, err)
			img, err := png.Decode(f)
			f.Close()
			require.NoError(t, err)
			// 5 samples → 3 columns × 2 rows of 8×8 tiles with 1-pixel gaps.
			assert.Equal(t, 3*9+1, img.Bounds().Dx())
			assert.Equal(t, 2*9+1, img.Bounds().Dy())
		}
	}
	// Without --out: samples.npy and samples.png in the run folder, or
	// beside the model file given.
	for _, src := range []string{dir, filepath.Join(dir, "generate.onnx")} {
		var so, se bytes.Buffer
		c := run([]string{"sample", src, "--n", "5", "--seed", "9"}, &so, &se)
		require.Equal(t, 0, c, "sample %s: %s", src, se.String())
		assert.Contains(t, so.String(), "to "+filepath.Join(dir, "samples.npy"))
		assert.Contains(t, so.String(), "grid to "+filepath.Join(dir, "samples.png"))
		im, err := data.Load(filepath.Join(dir, "samples.npy"), data.Options{})
		require.NoError(t, err)
		assert.InDeltaSlice(t, want, im.X[:len(want)], 1e-5)
	}
	var so, se bytes.Buffer
	c := run([]string{"sample", filepath.Join(dir, "model.onnx"), "--out", filepath.Join(t.TempDir(), "x.npy")}, &so, &se)
	assert.NotEqual(t, 0, c)
	assert.Contains(t, se.String(), "want \"generate\"", "sampling model.onnx")
}

// Float images are used as stored: 0–255 floats for a bce kind are refused
// with the fix, not trained into NaNs; uint8 pixels are fine.
func TestTrainBCENeedsUnitData(t *testing.T) {
	npy := writeBlobNPY(t, 8, 255)
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := trainCLI(t, "--model", "conv", "--data", npy, "--filters", "4", "--code", "2", "--epochs", "1", "--out", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "loss bce needs data in [0, 1], but "+npy+" spans [")
	assert.Contains(t, stderr, ", 255] as stored: divide 0–255 pixels by 255")
	code, _, stderr = trainCLI(t, "--model", "conv", "--data", npy, "--filters", "4", "--code", "2", "--epochs", "1", "--scaling", "minmax", "--out", dir)
	assert.Equal(t, 0, code, "--scaling minmax maps the pixels into [0, 1]: %s", stderr)
}

func TestTrainConvIDX(t *testing.T) {
	p := "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			require.NoError(t, err, "Fashion-MNIST missing under CI (tools/setup.sh installs it)")
		}
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "conv", "--data", p, "--limit", "64", "--filters", "4,8",
		"--code", "8", "--epochs", "1", "--batch-norm", "--upsampling", "nearest", "--pooling", "max", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "trained conv [784 8]")
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	require.NoError(t, err)
	s := m.Spec
	assert.Equal(t, "max", string(s.Pooling))
	assert.Equal(t, "nearest", string(s.Upsampling))
	assert.True(t, s.BatchNorm)
	assert.Equal(t, []int{4, 8}, s.Filters)
	code, _, stderr = trainCLI(t, "--model", "deep", "--data", p, "--limit", "64", "--filters", "4", "--out", dir)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "--filters applies to conv", "--filters on a dense kind")
}
