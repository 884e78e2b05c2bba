package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-ml/latent/runtime/verify"
)

// TestRegenerateMatchesCommitted regenerates one kind and compares it with
// the committed golden files: identical inputs, and outputs within the
// golden tolerance (the trainer's Gemm kernels depend on the CPU).
func TestRegenerateMatchesCommitted(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-golden", dir, "-only", "k-sparse"}, &out, &errb); err != nil {
		t.Fatalf("mkexports: %v\n%s", err, errb.String())
	}
	committed := filepath.Join("..", "..", "testdata", "golden")
	for _, name := range []string{"ae-k-sparse", "ae-k-sparse-encoder", "ae-k-sparse-decoder"} {
		sets, err := verify.DataSets(filepath.Join(dir, name))
		if err != nil || len(sets) != 2 {
			t.Fatalf("%s: data sets %v, %v", name, sets, err)
		}
		for _, set := range sets {
			rel := filepath.Base(set)
			for _, prefix := range []string{"input", "output"} {
				got, err := verify.ReadTensors(set, prefix)
				if err != nil {
					t.Fatal(err)
				}
				want, err := verify.ReadTensors(filepath.Join(committed, name, rel), prefix)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || len(want) != 1 {
					t.Fatalf("%s/%s %s: %d and %d tensors", name, rel, prefix, len(got), len(want))
				}
				if r := verify.CompareTensors(prefix, got[0], want[0], 1e-5, 0); !r.Pass {
					t.Errorf("%s/%s %s differs from the committed file: %+v", name, rel, prefix, r)
				}
			}
		}
	}
}

func TestFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-golden", t.TempDir(), "-only", "nope"}, &out, &errb); err == nil || !strings.Contains(err.Error(), `"nope" is not a model kind`) {
		t.Errorf("-only nope: err = %v", err)
	}
	if err := run(context.Background(), []string{"-golden", t.TempDir(), "-opset", "9", "-only", "deep"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "opset 9") {
		t.Errorf("-opset 9: err = %v", err)
	}
	if err := run(context.Background(), []string{"extra"}, &out, &errb); err == nil {
		t.Error("positional argument: no error")
	}
}
