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
ONNX backend-test layout; a DIR holding test_data_set_N folders checks each
set) or, without --inputs, are seeded random tensors
shaped from the model's declared inputs with symbolic dimensions set to
--batch. ONNX Runtime must be installed: bash tools/install-ort.sh.

examples:
  latent verify model.onnx
  latent verify model.onnx --batch 8 --seed 3 --atol 1e-4
  latent verify testdata/golden/vae/model.onnx --inputs testdata/golden/vae/test_data_set_0
  latent verify testdata/golden/vae/model.onnx --inputs testdata/golden/vae`

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", verifyUsage, stderr)
	inputs := fs.String("inputs", "", "folder with input_K.pb files or test_data_set_N folders (default: seeded random inputs)")
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
		_, err := modelArg(pos, "")
		return err
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
	model, err := resolveModel(pos[0], "model.onnx")
	if err != nil {
		return err
	}
	m, err := graph.DecodeFile(model)
	if err != nil {
		return err
	}
	opts := verify.Options{Atol: *atol, Rtol: *rtol, Batch: *batch, Seed: *seed, Threads: *threads, Candidate: *candidate, Reference: *reference}
	// Each element of runs is one input set (nil: random inputs).
	runs := [][]*ops.Tensor{nil}
	labels := []string{model}
	if *inputs != "" {
		runs, labels, err = verifyInputSets(*inputs, model)
		if err != nil {
			return err
		}
	}
	pass := true
	for i, in := range runs {
		rep, err := verify.CompareModel(ctx, m, in, opts)
		if err != nil {
			return fmt.Errorf("verify %s: %w", labels[i], err)
		}
		rep.Model = labels[i]
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
		pass = pass && rep.Pass
	}
	if !pass {
		return errVerifyFailed
	}
	return nil
}

// verifyInputSets reads dir/input_K.pb, or, when dir holds none, every
// dir/test_data_set_N/input_K.pb.
func verifyInputSets(dir, model string) ([][]*ops.Tensor, []string, error) {
	in, err := verify.ReadTensors(dir, "input")
	if err != nil {
		return nil, nil, err
	}
	if len(in) > 0 {
		return [][]*ops.Tensor{in}, []string{model}, nil
	}
	sets, err := verify.DataSets(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(sets) == 0 {
		return nil, nil, fmt.Errorf("no input_0.pb and no test_data_set_N folder in %s", dir)
	}
	var runs [][]*ops.Tensor
	var labels []string
	for _, set := range sets {
		in, err := verify.ReadTensors(set, "input")
		if err != nil {
			return nil, nil, err
		}
		if len(in) == 0 {
			return nil, nil, fmt.Errorf("no input_0.pb in %s", set)
		}
		runs = append(runs, in)
		labels = append(labels, model+" with "+set)
	}
	return runs, labels, nil
}
