package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEdgeBinary runs the static edge build (CGO_ENABLED=0, -trimpath,
// -s -w) named by $LATENT_EDGE_BIN on the golden models and checks its
// outputs against the expected outputs recorded beside them, within each
// folder's tolerance.json. tools/test.d/edge.sh builds the binary and runs
// this test; plain `go test` skips it.
func TestEdgeBinary(t *testing.T) {
	bin := os.Getenv("LATENT_EDGE_BIN")
	if bin == "" {
		t.Skip("LATENT_EDGE_BIN not set: tools/test.d/edge.sh builds the static binary and runs this test")
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	var v versionInfo
	if err := json.Unmarshal(out, &v); err != nil || v.CGO {
		t.Fatalf("edge binary version %s (%v): want a cgo-free build", out, err)
	}
	folders := []string{"ae-undercomplete", "ae-deep", "ae-k-sparse", "ae-deep-encoder", "ae-deep-decoder", "conv_stack", "vae"}
	for _, name := range folders {
		dir := filepath.Join("../../testdata/golden", name)
		set := filepath.Join(dir, "test_data_set_0")
		outDir := t.TempDir()
		cmd := exec.Command(bin, "run", filepath.Join(dir, "model.onnx"), "--inputs", set, "--outputs", outDir)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, b)
			continue
		}
		atol, rtol := 1e-5, 1e-4
		if b, err := os.ReadFile(filepath.Join(dir, "tolerance.json")); err == nil {
			var tol struct{ Atol, Rtol *float64 }
			if json.Unmarshal(b, &tol) == nil {
				if tol.Atol != nil {
					atol = *tol.Atol
				}
				if tol.Rtol != nil {
					rtol = *tol.Rtol
				}
			}
		}
		wants, _ := filepath.Glob(filepath.Join(set, "output_*.pb"))
		if len(wants) == 0 {
			t.Errorf("%s: no expected outputs", name)
		}
		for _, w := range wants {
			_, want := readTensor(t, w)
			_, got := readTensor(t, filepath.Join(outDir, filepath.Base(w)))
			if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) || got.DType != want.DType {
				t.Errorf("%s %s: %v %v, want %v %v", name, filepath.Base(w), got.DType, got.Shape, want.DType, want.Shape)
				continue
			}
			g, err1 := toFloat32(got)
			e, err2 := toFloat32(want)
			if err1 != nil || err2 != nil {
				t.Errorf("%s: %v %v", name, err1, err2)
				continue
			}
			for i := range g {
				if d := math.Abs(float64(g[i] - e[i])); d > atol+rtol*math.Abs(float64(e[i])) {
					t.Errorf("%s %s[%d] = %g, want %g (atol %g, rtol %g)", name, filepath.Base(w), i, g[i], e[i], atol, rtol)
					break
				}
			}
		}
	}
	// The anomaly path works in the edge build too.
	b, err := exec.Command(bin, "score", filepath.Join("../../testdata/golden/ae-undercomplete", "model.onnx"),
		"--data", "../../testdata/golden/ae-undercomplete/test_data_set_0/input_0.pb", "--quiet").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "row,score\n0,") {
		t.Errorf("edge score: %v\n%s", err, b)
	}
}
