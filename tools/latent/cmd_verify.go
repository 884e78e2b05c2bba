package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "run a model on the native backend and on ONNX Runtime and compare outputs",
		run:     runVerify,
	})
}

// errVerifyFailed reports outputs beyond tolerance; the table says which.
var errVerifyFailed = errors.New("outputs differ beyond tolerance")

const verifyUsage = `usage: latent verify MODEL [--inputs DIR] [--atol 1e-5] [--rtol 1e-4] [--batch N] [--seed S]

Runs MODEL on latent's native backend and on ONNX Runtime (the reference)
with the same inputs and prints, per output, the largest absolute and
relative error and the worst element. An element passes when
|native - ort| <= atol + rtol*|ort|; integer and bool outputs must match
exactly. Exits 0 only when every output passes.

Inputs come from DIR/input_0.pb, input_1.pb, ... (serialised TensorProto, the
ONNX backend-test layout) or, without --inputs, are seeded random tensors
shaped from the model's declared inputs with symbolic dimensions set to
--batch. ONNX Runtime must be installed: bash tools/install-ort.sh.

examples:
  latent verify model.onnx
  latent verify model.onnx --batch 8 --seed 3 --atol 1e-4
  latent verify testdata/golden/vae/model.onnx --inputs testdata/golden/vae/test_data_set_0`

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", verifyUsage, stderr)
	inputs := fs.String("inputs", "", "folder with input_K.pb files (default: seeded random inputs)")
	atol := fs.Float64("atol", verify.DefaultAtol, "absolute tolerance")
	rtol := fs.Float64("rtol", verify.DefaultRtol, "relative tolerance")
	batch := fs.Int("batch", 1, "size of symbolic dimensions for random inputs")
	seed := fs.Uint64("seed", 1, "seed for random inputs and random operators")
	threads := fs.Int("threads", 0, "intra-op threads per backend (0: default)")
	candidate := fs.String("candidate", "native", "backend under test")
	reference := fs.String("reference", "ort", "reference backend")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("verify takes exactly one MODEL argument, got %d", len(pos))
	}
	if *atol <= 0 || *rtol < 0 {
		return usagef("--atol must be positive and --rtol non-negative (got %g, %g)", *atol, *rtol)
	}
	if *batch <= 0 {
		return usagef("--batch must be positive, got %d", *batch)
	}
	batchSet := false
	fs.Visit(func(f *flag.Flag) { batchSet = batchSet || f.Name == "batch" })
	if *inputs != "" && batchSet {
		return usagef("--batch applies to random inputs only; drop it or --inputs")
	}
	model := pos[0]
	m, err := graph.DecodeFile(model)
	if err != nil {
		return err
	}
	opts := verify.Options{Atol: *atol, Rtol: *rtol, Batch: *batch, Seed: *seed, Threads: *threads, Candidate: *candidate, Reference: *reference}
	var in []*ops.Tensor // nil: random inputs
	if *inputs != "" {
		in, err = verify.ReadTensors(*inputs, "input")
		if err != nil {
			return err
		}
		if len(in) == 0 {
			return fmt.Errorf("no input_0.pb in %s", *inputs)
		}
	}
	rep, err := verify.CompareModel(ctx, m, in, opts)
	if err != nil {
		return fmt.Errorf("verify %s: %w", model, err)
	}
	rep.Model = model
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if !rep.Pass {
		return errVerifyFailed
	}
	return nil
}
