package operators_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/latent-ml/latent/runtime/native/kernels" // the operators' rules
	"github.com/stretchr/testify/require"
)

// testdataGlob matches the ONNX test models (Debian libonnx-testdata).
const testdataGlob = "/usr/share/libonnx-testdata/data/*/*/model.onnx"

// wantErr fails unless err is non-nil and contains every fragment.
func wantErr(t testing.TB, err error, fragments ...string) {
	t.Helper()
	require.Error(t, err, "want an error mentioning %q", fragments)
	for _, f := range fragments {
		require.Contains(t, err.Error(), f)
	}
}

// runPython runs a script with the first python3 that imports onnx (the
// one on PATH, then Debian's, which has python3-onnx) and returns stdout.
func runPython(script string) (string, error) {
	var errs []string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import onnx").Run() != nil {
			errs = append(errs, py+" cannot import onnx")
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, py, "-c", script).Output()
		cancel()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return "", fmt.Errorf("%s: %w: %s", py, err, ee.Stderr)
			}
			return "", fmt.Errorf("%s: %w", py, err)
		}
		return string(out), nil
	}
	return "", fmt.Errorf("%s", strings.Join(errs, "; "))
}
