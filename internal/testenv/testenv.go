// Package testenv decides what a test does when something it needs from
// the machine is missing: the ONNX test data (Debian libonnx-testdata),
// Python with onnx, ONNX Runtime, a data set. On a developer's machine the
// test is skipped with the reason and the fix; under CI (CI set), where
// tools/setup.sh installs every dependency, a missing one is a failure, so
// coverage cannot shrink silently.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
