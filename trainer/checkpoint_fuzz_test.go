package trainer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/stretchr/testify/require"
)

// withChecksum replaces b's trailing SHA-256 with the right one, so the
// fuzzer reaches the parser behind the checksum (a crafted file can always
// carry a valid checksum).
func withChecksum(b []byte) []byte {
	if len(b) < sha256.Size {
		return b
	}
	out := append([]byte(nil), b...)
	sum := sha256.Sum256(out[:len(out)-sha256.Size])
	copy(out[len(out)-sha256.Size:], sum[:])
	return out
}

// FuzzDecodeCheckpoint: checkpoint bytes (checksum made valid) decode to a
// model or an error, never a panic, and never allocate layers the file
// does not hold weights for; a decoded model re-saves and re-loads.
func FuzzDecodeCheckpoint(f *testing.F) {
	ds := &data.Dataset{N: 4, D: 6, X: make([]float32, 24)}
	for i := range ds.X {
		ds.X[i] = float32(i%5) / 4
	}
	dir := f.TempDir()
	cfg := Config{Epochs: 1, BatchSize: 2, Seed: 1, OutDir: dir, CheckpointEvery: 1, EarlyStopping: 1}
	if _, _, err := Train(context.Background(), models.NewUndercomplete(6, 2), ds, cfg); err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"checkpoint.latent", "model.latent"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// The same file claiming a 2^30-wide input layer.
		f.Add(withChecksum(bytes.Replace(b, []byte(`"input":6`), []byte(`"input":1073741824`), 1)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = withChecksum(b)
		m, _, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		nvals := 0
		if len(b) >= 16 {
			nvals = len(b) / 4
		}
		total := 0
		for _, p := range m.Params() {
			total += len(p.Data)
		}
		require.LessOrEqual(t, total, nvals, "parameters of a model from a %d-byte file", len(b))
		path := filepath.Join(t.TempDir(), "m.latent")
		require.NoError(t, SaveCheckpoint(path, m, nil), "decoded model does not save")
		_, _, err = LoadCheckpoint(path)
		require.NoError(t, err, "saved model does not load")
	})
}

// A checkpoint with a valid checksum whose spec claims a layer far wider
// than its data is refused before the layer is allocated.
func TestCraftedCheckpointSpecRefused(t *testing.T) {
	ds := &data.Dataset{N: 4, D: 6, X: make([]float32, 24)}
	m, _, err := Train(context.Background(), models.NewUndercomplete(6, 2), ds, Config{Epochs: 1, BatchSize: 2, Seed: 1})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.latent")
	require.NoError(t, SaveCheckpoint(path, m, nil))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	hlen := binary.LittleEndian.Uint32(b[12:])
	bad := bytes.Replace(b, []byte(`"input":6`), []byte(`"input":1073741824`), 1)
	binary.LittleEndian.PutUint32(bad[12:], hlen+uint32(len(bad)-len(b)))
	_, _, err = decodeCheckpoint(withChecksum(bad))
	require.ErrorContains(t, err, "needs more weights than the checkpoint's")
}
