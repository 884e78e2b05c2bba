package runtime

import (
	"context"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithoutPasses opens the dense autoencoder with the fusion pass
// switched off: the session still runs, to the same outputs within float32
// rounding as the fully optimised one; an unknown pass name fails Open.
func TestWithoutPasses(t *testing.T) {
	const model = "../testdata/models/dense-ae/model.onnx"
	full, err := Open(model)
	require.NoError(t, err)
	defer full.Close()
	unfused, err := Open(model, WithoutPasses("fuse-layers", "prepack-weights"))
	require.NoError(t, err)
	defer unfused.Close()

	x := ops.New(ops.Float32, 2, 16)
	for i := range x.F32() {
		x.F32()[i] = float32(i%5) / 5
	}
	want, err := full.RunOrdered(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	got, err := unfused.RunOrdered(context.Background(), []*ops.Tensor{x})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		assert.InDeltaSlice(t, want[i].F32(), got[i].F32(), 1e-6, "output %d", i)
	}

	_, err = Open(model, WithoutPasses("fuse-everything"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown pass "fuse-everything"`)
}
