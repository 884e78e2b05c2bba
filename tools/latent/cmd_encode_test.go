package main

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goldenPair returns input_0.pb's path and the expected output of a golden
// folder.
func goldenPair(t *testing.T, folder string) (string, *ops.Tensor) {
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
			if err != nil {
				t.Fatalf("cell %q: %v", c, err)
			}
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
	if len(rows) != n {
		t.Fatalf("%s: %d rows, want %d", what, len(rows), n)
	}
	for i, r := range rows {
		if len(r) != d {
			t.Fatalf("%s: row %d has %d values, want %d", what, i, len(r), d)
		}
		for j, v := range r {
			if math.Abs(v-float64(w[i*d+j])) > atol {
				t.Fatalf("%s: [%d,%d] = %g, want %g", what, i, j, v, w[i*d+j])
			}
		}
	}
}

func TestEncodeDecodeMatchTrainer(t *testing.T) {
	dir := aeDir(t)
	in, wantCode := goldenPair(t, goldenAE+"-encoder")
	code, stdout, stderr := latent(t, "encode", dir, "--data", in, "--batch", "3")
	if code != 0 {
		t.Fatalf("encode: exit %d: %s", code, stderr)
	}
	checkRows(t, "codes", parseCSV(t, stdout), wantCode, 1e-5)

	// Decode the golden decoder input, written as NPY by the CLI itself.
	decIn, wantRec := goldenPair(t, goldenAE+"-decoder")
	codes := filepath.Join(t.TempDir(), "codes.npy")
	if code, _, stderr := latent(t, "encode", dir, "--data", in, "--out", codes, "--quiet"); code != 0 {
		t.Fatalf("encode to npy: %s", stderr)
	}
	d, err := data.Load(codes, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.N != wantCode.Shape[0] || d.D != wantCode.Shape[1] {
		t.Fatalf("codes.npy is %d×%d, want %v", d.N, d.D, wantCode.Shape)
	}
	code, stdout, stderr = latent(t, "decode", filepath.Join(dir, "decoder.onnx"), "--data", decIn, "--output-format", "jsonl")
	if code != 0 {
		t.Fatalf("decode: exit %d: %s", code, stderr)
	}
	var rows [][]float64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		rows = append(rows, parseCSV(t, strings.Trim(line, "[]"))[0])
	}
	checkRows(t, "reconstruction", rows, wantRec, 1e-5)

	// encode ∘ decode is the full model (codes round-trip through NPY).
	_, wantFull := goldenPair(t, goldenAE)
	code, stdout, stderr = latent(t, "decode", dir, "--data", codes)
	if code != 0 {
		t.Fatalf("decode npy: %s", stderr)
	}
	checkRows(t, "encode∘decode", parseCSV(t, stdout), wantFull, 1e-4)
}

func TestEncodeErrors(t *testing.T) {
	dir := aeDir(t)
	bad := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(bad, []byte("1,2,3\n"), 0o644)
	out := filepath.Join(t.TempDir(), "codes.csv")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"encode"}, 2, "exactly one MODEL"},
		{[]string{"encode", dir, "--batch", "0"}, 2, "--batch must be positive"},
		{[]string{"encode", dir, "--data", bad, "--output-format", "xml"}, 2, `unknown output format "xml"`},
		{[]string{"encode", filepath.Join(dir, "nope")}, 1, "nope"},
		{[]string{"encode", t.TempDir()}, 1, "has no encoder.onnx"},
		{[]string{"encode", dir, "--data", bad, "--out", out}, 1, "3 values per sample, model input \"input\" takes [batch,8]"},
	}
	for _, c := range cases {
		code, _, stderr := latent(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed encode left its output file behind")
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
}
