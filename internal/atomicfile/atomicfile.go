// Package atomicfile writes files so that readers see either the old
// contents or the complete new ones, never a half-written file: data goes
// to a temporary file beside the target, is flushed to disk, and is
// renamed over the target, whose directory is then synced so the rename
// survives a crash. Checkpoints, exported models, golden tensors and the
// CLI's outputs all go through it.
package atomicfile

import (
	"bufio"
	"os"
	"path/filepath"
)

// Write replaces the file at path with b (mode 0644). On error the target
// is untouched and the temporary file is removed. Errors come from the os
// package and name the file they concern.
func Write(path string, b []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// File is a pending replacement of a file: written through Write (buffered)
// and put in place by Commit, or dropped by Abort.
type File struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// Create starts a replacement of path: a hidden temporary file in the same
// directory (so the final rename stays within one file system).
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Write buffers p for the temporary file.
func (a *File) Write(p []byte) (int, error) { return a.w.Write(p) }

// Commit flushes, syncs and closes the temporary file, makes it mode 0644,
// renames it over the target and syncs the directory. On error the target
// is untouched and the temporary file is removed.
func (a *File) Commit() error {
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(a.f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return err
	}
	// A failed directory sync leaves the new file in place: report
	// nothing, as the write itself succeeded.
	if d, derr := os.Open(filepath.Dir(a.path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort drops the replacement: the temporary file is closed and removed
// and the target keeps its old contents.
func (a *File) Abort() {
	a.f.Close()
	os.Remove(a.f.Name())
}
