package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
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
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "testdata", "interop", "pytorch", "dense_ae-torchscript", "model.onnx")
	orig, _, err := export.ImportFile(src)
	if err != nil {
		t.Fatal(err)
	}
	train := func(from, out string, epochs int) (string, string, int) {
		var o, e bytes.Buffer
		code := run([]string{"train", "--from", from, "--data", csv, "--epochs", fmt.Sprint(epochs), "--lr", "0.01",
			"--scaling", "none", "--quiet", "--out", out}, &o, &e)
		return o.String(), e.String(), code
	}
	ft := filepath.Join(dir, "ft")
	if out, errOut, code := train(src, ft, 3); code != 0 {
		t.Fatalf("latent train --from %s: exit %d\n%s%s", src, code, out, errOut)
	}
	m, md, err := export.ImportFile(filepath.Join(ft, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if md == nil || md.Spec.Kind != models.Deep || !slices.Equal(md.Spec.Sizes(), []int{16, 8, 4}) {
		t.Fatalf("re-exported metadata %+v, want a deep 16-8-4 model", md)
	}
	if md.Training == nil || md.Training.Epochs != 3 {
		t.Errorf("training summary %+v, want 3 epochs", md.Training)
	}
	if slices.Equal(m.Params()[0].Data, orig.Params()[0].Data) {
		t.Error("fine-tuning left the PyTorch weights unchanged")
	}
	// latent's own export continues the same way.
	if out, errOut, code := train(filepath.Join(ft, "model.onnx"), filepath.Join(dir, "ft2"), 1); code != 0 {
		t.Fatalf("latent train --from its own export: exit %d\n%s%s", code, out, errOut)
	}
	// A model outside the dense pattern is a clear error, and --from excludes --model.
	vae := filepath.Join("..", "..", "testdata", "interop", "pytorch", "vae-dynamo", "model.onnx")
	if _, errOut, code := train(vae, filepath.Join(dir, "bad"), 1); code == 0 || !strings.Contains(errOut, "exactly one output") {
		t.Errorf("--from a VAE: exit %d, stderr %q", code, errOut)
	}
	var o, e bytes.Buffer
	if code := run([]string{"train", "--from", src, "--model", "deep", "--data", csv, "--out", filepath.Join(dir, "x")}, &o, &e); code != exitUsage || !strings.Contains(e.String(), "--from takes the architecture") {
		t.Errorf("--from with --model: exit %d, stderr %q", code, e.String())
	}
}
