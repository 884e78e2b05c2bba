package trainer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/latent-ml/latent/trainer/nn"
)

func params(m *trainer.Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Params() {
		out = append(out, append([]float32(nil), p.Data...))
	}
	return out
}

func sameParams(t *testing.T, what string, a, b [][]float32) {
	t.Helper()
	require.Len(t, b, len(a), "%s: tensor count", what)
	for i := range a {
		require.Len(t, b[i], len(a[i]), "%s: param %d size", what, i)
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				require.Failf(t, "parameters differ", "%s: param %d[%d]: %v vs %v", what, i, j, a[i][j], b[i][j])
			}
		}
	}
}

// A denoising model uses the training RNG for both shuffling and noise, and
// the plateau schedule and early stopping carry state across epochs: the
// hardest case for resume.
func resumeSpec() models.Spec {
	s := models.NewDenoising(12, 3, models.Noise{Type: models.MaskingNoise, Drop: 0.1})
	s.Hidden = []int{8}
	return s
}

func resumeConfig(dir string) trainer.Config {
	return trainer.Config{Epochs: 6, BatchSize: 50, LR: 1e-2, Seed: 11, ValSplit: 0.2,
		Optimizer:     trainer.OptimizerConfig{Name: "adamw", WeightDecay: 1e-3, ClipNorm: 1},
		Schedule:      trainer.ScheduleConfig{Name: "plateau", Patience: 1, Factor: 0.5},
		EarlyStopping: 10, CheckpointEvery: 1, OutDir: dir}
}

func TestResumeMatchesUninterruptedRun(t *testing.T) {
	ds := manifold(300, 12, 4)
	ctx := context.Background()
	full, _, err := trainer.Train(ctx, resumeSpec(), ds, resumeConfig(t.TempDir()))
	require.NoError(t, err)

	dir := t.TempDir()
	cfg := resumeConfig(dir)
	stop := errors.New("interrupted")
	cfg.OnEpoch = func(em trainer.EpochMetrics) error {
		if em.Epoch == 3 {
			return stop
		}
		return nil
	}
	_, _, err = trainer.Train(ctx, resumeSpec(), ds, cfg)
	require.ErrorIs(t, err, stop, "interrupted run")
	cfg = resumeConfig(dir)
	cfg.Resume = filepath.Join(dir, "checkpoint.latent")
	var metrics bytes.Buffer
	cfg.Metrics = &metrics
	resumed, res, err := trainer.Train(ctx, models.Spec{}, ds, cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, res.History[0].Epoch, "resumed run's first epoch")
	assert.Equal(t, 6, res.Epochs, "resumed run's last epoch")
	sameParams(t, "resumed vs uninterrupted", params(full), params(resumed))
	assert.Equal(t, 3, strings.Count(metrics.String(), "\n"), "resumed run's metrics lines")
}

func TestSeedDeterminismAndWorkers(t *testing.T) {
	ds := manifold(200, 12, 5)
	spec := models.NewSparseKL(12, 4, 0.1, 0.1)
	spec.Hidden = []int{8}
	cfg := trainer.Config{Epochs: 3, BatchSize: 100, LR: 1e-2, Seed: 9}
	run := func(workers int, seed uint64) [][]float32 {
		c := cfg
		c.Workers, c.Seed = workers, seed
		m, _, err := trainer.Train(context.Background(), spec, ds, c)
		require.NoError(t, err)
		return params(m)
	}
	a := run(1, 9)
	sameParams(t, "1 vs 4 workers", a, run(4, 9))
	sameParams(t, "repeat with 3 workers", a, run(3, 9))
	c := run(1, 10)
	differ := false
	for i := range a {
		for j := range a[i] {
			differ = differ || a[i][j] != c[i][j]
		}
	}
	assert.True(t, differ, "seeds 9 and 10 produced identical weights")
}

func TestMetricsJSONL(t *testing.T) {
	ds := manifold(100, 12, 6)
	var metrics, prog bytes.Buffer
	cfg := trainer.Config{Epochs: 3, BatchSize: 20, Seed: 1, ValSplit: 0.25, Metrics: &metrics, Progress: &prog}
	_, res, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), ds, cfg)
	require.NoError(t, err)
	sc := bufio.NewScanner(&metrics)
	n := 0
	for sc.Scan() {
		n++
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %d", n)
		for _, k := range []string{"epoch", "loss", "recon_loss", "val_loss", "seconds", "samples_per_s"} {
			assert.Contains(t, m, k, "line %d: %s", n, sc.Text())
		}
		assert.Equal(t, float64(n), m["epoch"], "line %d epoch", n)
		assert.InDelta(t, res.History[n-1].Loss, m["loss"], 1e-12, "line %d loss", n)
	}
	assert.Equal(t, 3, n, "metrics lines")
	assert.Equal(t, 3, strings.Count(prog.String(), "\n"), "non-terminal progress lines: %q", prog.String())
	assert.NotContains(t, prog.String(), "\r", "non-terminal progress rewrites lines")
}

func TestRegulariserReportedSeparately(t *testing.T) {
	ds := manifold(100, 12, 6)
	cfg := trainer.Config{Epochs: 2, BatchSize: 20, Seed: 1}
	_, res, err := trainer.Train(context.Background(), models.NewSparseL1(12, 3, 0.5), ds, cfg)
	require.NoError(t, err)
	for _, em := range res.History {
		assert.Greater(t, em.RegLoss, 0.0, "epoch %d regulariser", em.Epoch)
		assert.InDelta(t, em.ReconLoss+em.RegLoss, em.Loss, 1e-9, "epoch %d: loss is recon + reg", em.Epoch)
	}
}

func TestNonFiniteStopsWithLastGoodCheckpoint(t *testing.T) {
	ds := manifold(100, 12, 7)
	dir := t.TempDir()
	// Plain SGD whose learning rate grows 10⁴-fold every epoch diverges
	// after a few good epochs.
	spec := models.NewDeep(12, []int{8}, 3)
	spec.OutputActivation = models.Identity
	cfg := trainer.Config{Epochs: 50, BatchSize: 10, LR: 0.05, Seed: 1, CheckpointEvery: 1, OutDir: dir,
		Optimizer: trainer.OptimizerConfig{Name: "sgd"},
		Schedule:  trainer.ScheduleConfig{Name: "step", StepSize: 1, Gamma: 1e4}}
	m, _, err := trainer.Train(context.Background(), spec, ds, cfg)
	require.ErrorIs(t, err, trainer.ErrNonFinite)
	assert.ErrorContains(t, err, "checkpoint.latent", "error names the last good checkpoint")
	for _, p := range m.Params() {
		for _, v := range p.Data {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "model returned with non-finite weight in %s", p.Name)
		}
	}
	_, _, err = trainer.LoadCheckpoint(filepath.Join(dir, "checkpoint.latent"))
	assert.NoError(t, err, "last good checkpoint")
}

func TestCancel(t *testing.T) {
	ds := manifold(100, 12, 7)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := trainer.Config{Epochs: 100, BatchSize: 10, Seed: 1, OnEpoch: func(trainer.EpochMetrics) error { cancel(); return nil }}
	_, res, err := trainer.Train(ctx, models.NewUndercomplete(12, 3), ds, cfg)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, res.Epochs, "epochs run after cancellation in epoch 1")
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	train := manifold(60, 12, 8)
	val := manifold(60, 12, 9)
	cfg := trainer.Config{Epochs: 40, BatchSize: 10, LR: 0.3, Seed: 1, Val: val, EarlyStopping: 2,
		Optimizer: trainer.OptimizerConfig{Name: "momentum", Momentum: 0.95}}
	m, res, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), train, cfg)
	require.NoError(t, err)
	// The run is deterministic; with momentum 0.95 at lr 0.3 the
	// validation loss stops improving well before 40 epochs.
	require.True(t, res.StoppedEarly, "validation loss kept improving for 40 epochs: the test no longer restores anything")
	best := math.Inf(1)
	for _, em := range res.History {
		best = math.Min(best, *em.ValLoss)
	}
	rec, err := m.Reconstruct(val.X, val.N)
	require.NoError(t, err)
	// Validation loss is MSE in scaled units; recompute it in those units.
	sc, err := data.Fit(data.MinMax, train)
	require.NoError(t, err)
	a, b := make([]float32, len(rec)), make([]float32, len(rec))
	sc.Transform(a, rec)
	sc.Transform(b, val.X)
	assert.InDelta(t, best, mse(a, b), 1e-5*math.Max(best, 1), "restored model val loss vs the best epoch's (epoch %d of %d)", res.BestEpoch, res.Epochs)
}

func TestCheckpointRoundTripAndCorruption(t *testing.T) {
	ds := manifold(50, 12, 3)
	spec := models.NewKSparse(12, 6, 2)
	spec.Tied = true
	m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Seed: 2})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.latent")
	require.NoError(t, trainer.SaveCheckpoint(path, m, nil))
	got, st, err := trainer.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Nil(t, st, "model-only checkpoint returned a training state")
	sameParams(t, "round trip", params(m), params(got))
	a, err := m.Encode(ds.X, ds.N)
	require.NoError(t, err)
	b, err := got.Encode(ds.X, ds.N)
	require.NoError(t, err)
	sameParams(t, "codes", [][]float32{a}, [][]float32{b})
	for r := 0; r < ds.N; r++ {
		nz := 0
		for _, v := range a[r*6 : (r+1)*6] {
			if v != 0 {
				nz++
			}
		}
		require.LessOrEqual(t, nz, 2, "k-sparse code row %d non-zeros", r)
	}
	// The layers: code dense, k-sparse selection, the tied decoder sharing
	// the encoder's weight tensor transposed.
	ls := got.Network().Layers
	require.Len(t, ls, 3)
	enc, ok := ls[0].(*nn.Dense)
	require.True(t, ok, "layer 0 is %s", ls[0].Op())
	ks, ok := ls[1].(*nn.KSparse)
	require.True(t, ok, "layer 1 is %s", ls[1].Op())
	dec, ok := ls[2].(*nn.Dense)
	require.True(t, ok, "layer 2 is %s", ls[2].Op())
	assert.Equal(t, 2, ks.K)
	assert.Equal(t, 2, got.Network().Code, "the code is the k-sparse output (point 2)")
	assert.True(t, dec.Transposed)
	assert.Same(t, enc.W, dec.W, "tied decoder shares the encoder's weights")
	w := dec.WeightsOutIn()
	for o := 0; o < dec.Out; o++ {
		for i := 0; i < dec.In; i++ {
			require.Equal(t, enc.W.Data[i*enc.In+o], w[o*dec.In+i], "tied W[%d,%d] is not the encoder's transpose", o, i)
		}
	}

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, pos := range []int{3, len(raw) / 2, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[pos] ^= 0x40
		require.NoError(t, os.WriteFile(path, bad, 0o644))
		_, _, err := trainer.LoadCheckpoint(path)
		assert.Error(t, err, "corrupt byte %d", pos)
	}
	require.NoError(t, os.WriteFile(path, raw[:len(raw)-10], 0o644))
	_, _, err = trainer.LoadCheckpoint(path)
	assert.ErrorIs(t, err, trainer.ErrChecksum, "truncated file")
}

func TestLiveProgress(t *testing.T) {
	var prog bytes.Buffer
	cfg := trainer.Config{Epochs: 2, BatchSize: 10, Seed: 1, Progress: &prog, Live: true}
	_, _, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), manifold(100, 12, 1), cfg)
	require.NoError(t, err)
	out := prog.String()
	for _, want := range []string{"\repoch 1/2 [", "ETA", "\r\033[Kepoch 2/2 loss"} {
		assert.Contains(t, out, want, "live progress")
	}
}

// Inference on a trained model may run from several goroutines at once
// (each call has its own layer buffers) and gives the sequential results.
func TestConcurrentInference(t *testing.T) {
	ds := manifold(300, 12, 4)
	conv := models.NewConv([]int{1, 4, 3}, []int{2}, 3)
	for _, spec := range []models.Spec{models.NewDeep(12, []int{8}, 3), conv, models.NewVAE(12, []int{6}, 2)} {
		m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Seed: 1})
		require.NoError(t, err, spec.Kind)
		want, err := m.Reconstruct(ds.X, ds.N)
		require.NoError(t, err)
		wantCode, err := m.Encode(ds.X, ds.N)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for g := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					got, err := m.Reconstruct(ds.X, ds.N)
					if err == nil && !slices.Equal(got, want) {
						err = errors.New("reconstruction differs from the sequential one")
					}
					code, cerr := m.Encode(ds.X, ds.N)
					if cerr == nil && !slices.Equal(code, wantCode) {
						cerr = errors.New("code differs from the sequential one")
					}
					if err = errors.Join(err, cerr); err != nil {
						errs[g] = err
						return
					}
				}
			}()
		}
		wg.Wait()
		for g, err := range errs {
			assert.NoError(t, err, "%s goroutine %d", spec.Kind, g)
		}
	}
}

// Binary cross-entropy trains only on data in [0, 1]: raw 0–255 values
// are refused before the first step with a *RangeError naming the range
// and the scaling, minmax scaling maps the same rows into [0, 1].
func TestBCENeedsUnitRange(t *testing.T) {
	ds := &data.Dataset{N: 6, D: 4, X: make([]float32, 24), Source: "pixels.npy"}
	for i := range ds.X {
		ds.X[i] = float32(i * 255 / 23)
	}
	spec := models.NewUndercomplete(4, 2)
	spec.OutputActivation = models.Sigmoid
	spec.Loss = models.BCE
	require.NoError(t, spec.Validate())

	dir := t.TempDir()
	_, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Scaling: data.NoScaling, OutDir: filepath.Join(dir, "none")})
	var re *trainer.RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, trainer.RangeError{Loss: models.BCE, Source: "pixels.npy", Scaling: data.NoScaling, Lo: 0, Hi: 255}, *re)
	assert.EqualError(t, err, "loss bce needs data in [0, 1], but pixels.npy spans [0, 255] as stored: "+
		"divide 0–255 pixels by 255 (uint8 IDX/NPY files are read that way), or train with minmax scaling")
	assert.NoDirExists(t, filepath.Join(dir, "none"), "refused before anything is written")

	_, _, err = trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Scaling: data.Standard})
	require.ErrorAs(t, err, &re)
	assert.Equal(t, data.Standard, re.Scaling)
	assert.Less(t, re.Lo, float32(0), "standardised rows go negative")

	_, res, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Scaling: data.MinMax})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Epochs)
}
