package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/trainer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func trainCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"train"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// writeManifoldCSV writes n rows of a 2-D manifold embedded non-linearly in
// d columns, with a header.
func writeManifoldCSV(t *testing.T, n, d int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for j := 0; j < d; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "f%d", j)
	}
	b.WriteByte('\n')
	for i := 0; i < n; i++ {
		z1, z2 := 2*rng.Float64()-1, 2*rng.Float64()-1
		for j := 0; j < d; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			v := 3 * (math.Sin(float64(j))*z1 + math.Cos(1.3*float64(j))*z2)
			fmt.Fprintf(&b, "%.5f", 1/(1+math.Exp(-v)))
		}
		b.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "x.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

func readMetrics(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), path)
		out = append(out, m)
	}
	return out
}

func TestTrainCLIWritesModelAndMetrics(t *testing.T) {
	csv := writeManifoldCSV(t, 200, 8)
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := trainCLI(t, "--model", "sparse-kl", "--data", csv, "--hidden", "12", "--code", "3",
		"--rho", "0.1", "--beta", "0.2", "--epochs", "4", "--batch", "32", "--lr", "0.01", "--optimizer", "nesterov",
		"--schedule", "cosine", "--val-split", "0.25", "--seed", "5", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "trained sparse-kl [8 12 3] in 4 epochs")
	assert.Equal(t, 4, strings.Count(stderr, "\n"), "progress on a non-terminal should be plain lines: %q", stderr)
	assert.NotContains(t, stderr, "\r", "progress on a non-terminal should be plain lines")
	ms := readMetrics(t, filepath.Join(out, "metrics.jsonl"))
	require.Len(t, ms, 4, "metrics lines")
	for i, m := range ms {
		for _, k := range []string{"epoch", "loss", "recon_loss", "reg_loss", "val_loss", "seconds", "samples_per_s"} {
			assert.Contains(t, m, k, "line %d", i+1)
		}
		assert.Greater(t, m["reg_loss"], 0.0, "line %d: KL penalty not reported: %v", i+1, m)
	}
	assert.Less(t, ms[3]["lr"], ms[0]["lr"], "cosine schedule did not lower lr")
	m, st, err := trainer.LoadCheckpoint(filepath.Join(out, "model.latent"))
	require.NoError(t, err)
	if assert.NotNil(t, st, "checkpoint state") {
		assert.Equal(t, 4, st.Epoch, "checkpoint epoch")
	}
	assert.Equal(t, 0.1, m.Spec.Rho, "checkpoint spec rho")
	assert.Equal(t, 0.2, m.Spec.Beta, "checkpoint spec beta")
	if assert.NotEmpty(t, m.Spec.Hidden, "checkpoint spec hidden") {
		assert.Equal(t, 12, m.Spec.Hidden[0], "checkpoint spec hidden")
	}
	assert.Equal(t, data.MinMax, m.Scaler.Kind, "scaler not recorded: %+v", m.Scaler)
	assert.Len(t, m.Scaler.Offset, 8, "scaler offsets")
	assert.FileExists(t, filepath.Join(out, "spec.json"))
}

func TestTrainCLIResume(t *testing.T) {
	csv := writeManifoldCSV(t, 120, 6)
	dirA, dirB := t.TempDir(), t.TempDir()
	common := []string{"--model", "denoising", "--data", csv, "--code", "2", "--noise", "gaussian", "--sigma", "0.05",
		"--batch", "16", "--seed", "3", "--checkpoint-every", "1", "--quiet"}
	code, _, stderr := trainCLI(t, append(common, "--epochs", "4", "--out", dirA)...)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = trainCLI(t, append(common, "--epochs", "2", "--out", dirB)...)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = trainCLI(t, "--data", csv, "--batch", "16", "--quiet", "--checkpoint-every", "1",
		"--epochs", "4", "--out", dirB, "--resume", filepath.Join(dirB, "checkpoint.latent"))
	require.Equal(t, 0, code, stderr)
	code, _, stderr = trainCLI(t, "--data", csv, "--seed", "4", "--epochs", "5", "--out", t.TempDir(), "--resume", filepath.Join(dirB, "checkpoint.latent"))
	assert.Equal(t, 1, code, "resume with another seed: %q", stderr)
	assert.Contains(t, stderr, "checkpoint was trained with seed 3, not 4", "resume with another seed")
	a, _, err := trainer.LoadCheckpoint(filepath.Join(dirA, "model.latent"))
	require.NoError(t, err)
	b, _, err := trainer.LoadCheckpoint(filepath.Join(dirB, "model.latent"))
	require.NoError(t, err)
	require.Len(t, b.Params(), len(a.Params()), "resumed vs uninterrupted parameter count")
	for i, p := range a.Params() {
		// Bit-identical: resuming must replay the same batches and updates.
		require.Equal(t, p.Data, b.Params()[i].Data, "%s: resumed vs uninterrupted", p.Name)
	}
	assert.Len(t, readMetrics(t, filepath.Join(dirB, "metrics.jsonl")), 4, "resumed metrics.jsonl lines (appended)")
}

func TestTrainCLIRatings(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var b strings.Builder
	b.WriteString("userId,movieId,rating,timestamp\n")
	for u := 1; u <= 60; u++ {
		for i := 1; i <= 15; i++ {
			if rng.Float64() < 0.5 {
				fmt.Fprintf(&b, "%d,%d,%d,%d\n", u, i, 1+(u*i)%5, 1000+u)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "ratings.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	out := t.TempDir()
	code, stdout, stderr := trainCLI(t, "--model", "recommender", "--data", p, "--format", "ratings",
		"--val-split", "0.2", "--epochs", "3", "--out", out, "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "trained recommender [15 20 10]")
	assert.Contains(t, stdout, "val_rmse")
	ms := readMetrics(t, filepath.Join(out, "metrics.jsonl"))
	require.NotEmpty(t, ms, "metrics lines")
	assert.Contains(t, ms[0], "val_rmse")
}

func TestTrainCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	ragged := write("ragged.csv", "1,2,3\n4,5\n")
	text := write("text.csv", "1,2\n3,x\n")
	nan := write("nan.csv", "1,2\n3,nan\n")
	empty := write("empty.csv", "")
	spec := write("spec.json", `{"kind":"undercomplete","input":5,"code":2,"activation":"relu","code_activation":"tanh","output_activation":"sigmoid","init":"xavier","loss":"mse"}`)
	good := write("good.csv", "1,2,3\n4,5,6\n7,8,9\n")
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", "deep", "--data", ragged, "--out", out}, 1, "ragged.csv:2: ragged row"},
		{[]string{"--model", "deep", "--data", text, "--out", out}, 1, `text.csv:2: column 2: non-numeric value "x"`},
		{[]string{"--model", "deep", "--data", nan, "--out", out}, 1, "nan.csv:2: column 2: value \"nan\" is not finite"},
		{[]string{"--model", "deep", "--data", empty, "--out", out}, 1, "empty.csv: no data rows"},
		{[]string{"--spec", spec, "--data", good, "--out", out}, 1, "good.csv has 3 columns but the model input is 5"},
		{[]string{"--model", "nope", "--data", good, "--out", out}, 2, `unknown model kind "nope"`},
		{[]string{"--model", "k-sparse", "--data", good, "--code", "2", "--k", "5", "--out", out}, 2, "k-sparse k must be in [1, code=2], got 5"},
		{[]string{"--model", "deep", "--data", good, "--out", out, "--optimizer", "adagrad", "--hidden", "2"}, 1, `unknown optimizer "adagrad"`},
		{[]string{"--data", good, "--out", out, "--model", "deep", "--hiden", "4"}, 2, "unknown flag --hiden (did you mean --hidden?)"},
		{[]string{"--model", "deep"}, 2, "--data PATH is required"},
		{[]string{"--model", "deep", "--data", good, "--hidden", "4,x", "--out", out}, 2, `"x" is not a positive integer`},
		{[]string{"--model", "deep", "--data", filepath.Join(dir, "missing.npy"), "--out", out}, 1, "missing.npy"},
	}
	for _, c := range cases {
		code, _, stderr := trainCLI(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}

func TestTrainCLINPY(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := make([]float32, 64*5)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	p := filepath.Join(t.TempDir(), "x.npy")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, data.WriteNPY(f, 64, 5, x))
	require.NoError(t, f.Close())
	out := t.TempDir()
	code, stdout, stderr := trainCLI(t, "--model", "contractive", "--data", p, "--code", "2", "--lambda", "0.1",
		"--epochs", "2", "--out", out, "--quiet", "--scaling", "standard", "--output-activation", "identity")
	require.Equal(t, 0, code, "%s %s", stdout, stderr)
	require.Contains(t, stdout, "trained contractive [5 2]")

}

// latent train --data alone: --model defaults to deep (recommender for a
// ratings file) and --out to runs/KIND, then runs/KIND-2 when that
// exists, so a second run never overwrites the first; --resume without
// --out continues in the checkpoint's folder. Each default is printed and
// recorded in training.json.
func TestTrainCLIDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	csv := writeManifoldCSV(t, 64, 8)

	code, _, stderr := trainCLI(t, "--data", csv, "--epochs", "1", "--checkpoint-every", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "latent train: deep 8-4-2 with defaults --code 2 --hidden 4 --model deep --out runs/deep (rules: latent train --help, runs/deep/training.json)")
	first, err := os.ReadFile(filepath.Join("runs", "deep", "model.latent"))
	require.NoError(t, err)
	var sum struct{ Defaults map[string]string }
	b, err := os.ReadFile(filepath.Join("runs", "deep", "training.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, "deep (deep unless the data is a ratings file)", sum.Defaults["model"])
	assert.Equal(t, "runs/deep (runs/KIND)", sum.Defaults["out"])

	code, stdout, stderr := trainCLI(t, "--data", csv, "--epochs", "1", "--seed", "2")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "--out runs/deep-2 (")
	assert.Contains(t, stdout, filepath.Join("runs", "deep-2", "model.onnx"))
	again, err := os.ReadFile(filepath.Join("runs", "deep", "model.latent"))
	require.NoError(t, err)
	assert.Equal(t, first, again, "the first run is untouched")
	b, err = os.ReadFile(filepath.Join("runs", "deep-2", "training.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, "runs/deep-2 (runs/deep exists)", sum.Defaults["out"])

	code, _, stderr = trainCLI(t, "--resume", filepath.Join("runs", "deep"), "--data", csv, "--epochs", "2", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Len(t, readMetrics(t, filepath.Join("runs", "deep", "metrics.jsonl")), 2, "resumed in the checkpoint's folder")
	assert.NoDirExists(t, filepath.Join("runs", "deep-3"))

	var r strings.Builder
	for u := 1; u <= 30; u++ {
		for i := 1; i <= 12; i++ {
			if (u+i)%3 != 0 {
				fmt.Fprintf(&r, "%d\t%d\t%d\t%d\n", u, i, 1+(u*i)%5, 1000+u)
			}
		}
	}
	require.NoError(t, os.WriteFile("u.data", []byte(r.String()), 0o644))
	code, stdout, stderr = trainCLI(t, "--data", "u.data", "--epochs", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "--model recommender --out runs/recommender")
	assert.Contains(t, stdout, "trained recommender")
	assert.FileExists(t, filepath.Join("runs", "recommender", "model.onnx"))
}
