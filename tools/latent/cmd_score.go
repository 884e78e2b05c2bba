package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/serve"
)

const scoreUsage = `usage: latent score MODEL [--data PATH|-] [--threshold T] [--out PATH] [flags]

Scores every sample for anomaly: the mean squared reconstruction error in
the data's raw units (as latent reads them: uint8 IDX/NPY/.pb pixels
divided by 255, everything else as stored) (with --elbo, a VAE's negative ELBO under a unit
Gaussian likelihood, ½·Σ(x−x̂)² + KL(q(z|x) ‖ N(0, I)), with mu and logvar
from the model's outputs or from the encoder.onnx beside it). MODEL is a
model.onnx or a folder written by latent train / export. A scikit-learn
outlier detector exported by skl2onnx (IsolationForest, OneClassSVM: outputs
label and scores) is scored by its negated decision_function, positive for
outliers, so --threshold 0 flags what sklearn's predict calls -1. Each sample is
flagged when its score exceeds the threshold: --threshold, else the
model's latent.threshold (see latent calibrate); without either only the
scores are written. Output columns: row, score[, anomaly] as CSV, JSON
lines or NPY (float32, anomaly as 0/1).

Data plainly on another scale than the model's training data
(latent.input_range), such as raw 0–255 pixels for a model trained on
[0,1], is an error unless --allow-scale-mismatch is given.

Exit status: 0 on success, 1 on failure, 2 on bad usage, and with
--exit-code 3 when any sample is flagged.

examples:
  latent score runs/deep --data test.csv --out scores.csv
  latent score runs/deep/model.onnx --data new.npy --threshold 0.02 --output-format jsonl
  cat batch.csv | latent score runs/deep --exit-code >/dev/null || echo "anomalies found"`

func init() {
	register(&command{name: "score", summary: "per-sample anomaly scores (reconstruction error) and flags", run: cmdScore})
}

// anomalyError makes latent score --exit-code exit with status 3.
type anomalyError struct{ n, total int }

func (e anomalyError) Error() string {
	return fmt.Sprintf("%d of %d samples flagged as anomalies", e.n, e.total)
}
func (e anomalyError) ExitCode() int { return 3 }

// scoreOptions are the flags score and calibrate share.
type scoreOptions struct {
	dataPath, format, backend string
	header, elbo, quiet       bool
	allowScaleMismatch        bool
	batch, limit              int
}

func (o *scoreOptions) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
}) {
	fs.StringVar(&o.dataPath, "data", "", "samples file, or - for stdin (default: stdin unless it is a terminal)")
	fs.StringVar(&o.format, "format", "", "input format: "+data.FormatNames()+" (default: from the extension; stdin: csv)")
	fs.BoolVar(&o.header, "header", false, "CSV: the first line is a header (detected when non-numeric)")
	fs.StringVar(&o.backend, "backend", runtime.NativeBackendName, "backend: "+strings.Join(runtime.BackendNames(), ", "))
	fs.BoolVar(&o.elbo, "elbo", false, "score a VAE by its negative ELBO (mu and logvar from the model or the encoder.onnx beside it)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress output")
	fs.BoolVar(&o.allowScaleMismatch, "allow-scale-mismatch", false, "use data even when it is plainly on another scale than the model's training data")
	fs.IntVar(&o.batch, "batch", 1024, "rows per model run")
	fs.IntVar(&o.limit, "limit", 0, "use only the first N samples of --data (0: all)")
}

// scoreData opens the model and returns the per-sample scores of the data
// and the model's threshold (nil when uncalibrated).
func scoreData(ctx context.Context, modelPath string, o scoreOptions, stderr io.Writer) ([]float64, *float64, *data.Dataset, error) {
	if o.batch <= 0 {
		return nil, nil, nil, usagef("--batch must be positive, got %d", o.batch)
	}
	sess, err := runtime.Open(modelPath, runtime.WithBackend(o.backend))
	if err != nil {
		return nil, nil, nil, err
	}
	defer sess.Close()
	var thr *float64
	if md, err := metadata.Read(sess.Model()); err == nil {
		thr = md.Threshold
	}
	rec, err := outputIndex(sess, "reconstruction")
	// A scikit-learn outlier detector exported by skl2onnx (IsolationForest,
	// OneClassSVM, LocalOutlierFactor) has no reconstruction but outputs
	// label and scores, scores being sklearn's decision_function (positive
	// for inliers). Its anomaly score is the negated decision function.
	detector := -1
	if err != nil {
		if d, derr := outputIndex(sess, "scores"); derr == nil && !o.elbo {
			if _, lerr := outputIndex(sess, "label"); lerr == nil {
				detector = d
			}
		}
		if detector < 0 {
			return nil, nil, nil, fmt.Errorf("%s: %w (score needs an autoencoder's model.onnx, or a scikit-learn outlier detector's with outputs label and scores)", modelPath, err)
		}
	}
	// --elbo reads mu and logvar from the model, or else from the
	// encoder.onnx beside it (a latent VAE export's model.onnx is the
	// deterministic z = mu path and has no logvar head).
	var musrc *runtime.Session
	mu, lv := -1, -1
	if o.elbo {
		musrc = sess
		mu, lv = muLogvar(sess)
		if mu < 0 || lv < 0 {
			encPath := filepath.Join(filepath.Dir(modelPath), "encoder.onnx")
			enc, err := runtime.Open(encPath, runtime.WithBackend(o.backend))
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: --elbo needs a VAE: the model has no \"mu\" and \"logvar\" outputs and its encoder.onnx does not open: %w", modelPath, err)
			}
			defer enc.Close()
			if mu, lv = muLogvar(enc); mu < 0 || lv < 0 {
				return nil, nil, nil, fmt.Errorf("%s: --elbo needs a VAE: neither the model nor %s has \"mu\" and \"logvar\" outputs", modelPath, encPath)
			}
			musrc = enc
		}
	}
	if o.limit < 0 {
		return nil, nil, nil, usagef("--limit must not be negative, got %d", o.limit)
	}
	d, err := readSamples(o.dataPath, o.format, o.header, o.limit, os.Stdin)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkScale(sess, d, o.allowScaleMismatch); err != nil {
		return nil, nil, nil, err
	}
	scores := make([]float64, 0, d.N)
	prog := newProgress(stderr, "score", d.N, o.quiet)
	err = runBatches(ctx, sess, d, o.batch, prog, func(from int, in *ops.Tensor, outs []*ops.Tensor) error {
		var s []float64
		var err error
		if detector >= 0 {
			s, err = negatedDecision(in, outs[detector])
		} else if o.elbo {
			mo := outs
			if musrc != sess {
				if mo, err = musrc.RunOrdered(ctx, []*ops.Tensor{in}); err != nil {
					return fmt.Errorf("encoder: %w", err)
				}
			}
			s, err = serve.NegativeELBO(in, outs[rec], mo[mu], mo[lv])
		} else {
			s, err = serve.ReconstructionError(in, outs[rec])
		}
		if err != nil {
			return err
		}
		scores = append(scores, s...)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return scores, thr, d, nil
}

// negatedDecision turns a scikit-learn outlier detector's decision
// function ([N] or [N, 1], positive for inliers) into per-sample anomaly
// scores: its negation, positive for outliers, so that threshold 0 flags
// exactly the samples sklearn's predict calls -1.
func negatedDecision(in, dec *ops.Tensor) ([]float64, error) {
	n := in.Shape[0]
	if dec.DType != ops.Float32 || dec.Len() != n || (dec.Rank() == 2 && dec.Shape[1] != 1) || dec.Rank() > 2 {
		return nil, fmt.Errorf("the model's scores output is %s, want float32 [%d] or [%d, 1]", dec, n, n)
	}
	out := make([]float64, n)
	for i, v := range dec.F32() {
		out[i] = -float64(v)
	}
	return out, nil
}

func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", scoreUsage, stderr)
	var o scoreOptions
	o.register(fs)
	thrFlag := fs.String("threshold", "", "flag samples whose score exceeds this (default: the model's latent.threshold)")
	out := fs.String("out", "-", "output file, or - for stdout")
	outFormat := fs.String("output-format", "", "output format: "+outputFormats+" (default: from --out's extension, else csv)")
	exitCode := fs.Bool("exit-code", false, "exit with status 3 when any sample is flagged")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		_, err := modelArg(pos, "model.onnx")
		return err
	}
	var thr *float64
	if *thrFlag != "" {
		t, err := strconv.ParseFloat(*thrFlag, 64)
		if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
			return usagef("--threshold %q is not a finite number", *thrFlag)
		}
		thr = &t
	}
	of, err := inferOutputFormat(*out, *outFormat)
	if err != nil {
		return err
	}
	path, err := resolveModel(pos[0], "model.onnx")
	if err != nil {
		return err
	}
	scores, mdThr, _, err := scoreData(ctx, path, o, stderr)
	if err != nil {
		return err
	}
	if thr == nil {
		thr = mdThr
	}
	if thr == nil && *exitCode {
		return errors.New("--exit-code needs a threshold: pass --threshold or calibrate the model (latent calibrate)")
	}
	w, commit, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	flagged, err := writeScores(w, of, scores, thr)
	if cerr := commit(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *exitCode && flagged > 0 {
		return anomalyError{flagged, len(scores)}
	}
	return nil
}

// writeScores writes row, score and (with a threshold) anomaly per sample
// and returns how many samples were flagged.
func writeScores(w io.Writer, format string, scores []float64, thr *float64) (int, error) {
	flagged := 0
	var buf []byte
	var all []float32
	if format == "csv" {
		if thr != nil {
			buf = append(buf, "row,score,anomaly\n"...)
		} else {
			buf = append(buf, "row,score\n"...)
		}
	}
	for i, s := range scores {
		anomaly := thr != nil && s > *thr
		if anomaly {
			flagged++
		}
		switch format {
		case "npy":
			all = append(all, float32(i), float32(s))
			if thr != nil {
				f := float32(0)
				if anomaly {
					f = 1
				}
				all = append(all, f)
			}
			continue
		case "jsonl":
			buf = append(buf, `{"row":`...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `,"score":`...)
			buf = strconv.AppendFloat(buf, s, 'g', -1, 64)
			if thr != nil {
				buf = append(buf, `,"anomaly":`...)
				buf = strconv.AppendBool(buf, anomaly)
			}
			buf = append(buf, "}\n"...)
		default:
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, s, 'g', -1, 64)
			if thr != nil {
				buf = append(buf, ',')
				buf = strconv.AppendBool(buf, anomaly)
			}
			buf = append(buf, '\n')
		}
		if len(buf) > 1<<15 {
			if _, err := w.Write(buf); err != nil {
				return 0, fmt.Errorf("write scores: %w", err)
			}
			buf = buf[:0]
		}
	}
	if format == "npy" {
		cols := 2
		if thr != nil {
			cols = 3
		}
		return flagged, data.WriteNPY(w, len(scores), cols, all)
	}
	if _, err := w.Write(buf); err != nil {
		return 0, fmt.Errorf("write scores: %w", err)
	}
	return flagged, nil
}

// muLogvar returns the indices of the "mu" and "logvar" outputs (-1 when
// missing).
func muLogvar(sess *runtime.Session) (mu, lv int) {
	mu, lv = -1, -1
	for i, vi := range sess.Outputs() {
		switch vi.Name {
		case "mu":
			mu = i
		case "logvar":
			lv = i
		}
	}
	return mu, lv
}
