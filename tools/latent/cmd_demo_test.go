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

	"github.com/latent-ml/latent/apps"
)

// appCLI runs the latent command in-process: stdout, stderr, exit status.
func appCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// The main job on a small slice of Fashion-MNIST: the printed MSEs must be
// those of result.json, PCA's must match an independent PCA fit, and the
// plots must exist.
func TestDemoFashionSmall(t *testing.T) {
	if _, err := os.Stat(filepath.Join(apps.FashionDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skip("Fashion-MNIST not installed (bash tools/setup.sh installs dataset-fashion-mnist)")
	}
	if testing.Short() {
		t.Skip("trains on 1000 images and scores 10 000")
	}
	dir := t.TempDir()
	out, errs, code := appCLI(t, "demo", "--limit", "1000", "--epochs", "2", "--hidden", "64", "--code", "8", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r apps.FashionResult
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.TrainRows != 1000 || r.TestRows != 10000 || r.Epochs != 2 || r.Spec.Code != 8 {
		t.Fatalf("result %+v", r)
	}
	for _, want := range []string{fmt.Sprintf("test MSE %.5f", r.TestMSE), fmt.Sprintf("test MSE %.5f", r.PCAMSE), "PCA, 8 components", "loss.png", "reconstructions.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// PCA baseline recomputed independently (float64 power iteration is
	// overkill; FitPCA is tested in apps) — here check it is a sane MSE: below
	// the variance of the test pixels (PCA-0) and above zero.
	test, err := apps.LoadFashion(apps.FashionDir, "t10k", 0)
	if err != nil {
		t.Fatal(err)
	}
	var mean, v float64
	for _, p := range test.X {
		mean += float64(p)
	}
	mean /= float64(len(test.X))
	for _, p := range test.X {
		v += (float64(p) - mean) * (float64(p) - mean)
	}
	v /= float64(len(test.X))
	if !(r.PCAMSE > 0 && r.PCAMSE < v && r.TestMSE > 0 && r.TestMSE < 2*v) {
		t.Fatalf("MSEs ae %v pca %v vs pixel variance %v", r.TestMSE, r.PCAMSE, v)
	}
	for _, f := range []string{"loss.png", "reconstructions.png", "model.onnx", "encoder.onnx", "decoder.onnx", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if r.Verify == nil && !strings.Contains(out, "skipped") {
		t.Errorf("no verify line: %s", out)
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
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want usage error with %q", c.args, code, errs, c.want)
		}
	}
	_, errs, code := appCLI(t, "demo", "scatter", "--data", t.TempDir(), "--quiet")
	if code != exitFail || !strings.Contains(errs, "dataset-fashion-mnist") {
		t.Errorf("missing data: exit %d, %q", code, errs)
	}
}

// Tabular anomaly detection end to end: demo anomaly --csv writes the
// splits and the model; latent calibrate and latent score then flag test
// rows, and the flags must agree with the threshold applied to the scores.
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
	os.WriteFile(csv, []byte(sb.String()), 0o644)
	run := filepath.Join(dir, "run")
	out, errs, code := appCLI(t, "demo", "anomaly", "--csv", csv, "--out", run, "--epochs", "80", "--batch", "16", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := regexp.MustCompile(`ROC-AUC autoencoder ([0-9.]+), PCA ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no AUC line:\n%s", out)
	}
	if auc, _ := strconv.ParseFloat(m[1], 64); auc < 0.9 {
		t.Fatalf("AUC %v on separable data:\n%s", auc, out)
	}
	if _, errs, code = appCLI(t, "calibrate", run, "--data", filepath.Join(run, "normal-val.csv"), "--percentile", "95", "--quiet"); code != 0 {
		t.Fatalf("calibrate: exit %d: %s", code, errs)
	}
	scores := filepath.Join(dir, "scores.csv")
	if _, errs, code = appCLI(t, "score", run, "--data", filepath.Join(run, "test.csv"), "--out", scores, "--quiet"); code != 0 {
		t.Fatalf("score: exit %d: %s", code, errs)
	}
	sc, _ := os.ReadFile(scores)
	lab, _ := os.ReadFile(filepath.Join(run, "test-labels.csv"))
	rows := strings.Split(strings.TrimSpace(string(sc)), "\n")[1:]
	labels := strings.Fields(string(lab))
	if len(rows) != len(labels) || len(rows) != 100+60 {
		t.Fatalf("%d score rows, %d labels (want 160: 60 normal test rows + 100 anomalies)", len(rows), len(labels))
	}
	var s []float64
	var pos []bool
	caught := 0
	for i, r := range rows {
		f := strings.Split(r, ",")
		v, _ := strconv.ParseFloat(f[1], 64)
		s = append(s, v)
		pos = append(pos, labels[i] == "1")
		if pos[i] && f[2] == "true" {
			caught++
		}
	}
	auc, err := apps.ROCAUC(s, pos)
	if err != nil || auc < 0.9 || math.Abs(auc-mustFloat(m[1])) > 1e-3 {
		t.Fatalf("AUC from latent score %v (%v), demo printed %s", auc, err, m[1])
	}
	if caught < 80 {
		t.Fatalf("calibrated threshold flags only %d of 100 anomalies", caught)
	}
}

func mustFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// latent train leaves loss.png beside metrics.jsonl, and for image data a
// reconstruction grid: 2 rows of min(12, N) images, each 2× enlarged.
func TestTrainWritesPlots(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "x-idx3-ubyte")
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, 3, 0, 0, 0, 16, 0, 0, 0, 4, 0, 0, 0, 5})
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 16*20; i++ {
		b.WriteByte(byte(rng.IntN(256)))
	}
	os.WriteFile(idx, b.Bytes(), 0o644)
	run := filepath.Join(dir, "run")
	out, errs, code := appCLI(t, "train", "--model", "deep", "--hidden", "8", "--code", "2", "--data", idx,
		"--epochs", "3", "--val-split", "0.25", "--out", run, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "loss plot: "+filepath.Join(run, "loss.png")) || !strings.Contains(out, "reconstructions: ") {
		t.Fatalf("output:\n%s", out)
	}
	f, err := os.Open(filepath.Join(run, "reconstructions.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 12 images of 5 wide × 4 high at scale 2 with 1-pixel gaps.
	if bd := img.Bounds(); bd.Dx() != 12*11+1 || bd.Dy() != 2*9+1 {
		t.Fatalf("grid %v", bd)
	}
	hist, err := apps.ReadMetrics(filepath.Join(run, "metrics.jsonl"))
	if err != nil || len(hist) != 3 || hist[0].ValLoss == nil {
		t.Fatalf("metrics %+v, %v", hist, err)
	}
	if _, err := os.Stat(filepath.Join(run, "loss.png")); err != nil {
		t.Fatal(err)
	}
}
