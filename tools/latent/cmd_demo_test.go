package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

// appCLI runs the latent command in-process: stdout, stderr, exit status.
func appCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// needFashion skips without Fashion-MNIST, except under CI, where its
// absence is a failure (tools/setup.sh installs it).
func needFashion(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(apps.FashionDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("CI") != "" {
			require.NoError(t, err, "Fashion-MNIST missing under CI (tools/setup.sh installs dataset-fashion-mnist)")
		}
		t.Skip("Fashion-MNIST not installed (bash tools/setup.sh installs dataset-fashion-mnist)")
	}
}

// readScores parses latent score's CSV (row,score[,anomaly]).
func readScores(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.NotEmpty(t, lines)
	var s []float64
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		require.GreaterOrEqual(t, len(f), 2, "score line %q", l)
		v, err := strconv.ParseFloat(f[1], 64)
		require.NoError(t, err, "score line %q", l)
		s = append(s, v)
	}
	return s
}

// The main job on a small slice of Fashion-MNIST: the printed MSEs must be
// those of result.json, PCA's must be a sane MSE, and the plots must
// exist. Then the exported model, scored by latent score on the test IDX
// file itself, must give the demo's test MSE: the same reader and the
// same [0,1] pixels in both (issue 17: score used to read raw 0–255
// pixels and report errors in the thousands). Raw 0–255 pixels as CSV are
// refused with the fix in the message.
func TestDemoFashionSmall(t *testing.T) {
	needFashion(t)
	if testing.Short() {
		t.Skip("trains on 1000 images and scores 10 000")
	}
	dir := t.TempDir()
	out, errs, code := appCLI(t, "demo", "--limit", "1000", "--epochs", "2", "--hidden", "64", "--code", "8", "--out", dir, "--quiet")
	require.Equal(t, 0, code, errs)
	var r apps.FashionResult
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	require.Equal(t, 1000, r.TrainRows)
	require.Equal(t, 10000, r.TestRows)
	require.Equal(t, 2, r.Epochs)
	require.Equal(t, 8, r.Spec.Code)
	for _, want := range []string{fmt.Sprintf("test MSE %.5f", r.TestMSE), fmt.Sprintf("test MSE %.5f", r.PCAMSE), "PCA, 8 components", "loss.png", "reconstructions.png"} {
		assert.Contains(t, out, want)
	}
	// PCA's MSE must lie below the variance of the test pixels (PCA-0)
	// and above zero; the autoencoder's within twice that variance.
	test, err := apps.LoadFashion(apps.FashionDir, "t10k", 0)
	require.NoError(t, err)
	var mean, v float64
	for _, p := range test.X {
		mean += float64(p)
	}
	mean /= float64(len(test.X))
	for _, p := range test.X {
		v += (float64(p) - mean) * (float64(p) - mean)
	}
	v /= float64(len(test.X))
	assert.True(t, r.PCAMSE > 0 && r.PCAMSE < v, "PCA MSE %v vs pixel variance %v", r.PCAMSE, v)
	assert.True(t, r.TestMSE > 0 && r.TestMSE < 2*v, "test MSE %v vs pixel variance %v", r.TestMSE, v)
	for _, f := range []string{"loss.png", "reconstructions.png", "model.onnx", "encoder.onnx", "decoder.onnx", "metrics.jsonl"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	if r.Verify == nil {
		assert.Contains(t, out, "skipped", "no verify line")
	}

	// The model records the scale of its training data.
	gm, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	require.NoError(t, err)
	md, err := metadata.Read(gm)
	require.NoError(t, err)
	assert.Equal(t, data.BytesOver255, md.Scaler.Units)
	require.Len(t, md.Scaler.Range, 2)
	assert.Equal(t, float32(0), md.Scaler.Range[0])
	assert.Equal(t, float32(1), md.Scaler.Range[1])

	// demo → score on the test IDX file: the mean score is the demo's test
	// MSE (same model, same pixels; per-sample MSEs of equal width average
	// to the global MSE), and no score is on the 0–255² scale.
	idx := filepath.Join(apps.FashionDir, "t10k-images-idx3-ubyte.gz")
	scoresPath := filepath.Join(t.TempDir(), "scores.csv")
	_, errs, code = appCLI(t, "score", dir, "--data", idx, "--out", scoresPath, "--quiet")
	require.Equal(t, 0, code, errs)
	scores := readScores(t, scoresPath)
	require.Len(t, scores, 10000)
	var sum, hi float64
	for _, s := range scores {
		sum += s
		hi = max(hi, s)
	}
	assert.InEpsilon(t, r.TestMSE, sum/float64(len(scores)), 1e-4, "mean score of the test IDX file vs the demo's test MSE")
	assert.Less(t, hi, 1.0, "a per-pixel MSE of [0,1] images is below 1")

	// The same images as raw 0–255 CSV: refused, naming the fix; with
	// --allow-scale-mismatch scored as they are (thousands).
	raw := filepath.Join(t.TempDir(), "raw.csv")
	var sb strings.Builder
	for i := 0; i < 20; i++ {
		for j, p := range test.Row(i) {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(int(math.Round(float64(p) * 255))))
		}
		sb.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(raw, []byte(sb.String()), 0o644))
	_, errs, code = appCLI(t, "score", dir, "--data", raw, "--quiet")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "raw.csv: 20 of 20 samples have values far outside the model's training range [0, 1] (uint8 pixels divided by 255)")
	assert.Contains(t, errs, "divide 0–255 values by 255")
	assert.Contains(t, errs, "--allow-scale-mismatch")
	_, errs, code = appCLI(t, "encode", dir, "--data", raw, "--quiet")
	assert.Equal(t, exitFail, code, "encode checks the scale too")
	assert.Contains(t, errs, "on another scale")
	rawScores := filepath.Join(t.TempDir(), "raw-scores.csv")
	_, errs, code = appCLI(t, "score", dir, "--data", raw, "--allow-scale-mismatch", "--out", rawScores, "--quiet")
	require.Equal(t, 0, code, errs)
	for _, s := range readScores(t, rawScores) {
		assert.Greater(t, s, 100.0, "raw pixels scored as they are")
	}
}

func TestDemoUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "nope"}, `unknown demo job "nope"`},
		{[]string{"demo", "--model", "sparse-kl"}, "not one of deep, conv, vae, conv-vae"},
		{[]string{"demo", "--code", "0"}, "--code must be in [1, 784]"},
		{[]string{"demo", "denoise", "--epochs", "0"}, "must be positive"},
		{[]string{"demo", "fashion", "extra"}, "unexpected arguments"},
	} {
		_, errs, code := appCLI(t, c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, errs, c.want, "%v", c.args)
	}
	_, errs, code := appCLI(t, "demo", "scatter", "--data", t.TempDir(), "--quiet")
	assert.Equal(t, exitFail, code, "missing data")
	assert.Contains(t, errs, "dataset-fashion-mnist")
}

// Tabular anomaly detection end to end: demo anomaly --csv writes the
// splits and the model; latent calibrate and latent score then flag test
// rows, and the flags must agree with the threshold applied to the scores.
// The test rows are mostly anomalies, a few widths out of the training
// range: the scale check must let them through.
func TestDemoAnomalyCSVCalibrateScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var sb strings.Builder
	sb.WriteString("f1,f2,f3,f4,label\n")
	for i := 0; i < 400; i++ {
		a := rng.NormFloat64()
		if i%4 == 0 { // anomaly: off the line
			fmt.Fprintf(&sb, "%g,%g,%g,%g,0\n", 3*rng.NormFloat64(), 3*rng.NormFloat64(), 3*rng.NormFloat64(), 3*rng.NormFloat64())
			continue
		}
		fmt.Fprintf(&sb, "%g,%g,%g,%g,1\n", a, 2*a+0.05*rng.NormFloat64(), -a, 10+a)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "table.csv")
	require.NoError(t, os.WriteFile(csv, []byte(sb.String()), 0o644))
	run := filepath.Join(dir, "run")
	out, errs, code := appCLI(t, "demo", "anomaly", "--csv", csv, "--out", run, "--epochs", "80", "--batch", "16", "--quiet")
	require.Equal(t, 0, code, errs)
	m := regexp.MustCompile(`ROC-AUC autoencoder ([0-9.]+), PCA ([0-9.]+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "no AUC line:\n%s", out)
	demoAUC, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	require.GreaterOrEqual(t, demoAUC, 0.9, "AUC on separable data:\n%s", out)
	_, errs, code = appCLI(t, "calibrate", run, "--data", filepath.Join(run, "normal-val.csv"), "--percentile", "95", "--quiet")
	require.Equal(t, 0, code, "calibrate: %s", errs)
	scores := filepath.Join(dir, "scores.csv")
	_, errs, code = appCLI(t, "score", run, "--data", filepath.Join(run, "test.csv"), "--out", scores, "--quiet")
	require.Equal(t, 0, code, "score: %s", errs)
	sc, err := os.ReadFile(scores)
	require.NoError(t, err)
	lab, err := os.ReadFile(filepath.Join(run, "test-labels.csv"))
	require.NoError(t, err)
	rows := strings.Split(strings.TrimSpace(string(sc)), "\n")[1:]
	labels := strings.Fields(string(lab))
	require.Len(t, rows, 100+60, "60 normal test rows + 100 anomalies")
	require.Len(t, labels, len(rows))
	var s []float64
	var pos []bool
	caught := 0
	for i, r := range rows {
		f := strings.Split(r, ",")
		v, err := strconv.ParseFloat(f[1], 64)
		require.NoError(t, err)
		s = append(s, v)
		pos = append(pos, labels[i] == "1")
		if pos[i] && f[2] == "true" {
			caught++
		}
	}
	auc, err := apps.ROCAUC(s, pos)
	require.NoError(t, err)
	assert.InDelta(t, demoAUC, auc, 1e-3, "AUC from latent score vs the demo's")
	assert.GreaterOrEqual(t, caught, 80, "calibrated threshold flags too few of 100 anomalies")
}

// latent train leaves loss.png beside metrics.jsonl, and for image data a
// reconstruction grid: 2 labelled rows of min(12, N) images, each 2×
// enlarged, under a title.
func TestTrainWritesPlots(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "x-idx3-ubyte")
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, 3, 0, 0, 0, 16, 0, 0, 0, 4, 0, 0, 0, 5})
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 16*20; i++ {
		b.WriteByte(byte(rng.IntN(256)))
	}
	require.NoError(t, os.WriteFile(idx, b.Bytes(), 0o644))
	run := filepath.Join(dir, "run")
	out, errs, code := appCLI(t, "train", "--model", "deep", "--hidden", "8", "--code", "2", "--data", idx,
		"--epochs", "3", "--val-split", "0.25", "--out", run, "--quiet")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "loss plot: "+filepath.Join(run, "loss.png"))
	assert.Contains(t, out, "reconstructions: ")
	f, err := os.Open(filepath.Join(run, "reconstructions.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	// 12 images of 5 wide × 4 high at scale 2 with 1-pixel gaps, in two
	// rows labelled on their left ("reconstruction": 14 characters of 7
	// pixels) under a title line (13 pixels).
	assert.GreaterOrEqual(t, img.Bounds().Dx(), 12*11+1+14*7)
	assert.GreaterOrEqual(t, img.Bounds().Dy(), 2*9+1+13)
	hist, err := apps.ReadMetrics(filepath.Join(run, "metrics.jsonl"))
	require.NoError(t, err)
	require.Len(t, hist, 3)
	assert.NotNil(t, hist[0].ValLoss)
	assert.FileExists(t, filepath.Join(run, "loss.png"))
}
