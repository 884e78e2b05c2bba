package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
)

func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
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
	os.MkdirAll(filepath.Join(golden, "dense_gemm", "test_data_set_7"), 0o755)
	models := t.TempDir()
	copyFile(t, filepath.Join(committed, "model.onnx"), filepath.Join(models, "shipped", "model.onnx"))

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-golden", golden, "-models", models}, &out, &errb); err != nil {
		t.Fatalf("mkgolden: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "imported") {
		t.Errorf("shipped model not imported:\n%s", out.String())
	}
	for _, name := range []string{"dense_gemm", "shipped"} {
		sets, err := verify.DataSets(filepath.Join(golden, name))
		if err != nil || len(sets) != 2 {
			t.Fatalf("%s: data sets %v, %v; want 2", name, sets, err)
		}
	}
	for _, set := range []string{"test_data_set_0", "test_data_set_1"} {
		// Inputs come from the seeded generator: identical bytes.
		want, err := os.ReadFile(filepath.Join(committed, set, "input_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(golden, "dense_gemm", set, "input_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/input_0.pb differs from the committed golden file", set)
		}
		// Outputs come from ORT, whose kernels depend on the CPU: compare
		// within the default tolerance.
		wantOut, err := verify.ReadTensors(filepath.Join(committed, set), "output")
		if err != nil {
			t.Fatal(err)
		}
		gotOut, err := verify.ReadTensors(filepath.Join(golden, "dense_gemm", set), "output")
		if err != nil {
			t.Fatal(err)
		}
		if len(gotOut) != len(wantOut) {
			t.Fatalf("%s: %d outputs, want %d", set, len(gotOut), len(wantOut))
		}
		for k := range wantOut {
			if r := verify.CompareTensors("out", gotOut[k], wantOut[k], verify.DefaultAtol, verify.DefaultRtol); !r.Pass {
				t.Errorf("%s/output_%d differs from the committed golden file: %+v", set, k, r)
			}
		}
	}
}

func TestFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-batches", "1,x"}, &out, &errb); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("bad -batches: err = %v", err)
	}
	requireORT(t)
	if err := run(context.Background(), []string{"-golden", t.TempDir(), "-models", t.TempDir()}, &out, &errb); err == nil || !strings.Contains(err.Error(), "no golden models") {
		t.Errorf("empty golden folder: err = %v", err)
	}
}
