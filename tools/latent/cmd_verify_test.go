package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const verifyModel = "../../testdata/golden/dense_gemm/model.onnx"

// shifted is ONNX Runtime with every float32 output element raised by 0.01,
// so verify must report a failure.
type shifted struct{}

func (shifted) Name() string { return "ort-shifted" }
func (shifted) Compile(ctx context.Context, m *graph.Model, cfg runtime.Config) (runtime.Executable, error) {
	b, err := runtime.LookupBackend("ort")
	if err != nil {
		return nil, err
	}
	x, err := b.Compile(ctx, m, cfg)
	return shiftedExec{x}, err
}

type shiftedExec struct{ runtime.Executable }

func (s shiftedExec) Run(ctx context.Context, in []*ops.Tensor) ([]*ops.Tensor, error) {
	out, err := s.Executable.Run(ctx, in)
	for _, t := range out {
		if t.DType == ops.Float32 {
			for i := range t.F32() {
				t.F32()[i] += 0.01
			}
		}
	}
	return out, err
}

func init() {
	runtime.RegisterBackend("ort-shifted", func() runtime.Backend { return shifted{} })
}

func requireORT(t *testing.T) {
	t.Helper()
	testenv.Need(t, "ONNX Runtime (run `"+ort.InstallCommand+"`)", ort.Available())
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVerifyCommandPassAndFail(t *testing.T) {
	requireORT(t)
	code, out, errs := runCLI("verify", verifyModel, "--candidate", "ort", "--batch", "4", "--seed", "9")
	require.Equal(t, exitOK, code, "ort vs ort: %s", errs)
	for _, s := range []string{"code", "reconstruction", "[4 8]", "PASS: 2 output(s)"} {
		assert.Contains(t, out, s)
	}

	code, out, errs = runCLI("verify", verifyModel, "--candidate", "ort-shifted")
	require.Equal(t, exitFail, code, "shifted outputs: %s%s", out, errs)
	assert.Contains(t, out, "FAIL")
	assert.Contains(t, errs, "beyond tolerance")
	// 0.01 passes with atol 0.02.
	code, out, errs = runCLI("verify", verifyModel, "--candidate", "ort-shifted", "--atol", "0.02")
	assert.Equal(t, exitOK, code, "shifted outputs with atol 0.02: %s%s", out, errs)

	// A model folder: every test_data_set_N is checked.
	code, out, errs = runCLI("verify", verifyModel, "--inputs", "../../testdata/golden/dense_gemm", "--candidate", "ort")
	require.Equal(t, exitOK, code, "--inputs with data sets: %s%s", out, errs)
	assert.Equal(t, 2, strings.Count(out, "PASS: 2 output(s)"), out)
	assert.Contains(t, out, "test_data_set_1")

	set := "../../testdata/golden/dense_gemm/test_data_set_1"
	code, out, errs = runCLI("verify", verifyModel, "--inputs", set, "--candidate", "ort")
	require.Equal(t, exitOK, code, "--inputs %s: %s%s", set, out, errs)
	assert.Contains(t, out, "[3 8]", "batch 3 from the files")
}

func TestVerifyCommandErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"verify"}, exitUsage, "missing MODEL argument"},
		{[]string{"verify", "a.onnx", "b.onnx"}, exitUsage, "want one MODEL argument, got 2"},
		{[]string{"verify", verifyModel, "--atol", "-1"}, exitUsage, "--atol"},
		{[]string{"verify", verifyModel, "--batch", "0"}, exitUsage, "--batch"},
		{[]string{"verify", verifyModel, "--inputs", "x", "--batch", "2"}, exitUsage, "--batch applies to random inputs"},
		{[]string{"verify", "no-such-model.onnx"}, exitFail, "no-such-model.onnx"},
		{[]string{"verify", verifyModel, "--inputs", t.TempDir()}, exitFail, "no input_0.pb and no test_data_set_N"},
		{[]string{"verify", verifyModel, "--candidate", "nope"}, exitFail, "unknown backend"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.msg, "%v", c.args)
	}
}
