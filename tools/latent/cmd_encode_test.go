package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
)

const goldenAE = "../../testdata/golden/ae-undercomplete"

// aeDir copies the golden undercomplete autoencoder's three parts into a
// folder laid out like latent train's output.
func aeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{
		goldenAE + "/model.onnx":         "model.onnx",
		goldenAE + "-encoder/model.onnx": "encoder.onnx",
		goldenAE + "-decoder/model.onnx": "decoder.onnx",
	} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	return dir
}

// goldenPair returns input_0.pb's path and the expected output of a golden
// folder.
func goldenPair(t *testing.T, folder string) (string, *ops.Tensor) {
	t.Helper()
	in := filepath.Join(folder, "test_data_set_0", "input_0.pb")
	_, want := readTensor(t, filepath.Join(folder, "test_data_set_0", "output_0.pb"))
	return in, want
}

// parseCSV reads a numeric CSV without header.
func parseCSV(t *testing.T, text string) [][]float64 {
	t.Helper()
	var rows [][]float64
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var row []float64
		for _, c := range strings.Split(sc.Text(), ",") {
			v, err := strconv.ParseFloat(c, 64)
			require.NoError(t, err, "cell %q", c)
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows
}

func checkRows(t *testing.T, what string, rows [][]float64, want *ops.Tensor, atol float64) {
	t.Helper()
	w := want.F32()
	n, d := want.Shape[0], want.Shape[1]
	require.Len(t, rows, n, what)
	for i, r := range rows {
		require.Len(t, r, d, "%s: row %d", what, i)
		for j, v := range r {
			require.InDelta(t, w[i*d+j], v, atol, "%s: [%d,%d]", what, i, j)
		}
	}
}

func TestEncodeDecodeMatchTrainer(t *testing.T) {
	dir := aeDir(t)
	in, wantCode := goldenPair(t, goldenAE+"-encoder")
	code, stdout, stderr := latent(t, "encode", dir, "--data", in, "--batch", "3")
	require.Equal(t, 0, code, "encode: %s", stderr)
	checkRows(t, "codes", parseCSV(t, stdout), wantCode, 1e-5)

	// Decode the golden decoder input, written as NPY by the CLI itself.
	decIn, wantRec := goldenPair(t, goldenAE+"-decoder")
	codes := filepath.Join(t.TempDir(), "codes.npy")
	code, _, stderr = latent(t, "encode", dir, "--data", in, "--out", codes, "--quiet")
	require.Equal(t, 0, code, "encode to npy: %s", stderr)
	d, err := data.Load(codes, data.Options{})
	require.NoError(t, err)
	assert.Equal(t, wantCode.Shape, []int{d.N, d.D}, "codes.npy")
	code, stdout, stderr = latent(t, "decode", filepath.Join(dir, "decoder.onnx"), "--data", decIn, "--output-format", "jsonl")
	require.Equal(t, 0, code, "decode: %s", stderr)
	var rows [][]float64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		rows = append(rows, parseCSV(t, strings.Trim(line, "[]"))[0])
	}
	checkRows(t, "reconstruction", rows, wantRec, 1e-5)

	// encode ∘ decode is the full model (codes round-trip through NPY).
	_, wantFull := goldenPair(t, goldenAE)
	code, stdout, stderr = latent(t, "decode", dir, "--data", codes)
	require.Equal(t, 0, code, "decode npy: %s", stderr)
	checkRows(t, "encode∘decode", parseCSV(t, stdout), wantFull, 1e-4)
}

func TestEncodeErrors(t *testing.T) {
	dir := aeDir(t)
	bad := filepath.Join(t.TempDir(), "x.csv")
	require.NoError(t, os.WriteFile(bad, []byte("1,2,3\n"), 0o644))
	out := filepath.Join(t.TempDir(), "codes.csv")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"encode"}, 2, "missing MODEL argument"},
		{[]string{"encode", dir, "--batch", "0"}, 2, "--batch must be positive"},
		{[]string{"encode", dir, "--data", bad, "--output-format", "xml"}, 2, `unknown output format "xml"`},
		{[]string{"encode", dir, "--data", bad, "--format", "xml"}, 2, `unknown data format "xml"`},
		{[]string{"encode", filepath.Join(dir, "nope")}, 1, "nope"},
		{[]string{"encode", t.TempDir()}, 1, "has no encoder.onnx"},
		{[]string{"encode", dir, "--data", bad, "--out", out}, 1, "3 values per sample, model input \"input\" takes [batch,8]"},
		{[]string{"decode", dir, "--data", bad, "--allow-scale-mismatch"}, 2, "unknown flag --allow-scale-mismatch; see latent decode --help"},
	} {
		code, _, stderr := latent(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
	assert.NoFileExists(t, out, "a failed encode left its output file behind")
	ents, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	assert.Empty(t, ents, "temporary files left")
}
