package export_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/trainer"
)

func TestSummaryForCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "model.latent")
	// Nothing known.
	s, err := export.SummaryForCheckpoint(ckpt, nil)
	require.NoError(t, err)
	assert.Nil(t, s, "empty folder")
	// metrics.jsonl: the last line's losses, epochs from the state.
	metrics := `{"epoch":1,"loss":0.5,"recon_loss":0.4,"reg_loss":0.1,"lr":0.01,"seconds":1,"samples_per_s":10}
{"epoch":2,"loss":0.25,"recon_loss":0.2,"reg_loss":0.05,"val_loss":0.3,"lr":0.01,"seconds":1,"samples_per_s":10}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(metrics), 0o644))
	s, err = export.SummaryForCheckpoint(ckpt, &trainer.TrainState{Epoch: 2, BestEpoch: 2})
	require.NoError(t, err)
	val := 0.3
	assert.Equal(t, &metadata.Summary{Epochs: 2, BestEpoch: 2, FinalLoss: 0.25, FinalReconLoss: 0.2, FinalValLoss: &val}, s, "from metrics")
	// training.json wins.
	require.NoError(t, export.SaveSummary(filepath.Join(dir, export.SummaryFile), metadata.Summary{Epochs: 7, FinalLoss: 1, DataShape: []int{10, 3}}))
	s, err = export.SummaryForCheckpoint(ckpt, nil)
	require.NoError(t, err)
	assert.Equal(t, &metadata.Summary{Epochs: 7, FinalLoss: 1, DataShape: []int{10, 3}}, s, "from training.json")
	// Malformed files are named.
	require.NoError(t, os.WriteFile(filepath.Join(dir, export.SummaryFile), []byte("{"), 0o644))
	_, err = export.SummaryForCheckpoint(ckpt, nil)
	assert.ErrorContains(t, err, export.SummaryFile, "bad training.json")
	require.NoError(t, os.Remove(filepath.Join(dir, export.SummaryFile)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("{\"epoch\":1}\nnot json\n"), 0o644))
	_, err = export.SummaryForCheckpoint(ckpt, nil)
	assert.ErrorContains(t, err, "line 2", "bad metrics.jsonl")
}
