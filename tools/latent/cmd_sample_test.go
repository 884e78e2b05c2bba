package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/trainer"
)

// writeBlobNPY writes n 1×8×8 blob images as an N×H×W uint8-range float
// NPY file.
func writeBlobNPY(t *testing.T, n int) string {
	t.Helper()
	x := make([]float32, n*64)
	for i := 0; i < n; i++ {
		cy, cx := float64(1+i%6), float64(1+(i/6)%6)
		for y := 0; y < 8; y++ {
			for xx := 0; xx < 8; xx++ {
				d := (float64(y)-cy)*(float64(y)-cy) + (float64(xx)-cx)*(float64(xx)-cx)
				x[i*64+y*8+xx] = float32(255 * math.Exp(-d/3))
			}
		}
	}
	p := filepath.Join(t.TempDir(), "blobs.npy")
	var b bytes.Buffer
	if err := data.WriteImagesNPY(&b, n, []int{1, 8, 8}, x); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, b.Bytes(), 0o644)
	return p
}

func TestTrainAndSampleConvVAE(t *testing.T) {
	npy := writeBlobNPY(t, 72)
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "conv-vae", "--data", npy, "--filters", "4", "--code", "2",
		"--epochs", "3", "--batch", "16", "--lr", "0.01", "--kl-warmup", "2", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "generate.onnx") || !strings.Contains(stderr, "kl ") {
		t.Errorf("stdout %q stderr %q: want generate.onnx and per-epoch kl", stdout, stderr)
	}
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.KLWarmup != 2 || m.Spec.Image[1] != 8 || len(m.Spec.Filters) != 1 {
		t.Fatalf("spec %+v", m.Spec)
	}
	want, _, err := m.Sample(5, 9)
	if err != nil {
		t.Fatal(err)
	}
	backends := []string{"native"}
	if ort.Available() == nil {
		backends = append(backends, "ort")
	}
	for _, src := range []string{dir, filepath.Join(dir, "model.latent")} {
		for _, b := range backends {
			out := filepath.Join(t.TempDir(), "s.npy")
			var so, se bytes.Buffer
			if c := run([]string{"sample", src, "--n", "5", "--seed", "9", "--out", out, "--backend", b}, &so, &se); c != 0 {
				t.Fatalf("sample %s on %s: exit %d: %s", src, b, c, se.String())
			}
			im, err := data.LoadImages(out, 0)
			if err != nil {
				t.Fatal(err)
			}
			if im.N != 5 || im.Shape[1] != 8 || im.Shape[2] != 8 {
				t.Fatalf("samples N=%d shape %v", im.N, im.Shape)
			}
			for i, v := range want {
				if math.Abs(float64(im.X[i]-v)) > 1e-5 {
					t.Fatalf("%s on %s: sample value %d = %g, trainer gives %g", src, b, i, im.X[i], v)
				}
			}
			f, err := os.Open(strings.TrimSuffix(out, ".npy") + ".png")
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// 5 samples → 3 columns × 2 rows of 8×8 tiles with 1-pixel gaps.
			if r := img.Bounds(); r.Dx() != 3*9+1 || r.Dy() != 2*9+1 {
				t.Errorf("grid %v, want 28×19", r)
			}
		}
	}
	var so, se bytes.Buffer
	if c := run([]string{"sample", filepath.Join(dir, "model.onnx"), "--out", filepath.Join(t.TempDir(), "x.npy")}, &so, &se); c == 0 || !strings.Contains(se.String(), "want \"generate\"") {
		t.Errorf("sampling model.onnx: exit %d, %q", c, se.String())
	}
}

func TestTrainConvIDX(t *testing.T) {
	p := "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "conv", "--data", p, "--limit", "64", "--filters", "4,8",
		"--code", "8", "--epochs", "1", "--batch-norm", "--upsampling", "nearest", "--pooling", "max", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "trained conv [784 8]") {
		t.Errorf("stdout %q", stdout)
	}
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Spec; s.Pooling != "max" || s.Upsampling != "nearest" || !s.BatchNorm || s.Filters[1] != 8 {
		t.Errorf("spec from flags: %+v", s.ImageSpec)
	}
	code, _, stderr = trainCLI(t, "--model", "deep", "--data", p, "--limit", "64", "--filters", "4", "--out", dir)
	if code == 0 || !strings.Contains(stderr, "--filters applies to conv") {
		t.Errorf("--filters on a dense kind: exit %d, %q", code, stderr)
	}
}
