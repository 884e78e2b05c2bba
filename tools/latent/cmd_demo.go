package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/models"
)

const demoUsage = `usage: latent demo [JOB] [flags]

Runs latent's applications on Fashion-MNIST (Debian package
dataset-fashion-mnist, /usr/share/datasets/fashion-mnist). Without JOB,
or with JOB fashion, runs the main job: train a deep dense autoencoder
with a 32-number code, export it to ONNX, check the native backend
against ONNX Runtime, and print the test-set reconstruction MSE next to
PCA with the same number of components, plus where the plots went
(loss.png, reconstructions.png). The defaults finish in a few minutes on
2 cores; --full trains for 40 epochs.

Jobs (see docs/applications.md):
  fashion    the main job (--model deep|conv|vae|conv-vae)
  scatter    2-D codes coloured by class: autoencoder vs PCA-2
  denoise    denoising autoencoder: PSNR of noisy / denoised, image grid
  anomaly    one class as normal: ROC-AUC of reconstruction error vs PCA
  compress   codes as float32 / float16: ratio and error

examples:
  latent demo
  latent demo fashion --full --out runs/fashion-deep
  latent demo fashion --model conv --full --out runs/fashion-conv`

func init() {
	register(&command{name: "demo", summary: "applications on Fashion-MNIST: main job (train, export, verify, vs PCA), scatter, denoise, anomaly, compress", run: cmdDemo})
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	job := "fashion"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		job, args = args[0], args[1:]
	}
	switch job {
	case "fashion":
		return demoFashion(ctx, args, stdout, stderr)
	}
	return demoApp(ctx, job, args, stdout, stderr)
}

func demoFashion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoUsage, stderr)
	dir := fs.String("data", apps.FashionDir, "Fashion-MNIST folder (IDX files)")
	out := fs.String("out", "runs/fashion", "output folder")
	kind := fs.String("model", "deep", "deep, conv, vae or conv-vae")
	var hidden, filters intList
	fs.Var(&hidden, "hidden", "hidden sizes (default deep 512,128; vae 512)")
	fs.Var(&filters, "filters", "conv channels (default 32,64)")
	code := fs.Int("code", 32, "code size (PCA gets as many components)")
	epochs := fs.Int("epochs", 0, "epochs (default 10; --full 40)")
	limit := fs.Int("limit", 0, "use only the first N training images (0: all 60 000)")
	batch := fs.Int("batch", 128, "mini-batch size")
	lr := fs.Float64("lr", 0, "learning rate (default 1e-3)")
	seed := fs.Uint64("seed", 1, "random seed")
	full := fs.Bool("full", false, "full-quality run: 40 epochs")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	o := apps.FashionOptions{Dir: *dir, Out: *out, Kind: models.Kind(*kind), Code: *code,
		Epochs: *epochs, Batch: *batch, LR: *lr, Limit: *limit, Seed: *seed}
	if len(hidden) > 0 {
		o.Hidden = hidden
	}
	if len(filters) > 0 {
		o.Filters = filters
	}
	if o.Epochs == 0 {
		o.Epochs = 10
		if *full {
			o.Epochs = 40
		}
	}
	if *code <= 0 || *code > 784 {
		return usagef("--code must be in [1, 784], got %d", *code)
	}
	if _, err := apps.FashionSpec(o.Kind, o.Hidden, o.Filters, o.Code); err != nil {
		return usageError{err}
	}
	if !*quiet {
		o.Progress = stderr
		o.Live = isTerminal(stderr)
		fmt.Fprintf(stderr, "training a %s autoencoder (code %d) on Fashion-MNIST for %d epochs...\n", o.Kind, o.Code, o.Epochs)
	}
	r, err := apps.RunFashion(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Fashion-MNIST: %d training images (5%% held out for validation), %d epochs (%.0f s), %d test images, pixels in [0,1]\n",
		r.TrainRows, r.Epochs, r.TrainSecs, r.TestRows)
	fmt.Fprintf(stdout, "%-28s test MSE %.5f\n", fmt.Sprintf("%s autoencoder, code %d:", r.Kind, r.Spec.Code), r.TestMSE)
	fmt.Fprintf(stdout, "%-28s test MSE %.5f\n", fmt.Sprintf("PCA, %d components:", r.Spec.Code), r.PCAMSE)
	fmt.Fprintf(stdout, "ratio autoencoder / PCA:     %.3f\n", r.Ratio)
	switch {
	case r.Verify != nil && r.Verify.Pass:
		fmt.Fprintf(stdout, "native vs ONNX Runtime:      PASS (max |diff| %.2g, atol %g, rtol %g)\n", r.Verify.MaxAbs, r.Verify.Atol, r.Verify.Rtol)
	case r.Verify != nil:
		fmt.Fprintf(stdout, "native vs ONNX Runtime:      FAIL (max |diff| %.2g, atol %g, rtol %g)\n", r.Verify.MaxAbs, r.Verify.Atol, r.Verify.Rtol)
	default:
		fmt.Fprintf(stdout, "native vs ONNX Runtime:      skipped: %s\n", r.VerifySkip)
	}
	fmt.Fprintf(stdout, "model: %s\nplots: %s, %s\n", r.ModelPath, r.LossPlot, r.ReconPlot)
	if r.Verify != nil && !r.Verify.Pass {
		return fmt.Errorf("native and ONNX Runtime outputs differ beyond tolerance")
	}
	return nil
}

func demoApp(ctx context.Context, job string, args []string, stdout, stderr io.Writer) error {
	switch job {
	case "scatter", "denoise", "anomaly", "compress":
	default:
		return unknownName("demo job", job, []string{"fashion", "scatter", "denoise", "anomaly", "compress"})
	}
	fs := newFlagSet("demo "+job, demoUsage, stderr)
	dir := fs.String("data", apps.FashionDir, "Fashion-MNIST folder (IDX files)")
	out := fs.String("out", "runs/"+job, "output folder")
	epochs := fs.Int("epochs", 10, "training epochs")
	limit := fs.Int("limit", 0, "use only the first N training images (0: all)")
	batch := fs.Int("batch", 128, "mini-batch size")
	seed := fs.Uint64("seed", 1, "random seed")
	code := fs.Int("code", 32, "code size (denoise, anomaly)")
	sigma := fs.Float64("sigma", 0.3, "denoise: Gaussian noise standard deviation (pixels in [0,1])")
	normal := fs.Int("normal", 1, "anomaly: the Fashion-MNIST class trained as normal (0-9), or with --csv the normal label")
	csv := fs.String("csv", "", "anomaly: a labelled CSV table (last column the class) instead of Fashion-MNIST, e.g. "+apps.BreastCancerCSV)
	points := fs.Int("points", 3000, "scatter: test images plotted")
	model := fs.String("model", "", "compress: a trained run folder or model.onnx with encoder.onnx and decoder.onnx beside it (default: train a deep AE)")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *epochs <= 0 || *batch <= 0 || *code <= 0 {
		return usagef("--epochs, --batch and --code must be positive")
	}
	o := apps.TrainOptions{Epochs: *epochs, Batch: *batch, Seed: *seed}
	if !*quiet {
		o.Progress = stderr
		o.Live = isTerminal(stderr)
	}
	if job == "anomaly" && *csv != "" {
		x, labels, d, err := apps.LoadLabelledCSV(*csv)
		if err != nil {
			return err
		}
		r, err := apps.TabularAnomaly(ctx, *out, x, labels, d, *normal, 0, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d rows of %d features; trained on %d rows of %s\n", *csv, len(labels), d, r.TrainRows, r.Normal)
		fmt.Fprintf(stdout, "test: %d normal, %d anomalies\nROC-AUC autoencoder %.4f, PCA %.4f\n", r.TestNormal, r.Test-r.TestNormal, r.AUC, r.PCAAUC)
		fmt.Fprintf(stdout, "model: %s\nplots: %s, %s\nsplits: %s/{normal-train,normal-val,test,test-labels}.csv\n",
			r.Model, r.ROCPlot, filepath.Join(*out, "loss.png"), *out)
		return nil
	}
	train, err := apps.LoadFashion(*dir, "train", *limit)
	if err != nil {
		return err
	}
	test, err := apps.LoadFashion(*dir, "t10k", 0)
	if err != nil {
		return err
	}
	switch job {
	case "scatter":
		r, err := apps.Scatter(ctx, *out, train, test, *points, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "2-D codes of %d test images; leave-one-out 5-NN class accuracy: autoencoder %.3f, PCA-2 %.3f\nplots: %s, %s\n",
			r.Points, r.AEKNN, r.PCAKNN, r.AEPlot, r.PCAPlot)
	case "denoise":
		r, err := apps.Denoise(ctx, *out, train, test, *code, *sigma, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Gaussian noise sigma %g on %d test images (PSNR vs clean, peak 1)\n", r.Sigma, test.N)
		fmt.Fprintf(stdout, "noisy:            %.2f dB\ndenoised (AE):    %.2f dB\nPCA-%d projection: %.2f dB\nplot: %s\n", r.NoisyPSNR, r.DenoisedPSNR, *code, r.PCAPSNR, r.Grid)
	case "anomaly":
		r, err := apps.FashionAnomaly(ctx, *out, train, test, *normal, *code, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "normal class %s: trained on %d images; test %d normal, %d anomalies\nROC-AUC autoencoder %.4f, PCA-%d %.4f\nmodel: %s\nplot: %s\n",
			r.Normal, r.TrainRows, r.TestNormal, r.Test-r.TestNormal, r.AUC, *code, r.PCAAUC, r.Model, r.ROCPlot)
	case "compress":
		mp := *model
		if mp == "" {
			fo := apps.FashionOptions{Dir: *dir, Out: *out, Epochs: *epochs, Batch: *batch, Limit: *limit, Seed: *seed, Code: *code,
				Progress: o.Progress, Live: o.Live}
			fr, err := apps.RunFashion(ctx, fo)
			if err != nil {
				return err
			}
			mp = fr.ModelPath
		}
		mp, err = resolveModel(mp, "model.onnx")
		if err != nil {
			return err
		}
		d := filepath.Dir(mp)
		r, err := apps.Compress(ctx, filepath.Join(d, "encoder.onnx"), filepath.Join(d, "decoder.onnx"), train, test)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d test images, 784 8-bit pixels each (%d bytes)\n", test.N, test.N*784)
		for _, c := range append(r.Reports, r.PCA) {
			fmt.Fprintf(stdout, "%-18s %8d bytes  ratio %6.1f:1  MSE %.5f  PSNR %.2f dB  code max |error| %.2g\n",
				c.DType, c.CodeBytes, c.Ratio, c.MSE, c.PSNR, c.CodeMaxAbs)
		}
	}
	return nil
}
