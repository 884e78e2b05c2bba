package trainer_test

import (
	"context"
	"slices"
	"testing"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrainFromInitial continues training from a given model: its scaler is
// kept (not refitted on different data), its weights are the starting point
// and are not modified in place.
func TestTrainFromInitial(t *testing.T) {
	ctx := context.Background()
	ds := manifold(128, 6, 1)
	spec := models.NewUndercomplete(6, 2)
	m0, _, err := trainer.Train(ctx, spec, ds, trainer.Config{Epochs: 2, Seed: 3, BatchSize: 32, LR: 1e-2})
	require.NoError(t, err)
	w0 := slices.Clone(m0.Params()[0].Data)
	// Different data: a refitted scaler would differ.
	other := manifold(128, 6, 9)
	for i := range other.X {
		other.X[i] = 2*other.X[i] + 1
	}
	m1, res, err := trainer.Train(ctx, models.Spec{}, other, trainer.Config{Epochs: 1, Seed: 3, BatchSize: 32, LR: 1e-2, Initial: m0})
	require.NoError(t, err)
	assert.EqualValues(t, 1, res.Epochs, "epochs = %d, want 1", res.Epochs)
	require.Equal(t, m0.Scaler.Offset, m1.Scaler.Offset, "scaler refitted: %+v, want %+v", m1.Scaler, m0.Scaler)
	assert.Equal(t, m0.Scaler.Scale, m1.Scaler.Scale, "scaler refitted: %+v, want %+v", m1.Scaler, m0.Scaler)
	assert.Equal(t, w0, m0.Params()[0].Data, "initial model's weights modified in place")
	assert.NotEqual(t, w0, m1.Params()[0].Data, "continued training did not change the weights")
	bad := spec
	bad.Code = 3
	_, _, err = trainer.Train(ctx, bad, ds, trainer.Config{Epochs: 1, Initial: m0})
	assert.ErrorContains(t, err, "initial model spec", "spec mismatch")
	_, _, err = trainer.Train(ctx, spec, ds, trainer.Config{Epochs: 1, Initial: m0, Resume: "x.latent"})
	assert.ErrorContains(t, err, "exclude each other", "initial + resume")
}
