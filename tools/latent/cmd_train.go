package main

import (
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

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

const trainUsage = `usage: latent train --data PATH [--model KIND] [--out DIR] [flags]

Trains a dense autoencoder natively in Go. KIND is one of undercomplete,
deep, sparse-l1, sparse-kl, k-sparse, denoising, contractive, stacked,
recommender, or the image/generative conv, vae, conv-vae (or give a JSON
spec with --spec). Data is CSV/TSV (numeric, optional header), JSON lines,
NPY, IDX (MNIST format, raw or gzip), MovieLens-style ratings (user item
rating [timestamp]) or an ONNX TensorProto .pb, samples along the first
axis; the format follows the extension unless --format is given. Image
kinds take N×H×W or N×C×H×W arrays (IDX, NPY, .pb). uint8 data is divided
by 255, everything else used as stored; the model records the units and
range of its training data (latent.input_units, latent.input_range) so
that encode, score, calibrate and serve can tell data on another scale.

--data is all it needs: --model defaults to deep (recommender for a
ratings file) and --out to runs/KIND (runs/KIND-2, -3 … when that folder
exists, so no earlier run is overwritten; with --resume, the checkpoint's
folder). Every kind trains with --model and --data alone: the code is min(32,
inputs/4) (at least 1), deep and stacked without --hidden get a hidden
stack derived from the input size (powers of two from the largest below
the input, at most 1024, each a quarter of the one before while wider
than the code, at most three layers: 784 inputs and code 32 give
784-512-128-32), and each kind has its own regulariser defaults (below).
latent train prints the defaults it chose and records them, with their
rules, under "defaults" in DIR/training.json.

Writes DIR/model.latent (spec, scaler, weights, training state),
DIR/spec.json, DIR/metrics.jsonl (one JSON object per epoch), loss.png
(and reconstructions.png for images) and, with --checkpoint-every,
DIR/checkpoint.latent for --resume. The trained model is exported to
DIR/model.onnx, DIR/encoder.onnx and DIR/decoder.onnx (see latent export)
with DIR/training.json summarising the run.

examples:
  latent train --data x.csv
  latent train --model deep --data mnist.npy --hidden 256,64 --code 32 --epochs 20 --out runs/deep
  latent train --model denoising --data x.csv --noise gaussian --sigma 0.1 --code 8 --out runs/dae
  latent train --model sparse-kl --data x.csv --code 64 --rho 0.05 --beta 0.1 --out runs/skl
  latent train --model recommender --data u.data --format ratings --val-split 0.1 --epochs 100 --out runs/rec
  latent train --data x.csv --resume runs/deep --epochs 40
  latent train --from pytorch_ae.onnx --data x.csv --epochs 5 --out runs/ft
  latent train --model conv --data train-images-idx3-ubyte.gz --filters 16,32 --code 16 --out runs/conv
  latent train --model conv-vae --data images.npy --code 8 --beta 1 --kl-warmup 5 --out runs/cvae`

func init() {
	register(&command{
		name:    "train",
		summary: "train an autoencoder of any kind on data (writes the model, its ONNX exports, metrics and plots)",
		run:     cmdTrain,
	})
}

// intList parses "256,64".
type intList []int

func (l *intList) String() string {
	var s []string
	for _, v := range *l {
		s = append(s, strconv.Itoa(v))
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	*l = (*l)[:0]
	if strings.TrimSpace(v) == "" {
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a positive integer", p)
		}
		*l = append(*l, n)
	}
	return nil
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainUsage, stderr)
	kind := fs.String("model", "", "model kind (default deep; recommender for a ratings file): "+kindNames())
	specPath := fs.String("spec", "", "JSON model spec (instead of --model and the architecture flags)")
	dataPath := fs.String("data", "", "training data file (required)")
	format := fs.String("format", "", "data format: "+data.FormatNames()+" (default: from the extension)")
	header := fs.Bool("header", false, "CSV: the first line is a header (detected automatically when non-numeric)")
	valPath := fs.String("val", "", "validation data file (same format)")
	out := fs.String("out", "", "output directory (default runs/KIND, or runs/KIND-N when that exists; with --resume the checkpoint's folder)")
	code := fs.Int("code", 0, "code size (default: min(32, inputs/4), at least 1; recommender 10)")
	var hidden intList
	fs.Var(&hidden, "hidden", "encoder hidden sizes, e.g. 256,64 (decoder mirrors them); default for deep and stacked: "+
		models.DefaultHiddenRule+" (784 inputs, code 32: 512,128); vae: max(2·code, min(256, inputs/2))")
	act := fs.String("activation", "", "hidden activation: identity, relu, leaky-relu, sigmoid, tanh, elu, selu, softplus")
	codeAct := fs.String("code-activation", "", "code layer activation")
	outAct := fs.String("output-activation", "", "reconstruction activation")
	alpha := fs.Float64("alpha", 0, "leaky-relu slope / elu scale")
	initName := fs.String("init", "", "weight init: xavier or he")
	tied := fs.Bool("tied", false, "tie decoder weights to the transposed encoder weights")
	loss := fs.String("loss", "", "loss: mse, bce or masked-mse")
	l1 := fs.Float64("l1", 0, "sparse-l1: L1 penalty weight on the code (default 1e-3)")
	rho := fs.Float64("rho", 0, "sparse-kl: target mean activation (default 0.05)")
	beta := fs.Float64("beta", 0, "sparse-kl: KL penalty weight (default 0.1); vae, conv-vae: KL weight (default 1)")
	k := fs.Int("k", 0, "k-sparse: code activations kept per sample (default max(1, code/4))")
	noise := fs.String("noise", "", "input noise in training, mask or gaussian (denoising default: mask with --drop 0.2; for any other kind, input dropout)")
	drop := fs.Float64("drop", 0, "masking-noise drop probability (default 0.2)")
	sigma := fs.Float64("sigma", 0, "gaussian-noise standard deviation (default 0.1)")
	lambda := fs.Float64("lambda", 0, "contractive: Jacobian penalty weight (default 1e-2)")
	pretrain := fs.Int("pretrain-epochs", 0, "stacked: greedy pre-training epochs per layer (default 5)")

	epochs := fs.Int("epochs", 10, "epochs")
	batch := fs.Int("batch", 64, "mini-batch size")
	lr := fs.Float64("lr", 0, "learning rate (default 1e-3; recommender 1e-2)")
	optName := fs.String("optimizer", "", "sgd, momentum, nesterov, rmsprop, adam or adamw (default adam; recommender rmsprop)")
	momentum := fs.Float64("momentum", 0, "momentum for momentum/nesterov (default 0.9)")
	wd := fs.Float64("weight-decay", 0, "weight decay (decoupled for adamw)")
	clip := fs.Float64("clip-norm", 0, "clip the gradient's global L2 norm (0: off)")
	sched := fs.String("schedule", "", "learning-rate schedule: constant, step, cosine or plateau")
	stepSize := fs.Int("step-size", 0, "step schedule: epochs between decays (default 10)")
	gamma := fs.Float64("gamma", 0, "step schedule: decay factor (default 0.1)")
	minLR := fs.Float64("min-lr", 0, "cosine/plateau: lower bound of the learning rate")
	patience := fs.Int("plateau-patience", 0, "plateau schedule: epochs without improvement before decay (default 5)")
	factor := fs.Float64("plateau-factor", 0, "plateau schedule: decay factor (default 0.5)")
	seed := fs.Uint64("seed", 1, "random seed (init, split, shuffling, noise); --resume reuses the checkpoint's")
	valSplit := fs.Float64("val-split", 0, "fraction of rows (recommender: of each user's ratings) held out for validation")
	scaling := fs.String("scaling", "", "input scaling fitted on training data: minmax, standard or none (default minmax; recommender none)")
	early := fs.Int("early-stop", 0, "stop after N epochs without improvement and restore the best weights (0: off)")
	every := fs.Int("checkpoint-every", 0, "write DIR/checkpoint.latent every N epochs (0: never)")
	resume := fs.String("resume", "", "resume from a checkpoint written with --checkpoint-every (the file or its run folder)")
	initPath := fs.String("from", "", "start from the weights of this model (.onnx file or run folder): a latent export, or a dense MLP autoencoder exported from PyTorch or skl2onnx (its architecture is used)")
	workers := fs.Int("workers", 0, "goroutines per step (default: all cores; never changes results)")
	quiet := fs.Bool("quiet", false, "no progress output")
	imgFlags := addImageFlags(fs)

	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *dataPath == "" {
		return usagef("--data PATH is required")
	}
	// --from and --resume take a run folder too (its model.onnx, its
	// checkpoint.latent), like every other command that takes a model.
	if *initPath != "" {
		if *initPath, err = resolveModel(*initPath, "model.onnx"); err != nil {
			return err
		}
	}
	if *resume != "" {
		if *resume, err = resolveModel(*resume, "checkpoint.latent"); err != nil {
			return err
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *format == "images" {
		*format = string(data.NPY) // the name earlier versions gave NPY image arrays
	}
	train, err := readSamples(*dataPath, *format, *header, *imgFlags.limit, os.Stdin)
	if err != nil {
		return err
	}
	imgShape := train.Shape
	isImg := len(imgShape) == 3
	var val *data.Dataset
	if *valPath != "" {
		if val, err = readSamples(*valPath, *format, *header, *imgFlags.limit, os.Stdin); err != nil {
			return err
		}
	}
	if *kind == "" && *specPath == "" && *resume == "" && *initPath == "" {
		// The demo's kind, or the one kind that trains on ratings.
		*kind = string(models.Deep)
		if train.Mask != nil {
			*kind = string(models.Recommender)
		}
	}
	if isImg && !set["scaling"] {
		*scaling = string(data.NoScaling) // images: no per-pixel scaler
	}

	var spec models.Spec
	var initial *trainer.Model
	switch {
	case *initPath != "":
		if *kind != "" || *specPath != "" || *resume != "" {
			return usagef("--from takes the architecture from the model; drop --model, --spec and --resume")
		}
		if initial, _, err = export.ImportFile(*initPath); err != nil {
			return err
		}
		spec = initial.Spec
	case *resume != "" && *kind == "" && *specPath == "":
		// The checkpoint carries the spec.
	case *specPath != "":
		b, err := os.ReadFile(*specPath)
		if err != nil {
			return fmt.Errorf("read spec: %w", err)
		}
		if spec, err = models.Parse(b); err != nil {
			return fmt.Errorf("%s: %w", *specPath, err)
		}
	default:
		c := *code
		if !set["code"] {
			c = max(1, min(32, train.D/4))
			if models.Kind(*kind) == models.Recommender {
				c = 0 // kind default
			}
		}
		var h []int
		if set["hidden"] {
			h = append([]int{}, hidden...)
		}
		if models.IsConv(models.Kind(*kind)) {
			spec = models.Spec{Kind: models.Kind(*kind)}
			if models.IsVAE(spec.Kind) {
				spec.Beta = 1
			}
			if err := applyImageFlags(&spec, imgFlags, set, imgShape, c, h); err != nil {
				return usageError{err}
			}
		} else if spec, err = models.New(models.Kind(*kind), train.D, h, c); err != nil {
			return usageError{err}
		}
		if !models.IsConv(spec.Kind) {
			if err := applyImageFlags(&spec, imgFlags, set, nil, c, h); err != nil {
				return usageError{err}
			}
		}
		if set["activation"] {
			spec.Activation = models.Activation(*act)
		}
		if set["code-activation"] {
			spec.CodeActivation = models.Activation(*codeAct)
		}
		if set["output-activation"] {
			spec.OutputActivation = models.Activation(*outAct)
		}
		if set["alpha"] {
			spec.Alpha = *alpha
		}
		if set["init"] {
			spec.Init = models.Init(*initName)
		}
		if set["tied"] {
			spec.Tied = *tied
		}
		if set["loss"] {
			spec.Loss = models.Loss(*loss)
		}
		if set["l1"] {
			spec.L1 = *l1
		}
		if set["rho"] {
			spec.Rho = *rho
		}
		if set["beta"] {
			spec.Beta = *beta
		}
		if set["k"] {
			spec.K = *k
		}
		if set["noise"] {
			spec.Noise.Type = models.NoiseType(*noise)
			if spec.Noise.Type == models.GaussianNoise && !set["sigma"] {
				spec.Noise.Sigma = 0.1
			}
			if spec.Noise.Type != models.MaskingNoise {
				spec.Noise.Drop = 0
			}
		}
		if set["drop"] {
			spec.Noise.Drop = *drop
		}
		if set["sigma"] {
			spec.Noise.Sigma = *sigma
		}
		if set["lambda"] {
			spec.Lambda = *lambda
		}
		if set["pretrain-epochs"] {
			spec.PretrainEpochs = *pretrain
		}
		if err := spec.Validate(); err != nil {
			return usagef("invalid model: %s", flagNamedErrors(err))
		}
	}
	if spec.Loss == models.MaskedMSE && train.Mask == nil {
		return usagef("%s trains on ratings (loss masked-mse), but %s is not a ratings file: give --data a file of user item rating [timestamp] lines (--format ratings unless the extension is .data, .dat or .ratings)", spec.Kind, train.Source)
	}
	defaults := specDefaults(spec, set, *kind != "" && *specPath == "" && *initPath == "")
	if *out == "" {
		rule := ""
		if *out, rule, err = defaultOut(spec.Kind, *resume); err != nil {
			return err
		}
		if *resume == "" {
			if defaults == nil {
				defaults = map[string]string{}
			}
			defaults["out"] = *out + " (" + rule + ")"
		}
	}
	if len(defaults) > 0 && !*quiet {
		fmt.Fprintf(stderr, "latent train: %s %s with defaults %s (rules: latent train --help, %s)\n",
			spec.Kind, sizesString(spec.Sizes()), defaultsLine(defaults), filepath.Join(*out, export.SummaryFile))
	}

	isRec := spec.Kind == models.Recommender
	if isRec && val != nil {
		return usagef("--val is not supported for recommender (user and item ids must line up with training); use --val-split")
	}
	cfg := trainer.Config{
		Epochs: *epochs, BatchSize: *batch, LR: *lr, Seed: *seed,
		Optimizer: trainer.OptimizerConfig{Name: *optName, Momentum: *momentum, WeightDecay: *wd, ClipNorm: *clip},
		Schedule: trainer.ScheduleConfig{Name: *sched, StepSize: *stepSize, Gamma: *gamma, MinLR: *minLR,
			Patience: *patience, Factor: *factor},
		Scaling: data.ScalingKind(*scaling), ValSplit: *valSplit, Val: val,
		EarlyStopping: *early, CheckpointEvery: *every, OutDir: *out, Resume: *resume, Workers: *workers,
	}
	cfg.Initial = initial
	if *resume != "" && !set["seed"] {
		cfg.Seed = 0 // the checkpoint's seed
	}
	if isRec && cfg.Optimizer.Name == "" {
		cfg.Optimizer.Name = "rmsprop"
	}
	if cfg.LR == 0 && isRec {
		cfg.LR = 1e-2
	}
	if !*quiet {
		cfg.Progress = stderr
		cfg.Live = isTerminal(stderr)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if *resume != "" {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	mf, err := os.OpenFile(filepath.Join(*out, "metrics.jsonl"), flags, 0o644)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer mf.Close()
	cfg.Metrics = mf

	m, res, err := trainer.Train(ctx, spec, train, cfg)
	if re := (*trainer.RangeError)(nil); errors.As(err, &re) {
		return usagef("%v", err) // data the flags must change, refused before the first step
	}
	if err != nil {
		return err
	}
	sj, err := m.Spec.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "spec.json"), append(sj, '\n'), 0o644); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	if err := mf.Close(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	sum := export.SummaryOf(res, train.N, train.D)
	sum.Defaults = defaults
	if err := export.SaveSummary(filepath.Join(*out, export.SummaryFile), sum); err != nil {
		return err
	}
	onnx, err := export.Write(ctx, *out, m, export.Options{Training: &sum})
	if err != nil {
		return err
	}
	lossPNG := ""
	if len(res.History) > 0 {
		if lossPNG, err = apps.LossPlotFromMetrics(*out, apps.LossTitle(m.Spec, filepath.Base(train.Source))); err != nil {
			return err
		}
	}
	reconPNG := ""
	if isImg && len(imgShape) == 3 && imgShape[0] == 1 {
		// Image data: the first training images above their reconstructions.
		n := min(12, train.N)
		rec, err := m.Reconstruct(train.X[:n*train.D], n)
		if err != nil {
			return err
		}
		reconPNG = filepath.Join(*out, "reconstructions.png")
		title := fmt.Sprintf("%s on %s: training images", apps.ModelTitle(m.Spec), filepath.Base(train.Source))
		if err := apps.ReconstructionGrid(reconPNG, title, train.X[:n*train.D], rec, n, imgShape[1], imgShape[2]); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "trained %s %v in %d epochs", m.Spec.Kind, m.Spec.Sizes(), res.Epochs)
	if n := len(res.History); n > 0 {
		last := res.History[n-1]
		fmt.Fprintf(stdout, ": loss %.6g", last.Loss)
		if last.ValLoss != nil {
			fmt.Fprintf(stdout, ", val_loss %.6g", *last.ValLoss)
		}
		if last.ValRMSE != nil {
			fmt.Fprintf(stdout, ", val_rmse %.4g", *last.ValRMSE)
		}
	}
	if res.StoppedEarly {
		fmt.Fprintf(stdout, " (early stop; best epoch %d restored)", res.BestEpoch)
	}
	fmt.Fprintf(stdout, "\nmodel: %s\nonnx: %s, %s, %s", res.ModelPath, onnx.Model, onnx.Encoder, onnx.Decoder)
	if onnx.Generate != "" {
		fmt.Fprintf(stdout, ", %s", onnx.Generate)
	}
	fmt.Fprintln(stdout)
	if lossPNG != "" {
		fmt.Fprintf(stdout, "loss plot: %s\n", lossPNG)
	}
	if reconPNG != "" {
		fmt.Fprintf(stdout, "reconstructions: %s\n", reconPNG)
	}
	return nil
}

// specFlags maps the spec fields models.Validate names (FieldError.Field)
// to the train flags that set them.
var specFlags = map[string]string{
	"kind": "model", "input": "data", "image": "data", "code": "code", "hidden": "hidden",
	"activation": "activation", "code_activation": "code-activation", "output_activation": "output-activation",
	"alpha": "alpha", "init": "init", "loss": "loss", "tied": "tied", "l1": "l1", "rho": "rho", "beta": "beta",
	"k": "k", "noise.type": "noise", "noise.drop": "drop", "noise.sigma": "sigma", "lambda": "lambda",
	"pretrain_epochs": "pretrain-epochs", "dropout": "dropout", "kl_warmup": "kl-warmup", "filters": "filters",
	"kernel": "kernel", "upsampling": "upsampling", "pooling": "pooling", "batch_norm": "batch-norm",
}

// flagNamedErrors renders the errors of models.Spec.Validate on one line,
// each followed by the flag that sets the field it names.
func flagNamedErrors(err error) string {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var parts []string
	for _, e := range errs {
		msg := e.Error()
		var fe *models.FieldError
		if errors.As(e, &fe) {
			if f, ok := specFlags[fe.Field]; ok {
				msg += " (--" + f + ")"
			}
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

// specDefaults lists the settings of a flag-built spec that the user did
// not give and latent chose: flag name → value and, for sizes, the rule.
// latent train prints them and records them in training.json.
func specDefaults(spec models.Spec, set map[string]bool, fromFlags bool) map[string]string {
	if !fromFlags {
		return nil
	}
	d := map[string]string{}
	if !set["model"] {
		d["model"] = string(spec.Kind) + " (deep unless the data is a ratings file)"
	}
	if !set["code"] {
		if spec.Kind == models.Recommender {
			d["code"] = fmt.Sprintf("%d (the recommender's)", spec.Code)
		} else {
			d["code"] = fmt.Sprintf("%d (min(32, inputs/4) for %d inputs)", spec.Code, spec.Input)
		}
	}
	if !set["hidden"] && len(spec.Hidden) > 0 {
		rule := "the " + string(spec.Kind) + " default"
		switch {
		case spec.Kind == models.Deep || spec.Kind == models.Stacked:
			rule = fmt.Sprintf("derived from %d inputs and code %d: %s", spec.Input, spec.Code, models.DefaultHiddenRule)
		case spec.Kind == models.VAE:
			rule = "max(2·code, min(256, inputs/2))"
		}
		d["hidden"] = fmt.Sprintf("%s (%s)", (*intList)(&spec.Hidden).String(), rule)
	}
	if models.IsConv(spec.Kind) && !set["filters"] {
		d["filters"] = (*intList)(&spec.Filters).String()
	}
	num := func(flag string, v float64) {
		if !set[flag] && v != 0 {
			d[flag] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	num("l1", spec.L1)
	num("rho", spec.Rho)
	num("beta", spec.Beta)
	num("lambda", spec.Lambda)
	num("k", float64(spec.K))
	num("pretrain-epochs", float64(spec.PretrainEpochs))
	if spec.Noise.Type != models.NoNoise && !set["noise"] {
		d["noise"] = string(spec.Noise.Type)
		num("drop", spec.Noise.Drop)
		num("sigma", spec.Noise.Sigma)
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

// sizesString renders layer widths as 784-512-128-32.
func sizesString(sizes []int) string {
	s := make([]string, len(sizes))
	for i, v := range sizes {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, "-")
}

// defaultOut is the folder latent train writes when --out is not given:
// the checkpoint's folder when resuming, else runs/KIND, or the first of
// runs/KIND-2, -3 … that does not exist yet (an earlier run is never
// overwritten by default). It returns the rule it followed.
func defaultOut(kind models.Kind, resume string) (string, string, error) {
	if resume != "" {
		return filepath.Dir(resume), "the checkpoint's folder", nil
	}
	if kind == "" {
		kind = "model"
	}
	base := filepath.Join("runs", string(kind))
	for n := 1; n < 10000; n++ {
		dir := base
		if n > 1 {
			dir = fmt.Sprintf("%s-%d", base, n)
		}
		_, err := os.Stat(dir)
		if errors.Is(err, os.ErrNotExist) {
			if n == 1 {
				return dir, "runs/KIND", nil
			}
			return dir, base + " exists", nil
		}
		if err != nil {
			return "", "", fmt.Errorf("output directory: %w", err)
		}
	}
	return "", "", fmt.Errorf("output directory: %s-2 … %s-9999 all exist; give --out DIR", base, base)
}

// defaultsLine renders the values of defaults as flags, sorted, without
// their rules: "--code 32 --hidden 512,128".
func defaultsLine(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v, _, _ := strings.Cut(d[k], " (")
		parts = append(parts, "--"+k+" "+v)
	}
	return strings.Join(parts, " ")
}

func kindNames() string {
	var s []string
	for _, k := range models.AllKinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// isTerminal reports whether w is a character device (a live progress line
// is drawn only there).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
