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
	"strings"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
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
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				t.Fatalf("%s: param %d[%d] differs: %v vs %v", what, i, j, a[i][j], b[i][j])
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
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg := resumeConfig(dir)
	stop := errors.New("interrupted")
	cfg.OnEpoch = func(em trainer.EpochMetrics) error {
		if em.Epoch == 3 {
			return stop
		}
		return nil
	}
	if _, _, err := trainer.Train(ctx, resumeSpec(), ds, cfg); !errors.Is(err, stop) {
		t.Fatalf("interrupted run: got %v", err)
	}
	cfg = resumeConfig(dir)
	cfg.Resume = filepath.Join(dir, "checkpoint.latent")
	var metrics bytes.Buffer
	cfg.Metrics = &metrics
	resumed, res, err := trainer.Train(ctx, models.Spec{}, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.History[0].Epoch != 4 || res.Epochs != 6 {
		t.Errorf("resumed run covered epochs %d..%d, want 4..6", res.History[0].Epoch, res.Epochs)
	}
	sameParams(t, "resumed vs uninterrupted", params(full), params(resumed))
	if n := strings.Count(metrics.String(), "\n"); n != 3 {
		t.Errorf("resumed run wrote %d metrics lines, want 3", n)
	}
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
		if err != nil {
			t.Fatal(err)
		}
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
	if !differ {
		t.Error("seeds 9 and 10 produced identical weights")
	}
}

func TestMetricsJSONL(t *testing.T) {
	ds := manifold(100, 12, 6)
	var metrics, prog bytes.Buffer
	cfg := trainer.Config{Epochs: 3, BatchSize: 20, Seed: 1, ValSplit: 0.25, Metrics: &metrics, Progress: &prog}
	_, res, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&metrics)
	n := 0
	for sc.Scan() {
		n++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		for _, k := range []string{"epoch", "loss", "recon_loss", "val_loss", "seconds", "samples_per_s"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", n, k, sc.Text())
			}
		}
		if m["epoch"].(float64) != float64(n) {
			t.Errorf("line %d has epoch %v", n, m["epoch"])
		}
		if got := m["loss"].(float64); math.Abs(got-res.History[n-1].Loss) > 1e-12 {
			t.Errorf("line %d loss %v, result %v", n, got, res.History[n-1].Loss)
		}
	}
	if n != 3 {
		t.Errorf("got %d metrics lines, want 3", n)
	}
	if got := strings.Count(prog.String(), "\n"); got != 3 || strings.Contains(prog.String(), "\r") {
		t.Errorf("non-terminal progress should be 3 plain lines, got %q", prog.String())
	}
}

func TestRegulariserReportedSeparately(t *testing.T) {
	ds := manifold(100, 12, 6)
	cfg := trainer.Config{Epochs: 2, BatchSize: 20, Seed: 1}
	_, res, err := trainer.Train(context.Background(), models.NewSparseL1(12, 3, 0.5), ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range res.History {
		if em.RegLoss <= 0 || math.Abs(em.Loss-(em.ReconLoss+em.RegLoss)) > 1e-9 {
			t.Errorf("epoch %d: loss %g, recon %g, reg %g", em.Epoch, em.Loss, em.ReconLoss, em.RegLoss)
		}
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
	if !errors.Is(err, trainer.ErrNonFinite) {
		t.Fatalf("got %v, want ErrNonFinite", err)
	}
	if !strings.Contains(err.Error(), "checkpoint.latent") {
		t.Errorf("error does not name the last good checkpoint: %v", err)
	}
	for _, p := range m.Params() {
		for _, v := range p.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("model returned with non-finite weight in %s", p.Name)
			}
		}
	}
	if _, _, err := trainer.LoadCheckpoint(filepath.Join(dir, "checkpoint.latent")); err != nil {
		t.Errorf("last good checkpoint unreadable: %v", err)
	}
}

func TestCancel(t *testing.T) {
	ds := manifold(100, 12, 7)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := trainer.Config{Epochs: 100, BatchSize: 10, Seed: 1, OnEpoch: func(trainer.EpochMetrics) error { cancel(); return nil }}
	_, res, err := trainer.Train(ctx, models.NewUndercomplete(12, 3), ds, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if res.Epochs != 1 {
		t.Errorf("ran %d epochs after cancellation in epoch 1", res.Epochs)
	}
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	train := manifold(60, 12, 8)
	val := manifold(60, 12, 9)
	cfg := trainer.Config{Epochs: 40, BatchSize: 10, LR: 0.3, Seed: 1, Val: val, EarlyStopping: 2,
		Optimizer: trainer.OptimizerConfig{Name: "momentum", Momentum: 0.95}}
	m, res, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly {
		t.Skip("validation loss kept improving for 40 epochs; nothing to restore")
	}
	best := math.Inf(1)
	for _, em := range res.History {
		best = math.Min(best, *em.ValLoss)
	}
	rec, _ := m.Reconstruct(val.X, val.N)
	// Validation loss is MSE in scaled units; recompute it in those units.
	sc, _ := data.Fit(data.MinMax, train)
	a, b := make([]float32, len(rec)), make([]float32, len(rec))
	sc.Transform(a, rec)
	sc.Transform(b, val.X)
	if got := mse(a, b); math.Abs(got-best) > 1e-5*math.Max(best, 1) {
		t.Errorf("restored model val loss %g, best epoch's %g (epoch %d of %d)", got, best, res.BestEpoch, res.Epochs)
	}
}

func TestCheckpointRoundTripAndCorruption(t *testing.T) {
	ds := manifold(50, 12, 3)
	spec := models.NewKSparse(12, 6, 2)
	spec.Tied = true
	m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.latent")
	if err := trainer.SaveCheckpoint(path, m, nil); err != nil {
		t.Fatal(err)
	}
	got, st, err := trainer.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if st != nil {
		t.Error("model-only checkpoint returned a training state")
	}
	sameParams(t, "round trip", params(m), params(got))
	a, _ := m.Encode(ds.X, ds.N)
	b, _ := got.Encode(ds.X, ds.N)
	sameParams(t, "codes", [][]float32{a}, [][]float32{b})
	for r := 0; r < ds.N; r++ {
		nz := 0
		for _, v := range a[r*6 : (r+1)*6] {
			if v != 0 {
				nz++
			}
		}
		if nz > 2 {
			t.Fatalf("k-sparse code row %d has %d non-zeros, want <= 2", r, nz)
		}
	}
	enc, dec := got.Encoder(), got.Decoder()
	if len(enc) != 1 || len(dec) != 1 || enc[0].K != 2 || !dec[0].Tied || dec[0].TiedTo != 0 {
		t.Fatalf("layer views: enc %+v dec tied=%v to %d", enc[0].K, dec[0].Tied, dec[0].TiedTo)
	}
	// The tied decoder's W is the transpose of the encoder's.
	for o := 0; o < dec[0].Out; o++ {
		for i := 0; i < dec[0].In; i++ {
			if dec[0].W[o*dec[0].In+i] != enc[0].W[i*enc[0].In+o] {
				t.Fatalf("tied W[%d,%d] is not the encoder's transpose", o, i)
			}
		}
	}

	raw, _ := os.ReadFile(path)
	for _, pos := range []int{3, len(raw) / 2, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[pos] ^= 0x40
		os.WriteFile(path, bad, 0o644)
		if _, _, err := trainer.LoadCheckpoint(path); err == nil {
			t.Errorf("corrupt byte %d: load succeeded", pos)
		}
	}
	os.WriteFile(path, raw[:len(raw)-10], 0o644)
	if _, _, err := trainer.LoadCheckpoint(path); !errors.Is(err, trainer.ErrChecksum) {
		t.Errorf("truncated file: got %v, want ErrChecksum", err)
	}
}

func TestLiveProgress(t *testing.T) {
	var prog bytes.Buffer
	cfg := trainer.Config{Epochs: 2, BatchSize: 10, Seed: 1, Progress: &prog, Live: true}
	if _, _, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), manifold(100, 12, 1), cfg); err != nil {
		t.Fatal(err)
	}
	out := prog.String()
	for _, want := range []string{"\repoch 1/2 [", "ETA", "\r\033[Kepoch 2/2 loss"} {
		if !strings.Contains(out, want) {
			t.Errorf("live progress lacks %q: %q", want, out)
		}
	}
}
