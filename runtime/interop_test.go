package runtime_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
)

// interopDir holds models written by Python frameworks
// (tools/python/make_fixtures.py): interop/<framework>/<name>/model.onnx with
// test_data_set_N holding the framework's own outputs and a tolerance.json.
// interop/zoo holds the reduced-width copies of the benchmark zoo
// (tools/python/zoo.py), also PyTorch's.
const interopDir = "../testdata/interop"

// The fixtures must include these, so that a regeneration that silently
// drops one fails here. Each PyTorch model comes from both exporters.
var (
	interopTorchModels = []string{"dense_ae", "deep_flatten_ae", "conv_ae", "vae", "recommender_ae"}
	interopZooModels   = []string{"resnet18", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "squeezenet1_1",
		"vit", "bert", "lstm_ae", "gru_ae", "conv1d_ae", "transformer_ae", "conv2d_ae"}
	interopExporters = []string{"dynamo", "torchscript"}
	interopSklearn   = []string{"mlp_regressor_ae", "standard_scaler_pca", "minmax_mlp_regressor", "isolation_forest",
		"one_class_svm", "kmeans", "column_transformer_onehot"}
)

// zooMaxBytes bounds each committed zoo copy (model and data sets): the
// full-size models live in a cache, never in git.
const zooMaxBytes = 2 << 20

// TestInteropFixtures runs every Python-framework fixture on the native
// backend (with and without graph optimisation) and on ONNX Runtime, and
// compares each output with what PyTorch or scikit-learn computed.
func TestInteropFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(interopDir, "*", "*", "model.onnx"))
	require.NoError(t, err)
	have := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Dir(p)
		have[filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir)] = true
	}
	for framework, models := range map[string][]string{"pytorch": interopTorchModels, "zoo": interopZooModels} {
		for _, m := range models {
			for _, e := range interopExporters {
				name := framework + "/" + m + "-" + e
				assert.True(t, have[name], "fixture %s missing under %s (regenerate: see tools/python/README.md)", name, interopDir)
			}
		}
	}
	for _, m := range interopSklearn {
		assert.True(t, have["sklearn/"+m], "fixture sklearn/%s missing under %s (regenerate: see tools/python/README.md)", m, interopDir)
	}
	for _, p := range paths {
		dir := filepath.Dir(p)
		framework := filepath.Base(filepath.Dir(dir))
		name := framework + "/" + filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			m, err := graph.DecodeFile(p)
			require.NoError(t, err)
			tol, err := verify.LoadTolerance(dir)
			require.NoError(t, err)
			sets, err := verify.DataSets(dir)
			require.NoError(t, err)
			require.NotEmpty(t, sets, "%s has no test_data_set_N", dir)
			if framework == "zoo" {
				checkZooFixture(t, dir, sets, tol)
			} else {
				require.True(t, tol.Atol <= 1e-4 && tol.Rtol == 0,
					"%s loosens the tolerance to atol %g rtol %g; interop fixtures must match within atol 1e-4", dir, tol.Atol, tol.Rtol)
			}
			for _, run := range []struct {
				name, backend string
				optimize      bool
			}{{"native", "native", true}, {"native-unoptimised", "native", false}, {"ort", "ort", true}} {
				t.Run(run.name, func(t *testing.T) {
					if run.backend == "ort" {
						if err := ort.Available(); err != nil {
							require.Empty(t, os.Getenv("CI"), "CI is set but ONNX Runtime is unavailable: %v", err)
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

// checkZooFixture holds a zoo copy to the zoo's rules: at most zooMaxBytes
// on disk, and a tolerance of rtol 1e-4 plus an atol of at most 1e-4 of the
// largest expected output magnitude (the elements that cancel to near
// zero), computed here from the recorded outputs rather than trusted.
func checkZooFixture(t *testing.T, dir string, sets []string, tol verify.Tolerance) {
	t.Helper()
	var size int64
	require.NoError(t, filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return err
	}))
	assert.LessOrEqual(t, size, int64(zooMaxBytes), "%s is %d bytes; zoo copies must stay under %d (reduce the width in tools/python/zoo.py)", dir, size, zooMaxBytes)
	scale := 0.0
	for _, set := range sets {
		want, err := verify.ReadTensors(set, "output")
		require.NoError(t, err)
		for _, w := range want {
			for _, v := range w.F32() {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
		}
	}
	assert.LessOrEqual(t, tol.Rtol, 1e-4, "%s: zoo fixtures must match PyTorch within rtol 1e-4", dir)
	// The generator rounds 1e-4·scale to two significant digits.
	assert.LessOrEqual(t, tol.Atol, 1.05e-4*math.Max(scale, 1e-3), "%s: atol %g exceeds 1e-4 of the largest output magnitude %g", dir, tol.Atol, scale)
}
