package trainer_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cancelling training (what SIGINT/SIGTERM do in the CLI) between epochs
// writes a final checkpoint even without --checkpoint-every, and resuming
// from it reproduces the uninterrupted run bit for bit.
func TestInterruptWritesFinalCheckpointAndResumes(t *testing.T) {
	ds := manifold(200, 12, 21)
	spec := resumeSpec()
	cfgFor := func(dir string) trainer.Config {
		c := resumeConfig(dir)
		c.CheckpointEvery = 0
		return c
	}
	full, _, err := trainer.Train(context.Background(), spec, ds, cfgFor(t.TempDir()))
	require.NoError(t, err)

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := cfgFor(dir)
	cfg.OnEpoch = func(em trainer.EpochMetrics) error {
		if em.Epoch == 2 {
			cancel()
		}
		return nil
	}
	_, res, err := trainer.Train(ctx, spec, ds, cfg)
	require.ErrorIs(t, err, context.Canceled, "interrupted run: got %v, want context.Canceled", err)
	ckpt := filepath.Join(dir, "checkpoint.latent")
	require.Contains(t, err.Error(), ckpt, "error does not tell where the final checkpoint is: %v", err)
	assert.Contains(t, err.Error(), "--resume", "error does not tell where the final checkpoint is: %v", err)
	assert.Equal(t, ckpt, res.Checkpoint, "Result.Checkpoint = %q, want %q", res.Checkpoint, ckpt)
	_, st, err := trainer.LoadCheckpoint(ckpt)
	require.NoError(t, err, "final checkpoint unreadable")
	require.NotNil(t, st, "final checkpoint state %+v, want 2 complete epochs", st)
	require.EqualValues(t, 2, st.Epoch, "final checkpoint state %+v, want 2 complete epochs", st)
	assertNoTempFiles(t, dir)

	cfg = cfgFor(dir)
	cfg.Resume = ckpt
	resumed, res, err := trainer.Train(context.Background(), models.Spec{}, ds, cfg)
	require.NoError(t, err, "resume")
	require.EqualValues(t, 6, res.Epochs, "resumed run covered epochs %d..%d, want 3..6", res.History[0].Epoch, res.Epochs)
	assert.EqualValues(t, 3, res.History[0].Epoch, "resumed run covered epochs %d..%d, want 3..6", res.History[0].Epoch, res.Epochs)
	sameParams(t, "interrupted+resumed vs uninterrupted", params(full), params(resumed))
}

// Cancelling in the middle of an epoch keeps the weights reached so far in
// the final checkpoint; resuming re-runs that epoch and finishes.
func TestInterruptMidEpochResumes(t *testing.T) {
	ds := manifold(400, 12, 22)
	dir := t.TempDir()
	// The trainer checks ctx once before each epoch and before each
	// mini-batch: the 5th check is epoch 1's 4th batch.
	ctx := &countdownCtx{Context: context.Background(), n: 5}
	cfg := trainer.Config{Epochs: 4, BatchSize: 10, LR: 1e-2, Seed: 3, OutDir: dir}
	m, _, err := trainer.Train(ctx, models.NewUndercomplete(12, 3), ds, cfg)
	require.ErrorIs(t, err, context.Canceled, "got %v, want context.Canceled", err)
	assert.Contains(t, err.Error(), "in epoch 1", "cancellation was meant to land inside epoch 1: %v", err)
	got, st, err := trainer.LoadCheckpoint(filepath.Join(dir, "checkpoint.latent"))
	require.NoError(t, err)
	assert.EqualValues(t, 0, st.Epoch, "checkpoint counts %d complete epochs, want 0", st.Epoch)
	sameParams(t, "checkpoint vs model at interruption", params(m), params(got))
	cfg = trainer.Config{Epochs: 4, BatchSize: 10, LR: 1e-2, OutDir: dir, Resume: filepath.Join(dir, "checkpoint.latent")}
	_, res, err := trainer.Train(context.Background(), models.Spec{}, ds, cfg)
	require.NoError(t, err, "resume")
	require.EqualValues(t, 4, res.Epochs, "resumed run: %d epochs, %d history lines; want 4 and 4", res.Epochs, len(res.History))
	assert.Len(t, res.History, 4, "resumed run: %d epochs, %d history lines; want 4 and 4", res.Epochs, len(res.History))
}

// countdownCtx reports cancellation from its n-th Err call on: a
// deterministic stand-in for a signal arriving mid-epoch.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n > 0 {
		c.n--
	}
	if c.n == 0 {
		return context.Canceled
	}
	return nil
}

// A checkpoint that fails its checksum is refused by --resume.
func TestResumeRefusesCorruptCheckpoint(t *testing.T) {
	ds := manifold(60, 12, 23)
	dir := t.TempDir()
	cfg := trainer.Config{Epochs: 1, BatchSize: 10, Seed: 1, OutDir: dir, CheckpointEvery: 1}
	_, _, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), ds, cfg)
	require.NoError(t, err)
	ckpt := filepath.Join(dir, "checkpoint.latent")
	raw, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 1 // one flipped bit in the weights
	require.NoError(t, os.WriteFile(ckpt, raw, 0o644))
	cfg = trainer.Config{Epochs: 2, BatchSize: 10, OutDir: t.TempDir(), Resume: ckpt}
	_, _, err = trainer.Train(context.Background(), models.Spec{}, ds, cfg)
	require.ErrorIs(t, err, trainer.ErrChecksum, "got %v, want ErrChecksum naming %s", err, ckpt)
	require.Contains(t, err.Error(), ckpt, "got %v, want ErrChecksum naming %s", err, ckpt)
}

// A folder that cannot be written (permissions) fails with an error naming
// the file, and the files already there are left intact.
func TestCheckpointReadOnlyFolderKeepsPreviousFiles(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: directory permissions do not stop root's writes (TestCheckpointDiskFullKeepsPreviousFiles covers write failures)")
	}
	dir, m := trainedDir(t)
	before := snapshot(t, dir)
	require.NoError(t, os.Chmod(dir, 0o555))
	defer os.Chmod(dir, 0o755)
	err := trainer.SaveCheckpoint(filepath.Join(dir, "model.latent"), m, nil)
	require.ErrorContains(t, err, "model.latent")
	require.NoError(t, os.Chmod(dir, 0o755))
	after := snapshot(t, dir)
	assert.True(t, sameSnapshot(before, after), "files changed by a failed write: before %v, after %v", keys(before), keys(after))
}

// A write that fails part-way (the disk fills up: simulated with
// RLIMIT_FSIZE in a child process, so writes past the limit fail with
// EFBIG) leaves the previous checkpoint intact and no temporary file.
func TestCheckpointDiskFullKeepsPreviousFiles(t *testing.T) {
	if os.Getenv("LATENT_DISKFULL_CHILD") != "" {
		diskFullChild()
		return
	}
	dir, _ := trainedDir(t)
	before := snapshot(t, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointDiskFullKeepsPreviousFiles$")
	cmd.Env = append(os.Environ(), "LATENT_DISKFULL_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %v\n%s", err, out)
	require.Contains(t, string(out), "SAVE ERROR: save checkpoint "+filepath.Join(dir, "model.latent"), "the child reports the failed write")
	require.Contains(t, string(out), "file too large", "the child reports why the write failed")
	after := snapshot(t, dir)
	assert.True(t, sameSnapshot(before, after), "files changed by a failed write: before %v, after %v", keys(before), keys(after))
	_, _, err = trainer.LoadCheckpoint(filepath.Join(dir, "model.latent"))
	assert.NoError(t, err, "previous model unreadable after the failed write")
}

// diskFullChild runs in the child process: it trains a model bigger than
// the file-size limit and tries to overwrite DIR/model.latent with it.
func diskFullChild() {
	dir := os.Getenv("LATENT_DISKFULL_CHILD")
	ds := manifold(50, 64, 1)
	spec := models.NewDeep(64, []int{64}, 8)
	m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, BatchSize: 10, Seed: 9})
	if err != nil {
		fmt.Println("TRAIN ERROR:", err)
		return
	}
	lim := syscall.Rlimit{Cur: 4096, Max: 4096}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Println("SETRLIMIT ERROR:", err)
		return
	}
	err = trainer.SaveCheckpoint(filepath.Join(dir, "model.latent"), m, nil)
	fmt.Printf("SAVE ERROR: %v\n", err)
}

// trainedDir trains a small model into a fresh folder (model.latent and
// checkpoint.latent) and returns the folder and the model.
func trainedDir(t *testing.T) (string, *trainer.Model) {
	t.Helper()
	dir := t.TempDir()
	cfg := trainer.Config{Epochs: 1, BatchSize: 10, Seed: 1, OutDir: dir, CheckpointEvery: 1}
	m, _, err := trainer.Train(context.Background(), models.NewUndercomplete(12, 3), manifold(40, 12, 5), cfg)
	require.NoError(t, err)
	return dir, m
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	s := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		s[e.Name()] = b
	}
	return s
}

func sameSnapshot(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file %s left behind", e.Name())
	}
}

// Training on data that makes the loss diverge stops with ErrNonFinite
// and never returns non-finite weights (divergence detection).
func TestDivergenceDetected(t *testing.T) {
	ds := manifold(50, 12, 24)
	for i := range ds.X {
		ds.X[i] *= 1e30 // finite, but the gradients overflow float32
	}
	spec := models.NewUndercomplete(12, 3)
	spec.OutputActivation = models.Identity
	cfg := trainer.Config{Epochs: 3, BatchSize: 10, Seed: 1, Scaling: "none", LR: 1,
		Optimizer: trainer.OptimizerConfig{Name: "sgd"}}
	m, _, err := trainer.Train(context.Background(), spec, ds, cfg)
	require.ErrorIs(t, err, trainer.ErrNonFinite, "got %v, want ErrNonFinite", err)
	for _, p := range m.Params() {
		for _, v := range p.Data {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "non-finite weight %v in %s after divergence", v, p.Name)
		}
	}
}
