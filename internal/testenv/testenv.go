// Package testenv decides what a test does when something it needs from
// the machine is missing: the ONNX test data (Debian libonnx-testdata),
// Python with onnx, ONNX Runtime, a data set. On a developer's machine the
// test is skipped with the reason and the fix; under CI (CI set), where
// tools/setup.sh installs every dependency, a missing one is a failure, so
// coverage cannot shrink silently.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CI reports whether the tests run under CI (the CI environment variable
// is set), where every dependency must be present.
func CI() bool { return os.Getenv("CI") != "" }

// Need skips t when err, the reason what is unavailable, is non-nil, or
// fails it under CI. what names the dependency and how to install it
// ("ONNX test models (apt-get install libonnx-testdata)").
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if CI() {
		t.Fatalf("CI is set but %s is unavailable: %v", what, err)
		return
	}
	t.Skipf("%s unavailable: %v", what, err)
}

// Files returns the files matching pattern (filepath.Glob), with an error
// when none does, for Need.
func Files(pattern string) ([]string, error) {
	files, err := filepath.Glob(pattern)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no file matches %s", pattern)
	}
	return files, err
}

// PythonONNX runs script with the first Python that imports onnx and
// returns its standard output: $LATENT_PYTHON alone when it is set,
// otherwise the project's venv (tools/python/venv.sh, under the user cache
// folder), the python3 on PATH, then Debian's /usr/bin/python3
// (python3-onnx). The error says why each was passed over, or carries the
// script's stderr; pass it to Need.
func PythonONNX(script string) (string, error) {
	pythons := []string{"python3", "/usr/bin/python3"}
	if cache, err := os.UserCacheDir(); err == nil {
		pythons = append([]string{filepath.Join(cache, "latent", "venv", "bin", "python")}, pythons...)
	}
	if py := os.Getenv("LATENT_PYTHON"); py != "" {
		pythons = []string{py}
	}
	var errs []string
	for _, py := range pythons {
		if exec.Command(py, "-c", "import onnx").Run() != nil {
			errs = append(errs, py+" cannot import onnx")
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, py, "-c", script).Output()
		cancel()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return "", fmt.Errorf("%s: %w: %s", py, err, ee.Stderr)
			}
			return "", fmt.Errorf("%s: %w", py, err)
		}
		return string(out), nil
	}
	return "", errors.New(strings.Join(errs, "; "))
}
