package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/internal/atomicfile"
)

// Replacing a file: readers see the old contents until the new ones are
// complete and on disk.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.json")
	if err := atomicfile.Write(path, []byte(`{"epochs": 3}`)); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Println(string(b))
	// Output: {"epochs": 3}
}

// Streaming output that is only kept if it all succeeds.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "codes.csv")
	f, err := atomicfile.Create(path)
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(f, "0.25,0.5")
	if err := f.Commit(); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: 0.25,0.5
}
