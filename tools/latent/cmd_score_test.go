package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/runtime/graph"
)

// scoreFixture writes 24 deterministic samples of the golden model's width as
// CSV and returns the path with their expected scores: the per-row mean
// squared error against the reconstruction of the trainer's forward pass
// (export.Import), computed here independently of the runtime.
func scoreFixture(t *testing.T, model string) (string, []float64) {
	t.Helper()
	m, _, err := export.Import(model)
	require.NoError(t, err)
	const n, d = 24, 8
	x := make([]float32, n*d)
	var b strings.Builder
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = float32((i*7+j*3)%11)/4 - float32(i%5)
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(float64(x[i*d+j]), 'g', -1, 32))
		}
		b.WriteByte('\n')
	}
	rec, err := m.Reconstruct(x, n)
	require.NoError(t, err)
	out := make([]float64, n)
	for i := range out {
		for j := 0; j < d; j++ {
			e := float64(x[i*d+j]) - float64(rec[i*d+j])
			out[i] += e * e
		}
		out[i] /= d
	}
	path := filepath.Join(t.TempDir(), "samples.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path, out
}

func TestScoreMatchesNaiveErrors(t *testing.T) {
	dir := aeDir(t)
	in, want := scoreFixture(t, filepath.Join(dir, "model.onnx"))
	code, stdout, stderr := latent(t, "score", dir, "--data", in)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Equal(t, "row,score", lines[0])
	require.Len(t, lines, len(want)+1)
	for i, l := range lines[1:] {
		cells := strings.Split(l, ",")
		assert.Equal(t, strconv.Itoa(i), cells[0])
		v, err := strconv.ParseFloat(cells[1], 64)
		require.NoError(t, err, "line %q", l)
		assert.InDelta(t, want[i], v, 1e-5*(1+want[i]), "row %d", i)
	}

	// A threshold between two scores flags exactly the rows above it.
	lo, hi := want[0], want[0]
	for _, v := range want {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	thr := (lo + hi) / 2
	code, stdout, stderr = latent(t, "score", dir, "--data", in, "--threshold", strconv.FormatFloat(thr, 'g', -1, 64), "--output-format", "jsonl")
	require.Equal(t, 0, code, stderr)
	flagged := 0
	for i, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rec struct {
			Row     int     `json:"row"`
			Score   float64 `json:"score"`
			Anomaly bool    `json:"anomaly"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		assert.Equal(t, i, rec.Row)
		assert.Equal(t, want[i] > thr, rec.Anomaly, "row %d: score %g, threshold %g", i, want[i], thr)
		if rec.Anomaly {
			flagged++
		}
	}
	require.True(t, flagged > 0 && flagged < len(want), "threshold %g flags %d of %d rows; the test needs a split", thr, flagged, len(want))

	// --exit-code: 3 when something is flagged, 0 when nothing is.
	code, _, stderr = latent(t, "score", dir, "--data", in, "--threshold", strconv.FormatFloat(thr, 'g', -1, 64), "--exit-code", "--quiet")
	assert.Equal(t, 3, code, "--exit-code with anomalies")
	assert.Contains(t, stderr, strconv.Itoa(flagged)+" of "+strconv.Itoa(len(want))+" samples flagged")
	code, _, stderr = latent(t, "score", dir, "--data", in, "--threshold", strconv.FormatFloat(hi*2, 'g', -1, 64), "--exit-code", "--quiet")
	assert.Equal(t, 0, code, "--exit-code without anomalies: %s", stderr)

	// NPY output: row, score, anomaly columns.
	npy := filepath.Join(t.TempDir(), "s.npy")
	code, _, stderr = latent(t, "score", dir, "--data", in, "--threshold", strconv.FormatFloat(thr, 'g', -1, 64), "--out", npy, "--quiet")
	require.Equal(t, 0, code, "npy: %s", stderr)
	d, err := data.Load(npy, data.Options{})
	require.NoError(t, err)
	require.Equal(t, len(want), d.N)
	require.Equal(t, 3, d.D)
	for i := range want {
		r := d.Row(i)
		flag := float32(0)
		if want[i] > thr {
			flag = 1
		}
		assert.Equal(t, float32(i), r[0], "npy row %d", i)
		assert.InDelta(t, want[i], r[1], 1e-5*(1+want[i]), "npy row %d", i)
		assert.Equal(t, flag, r[2], "npy row %d", i)
	}
}

func TestScoreErrors(t *testing.T) {
	dir := aeDir(t)
	in, _ := scoreFixture(t, filepath.Join(dir, "model.onnx"))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"score", dir, "--data", in, "--threshold", "x"}, 2, `--threshold "x" is not a finite number`},
		{[]string{"score", dir, "--data", in, "--exit-code"}, 1, "--exit-code needs a threshold"},
		{[]string{"score", dir, "--data", in, "--elbo"}, 1, `neither the model nor`},
		{[]string{"score", filepath.Join(dir, "encoder.onnx"), "--data", in}, 1, "input shape [24 8] and reconstruction shape [24 3] differ"},
		{[]string{"score", dir, dir}, 2, "want one MODEL argument, got 2"},
		{[]string{"score", dir, "--data", in, "--format", "parquet"}, 2, `unknown data format "parquet"`},
	} {
		code, _, stderr := latent(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}

// A latent VAE export keeps mu and logvar in encoder.onnx; --elbo reads
// them from there. The expectation uses the trainer's recorded outputs
// (reconstruction of model.onnx, mu and logvar of encoder.onnx).
func TestScoreELBOFromEncoder(t *testing.T) {
	const vae = "../../testdata/golden/ae-vae"
	dir := t.TempDir()
	for src, dst := range map[string]string{vae + "/model.onnx": "model.onnx", vae + "-encoder/model.onnx": "encoder.onnx"} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	in := filepath.Join(vae, "test_data_set_0", "input_0.pb")
	_, x := readTensor(t, in)
	_, rec := readTensor(t, filepath.Join(vae, "test_data_set_0", "output_0.pb"))
	_, mu := readTensor(t, filepath.Join(vae+"-encoder", "test_data_set_0", "output_1.pb"))
	_, lv := readTensor(t, filepath.Join(vae+"-encoder", "test_data_set_0", "output_2.pb"))
	n, d, k := x.Shape[0], x.Shape[1], mu.Shape[1]
	want := make([]float64, n)
	for i := range want {
		for j := 0; j < d; j++ {
			e := float64(x.F32()[i*d+j] - rec.F32()[i*d+j])
			want[i] += 0.5 * e * e
		}
		for j := 0; j < k; j++ {
			m, l := float64(mu.F32()[i*k+j]), float64(lv.F32()[i*k+j])
			want[i] -= 0.5 * (1 + l - m*m - math.Exp(l))
		}
	}
	code, stdout, stderr := latent(t, "score", dir, "--data", in, "--elbo", "--quiet")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, n+1)
	for i, l := range lines[1:] {
		v, err := strconv.ParseFloat(strings.Split(l, ",")[1], 64)
		require.NoError(t, err, "row %d: %q", i, l)
		assert.InDelta(t, want[i], v, 1e-4*(1+math.Abs(want[i])), "row %d", i)
	}
	// Without the encoder beside it the VAE's model.onnx cannot give an ELBO.
	require.NoError(t, os.Remove(filepath.Join(dir, "encoder.onnx")))
	code, _, stderr = latent(t, "score", dir, "--data", in, "--elbo")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "encoder.onnx does not open")
}

// latent score on scikit-learn's IsolationForest exported by skl2onnx
// (testdata/interop/sklearn): the score is the negated decision_function
// sklearn computed, and threshold 0 flags exactly the samples sklearn's
// predict labels -1 (the set's last sample is a far outlier).
func TestScoreSklearnIsolationForest(t *testing.T) {
	dir := filepath.Join(repoRoot, "testdata", "interop", "sklearn", "isolation_forest")
	set := filepath.Join(dir, "test_data_set_0")
	_, label, err := graph.ReadTensorFile(filepath.Join(set, "output_0.pb"))
	require.NoError(t, err)
	_, dec, err := graph.ReadTensorFile(filepath.Join(set, "output_1.pb"))
	require.NoError(t, err)
	for _, backend := range []string{"native", "ort"} {
		if backend == "ort" {
			requireORT(t)
		}
		code, stdout, stderr := latent(t, "score", filepath.Join(dir, "model.onnx"), "--data", filepath.Join(set, "input_0.pb"),
			"--threshold", "0", "--backend", backend, "--quiet")
		require.Equal(t, 0, code, stderr)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Equal(t, "row,score,anomaly", lines[0])
		require.Len(t, lines, dec.Len()+1)
		outliers := 0
		for i, l := range lines[1:] {
			cells := strings.Split(l, ",")
			require.Len(t, cells, 3, "line %q", l)
			v, err := strconv.ParseFloat(cells[1], 64)
			require.NoError(t, err)
			assert.InDelta(t, -float64(dec.F32()[i]), v, 1e-4, "%s row %d", backend, i)
			want := "false"
			if label.I64()[i] == -1 {
				want = "true"
				outliers++
			}
			assert.Equal(t, want, cells[2], "%s row %d: sklearn's label %d", backend, i, label.I64()[i])
		}
		assert.Positive(t, outliers, "the fixture's set 0 should hold an outlier")
	}
}
