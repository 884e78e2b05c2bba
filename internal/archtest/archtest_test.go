package archtest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/latent-ml/latent/"

// deps lists the module's packages that pattern depends on (itself
// included), as `go list -deps` reports them for the current platform.
func deps(t *testing.T, pattern string, env ...string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pattern)
	cmd.Dir = "../.."
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go list -deps %s: %s", pattern, out)
	var own []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module) {
			own = append(own, strings.TrimPrefix(p, module))
		}
	}
	require.NotEmpty(t, own, "go list -deps %s listed none of the module's packages", pattern)
	return own
}

// TestImportDirection checks the no-back-edges rules: each package
// pattern must not depend on any package under the forbidden prefixes.
func TestImportDirection(t *testing.T) {
	training := []string{"trainer", "ops/train", "export", "internal/golden", "apps", "tools"}
	onnx := []string{"runtime"}
	for _, c := range []struct {
		pattern   string
		forbidden []string
		why       string
	}{
		{"./serve", training, "serve imports the runtime and model metadata, nothing of training"},
		{"./metadata", training, "model metadata is read by the server without the trainer"},
		{"./data", append(training, "runtime", "metadata"), "the data readers sit below the trainer and the runtime (.pb lives in data/tensorpb)"},
		{"./data/tensorpb", training, "the TensorProto reader needs the graph codec, nothing of training"},
		{"./runtime/...", training, "the runtime knows nothing of training"},
		{"./trainer/...", append(onnx, "export", "metadata", "serve", "apps", "tools"), "the trainer knows nothing of ONNX or protobuf"},
		{"./ops", append(onnx, training...), "ops knows nothing of ONNX or training; ops/train builds on it, never the reverse"},
		{"./ops/train", append(onnx, "trainer", "export", "internal/golden", "apps", "tools"), "the training kernels know nothing of ONNX or of the trainer that calls them"},
		{"./models", append(onnx, training...), "a model spec is plain data"},
	} {
		for _, cgo := range []string{"1", "0"} {
			for _, p := range deps(t, c.pattern, "CGO_ENABLED="+cgo) {
				for _, f := range c.forbidden {
					assert.False(t, p == f || strings.HasPrefix(p, f+"/"),
						"%s (CGO_ENABLED=%s) depends on %s: %s", c.pattern, cgo, p, c.why)
				}
			}
		}
	}
}
