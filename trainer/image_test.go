package trainer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/models"
)

// tinyImages returns n synthetic 1×8×8 images in [0,1]: blurred blobs at
// random positions (structure a convolution can exploit).
func tinyImages(n int, seed uint64) *data.Dataset { return data.Blobs(n, 8, seed, 9) }

// fashion loads n Fashion-MNIST training images (installed by
// tools/setup.sh; missing data fails under CI=true).
func fashion(t *testing.T, n int) *data.Dataset {
	t.Helper()
	p := "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
	_, err := os.Stat(p)
	testenv.Need(t, "Fashion-MNIST (apt-get install dataset-fashion-mnist)", err)
	im, err := data.Load(p, data.Options{Limit: n})
	require.NoError(t, err)
	return im
}

func heldOutMSE(t *testing.T, m *Model, ds *data.Dataset) float64 {
	t.Helper()
	rec, err := m.Reconstruct(ds.X, ds.N)
	require.NoError(t, err)
	var s float64
	for i, v := range rec {
		e := float64(v - ds.X[i])
		s += e * e
	}
	return s / float64(len(rec))
}

// On real images a small convolutional autoencoder reconstructs held-out
// images better than a dense one with the same code size and budget.
func TestConvBeatsDense(t *testing.T) {
	im := fashion(t, 500)
	tr := im.Subset(seq(0, 400))
	te := im.Subset(seq(400, 500))
	cfg := Config{Epochs: 8, BatchSize: 32, LR: 3e-3, Seed: 1, Scaling: data.NoScaling}
	conv := models.NewConv(im.Shape, []int{8, 16}, 16)
	cm, cres, err := Train(context.Background(), conv, tr, cfg)
	require.NoError(t, err)
	dense := models.NewUndercomplete(784, 16)
	dense.Loss, dense.OutputActivation = models.BCE, models.Sigmoid
	dm, _, err := Train(context.Background(), dense, tr, cfg)
	require.NoError(t, err)
	c, d := heldOutMSE(t, cm, te), heldOutMSE(t, dm, te)
	t.Logf("held-out MSE: conv %.5f, dense %.5f (conv training loss %.4f → %.4f)", c, d, cres.History[0].Loss, cres.History[len(cres.History)-1].Loss)
	assert.Less(t, c, d, "conv autoencoder held-out MSE vs the dense one's")
}

func seq(lo, hi int) []int {
	out := make([]int, hi-lo)
	for i := range out {
		out[i] = lo + i
	}
	return out
}

// A VAE's ELBO improves, its KL stays positive and its samples lie in the
// data's range [0,1].
func TestVAETraining(t *testing.T) {
	im := fashion(t, 300)
	for _, spec := range []models.Spec{models.NewVAE(784, []int{64}, 4), models.NewConvVAE(im.Shape, []int{4, 8}, 4)} {
		t.Run(string(spec.Kind), func(t *testing.T) {
			spec.KLWarmup = 2
			m, res, err := Train(context.Background(), spec, im, Config{Epochs: 5, BatchSize: 32, LR: 3e-3, Seed: 2})
			require.NoError(t, err)
			h := res.History
			for i, e := range h {
				require.NotNil(t, e.KL, "epoch %d reports no KL", i+1)
				require.NotNil(t, e.KLWeight, "epoch %d reports no KL weight", i+1)
				assert.Greater(t, *e.KL, 0.0, "epoch %d: KL", i+1)
				assert.InDelta(t, math.Min(1, float64(i+1)/2), *e.KLWeight, 1e-6, "epoch %d: KL weight follows the warm-up", i+1)
				assert.InDelta(t, *e.KL**e.KLWeight, e.RegLoss, 1e-6*(1+e.RegLoss), "epoch %d: reg loss is KL × weight", i+1)
			}
			// Negative ELBO (beta 1 from epoch 2 on) must fall.
			first, last := h[1].ReconLoss+*h[1].KL, h[len(h)-1].ReconLoss+*h[len(h)-1].KL
			t.Logf("negative ELBO %.2f → %.2f, KL %.3f", first, last, *h[len(h)-1].KL)
			assert.Less(t, last, first, "negative ELBO did not improve")
			s, z, err := m.Sample(50, 7)
			require.NoError(t, err)
			require.Len(t, s, 50*784)
			require.Len(t, z, 50*4)
			var lo, hi float32 = 1, 0
			for _, v := range s {
				lo, hi = min(lo, v), max(hi, v)
			}
			assert.GreaterOrEqual(t, lo, float32(0), "samples below the data range")
			assert.LessOrEqual(t, hi, float32(1), "samples above the data range")
			assert.Greater(t, hi-lo, float32(0.1), "samples span a trivial range")
			again, _, err := m.Sample(50, 7)
			require.NoError(t, err)
			assert.Equal(t, s, again, "Sample with the same seed differs")
		})
	}
}

// Checkpoints of every image kind load back bit-identically (parameters,
// batch norm statistics), and training resumes exactly.
func TestImageCheckpointRoundTrip(t *testing.T) {
	ds := tinyImages(40, 2)
	for name, spec := range imageSpecs() {
		t.Run(name, func(t *testing.T) {
			x := ds
			if spec.Input != ds.D {
				x = data.Blobs(40, 8, 2, 9)
				x.D, x.X = spec.Input, append(x.X, x.X[:40*(spec.Input-64)]...)
			}
			dir := t.TempDir()
			cfg := Config{Epochs: 2, BatchSize: 8, Seed: 4, OutDir: dir, CheckpointEvery: 1}
			m, _, err := Train(context.Background(), spec, x, cfg)
			require.NoError(t, err)
			back, st, err := LoadCheckpoint(filepath.Join(dir, "model.latent"))
			require.NoError(t, err)
			require.NotNil(t, st)
			assert.Equal(t, 2, st.Epoch)
			for _, pair := range [][2][]*Param{{m.Params(), back.Params()}, {m.state(), back.state()}} {
				for i := range pair[0] {
					assert.Equal(t, pair[0][i].Data, pair[1][i].Data, "%s differs after load", pair[0][i].Name)
				}
			}
			if spec.BatchNorm {
				assert.NotEmpty(t, m.state(), "batch norm model has no saved state")
			}
			a, err := m.Reconstruct(x.X, x.N)
			require.NoError(t, err)
			b, err := back.Reconstruct(x.X, x.N)
			require.NoError(t, err)
			assert.Equal(t, a, b, "reconstructions differ after load")
			// Resume: 2 epochs + 1 more equals 3 straight epochs.
			cfg3 := cfg
			cfg3.Epochs, cfg3.OutDir = 3, t.TempDir()
			full, _, err := Train(context.Background(), spec, x, cfg3)
			require.NoError(t, err)
			cfgR := Config{Epochs: 3, BatchSize: 8, Resume: filepath.Join(dir, "model.latent")}
			res, _, err := Train(context.Background(), spec, x, cfgR)
			require.NoError(t, err)
			for i, p := range full.Params() {
				assert.Equal(t, p.Data, res.Params()[i].Data, "resumed %s differs from an uninterrupted run", p.Name)
			}
		})
	}
}

// Version 1 checkpoints (dense kinds, before the image kinds) still load.
func TestReadsVersion1Checkpoint(t *testing.T) {
	m, err := NewModel(models.NewUndercomplete(6, 2), 1)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "v1.latent")
	require.NoError(t, SaveCheckpoint(p, m, nil))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	body := b[:len(b)-sha256.Size]
	binary.LittleEndian.PutUint32(body[8:], 1)
	sum := sha256.Sum256(body)
	require.NoError(t, os.WriteFile(p, append(bytes.Clone(body), sum[:]...), 0o644))
	back, _, err := LoadCheckpoint(p)
	require.NoError(t, err, "version 1 checkpoint")
	assert.Equal(t, m.Params()[0].Data, back.Params()[0].Data, "version 1 weights")
	binary.LittleEndian.PutUint32(body[8:], 9)
	sum = sha256.Sum256(body)
	require.NoError(t, os.WriteFile(p, append(bytes.Clone(body), sum[:]...), 0o644))
	_, _, err = LoadCheckpoint(p)
	assert.ErrorContains(t, err, "unsupported checkpoint version 9")
}

// Early stopping restores the best epoch's weights and its batch norm
// statistics together: the restored model's validation loss is the best
// one recorded.
func TestImageEarlyStoppingRestoresState(t *testing.T) {
	ds := tinyImages(48, 3)
	val := tinyImages(16, 4)
	spec := imageSpecs()["conv-bn"]
	cfg := Config{Epochs: 6, BatchSize: 8, LR: 5e-2, Seed: 1, Val: val, EarlyStopping: 10}
	m, res, err := Train(context.Background(), spec, ds, cfg)
	require.NoError(t, err)
	// The run is deterministic: with this learning rate the best epoch is
	// not the last one, so there is something to restore.
	require.Less(t, res.BestEpoch, res.Epochs, "the last epoch was the best: the test no longer restores anything")
	eng := newEngine(m.net, m.obj, cfg.BatchSize, 1, cfg.Seed)
	var sum, norm float64
	for lo := 0; lo < val.N; lo += cfg.BatchSize {
		rows := min(cfg.BatchSize, val.N-lo)
		s, n := eng.eval(batchIn{x: val.X[lo*64 : (lo+rows)*64], t: val.X[lo*64 : (lo+rows)*64], rows: rows}, nil)
		sum, norm = sum+s, norm+n
	}
	got := sum / norm
	t.Logf("best epoch %d of %d: loss %.9g, recorded %.9g", res.BestEpoch, res.Epochs, got, res.BestLoss)
	assert.InDelta(t, res.BestLoss, got, 1e-12*math.Abs(res.BestLoss), "restored model's validation loss vs the best recorded")
}
