package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
)

const encodeUsage = `usage: latent encode MODEL [--data PATH|-] [--out PATH] [flags]

Encodes samples into codes with a model's encoder (the compression use):
MODEL is an encoder .onnx or a folder written by latent train / export
(its encoder.onnx is used). Data is read from --data (default: stdin) as
CSV/TSV, JSON lines (one array per line), NPY, IDX (raw or .gz),
MovieLens-style ratings or an ONNX TensorProto .pb, chosen by the
extension unless --format is given; uint8 data (IDX, NPY, .pb) is divided
by 255, as latent train and demo read it. Data plainly on another scale
than the model's training data (latent.input_range), such as raw 0–255
pixels for a model trained on [0,1], is refused unless
--allow-scale-mismatch is given. Codes are written one row per sample to
--out (default: stdout) as CSV, JSON lines or NPY (by extension or
--output-format).

examples:
  latent encode runs/deep --data x.csv --out codes.npy
  cat x.csv | latent encode runs/deep/encoder.onnx > codes.csv
  latent encode runs/mnist --data t10k-images-idx3-ubyte.gz --output-format jsonl`

const decodeUsage = `usage: latent decode MODEL [--data PATH|-] [--out PATH] [flags]

Decodes codes back into samples with a model's decoder: MODEL is a decoder
.onnx or a folder written by latent train / export (its decoder.onnx is
used). Codes are read like latent encode reads data (CSV from stdin by
default) and reconstructions written like latent encode writes codes, in
the raw units of the training data.

examples:
  latent decode runs/deep --data codes.npy --out recon.csv
  latent encode runs/deep --data x.csv | latent decode runs/deep > recon.csv`

func init() {
	register(&command{name: "encode", summary: "encode samples into codes with a model's encoder", run: cmdEncode})
	register(&command{name: "decode", summary: "decode codes into samples with a model's decoder", run: cmdDecode})
}

func cmdEncode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return transform(ctx, args, stdout, stderr, "encode", encodeUsage, "encoder.onnx", "code")
}

func cmdDecode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return transform(ctx, args, stdout, stderr, "decode", decodeUsage, "decoder.onnx", "reconstruction")
}

// transform runs one model part over data and writes its output rows.
func transform(ctx context.Context, args []string, stdout, stderr io.Writer, name, usage, part, output string) error {
	fs := newFlagSet(name, usage, stderr)
	dataPath := fs.String("data", "", "input file, or - for stdin (default: stdin unless it is a terminal)")
	format := fs.String("format", "", "input format: "+data.FormatNames()+" (default: from the extension; stdin: csv)")
	header := fs.Bool("header", false, "CSV: the first line is a header (detected when non-numeric)")
	out := fs.String("out", "-", "output file, or - for stdout")
	outFormat := fs.String("output-format", "", "output format: "+outputFormats+" (default: from --out's extension, else csv)")
	backend := fs.String("backend", runtime.NativeBackendName, "backend: "+strings.Join(runtime.BackendNames(), ", "))
	batch := fs.Int("batch", 1024, "rows per model run")
	limit := fs.Int("limit", 0, "use only the first N samples of --data (0: all)")
	quiet := fs.Bool("quiet", false, "no progress output")
	allow := new(bool)
	if part == "encoder.onnx" {
		allow = fs.Bool("allow-scale-mismatch", false, "encode data even when it is plainly on another scale than the model's training data")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		_, err := modelArg(pos, "model.onnx")
		return err
	}
	if *batch <= 0 || *limit < 0 {
		return usagef("--batch must be positive and --limit not negative, got %d and %d", *batch, *limit)
	}
	of, err := inferOutputFormat(*out, *outFormat)
	if err != nil {
		return err
	}
	path, err := resolveModel(pos[0], part)
	if err != nil {
		return err
	}
	sess, err := runtime.Open(path, runtime.WithBackend(*backend))
	if err != nil {
		return err
	}
	defer sess.Close()
	oi, err := outputIndex(sess, output)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	d, err := readSamples(*dataPath, *format, *header, *limit, os.Stdin)
	if err != nil {
		return err
	}
	if err := checkScale(sess, d, *allow); err != nil {
		return err
	}
	w, commit, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	mw := &matrixWriter{w: w, format: of}
	prog := newProgress(stderr, name, d.N, *quiet)
	err = runBatches(ctx, sess, d, *batch, prog, func(from int, in *ops.Tensor, outs []*ops.Tensor) error {
		o := outs[oi]
		x, err := toFloat32(o)
		if err != nil {
			return fmt.Errorf("output %q: %w", sess.Outputs()[oi].Name, err)
		}
		n := in.Shape[0]
		if len(o.Shape) == 0 || o.Shape[0] != n {
			return fmt.Errorf("output %q has shape %s, want %d rows", sess.Outputs()[oi].Name, ops.ShapeString(o.Shape), n)
		}
		per := len(x) / max(n, 1)
		for i := 0; i < n; i++ {
			if err := mw.write(x[i*per : (i+1)*per]); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		err = mw.finish()
	}
	if cerr := commit(err == nil); err == nil {
		err = cerr
	}
	return err
}
