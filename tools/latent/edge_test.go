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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err, "version")
	var v versionInfo
	require.NoError(t, json.Unmarshal(out, &v), "edge binary version %s", out)
	require.False(t, v.CGO, "edge binary version %s: want a cgo-free build", out)
	folders := []string{"ae-undercomplete", "ae-deep", "ae-k-sparse", "ae-deep-encoder", "ae-deep-decoder", "conv_stack", "vae"}
	for _, name := range folders {
		dir := filepath.Join("../../testdata/golden", name)
		set := filepath.Join(dir, "test_data_set_0")
		outDir := t.TempDir()
		cmd := exec.Command(bin, "run", filepath.Join(dir, "model.onnx"), "--inputs", set, "--outputs", outDir)
		if b, err := cmd.CombinedOutput(); !assert.NoError(t, err, "%s:\n%s", name, b) {
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
		assert.NotEmpty(t, wants, "%s: no expected outputs", name)
		for _, w := range wants {
			base := filepath.Base(w)
			_, want := readTensor(t, w)
			_, got := readTensor(t, filepath.Join(outDir, base))
			sameShape := assert.Equal(t, fmt.Sprint(want.Shape), fmt.Sprint(got.Shape), "%s %s: shape", name, base)
			sameType := assert.Equal(t, want.DType, got.DType, "%s %s: dtype", name, base)
			if !sameShape || !sameType {
				continue
			}
			g, err1 := toFloat32(got)
			e, err2 := toFloat32(want)
			gotOK := assert.NoError(t, err1, "%s %s: output", name, base)
			wantOK := assert.NoError(t, err2, "%s %s: expected output", name, base)
			if !gotOK || !wantOK {
				continue
			}
			for i := range g {
				if !assert.InDelta(t, e[i], g[i], atol+rtol*math.Abs(float64(e[i])), "%s %s[%d] (atol %g, rtol %g)", name, base, i, atol, rtol) {
					break
				}
			}
		}
	}
	// The anomaly path works in the edge build too.
	b, err := exec.Command(bin, "score", filepath.Join("../../testdata/golden/ae-undercomplete", "model.onnx"),
		"--data", "../../testdata/golden/ae-undercomplete/test_data_set_0/input_0.pb", "--quiet").CombinedOutput()
	assert.NoError(t, err, "edge score:\n%s", b)
	assert.True(t, strings.HasPrefix(string(b), "row,score\n0,"), "edge score output:\n%s", b)

}
