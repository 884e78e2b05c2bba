package recommend

import (
	"context"
	"os"
	"path/filepath"
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
		assert.Equal(t, Layout{ItemBased: !userBased, Observed: true}, a.Layout)
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
		// The exported model predicts what the trained one does.
		l := a.Layout
		x, _ := Dense(s.Base, U, I)
		for _, u := range []int{0, 17} {
			got, err := PredictUser(context.Background(), filepath.Join(dir, "model.onnx"), "native", l, x, U, I, u)
			require.NoError(t, err)
			assert.InDeltaSlice(t, pred.Row(u), got, 1e-4, "user %d", u)
		}
	}
}

func TestAutoencoderConfig(t *testing.T) {
	var c AutoencoderConfig
	c.Defaults()
	s := c.Spec(30, 40)
	assert.Equal(t, 60, s.Input, "item-based rows hold every user's rating and its indicator")
	assert.Equal(t, c.Code, s.Code)
	assert.Equal(t, "item-based", c.Orientation())
	c.UserBased = true
	assert.Equal(t, 80, c.Spec(30, 40).Input)
	c.RatingsOnly = true
	assert.Equal(t, 40, c.Spec(30, 40).Input)

	_, err := TrainAutoencoder(context.Background(), "", []Rating{{0, 0, 3}}, nil, 1, 1, AutoencoderConfig{})
	assert.ErrorContains(t, err, "no validation ratings")
}

// A 2 users × 3 items matrix laid out each way and back.
func TestLayout(t *testing.T) {
	x := []float32{5, 0, 3, 0, 4, 1} // user 0 rated items 0, 2; user 1 items 1, 2
	for _, c := range []struct {
		l    Layout
		rows int
		in   []float32
	}{
		{Layout{}, 2, x},
		{Layout{ItemBased: true}, 3, []float32{5, 0, 0, 4, 3, 1}},
		{Layout{Observed: true}, 2, []float32{5, 0, 3, 1, 0, 1, 0, 4, 1, 0, 1, 1}},
		{Layout{ItemBased: true, Observed: true}, 3, []float32{5, 0, 1, 0, 0, 4, 0, 1, 3, 1, 1, 1}},
	} {
		in := c.l.Input(x, 2, 3)
		assert.Equal(t, c.in, in, "%+v", c.l)
		assert.Equal(t, c.rows*c.l.Width(2, 3), len(in))
		// A model that reproduces its input predicts the ratings back.
		p, err := c.l.Output(in, 2, 3)
		require.NoError(t, err)
		assert.Equal(t, x, p.V, "%+v", c.l)
		_, err = c.l.Output(in[1:], 2, 3)
		assert.Error(t, err)
	}
}

func TestBlend(t *testing.T) {
	a := &Matrix{Users: 1, Items: 3, V: []float32{4, 2, 5}}
	b := &Matrix{Users: 1, Items: 3, V: []float32{2, 4, 3}}
	// r = 0.75·a + 0.25·b exactly.
	rs := []Rating{{0, 0, 3.5}, {0, 1, 2.5}, {0, 2, 4.5}, {-1, 0, 1}}
	assert.InDelta(t, 0.75, FitBlendWeight(a, b, rs), 1e-12)
	assert.Equal(t, []float32{3.5, 2.5, 4.5}, Mix(a, b, 0.75).V)
	assert.Equal(t, 1.0, FitBlendWeight(a, b, []Rating{{0, 0, 9}}), "clipped to [0,1]")
	assert.Equal(t, 0.5, FitBlendWeight(a, a, rs), "identical parts")

	dir := t.TempDir()
	bl := &Blend{Parts: []BlendPart{{Model: "item/model.onnx", Layout: Layout{ItemBased: true, Observed: true}, Weight: 0.8},
		{Model: "user/model.onnx", Layout: Layout{Observed: true}, Weight: 0.2}}}
	require.NoError(t, bl.Write(dir))
	got, err := ReadBlend(dir)
	require.NoError(t, err)
	assert.Equal(t, bl, got)

	_, err = ReadBlend(t.TempDir())
	assert.ErrorContains(t, err, "written by latent recommend train")
	for _, bad := range []string{`{"parts":[]}`, `{"parts":[{"model":"../x.onnx","weight":1}]}`, `{"parts":[{"model":"/x.onnx","weight":1}]}`, `[`} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "recommender.json"), []byte(bad), 0o644))
		_, err = ReadBlend(dir)
		assert.Error(t, err, bad)
	}
}
