package operators_test

import (
	"testing"

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
