package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/metadata"
)

const calibrateUsage = `usage: latent calibrate MODEL --data VALIDATION [--percentile P | --contamination C] [flags]

Chooses the anomaly threshold from the scores of validation data (mostly
normal samples) and writes it into the model's latent.threshold metadata,
rewriting the file atomically (latent score and latent serve then flag
samples above it). --percentile P takes the P-th percentile of the scores
(linear interpolation between order statistics, as numpy's default);
--contamination C expects a fraction C of anomalies, i.e. the
100·(1−C)-th percentile. MODEL is a latent model.onnx or a folder written
by latent train / export. --dry-run prints the threshold without writing.

examples:
  latent calibrate runs/deep --data val.csv --percentile 99
  latent calibrate runs/deep/model.onnx --data val.npy --contamination 0.01
  latent calibrate runs/vae --data val.csv --elbo --percentile 99.5 --dry-run`

func init() {
	register(&command{name: "calibrate", summary: "choose the anomaly threshold from validation data, write it into the model", run: cmdCalibrate})
}

func cmdCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", calibrateUsage, stderr)
	var o scoreOptions
	o.register(fs)
	pct := fs.Float64("percentile", -1, "threshold at this percentile of the validation scores (0–100; default 99)")
	cont := fs.Float64("contamination", -1, "expected fraction of anomalies in the validation data (0–1)")
	dry := fs.Bool("dry-run", false, "print the threshold without writing the model")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		_, err := modelArg(pos, "model.onnx")
		return err
	}
	p := 99.0
	switch {
	case *pct >= 0 && *cont >= 0:
		return usagef("give --percentile or --contamination, not both")
	case *cont >= 0:
		if !(*cont < 1) {
			return usagef("--contamination must be in [0, 1), got %g", *cont)
		}
		p = 100 * (1 - *cont)
	case *pct >= 0:
		if *pct > 100 {
			return usagef("--percentile must be in [0, 100], got %g", *pct)
		}
		p = *pct
	case *pct != -1 || *cont != -1:
		return usagef("--percentile and --contamination must not be negative")
	}
	path, err := resolveModel(pos[0], "model.onnx")
	if err != nil {
		return err
	}
	scores, old, _, err := scoreData(ctx, path, o, stderr)
	if err != nil {
		return err
	}
	thr := scorePercentile(scores, p)
	flagged := 0
	for _, s := range scores {
		if s > thr {
			flagged++
		}
	}
	fmt.Fprintf(stdout, "threshold %.9g (percentile %.6g of %d validation scores; %d above it, %.3g%%)\n",
		thr, p, len(scores), flagged, 100*float64(flagged)/float64(len(scores)))
	if old != nil {
		fmt.Fprintf(stdout, "previous threshold %.9g\n", *old)
	}
	if *dry {
		return nil
	}
	if err := export.SetThreshold(ctx, path, thr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s=%.9g into %s\n", metadata.KeyThreshold, thr, path)
	return nil
}

// scorePercentile returns the p-th percentile (0–100) of xs by linear
// interpolation between the closest order statistics.
func scorePercentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	h := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
