package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/trainer"
)

// SummaryFile is the training summary `latent train` leaves beside the
// checkpoint, so that a later export of that checkpoint carries it.
const SummaryFile = "training.json"

// SaveSummary atomically writes s as JSON to path.
func SaveSummary(path string, s metadata.Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save training summary: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return fmt.Errorf("save training summary %s: %w", path, err)
	}
	return nil
}

// SummaryForCheckpoint returns the training summary of the checkpoint at
// path: DIR/training.json when present, else what DIR/metrics.jsonl (the
// last epoch's losses) and the checkpoint's state tell. It returns nil
// when neither exists and st is nil.
func SummaryForCheckpoint(path string, st *trainer.TrainState) (*metadata.Summary, error) {
	dir := filepath.Dir(path)
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err == nil {
		var s metadata.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("training summary %s: %w", filepath.Join(dir, SummaryFile), err)
		}
		return &s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("training summary: %w", err)
	}
	var s metadata.Summary
	found := false
	if st != nil {
		s.Epochs, s.BestEpoch, found = st.Epoch, st.BestEpoch, true
	}
	mp := filepath.Join(dir, "metrics.jsonl")
	f, err := os.Open(mp)
	if errors.Is(err, os.ErrNotExist) {
		if !found {
			return nil, nil
		}
		return &s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("training metrics: %w", err)
	}
	defer f.Close()
	var last *trainer.EpochMetrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e trainer.EpochMetrics
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("training metrics %s line %d: %w", mp, line, err)
		}
		last = &e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("training metrics %s: %w", mp, err)
	}
	if last != nil {
		s.FinalLoss, s.FinalReconLoss, s.FinalValLoss = last.Loss, last.ReconLoss, last.ValLoss
		if st == nil {
			s.Epochs = last.Epoch
		}
		found = true
	}
	if !found {
		return nil, nil
	}
	return &s, nil
}
