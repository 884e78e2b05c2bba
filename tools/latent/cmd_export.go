package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

func init() {
	register(&command{
		name:    "export",
		summary: "export a trained checkpoint to ONNX (model.onnx, encoder.onnx, decoder.onnx)",
		run:     cmdExport,
	})
}

const exportUsage = `usage: latent export CHECKPOINT [--out DIR] [--opset 17] [--threshold T]

Writes DIR/model.onnx (input → reconstruction), DIR/encoder.onnx
(input → code) and DIR/decoder.onnx (code → reconstruction) for a
checkpoint written by latent train (DIR/model.latent or
checkpoint.latent). Inputs and reconstructions are in raw data units: the
input scaling is inside the graphs and repeated in the latent.* metadata.
The batch dimension is symbolic ("batch"). Each file is written to a
temporary file and renamed, so no half-written model is ever visible.

DIR defaults to the checkpoint's folder (the run folder latent train
wrote), replacing its ONNX files. The training summary (latent.training)
comes from training.json or metrics.jsonl beside the checkpoint when
present. --threshold records a calibrated anomaly threshold
(latent.threshold); without it, the threshold latent calibrate wrote into
the model.onnx being replaced is kept.

examples:
  latent export runs/mnist --opset 13
  latent export runs/mnist/model.latent --out runs/mnist/onnx
  latent export runs/mnist/model.latent --out onnx13 --opset 13`

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", exportUsage, stderr)
	out := fs.String("out", "", "output folder (default: the checkpoint's folder)")
	opset := fs.Int64("opset", export.DefaultOpset, fmt.Sprintf("ONNX opset, %d to %d", export.MinOpset, export.MaxOpset))
	threshold := fs.Float64("threshold", math.NaN(), "calibrated anomaly threshold to record (default: none)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		return usagef("missing CHECKPOINT argument (a model.latent file or the run folder latent train wrote)")
	case 1:
	default:
		return usagef("want one CHECKPOINT argument, got %d: %q", len(pos), pos)
	}
	if *opset < export.MinOpset || *opset > export.MaxOpset {
		return usagef("--opset %d not supported (want %d to %d)", *opset, export.MinOpset, export.MaxOpset)
	}
	opts := export.Options{Opset: *opset}
	if !math.IsNaN(*threshold) {
		if math.IsInf(*threshold, 0) {
			return usagef("--threshold must be finite, got %g", *threshold)
		}
		opts.Threshold = threshold
	}
	ckpt, err := resolveModel(pos[0], "model.latent")
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Dir(ckpt)
	}
	kept := keepThreshold(&opts, *out)
	m, st, err := trainer.LoadCheckpoint(ckpt)
	if err != nil {
		return err
	}
	if opts.Training, err = export.SummaryForCheckpoint(ckpt, st); err != nil {
		return err
	}
	p, err := export.Write(ctx, *out, m, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %s %v (opset %d)\nmodel:   %s\nencoder: %s\ndecoder: %s\n",
		m.Spec.Kind, m.Spec.Sizes(), *opset, p.Model, p.Encoder, p.Decoder)
	if p.Generate != "" {
		fmt.Fprintf(stdout, "generate: %s\n", p.Generate)
	}
	if kept {
		fmt.Fprintf(stdout, "kept latent.threshold=%s from the model.onnx it replaced (--threshold sets another)\n",
			metadata.FormatThreshold(*opts.Threshold))
	}
	return nil
}

// keepThreshold carries the calibrated threshold of the model.onnx an
// export is about to replace into the new one, unless --threshold gave
// one: re-exporting a run folder must not lose latent calibrate's work. A
// file that is not a readable latent export has no threshold to keep.
func keepThreshold(opts *export.Options, dir string) bool {
	if opts.Threshold != nil {
		return false
	}
	gm, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return false
	}
	v, ok := gm.MetadataValue(metadata.KeyThreshold)
	if !ok {
		return false
	}
	t, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(t, 0) || math.IsNaN(t) {
		return false
	}
	opts.Threshold = &t
	return true
}
