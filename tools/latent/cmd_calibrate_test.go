package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

func thresholdOf(t *testing.T, path string) *float64 {
	t.Helper()
	gm, err := graph.DecodeFile(path)
	require.NoError(t, err)
	md, err := metadata.Read(gm)
	require.NoError(t, err)
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
	before, err := os.ReadFile(model)
	require.NoError(t, err)
	code, stdout, stderr := latent(t, "calibrate", dir, "--data", in, "--percentile", "50", "--dry-run")
	require.Equal(t, 0, code, "dry run: %s", stderr)
	assert.Contains(t, stdout, "threshold")
	after, err := os.ReadFile(model)
	require.NoError(t, err)
	assert.Equal(t, before, after, "--dry-run rewrote the model")

	// --contamination 0.5 is the 50th percentile.
	code, stdout, stderr = latent(t, "calibrate", dir, "--data", in, "--contamination", "0.5", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote latent.threshold")
	thr := thresholdOf(t, model)
	require.NotNil(t, thr)
	require.InDelta(t, median, *thr, 1e-5*(1+median), "threshold vs the median")
	// The rest of the model still runs and score now uses the threshold.
	code, stdout, stderr = latent(t, "score", dir, "--data", in, "--quiet")
	require.Equal(t, 0, code, "score after calibrate: %s", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, "row,score,anomaly", lines[0])
	wantFlagged := 0
	for _, s := range scores {
		if s > *thr {
			wantFlagged++
		}
	}
	assert.Equal(t, wantFlagged, strings.Count(stdout, ",true"), "rows flagged")

	// Recalibrating replaces the value (percentile 100 = the largest score).
	code, _, stderr = latent(t, "calibrate", model, "--data", in, "--percentile", "100", "--quiet")
	require.Equal(t, 0, code, stderr)
	thr = thresholdOf(t, model)
	require.NotNil(t, thr)
	assert.InDelta(t, sorted[n-1], *thr, 1e-5*(1+sorted[n-1]), "threshold vs the maximum")
}

func TestCalibrateErrors(t *testing.T) {
	dir := aeDir(t)
	in, _ := scoreFixture(t, filepath.Join(dir, "model.onnx"))
	foreign := filepath.Join(t.TempDir(), "m.onnx")
	b, err := os.ReadFile("../../testdata/golden/dense_gemm/model.onnx")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(foreign, b, 0o644))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"calibrate", dir, "--data", in, "--percentile", "90", "--contamination", "0.1"}, 2, "not both"},
		{[]string{"calibrate", dir, "--data", in, "--contamination", "1.5"}, 2, "--contamination must be in [0, 1)"},
		{[]string{"calibrate", dir, "--data", in, "--percentile", "101"}, 2, "--percentile must be in [0, 100]"},
		{[]string{"calibrate", dir, "--data", in, "--percentile", "-3"}, 2, "must not be negative"},
		{[]string{"calibrate", "--data", in}, 2, "missing MODEL argument"},
	} {
		code, _, stderr := latent(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
	// A model without latent metadata cannot hold a threshold: either it has
	// no reconstruction output or SetThreshold refuses it; the file stays.
	code, _, stderr := latent(t, "calibrate", foreign, "--data", in, "--quiet")
	assert.Equal(t, 1, code, "foreign model: %s", stderr)
	after, err := os.ReadFile(foreign)
	require.NoError(t, err)
	assert.Equal(t, b, after, "failed calibrate changed the model")
}

// calibrate refuses data on another scale than the model's training data:
// a threshold on the wrong scale would be written into the model.
func TestCalibrateRefusesOtherScale(t *testing.T) {
	dir := aeDir(t)
	model := filepath.Join(dir, "model.onnx")
	// Record what latent train records: the golden model was trained on
	// values within [-5, 3] (scoreFixture's samples lie there too).
	require.NoError(t, export.SetMetadata(context.Background(), model, map[string]string{
		metadata.KeyInputUnits: "as-stored", metadata.KeyInputRange: "[-5,3]"}))
	in, _ := scoreFixture(t, model)
	code, _, stderr := latent(t, "calibrate", dir, "--data", in, "--percentile", "99", "--quiet")
	require.Equal(t, 0, code, "data on the training scale: %s", stderr)

	// The same samples ×1000: far outside [-5, 3].
	b, err := os.ReadFile(in)
	require.NoError(t, err)
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		for j, c := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(c, 64)
			require.NoError(t, err)
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatFloat(v*1000, 'g', -1, 64))
		}
		sb.WriteByte('\n')
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	require.NoError(t, os.WriteFile(big, []byte(sb.String()), 0o644))
	before, err := os.ReadFile(model)
	require.NoError(t, err)
	code, _, stderr = latent(t, "calibrate", dir, "--data", big, "--percentile", "99", "--quiet")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "big.csv: ")
	assert.Contains(t, stderr, "samples have values far outside the model's training range [-5, 3]")
	assert.Contains(t, stderr, "rescale it to the units of the training data (to use the data as it is, pass --allow-scale-mismatch)")
	after, err := os.ReadFile(model)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused calibrate changed the model")
	code, _, stderr = latent(t, "calibrate", dir, "--data", big, "--percentile", "99", "--allow-scale-mismatch", "--quiet")
	assert.Equal(t, 0, code, "--allow-scale-mismatch: %s", stderr)
}
