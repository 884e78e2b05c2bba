package export_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/trainer"
)

func TestSummaryForCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "model.latent")
	// Nothing known.
	if s, err := export.SummaryForCheckpoint(ckpt, nil); err != nil || s != nil {
		t.Fatalf("empty folder: %+v, %v", s, err)
	}
	// metrics.jsonl: the last line's losses, epochs from the state.
	metrics := `{"epoch":1,"loss":0.5,"recon_loss":0.4,"reg_loss":0.1,"lr":0.01,"seconds":1,"samples_per_s":10}
{"epoch":2,"loss":0.25,"recon_loss":0.2,"reg_loss":0.05,"val_loss":0.3,"lr":0.01,"seconds":1,"samples_per_s":10}
`
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(metrics), 0o644)
	s, err := export.SummaryForCheckpoint(ckpt, &trainer.TrainState{Epoch: 2, BestEpoch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.Epochs != 2 || s.BestEpoch != 2 || s.FinalLoss != 0.25 || s.FinalReconLoss != 0.2 || s.FinalValLoss == nil || *s.FinalValLoss != 0.3 || s.DataShape != nil {
		t.Errorf("from metrics: %+v", s)
	}
	// training.json wins.
	if err := export.SaveSummary(filepath.Join(dir, export.SummaryFile), export.Summary{Epochs: 7, FinalLoss: 1, DataShape: []int{10, 3}}); err != nil {
		t.Fatal(err)
	}
	s, err = export.SummaryForCheckpoint(ckpt, nil)
	if err != nil || s.Epochs != 7 || len(s.DataShape) != 2 {
		t.Errorf("from training.json: %+v, %v", s, err)
	}
	// Malformed files are named.
	os.WriteFile(filepath.Join(dir, export.SummaryFile), []byte("{"), 0o644)
	if _, err := export.SummaryForCheckpoint(ckpt, nil); err == nil || !strings.Contains(err.Error(), export.SummaryFile) {
		t.Errorf("bad training.json: err = %v", err)
	}
	os.Remove(filepath.Join(dir, export.SummaryFile))
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("{\"epoch\":1}\nnot json\n"), 0o644)
	if _, err := export.SummaryForCheckpoint(ckpt, nil); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad metrics.jsonl: err = %v", err)
	}
}
