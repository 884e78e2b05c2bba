package runtime_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
)

// interopDir holds models written by Python frameworks
// (tools/python/make_fixtures.py): interop/<framework>/<name>/model.onnx with
// test_data_set_N holding the framework's own outputs and a tolerance.json.
const interopDir = "../testdata/interop"

// interopModels the fixtures must include, so that a regeneration that
// silently drops one fails here. Each PyTorch model comes from both
// exporters.
var (
	interopTorchModels = []string{"dense_ae", "deep_flatten_ae", "conv_ae", "vae", "recommender_ae"}
	interopExporters   = []string{"dynamo", "torchscript"}
	interopSklearn     = []string{"mlp_regressor_ae"}
)

// TestInteropFixtures runs every Python-framework fixture on the native
// backend (with and without graph optimisation) and on ONNX Runtime, and
// compares each output with what PyTorch or scikit-learn computed.
func TestInteropFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(interopDir, "*", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Dir(p)
		have[filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir)] = true
	}
	for _, m := range interopTorchModels {
		for _, e := range interopExporters {
			if name := "pytorch/" + m + "-" + e; !have[name] {
				t.Errorf("fixture %s missing under %s (regenerate: see tools/python/README.md)", name, interopDir)
			}
		}
	}
	for _, m := range interopSklearn {
		if name := "sklearn/" + m; !have[name] {
			t.Errorf("fixture %s missing under %s (regenerate: see tools/python/README.md)", name, interopDir)
		}
	}
	for _, p := range paths {
		dir := filepath.Dir(p)
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			m, err := graph.DecodeFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tol, err := verify.LoadTolerance(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tol.Atol > 1e-4 || tol.Rtol > 0 {
				t.Fatalf("%s loosens the tolerance to atol %g rtol %g; interop fixtures must match within atol 1e-4", dir, tol.Atol, tol.Rtol)
			}
			sets, err := verify.DataSets(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(sets) == 0 {
				t.Fatalf("%s has no test_data_set_N", dir)
			}
			for _, run := range []struct {
				name, backend string
				optimize      bool
			}{{"native", "native", true}, {"native-unoptimised", "native", false}, {"ort", "ort", true}} {
				t.Run(run.name, func(t *testing.T) {
					if run.backend == "ort" {
						if err := ort.Available(); err != nil {
							if os.Getenv("CI") != "" {
								t.Fatalf("CI is set but ONNX Runtime is unavailable: %v", err)
							}
							t.Skipf("ONNX Runtime unavailable (run `%s`): %v", ort.InstallCommand, err)
						}
					}
					cfg := runtime.Config{Optimize: run.optimize, IntraOpThreads: 1}
					runGolden(t, m, run.backend, cfg, sets, tol)
				})
			}
		})
	}
}
