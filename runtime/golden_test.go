package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenDir holds one folder per model: model.onnx, test_data_set_N with
// ONNX Runtime's outputs (written by tools/mkgolden) and an optional
// tolerance.json.
const goldenDir = "../testdata/golden"

// requireORTGolden skips outside CI and fails under CI when ONNX Runtime
// cannot be loaded.
func requireORTGolden(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

func goldenModels(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*", "model.onnx"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no golden models under %s (run python3 tools/mkgolden/models.py && go run ./tools/mkgolden)", goldenDir)
	var dirs []string
	for _, p := range paths {
		dirs = append(dirs, filepath.Dir(p))
	}
	return dirs
}

// TestGolden runs every golden data set on every backend and compares the
// outputs with ONNX Runtime's recorded ones.
func TestGolden(t *testing.T) {
	for _, dir := range goldenModels(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
			require.NoError(t, err)
			tol, err := verify.LoadTolerance(dir)
			require.NoError(t, err)
			sets, err := verify.DataSets(dir)
			require.NoError(t, err)
			require.NotEmpty(t, sets, "%s has no test_data_set_N (run go run ./tools/mkgolden -only %s)", dir, name)
			for _, backend := range []string{"native", "ort"} {
				t.Run(backend, func(t *testing.T) {
					if backend == "ort" {
						requireORTGolden(t)
					}
					runGolden(t, m, backend, runtime.Config{Optimize: true, IntraOpThreads: 1}, sets, tol)
				})
			}
			// The public path: Session.Run with named inputs.
			t.Run("session/ort", func(t *testing.T) {
				requireORTGolden(t)
				runGoldenSession(t, filepath.Join(dir, "model.onnx"), sets[0], tol)
			})
		})
	}
}

func runGolden(t *testing.T, m *graph.Model, backend string, cfg runtime.Config, sets []string, tol verify.Tolerance) {
	b, err := runtime.LookupBackend(backend)
	require.NoError(t, err)
	ctx := context.Background()
	x, err := b.Compile(ctx, m, cfg)
	require.NoError(t, err, "compile on %s", backend)
	defer x.Close()
	for _, set := range sets {
		inputs, want := readGoldenSet(t, m, set)
		got, err := x.Run(ctx, inputs)
		if !assert.NoError(t, err, "%s: run on %s", filepath.Base(set), backend) {
			continue
		}
		compareSet(t, m, set, backend, got, want, tol)
	}
}

// readGoldenSet reads a test_data_set directory's inputs and expected outputs,
// failing the test when the outputs do not match m's graph outputs.
func readGoldenSet(t *testing.T, m *graph.Model, set string) (inputs, want []*ops.Tensor) {
	t.Helper()
	inputs, err := verify.ReadTensors(set, "input")
	require.NoError(t, err)
	want, err = verify.ReadTensors(set, "output")
	require.NoError(t, err)
	require.Len(t, want, len(m.Graph.Outputs), "%s: %d output files for %d graph outputs", set, len(want), len(m.Graph.Outputs))
	return inputs, want
}

// compareSet reports every output of m that backend got outside tol.
func compareSet(t *testing.T, m *graph.Model, set, backend string, got, want []*ops.Tensor, tol verify.Tolerance) {
	t.Helper()
	if !assert.Len(t, got, len(want), "%s: outputs from %s", filepath.Base(set), backend) {
		return
	}
	for k, o := range m.Graph.Outputs {
		r := verify.CompareTensors(o.Name, got[k], want[k], tol.Atol, tol.Rtol)
		assert.True(t, r.Pass, "%s output %q on %s: %s", filepath.Base(set), o.Name, backend, describe(r, tol))
	}
}

func runGoldenSession(t *testing.T, path, set string, tol verify.Tolerance) {
	s, err := runtime.Open(path, runtime.WithBackend("ort"), runtime.WithThreads(1))
	require.NoError(t, err)
	defer s.Close()
	inputs, err := verify.ReadTensors(set, "input")
	require.NoError(t, err)
	want, err := verify.ReadTensors(set, "output")
	require.NoError(t, err)
	named := map[string]*ops.Tensor{}
	for i, vi := range s.Inputs() {
		named[vi.Name] = inputs[i]
	}
	got, err := s.Run(context.Background(), named)
	require.NoError(t, err)
	for k, o := range s.Outputs() {
		r := verify.CompareTensors(o.Name, got[k], want[k], tol.Atol, tol.Rtol)
		assert.True(t, r.Pass, "output %q through Session: %s", o.Name, describe(r, tol))
	}
}

func describe(r verify.OutputReport, tol verify.Tolerance) string {
	if r.Mismatch != "" {
		return r.Mismatch
	}
	return fmt.Sprintf("%d element(s) beyond atol %g rtol %g; max abs %.3g, max rel %.3g; worst at %v: got %.9g, want %.9g",
		r.Failures, tol.Atol, tol.Rtol, r.MaxAbs, r.MaxRel, r.Worst, r.Got, r.Want)
}

// TestGoldenCoversShippedModels checks that every model the project ships
// under testdata/models has an up-to-date golden copy.
func TestGoldenCoversShippedModels(t *testing.T) {
	flat, err := filepath.Glob("../testdata/models/*.onnx")
	require.NoError(t, err)
	nested, err := filepath.Glob("../testdata/models/*/model.onnx")
	require.NoError(t, err)
	for _, p := range append(flat, nested...) {
		name := strings.TrimSuffix(filepath.Base(p), ".onnx")
		if name == "model" {
			name = filepath.Base(filepath.Dir(p))
		}
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		dst, err := os.ReadFile(filepath.Join(goldenDir, name, "model.onnx"))
		require.NoError(t, err, "%s has no up-to-date golden copy in %s/%s; regenerate with: go run ./tools/mkgolden", p, goldenDir, name)
		assert.Equal(t, dst, src, "%s has no up-to-date golden copy in %s/%s; regenerate with: go run ./tools/mkgolden", p, goldenDir, name)
	}
}

// TestGoldenFilesAreReadable guards the golden data itself: every set has
// inputs matching the model's declared inputs, and outputs.
func TestGoldenFilesAreReadable(t *testing.T) {
	for _, dir := range goldenModels(t) {
		m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
		if !assert.NoError(t, err, dir) {
			continue
		}
		sets, err := verify.DataSets(dir)
		require.NoError(t, err)
		for _, set := range sets {
			in, err := verify.ReadTensors(set, "input")
			if !assert.NoError(t, err) {
				continue
			}
			assert.NoError(t, verify.CheckInputs(m.Graph.Inputs, in), "%s", set)
			out, err := verify.ReadTensors(set, "output")
			require.NoError(t, err, "%s: %d outputs for %d declared (%v)", set, len(out), len(m.Graph.Outputs), err)
			assert.Len(t, out, len(m.Graph.Outputs), "%s: %d outputs for %d declared (%v)", set, len(out), len(m.Graph.Outputs), err)
			for k, o := range out {
				if want := m.Graph.Outputs[k].DType; want != ops.Invalid {
					assert.Equal(t, want, o.DType, "%s output %d: the model's declared type", set, k)
				}
			}
		}
	}
}
