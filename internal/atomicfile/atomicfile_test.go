package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leftovers lists the files in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	keep := map[string]bool{}
	for _, w := range want {
		keep[w] = true
	}
	var extra []string
	for _, e := range es {
		if !keep[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestWriteReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, Write(path, []byte("new contents")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new contents", string(b))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	assert.Empty(t, leftovers(t, dir, "model.onnx"), "temporary files left")
}

func TestAbortKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("half a line"))
	require.NoError(t, err)
	f.Abort()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(b), "after Abort the file must hold the old contents")
	assert.Empty(t, leftovers(t, dir, "out.csv"), "temporary files left")
}

func TestWriteErrorsLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	// The target is a directory: the rename fails, the temporary goes.
	target := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "x"), nil, 0o644))
	assert.Error(t, Write(target, []byte("data")), "writing over a non-empty directory")
	assert.Empty(t, leftovers(t, dir, "sub"), "temporary files left")
	// A missing directory fails at Create.
	assert.Error(t, Write(filepath.Join(dir, "missing", "f"), nil), "writing into a missing directory")
}
