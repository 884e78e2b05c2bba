package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
// with a threshold; both agree with the checkpoint's own forward pass.
func TestTrainThenExport(t *testing.T) {
	csv := writeManifoldCSV(t, 120, 7)
	dir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "k-sparse", "--data", csv, "--code", "4", "--k", "2",
		"--epochs", "2", "--batch", "16", "--seed", "3", "--quiet", "--out", dir)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "model.onnx") {
		t.Errorf("train output does not name the ONNX files:\n%s", stdout)
	}
	m, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	if err != nil {
		t.Fatal(err)
	}
	x := ops.FromFloat32([]int{3, 7}, []float32{
		0.1, 0.5, 0.9, 0.2, 0.3, 0.7, 0.4,
		0.8, 0.2, 0.1, 0.6, 0.9, 0.3, 0.5,
		0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5})
	want, _ := m.Reconstruct(x.F32(), 3)
	check := func(path string, opset int64, threshold string) {
		t.Helper()
		gm, err := graph.DecodeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if gm.Opset() != opset {
			t.Errorf("%s: opset %d, want %d", path, gm.Opset(), opset)
		}
		md, err := metadata.Read(gm)
		if err != nil {
			t.Fatal(err)
		}
		if md.Training == nil || md.Training.Epochs != 2 {
			t.Errorf("%s: training summary %+v, want 2 epochs", path, md.Training)
		}
		if got, _ := gm.MetadataValue(metadata.KeyThreshold); got != threshold {
			t.Errorf("%s: threshold %q, want %q", path, got, threshold)
		}
		out, err := verify.RunBackend(context.Background(), "native", gm, runtime.Config{}, []*ops.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		if r := verify.CompareTensors("reconstruction", out[0], ops.FromFloat32([]int{3, 7}, want), 1e-5, 0); !r.Pass {
			t.Errorf("%s: %+v", path, r)
		}
	}
	for _, f := range []string{"model.onnx", "encoder.onnx", "decoder.onnx", "training.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("latent train did not write %s: %v", f, err)
		}
	}
	check(filepath.Join(dir, "model.onnx"), 17, "")
	if md, err := graph.DecodeFile(filepath.Join(dir, "model.onnx")); err == nil {
		if s, _ := md.MetadataValue(metadata.KeyTraining); !strings.Contains(s, `"data_shape":[120,7]`) {
			t.Errorf("latent.training = %s, want data_shape [120,7]", s)
		}
	}

	out := filepath.Join(t.TempDir(), "onnx13")
	code, stdout, stderr = exportCLI(filepath.Join(dir, "model.latent"), "--out", out, "--opset", "13", "--threshold", "0.25")
	if code != 0 {
		t.Fatalf("export exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "encoder.onnx") {
		t.Errorf("export output:\n%s", stdout)
	}
	check(filepath.Join(out, "model.onnx"), 13, "0.25")
}

func TestExportCLIErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", "x"}, exitUsage, "exactly one CHECKPOINT"},
		{[]string{"a.latent"}, exitUsage, "--out DIR is required"},
		{[]string{"a.latent", "--out", "x", "--opset", "12"}, exitUsage, "--opset 12 not supported"},
		{[]string{"a.latent", "--out", "x", "--threshold", "inf"}, exitUsage, "--threshold must be finite"},
		{[]string{filepath.Join(t.TempDir(), "missing.latent"), "--out", t.TempDir()}, exitFail, "missing.latent"},
	} {
		code, _, stderr := exportCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("export %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
