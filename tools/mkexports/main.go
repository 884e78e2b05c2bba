// Command mkexports writes the golden vectors of latent's exported
// autoencoders: for every trainer kind it trains a tiny model
// deterministically, exports it (model, encoder, decoder; generate for
// VAEs) and records the trainer's own forward outputs (see package
// internal/golden):
//
//	go run ./tools/mkexports            # every kind into testdata/golden
//	go run ./tools/mkexports -only k-sparse
//	go run ./tools/mkexports -golden /tmp/x -opset 21   # other opsets, for checkers
//
// The results are checked by runtime's TestGolden (native and ONNX Runtime
// against the trainer) and by export's tests. The command trains and
// records with the portable Go kernels (it re-runs itself with
// LATENT_ISA=go): the vector kernels round differently on each instruction
// set, and the goldens must be the same bytes on every amd64 machine, which
// tools/test.d/generate.sh checks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/internal/golden"
	"github.com/latent-ml/latent/models"
)

func main() {
	if os.Getenv("LATENT_ISA") != "go" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "LATENT_ISA=go")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				os.Exit(exit.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "mkexports: re-run with LATENT_ISA=go:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkexports:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkexports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("golden", filepath.Join("testdata", "golden"), "golden folder")
	only := fs.String("only", "", "regenerate only this kind")
	opset := fs.Int64("opset", export.DefaultOpset, "ONNX opset of the exports (the committed goldens use the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	done := 0
	for _, kind := range models.AllKinds() {
		if *only != "" && string(kind) != *only {
			continue
		}
		c, err := golden.Train(ctx, kind)
		if err != nil {
			return err
		}
		if err := golden.Write(ctx, *dir, c, *opset); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		var dirs []string
		for _, part := range golden.Parts(kind) {
			dirs = append(dirs, golden.Dir(kind, part))
		}
		fmt.Fprintf(stdout, "%s: %s\n", kind, strings.Join(dirs, ", "))
		done++
	}
	if done == 0 {
		return fmt.Errorf("-only %q is not a model kind", *only)
	}
	return nil
}
