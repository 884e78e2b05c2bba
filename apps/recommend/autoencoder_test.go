package recommend

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generatedSplit writes and loads a generated low-rank ratings split.
func generatedSplit(t *testing.T, users, items int) *Split {
	t.Helper()
	dir := t.TempDir()
	b, te := filepath.Join(dir, "base"), filepath.Join(dir, "test")
	_, _, err := GenerateRatings(b, te, users, items, 3, 0.15, 0.3, 0.2, 3)
	require.NoError(t, err)
	s, err := LoadSplit(b, te)
	require.NoError(t, err)
	return s
}

// Both orientations learn a generated low-rank set: their held-out RMSE
// beats the item means', and the run folder holds what latent recommend
// reads.
func TestTrainAutoencoderOnGeneratedRatings(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small recommenders")
	}
	s := generatedSplit(t, 160, 200)
	U, I := len(s.Users), len(s.Items)
	train, val, err := s.HoldOut(0.05, 1)
	require.NoError(t, err)
	bias, err := FitBias(s.Base, U, I, BiasConfig{})
	require.NoError(t, err)
	im, err := RatingErrors(s.Test, ItemMean(s.Base, U, I), bias, 1, 5)
	require.NoError(t, err)
	for _, userBased := range []bool{false, true} {
		dir := t.TempDir()
		// A small set takes few steps per epoch: a higher rate, smaller
		// batches and lighter decay than MovieLens-100k's defaults.
		c := AutoencoderConfig{UserBased: userBased, Code: 48, Epochs: 40, Batch: 8, WeightDecay: 0.5, LR: 3e-3, Seed: 1}
		a, err := TrainAutoencoder(context.Background(), dir, train, val, U, I, c)
		require.NoError(t, err)
		assert.Equal(t, !userBased, a.ItemBased)
		assert.Equal(t, c.Epochs, a.Epochs)
		assert.Positive(t, a.ValRMSE)
		pred, err := a.Predict(s.Base, U, I)
		require.NoError(t, err)
		require.Equal(t, U*I, len(pred.V))
		e, err := RatingErrors(s.Test, pred, bias, 1, 5)
		require.NoError(t, err)
		assert.Less(t, e.RMSE, im.RMSE, "%s: autoencoder %.4f, item mean %.4f", c.Orientation(), e.RMSE, im.RMSE)
		for _, f := range []string{"model.onnx", "model.latent", "loss.png", "metrics.jsonl"} {
			assert.FileExists(t, filepath.Join(dir, f))
		}
		o, err := os.ReadFile(filepath.Join(dir, "orientation.txt"))
		require.NoError(t, err)
		assert.Equal(t, c.Orientation(), strings.TrimSpace(string(o)))
	}
}

func TestAutoencoderConfig(t *testing.T) {
	var c AutoencoderConfig
	c.Defaults()
	s := c.Spec(30, 40)
	assert.Equal(t, 30, s.Input, "item-based rows hold every user's rating")
	assert.Equal(t, c.Code, s.Code)
	assert.Equal(t, "item-based", c.Orientation())
	c.UserBased = true
	assert.Equal(t, 40, c.Spec(30, 40).Input)

	_, err := TrainAutoencoder(context.Background(), "", []Rating{{0, 0, 3}}, nil, 1, 1, AutoencoderConfig{})
	assert.ErrorContains(t, err, "no validation ratings")
}
