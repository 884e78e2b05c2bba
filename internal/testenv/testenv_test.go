package testenv_test

import (
	"errors"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records how Need ended the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, format
}

func TestNeed(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	testenv.Need(r, "ONNX Runtime", nil)
	assert.False(t, r.skipped || r.failed, "a present dependency neither skips nor fails")
	testenv.Need(r, "ONNX Runtime", errors.New("no library"))
	assert.True(t, r.skipped, "missing on a developer machine: skipped")
	assert.False(t, r.failed)

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	testenv.Need(r, "ONNX Runtime", errors.New("no library"))
	assert.True(t, r.failed, "missing under CI: a failure")
	assert.False(t, r.skipped)
}
