package main

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

func thresholdOf(t *testing.T, path string) *float64 {
	t.Helper()
	gm, err := graph.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Read(gm)
	if err != nil {
		t.Fatal(err)
	}
	return md.Threshold
}

func TestCalibrateWritesPercentile(t *testing.T) {
	dir := aeDir(t)
	model := filepath.Join(dir, "model.onnx")
	in, scores := scoreFixture(t, model)
	sorted := append([]float64(nil), scores...)
	sort.Float64s(sorted)
	// The median by hand (linear interpolation).
	n := len(sorted)
	median := sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}

	// --dry-run leaves the file alone.
	before, _ := os.ReadFile(model)
	if code, stdout, stderr := latent(t, "calibrate", dir, "--data", in, "--percentile", "50", "--dry-run"); code != 0 || !strings.Contains(stdout, "threshold") {
		t.Fatalf("dry run: exit %d %s %s", code, stdout, stderr)
	}
	after, _ := os.ReadFile(model)
	if string(before) != string(after) {
		t.Error("--dry-run rewrote the model")
	}

	// --contamination 0.5 is the 50th percentile.
	code, stdout, stderr := latent(t, "calibrate", dir, "--data", in, "--contamination", "0.5", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote latent.threshold") {
		t.Errorf("stdout: %s", stdout)
	}
	thr := thresholdOf(t, model)
	if thr == nil || math.Abs(*thr-median) > 1e-5*(1+median) {
		t.Fatalf("threshold %v, want the median %g", thr, median)
	}
	// The rest of the model still runs and score now uses the threshold.
	code, stdout, stderr = latent(t, "score", dir, "--data", in, "--quiet")
	if code != 0 {
		t.Fatalf("score after calibrate: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if lines[0] != "row,score,anomaly" {
		t.Fatalf("score after calibrate prints %q", lines[0])
	}
	flagged := strings.Count(stdout, ",true")
	wantFlagged := 0
	for _, s := range scores {
		if s > *thr {
			wantFlagged++
		}
	}
	if flagged != wantFlagged {
		t.Errorf("%d rows flagged, want %d", flagged, wantFlagged)
	}

	// Recalibrating replaces the value (percentile 100 = the largest score).
	if code, _, stderr := latent(t, "calibrate", model, "--data", in, "--percentile", "100", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	if thr := thresholdOf(t, model); thr == nil || math.Abs(*thr-sorted[n-1]) > 1e-5*(1+sorted[n-1]) {
		t.Errorf("threshold %v, want the maximum %g", thr, sorted[n-1])
	}
}

func TestCalibrateErrors(t *testing.T) {
	dir := aeDir(t)
	in, _ := scoreFixture(t, filepath.Join(dir, "model.onnx"))
	foreign := filepath.Join(t.TempDir(), "m.onnx")
	b, _ := os.ReadFile("../../testdata/golden/dense_gemm/model.onnx")
	os.WriteFile(foreign, b, 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"calibrate", dir, "--data", in, "--percentile", "90", "--contamination", "0.1"}, 2, "not both"},
		{[]string{"calibrate", dir, "--data", in, "--contamination", "1.5"}, 2, "--contamination must be in [0, 1)"},
		{[]string{"calibrate", dir, "--data", in, "--percentile", "101"}, 2, "--percentile must be in [0, 100]"},
		{[]string{"calibrate", dir, "--data", in, "--percentile", "-3"}, 2, "must not be negative"},
		{[]string{"calibrate", "--data", in}, 2, "exactly one MODEL"},
	}
	for _, c := range cases {
		code, _, stderr := latent(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	// A model without latent metadata cannot hold a threshold: either it has
	// no reconstruction output or SetThreshold refuses it; the file stays.
	code, _, stderr := latent(t, "calibrate", foreign, "--data", in, "--quiet")
	if code != 1 {
		t.Errorf("foreign model: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(foreign); string(after) != string(b) {
		t.Error("failed calibrate changed the model")
	}
}
