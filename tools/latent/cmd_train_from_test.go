package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainFromPyTorchModel is the fine-tune round trip from the CLI: a
// dense autoencoder exported by PyTorch trains on with `latent train --from`,
// the result is exported again and itself continues with --from.
func TestTrainFromPyTorchModel(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "x.csv")
	var b strings.Builder
	for i := 0; i < 128; i++ {
		a, c := float64(i%16)/15, float64(i/16)/7
		for j := 0; j < 16; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.5f", 0.5+0.4*math.Sin(3*a*float64(j+1)/16+2*c))
		}
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(csv, []byte(b.String()), 0o644))
	src := filepath.Join("..", "..", "testdata", "interop", "pytorch", "dense_ae-torchscript", "model.onnx")
	orig, _, err := export.ImportFile(src)
	require.NoError(t, err)
	train := func(from, out string, epochs int) (string, string, int) {
		var o, e bytes.Buffer
		code := run([]string{"train", "--from", from, "--data", csv, "--epochs", fmt.Sprint(epochs), "--lr", "0.01",
			"--scaling", "none", "--quiet", "--out", out}, &o, &e)
		return o.String(), e.String(), code
	}
	ft := filepath.Join(dir, "ft")
	out, errOut, code := train(src, ft, 3)
	require.Equal(t, 0, code, "latent train --from %s:\n%s%s", src, out, errOut)
	m, md, err := export.ImportFile(filepath.Join(ft, "model.onnx"))
	require.NoError(t, err)
	require.NotNil(t, md, "re-exported metadata")
	require.Equal(t, models.Deep, md.Spec.Kind, "re-exported metadata %+v, want a deep 16-8-4 model", md)
	require.Equal(t, []int{16, 8, 4}, md.Spec.Sizes(), "re-exported metadata %+v, want a deep 16-8-4 model", md)
	if assert.NotNil(t, md.Training, "training summary") {
		assert.Equal(t, 3, md.Training.Epochs, "training summary %+v", md.Training)
	}
	assert.NotEqual(t, orig.Params()[0].Data, m.Params()[0].Data, "fine-tuning left the PyTorch weights unchanged")
	// latent's own export continues the same way.
	out, errOut, code = train(filepath.Join(ft, "model.onnx"), filepath.Join(dir, "ft2"), 1)
	require.Equal(t, 0, code, "latent train --from its own export:\n%s%s", out, errOut)
	// A model outside the dense pattern is a clear error, and --from excludes --model.
	vae := filepath.Join("..", "..", "testdata", "interop", "pytorch", "vae-dynamo", "model.onnx")
	_, errOut, code = train(vae, filepath.Join(dir, "bad"), 1)
	assert.NotEqual(t, 0, code, "--from a VAE: stderr %q", errOut)
	assert.Contains(t, errOut, "exactly one output", "--from a VAE")
	var o, e bytes.Buffer
	code = run([]string{"train", "--from", src, "--model", "deep", "--data", csv, "--out", filepath.Join(dir, "x")}, &o, &e)
	assert.Equal(t, exitUsage, code, "--from with --model: stderr %q", e.String())
	assert.Contains(t, e.String(), "--from takes the architecture", "--from with --model")

}
