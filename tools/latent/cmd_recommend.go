package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/apps/recommend"
	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/models"
)

const recommendUsage = `usage: latent recommend train (--fold N | --ratings BASE --test TEST) [--out DIR] [flags]
       latent recommend crossval [--data DIR] [--folds 1,2,3,4,5] [flags]
       latent recommend MODEL --ratings FILE --user ID [--top N] [--titles FILE]
       latent recommend generate --out DIR [--users N --items N --rank R]

Rating prediction and top-N recommendation with autoencoders over the
ratings matrix (AutoRec): each item's ratings by all users (I-AutoRec) and
each user's ratings of all items (U-AutoRec), each row followed by the 0/1
indicators of its observed ratings, go through a wide sigmoid code layer
and back, the squared error counted over observed ratings only, with input
dropout, decoupled weight decay (AdamW), a cosine learning-rate schedule
and the best epoch on a validation part of the base file kept. The two are
blended by a weight fitted on that part (--orientation item or user: one).

train fits it on BASE less 5% of each user's ratings (held out for early
stopping) and measures it on every rating of TEST beside the baselines
fitted on the same file: biased matrix factorisation trained the same
number of epochs, user+item bias, item mean, global mean, and popularity
for the top-N lists. It prints RMSE (predictions clipped to the base
file's rating scale), the mean of per-user RMSEs, precision, recall and
NDCG at --top over test ratings >= 4 (ranking each user's unrated items),
epochs and training time, then "test RMSE <value>" for the autoencoder.
--fold N takes MovieLens-100k's official fold N (uN.base/uN.test, fetched
into the cache by tools/fetch-movielens.sh, which tools/setup.sh runs).
DIR receives item/ and user/ (each model.onnx with encoder/decoder.onnx,
model.latent, metrics.jsonl, loss.png; one model: in DIR itself),
recommender.json (the blend) and result.json.

crossval runs train on several MovieLens-100k folds and prints each
model's mean ± standard deviation (a Markdown table).

MODEL recommends: the N unrated items with the highest predicted ratings
for user ID, MODEL a run folder of latent recommend train on FILE, a
ratings file (u.data-style "user item rating [timestamp]" with tabs,
commas, "::" or spaces, or RecBole's .inter). Titles come from --titles
(a RecBole .item or GroupLens u.item), found beside FILE when not given.

generate writes a synthetic rank-R ratings set (base.data, test.data) in
MovieLens' layout.

The defaults were chosen by a search on validation parts of the five
MovieLens-100k base files, never on a test file (docs/recommender.md).

examples:
  latent recommend train --fold 1 --out runs/ml100k-u1
  latent recommend train --ratings u1.base --test u1.test --out runs/rec
  latent recommend crossval
  latent recommend runs/ml100k-u1 --ratings ~/.cache/latent/data/ml-100k/u1.base --user 1 --top 10
  latent recommend generate --out runs/ratings`

func init() {
	register(&command{name: "recommend", summary: "rating prediction and top-N lists with an autoencoder (AutoRec); train/evaluate against baselines, cross-validate, recommend", run: cmdRecommend})
}

func cmdRecommend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "train":
			return recommendTrain(ctx, args[1:], stdout, stderr)
		case "crossval":
			return recommendCrossval(ctx, args[1:], stdout, stderr)
		case "generate":
			return recommendGenerate(args[1:], stdout, stderr)
		}
	}
	fs := newFlagSet("recommend", recommendUsage, stderr)
	ratings := fs.String("ratings", "", "the ratings file the model was trained on (required)")
	user := fs.String("user", "", "user id (required)")
	top := fs.Int("top", 10, "number of recommendations")
	titles := fs.String("titles", "", "item titles: a RecBole .item or GroupLens u.item (default: found beside --ratings)")
	backend := fs.String("backend", "native", "native or ort")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one MODEL argument, got %d (see latent recommend --help)", len(pos))
	}
	if *ratings == "" || *user == "" {
		return usagef("--ratings FILE and --user ID are required")
	}
	if *top <= 0 {
		return usagef("--top must be positive, got %d", *top)
	}
	dir := pos[0]
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("model: %w", err)
	} else if !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	blend, err := recommend.ReadBlend(dir)
	if err != nil {
		return err
	}
	ds, err := data.LoadRatings(*ratings)
	if err != nil {
		return err
	}
	u, err := recommend.ParseUser(ds.Users, *user)
	if err != nil {
		return err
	}
	var names recommend.Titles
	tp := *titles
	if tp == "" {
		tp = recommend.TitlesFor(*ratings)
	}
	if tp != "" {
		if names, err = recommend.LoadTitles(tp); err != nil {
			return err
		}
	}
	pred, err := blend.PredictUser(ctx, dir, *backend, ds.X, ds.N, ds.D, u)
	if err != nil {
		return fmt.Errorf("%s (was it trained on %s? it has %d users × %d items): %w", dir, *ratings, ds.N, ds.D, err)
	}
	row := ds.Row(u)
	recs, err := recommend.TopN(pred, row, ds.Items, *top)
	if err != nil {
		return err
	}
	rated := 0
	for _, v := range row {
		if v != 0 {
			rated++
		}
	}
	fmt.Fprintf(stdout, "user %s rated %d of %d items; top %d unrated:\n", *user, rated, ds.D, len(recs))
	for i, r := range recs {
		fmt.Fprintf(stdout, "%2d. item %s\tpredicted %.2f", i+1, r.Item, r.Predicted)
		if t, ok := names[r.Item]; ok {
			fmt.Fprintf(stdout, "\t%s", t)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// trainFlags are the model and evaluation flags train and crossval share.
type trainFlags struct {
	orientation          *string
	ratingsOnly          *bool
	hidden               intList
	code, epochs, batch  *int
	lr, wd, dropout, val *float64
	patience, top        *int
	seed                 *uint64
	act                  *string
	quiet                *bool
}

func addTrainFlags(fs interface {
	Bool(string, bool, string) *bool
	Int(string, int, string) *int
	Float64(string, float64, string) *float64
	Uint64(string, uint64, string) *uint64
	String(string, string, string) *string
}) *trainFlags {
	var d recommend.AutoencoderConfig
	d.Defaults()
	return &trainFlags{
		orientation: fs.String("orientation", recommend.Both, "both: an item-based and a user-based autoencoder, blended; item: one row per item (I-AutoRec); user: one row per user (U-AutoRec)"),
		ratingsOnly: fs.Bool("ratings-only", false, "feed the ratings alone, without the observed-entry indicators"),
		code:        fs.Int("code", d.Code, "width of the code layer"),
		act:         fs.String("activation", string(d.Activation), "activation of the hidden and code layers"),
		epochs:      fs.Int("epochs", d.Epochs, "epochs (the cosine schedule spans them)"),
		batch:       fs.Int("batch", d.Batch, "rows per step"),
		lr:          fs.Float64("lr", d.LR, "peak learning rate"),
		wd:          fs.Float64("weight-decay", d.WeightDecay, "AdamW's decoupled weight decay (weights, not biases)"),
		dropout:     fs.Float64("input-dropout", d.InputDropout, "probability of hiding each input (rating or indicator) during training (0: off)"),
		patience:    fs.Int("patience", 0, "stop after this many epochs without a better validation loss (0: run every epoch; the best epoch is kept either way)"),
		val:         fs.Float64("val", recommend.DefaultValFraction, "fraction of each user's base ratings held out for early stopping"),
		top:         fs.Int("top", 10, "length of the top-N lists measured"),
		seed:        fs.Uint64("seed", 1, "random seed"),
		quiet:       fs.Bool("quiet", false, "no progress output"),
	}
}

func (f *trainFlags) config(stderr io.Writer) (recommend.CompareConfig, error) {
	if *f.epochs <= 0 || *f.batch <= 0 || *f.code <= 0 || *f.lr <= 0 || *f.top <= 0 {
		return recommend.CompareConfig{}, usagef("--epochs, --batch, --code, --lr and --top must be positive")
	}
	if *f.wd < 0 || *f.dropout < 0 || *f.dropout >= 1 || *f.patience < 0 {
		return recommend.CompareConfig{}, usagef("--weight-decay and --patience must be non-negative and --input-dropout in [0,1)")
	}
	if *f.val <= 0 || *f.val >= 1 {
		return recommend.CompareConfig{}, usagef("--val must be in (0,1), got %g", *f.val)
	}
	switch *f.orientation {
	case recommend.Both, recommend.ItemOnly, recommend.UserOnly:
	default:
		return recommend.CompareConfig{}, usagef("--orientation must be both, item or user, got %q", *f.orientation)
	}
	ac := recommend.AutoencoderConfig{RatingsOnly: *f.ratingsOnly, Hidden: f.hidden, Code: *f.code,
		Activation: models.Activation(*f.act), Epochs: *f.epochs, Batch: *f.batch, LR: *f.lr,
		WeightDecay: *f.wd, InputDropout: *f.dropout, Patience: *f.patience, Seed: *f.seed}
	if *f.dropout == 0 {
		ac.InputDropout = -1 // off (0 would mean the default)
	}
	if !*f.quiet {
		ac.Progress = stderr
		ac.Live = isTerminal(stderr)
	}
	return recommend.CompareConfig{Orientation: *f.orientation, Autoencoder: ac, ValFraction: *f.val, TopN: *f.top}, nil
}

func recommendTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recommend train", recommendUsage, stderr)
	base := fs.String("ratings", "", "base (training) ratings file")
	test := fs.String("test", "", "held-out ratings file")
	fold := fs.Int("fold", 0, "MovieLens-100k fold 1-5 from the cache (instead of --ratings/--test)")
	dataDir := fs.String("data", recommend.MovieLensDir(), "folder of MovieLens-100k's folds (with --fold)")
	out := fs.String("out", "runs/recommender", "output folder")
	tf := addTrainFlags(fs)
	fs.Var(&tf.hidden, "hidden", "encoder layers before the code (default none)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	switch {
	case *fold != 0 && (*base != "" || *test != ""):
		return usagef("--fold and --ratings/--test exclude each other")
	case *fold != 0:
		if *base, *test, err = recommend.MovieLensFold(*dataDir, *fold); err != nil {
			return err
		}
	case *base == "" || *test == "":
		return usagef("--ratings BASE and --test TEST (or --fold N) are required")
	}
	c, err := tf.config(stderr)
	if err != nil {
		return err
	}
	c.Dir = *out
	s, err := recommend.LoadSplit(*base, *test)
	if err != nil {
		return err
	}
	rep, err := recommend.Compare(ctx, s, c)
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*out, "result.json"), rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "base %s: %d users × %d items, %d ratings (%d held out for early stopping); test %s: %d ratings",
		*base, rep.Users, rep.Items, rep.BaseRatings, rep.ValRatings, *test, rep.TestRatings)
	if rep.Unknown > 0 {
		fmt.Fprintf(stdout, " (%d of users or items the base file lacks, predicted by the bias model)", rep.Unknown)
	}
	fmt.Fprintf(stdout, "\n\n")
	printComparison(stdout, rep)
	ae := rep.Results[0]
	fmt.Fprintf(stdout, "\ntest RMSE %.4f (autoencoder, %s; predictions clipped to %g-%g)\nmodel: %s\nplot: %s\n",
		ae.Errors.RMSE, rep.Orientation, rep.Min, rep.Max, filepath.Join(*out, "model.onnx"), filepath.Join(*out, "loss.png"))
	return nil
}

func printComparison(w io.Writer, rep *recommend.Report) {
	n := rep.Config.TopN
	fmt.Fprintf(w, "%-28s %8s %10s %8s %8s %8s %7s %8s\n", "model", "RMSE", "user RMSE", fmt.Sprintf("P@%d", n), fmt.Sprintf("R@%d", n), fmt.Sprintf("NDCG@%d", n), "epochs", "seconds")
	for _, r := range rep.Results {
		rmse, urmse := "-", "-"
		if r.Errors != nil {
			rmse, urmse = fmt.Sprintf("%.4f", r.Errors.RMSE), fmt.Sprintf("%.4f", r.Errors.UserRMSE)
		}
		ep := "-"
		if r.Epochs > 0 {
			ep = fmt.Sprintf("%d/%d", r.BestEpoch, r.Epochs)
		}
		p, rc, nd := "-", "-", "-"
		if r.Ranking != nil {
			p, rc, nd = fmt.Sprintf("%.4f", r.Ranking.Precision), fmt.Sprintf("%.4f", r.Ranking.Recall), fmt.Sprintf("%.4f", r.Ranking.NDCG)
		}
		fmt.Fprintf(w, "%-28s %8s %10s %8s %8s %8s %7s %8.1f\n", r.Model, rmse, urmse, p, rc, nd, ep, r.Seconds)
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func recommendCrossval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recommend crossval", recommendUsage, stderr)
	dataDir := fs.String("data", recommend.MovieLensDir(), "folder of MovieLens-100k's folds u1..u5")
	folds := fs.String("folds", "1,2,3,4,5", "folds to run")
	out := fs.String("out", "runs/crossval", "output folder (one run folder per fold)")
	tf := addTrainFlags(fs)
	fs.Var(&tf.hidden, "hidden", "encoder layers before the code (default none)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	var fl intList
	if err := fl.Set(*folds); err != nil || len(fl) == 0 {
		return usagef("--folds: want fold numbers like 1,2,3,4,5, got %q", *folds)
	}
	c, err := tf.config(stderr)
	if err != nil {
		return err
	}
	var reps []*recommend.Report
	for _, i := range fl {
		base, test, err := recommend.MovieLensFold(*dataDir, i)
		if err != nil {
			return err
		}
		s, err := recommend.LoadSplit(base, test)
		if err != nil {
			return err
		}
		c.Dir = filepath.Join(*out, fmt.Sprintf("u%d", i))
		rep, err := recommend.Compare(ctx, s, c)
		if err != nil {
			return fmt.Errorf("fold %d: %w", i, err)
		}
		if err := writeJSON(filepath.Join(c.Dir, "result.json"), rep); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "u%d: test RMSE %.4f (autoencoder); matrix factorisation %.4f; user+item bias %.4f\n",
			i, rep.Results[0].Errors.RMSE, rep.Result("matrix factorisation").Errors.RMSE, rep.Result("user+item bias").Errors.RMSE)
		reps = append(reps, rep)
	}
	n := reps[0].Config.TopN
	fmt.Fprintf(stdout, "\nMovieLens-100k folds %s, mean ± sd (%s autoencoder)\n\n", *folds, reps[0].Orientation)
	fmt.Fprintf(stdout, "| model | RMSE | user RMSE | P@%d | R@%d | NDCG@%d | seconds |\n| --- | --- | --- | --- | --- | --- | --- |\n", n, n, n)
	for m := range reps[0].Results {
		col := func(f func(r recommend.Result) float64) string {
			var v []float64
			for _, rep := range reps {
				v = append(v, f(rep.Results[m]))
			}
			mean, sd := meanSD(v)
			return fmt.Sprintf("%.4f ± %.4f", mean, sd)
		}
		rmse, urmse := "–", "–"
		if reps[0].Results[m].Errors != nil {
			rmse = col(func(r recommend.Result) float64 { return r.Errors.RMSE })
			urmse = col(func(r recommend.Result) float64 { return r.Errors.UserRMSE })
		}
		secs := col(func(r recommend.Result) float64 { return r.Seconds })
		p, rc, nd := "–", "–", "–"
		if reps[0].Results[m].Ranking != nil {
			p = col(func(r recommend.Result) float64 { return r.Ranking.Precision })
			rc = col(func(r recommend.Result) float64 { return r.Ranking.Recall })
			nd = col(func(r recommend.Result) float64 { return r.Ranking.NDCG })
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimSpace(reps[0].Results[m].Model), rmse, urmse, p, rc, nd, secs)
	}
	return nil
}

// meanSD returns the mean and the sample standard deviation.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

func recommendGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recommend generate", recommendUsage, stderr)
	out := fs.String("out", "runs/ratings", "output folder")
	users := fs.Int("users", 943, "users")
	items := fs.Int("items", 1682, "items")
	rank := fs.Int("rank", 5, "rank of the rating model")
	density := fs.Float64("density", 0.063, "fraction of rated entries")
	noise := fs.Float64("noise", 0.5, "rating noise standard deviation")
	seed := fs.Uint64("seed", 1, "random seed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if err := mkdirAll(*out); err != nil {
		return err
	}
	b, t := filepath.Join(*out, "base.data"), filepath.Join(*out, "test.data")
	nb, nt, err := recommend.GenerateRatings(b, t, *users, *items, *rank, *density, *noise, 0.2, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d ratings) and %s (%d ratings)\n", b, nb, t, nt)
	return nil
}

func mkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	return nil
}
