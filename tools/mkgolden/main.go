// Command mkgolden writes latent's golden vectors: for every model under
// testdata/golden/<name>/model.onnx it generates seeded random inputs,
// runs them on ONNX Runtime (the reference) and writes
// test_data_set_N/input_K.pb and output_K.pb beside the model, in the ONNX
// backend-test layout.
//
// Models come from two places: the models the project ships
// (testdata/models/<name>.onnx or testdata/models/<name>/model.onnx, copied
// to testdata/golden/<name>/model.onnx)
// and the independent models built by tools/mkgolden/models.py. The usual
// regeneration is
//
//	bash tools/install-ort.sh
//	python3 tools/mkgolden/models.py
//	go run ./tools/mkgolden
//
// Data set N uses batch size Batches[N] and seed Seed+N, so reruns write
// identical files.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/latent-ml/latent/runtime/verify"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkgolden:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkgolden", flag.ContinueOnError)
	fs.SetOutput(stderr)
	golden := fs.String("golden", filepath.Join("testdata", "golden"), "golden folder (one sub-folder per model)")
	models := fs.String("models", filepath.Join("testdata", "models"), "folder of shipped *.onnx models to include (skipped if missing)")
	batches := fs.String("batches", "1,3", "batch size of each data set, comma separated")
	seed := fs.Uint64("seed", 1, "seed of data set 0 (set N uses seed+N)")
	only := fs.String("only", "", "regenerate only this model name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var sizes []int
	for _, s := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-batches: %q is not a positive integer", s)
		}
		sizes = append(sizes, n)
	}
	if err := ort.Available(); err != nil {
		return err
	}
	if err := importShipped(*models, *golden, stdout); err != nil {
		return err
	}
	names, err := modelNames(*golden)
	if err != nil {
		return err
	}
	for _, name := range names {
		if *only != "" && name != *only {
			continue
		}
		if err := generate(ctx, filepath.Join(*golden, name), sizes, *seed); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "%s: %d data set(s)\n", name, len(sizes))
	}
	return nil
}

// importShipped copies models/<name>.onnx and models/<name>/model.onnx to
// golden/<name>/model.onnx when new or changed.
func importShipped(models, golden string, stdout io.Writer) error {
	flat, err := filepath.Glob(filepath.Join(models, "*.onnx"))
	if err != nil {
		return err
	}
	nested, err := filepath.Glob(filepath.Join(models, "*", "model.onnx"))
	if err != nil {
		return err
	}
	for _, p := range append(flat, nested...) {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("import %s: %w", p, err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".onnx")
		if name == "model" {
			name = filepath.Base(filepath.Dir(p))
		}
		dst := filepath.Join(golden, name, "model.onnx")
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("import %s: %w", p, err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("import %s: %w", p, err)
		}
		fmt.Fprintf(stdout, "imported %s -> %s\n", p, dst)
	}
	return nil
}

// modelNames lists the folders of golden that hold a model.onnx.
func modelNames(golden string) ([]string, error) {
	ents, err := os.ReadDir(golden)
	if err != nil {
		return nil, fmt.Errorf("list golden models: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			// Folders with a GENERATOR file hold another generator's
			// expected outputs (tools/mkexports: the trainer's); keep them.
			if _, err := os.Stat(filepath.Join(golden, e.Name(), "GENERATOR")); err == nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(golden, e.Name(), "model.onnx")); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, errors.New("no golden models found (run python3 tools/mkgolden/models.py first)")
	}
	return out, nil
}

// generate replaces dir's data sets with fresh ones computed by ONNX
// Runtime with its graph optimisations off (the operators as specified).
func generate(ctx context.Context, dir string, batches []int, seed uint64) error {
	m, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	old, err := verify.DataSets(dir)
	if err != nil {
		return err
	}
	for _, d := range old {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	var inNames, outNames []string
	for _, v := range m.Graph.Inputs {
		inNames = append(inNames, v.Name)
	}
	for _, v := range m.Graph.Outputs {
		outNames = append(outNames, v.Name)
	}
	for n, batch := range batches {
		inputs, err := verify.RandomInputs(m.Graph.Inputs, batch, seed+uint64(n))
		if err != nil {
			return err
		}
		outputs, err := verify.RunBackend(ctx, "ort", m, runtime.Config{IntraOpThreads: 1, Seed: seed + uint64(n)}, inputs)
		if err != nil {
			return err
		}
		set := filepath.Join(dir, fmt.Sprintf("test_data_set_%d", n))
		if err := verify.WriteDataSet(set, inNames, inputs, outNames, outputs); err != nil {
			return err
		}
	}
	return nil
}
