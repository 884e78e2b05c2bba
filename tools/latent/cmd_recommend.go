package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/data"
)

const recommendUsage = `usage: latent recommend MODEL --ratings FILE --user ID [--top N]
       latent recommend train --ratings BASE --test TEST --out DIR [flags]
       latent recommend generate --out DIR [--users N --items N --rank R]

Recommends items to a user with a recommender autoencoder (users × items,
masked MSE over observed ratings). MODEL is a run folder or model.onnx
trained on FILE, a MovieLens-style ratings file (user item rating
[timestamp], tab/comma/"::" separated); the user's row of FILE goes
through the model (for an --item-based model every item's column goes
through it) and the N unrated items with the highest predicted
ratings are printed.

train fits the classic stacked recommender (items-20-10-20-items, sigmoid,
RMSprop; --item-based: one row per item, as I-AutoRec) on BASE and reports the RMSE over the held-out ratings of TEST
(predictions clipped to 1-5), e.g. MovieLens-100k's u1.base / u1.test.
generate writes a rank-R ratings set (base.data, test.data) in the same
layout for trying it without downloading anything.

examples:
  latent recommend generate --out runs/ratings
  latent recommend train --ratings runs/ratings/base.data --test runs/ratings/test.data --out runs/rec
  latent recommend runs/rec --ratings runs/ratings/base.data --user 7 --top 5
  latent recommend train --ratings ml-100k/u1.base --test ml-100k/u1.test --out runs/ml100k`

func init() {
	register(&command{name: "recommend", summary: "top-N recommendations from a recommender autoencoder; train/evaluate on a ratings split; generate a ratings set", run: cmdRecommend})
}

func cmdRecommend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "train":
			return recommendTrain(ctx, args[1:], stdout, stderr)
		case "generate":
			return recommendGenerate(args[1:], stdout, stderr)
		}
	}
	fs := newFlagSet("recommend", recommendUsage, stderr)
	ratings := fs.String("ratings", "", "the ratings file the model was trained on (required)")
	user := fs.String("user", "", "user id (required)")
	top := fs.Int("top", 10, "number of recommendations")
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
	mp, err := resolveModel(pos[0], "model.onnx")
	if err != nil {
		return err
	}
	ds, err := data.LoadRatings(*ratings)
	if err != nil {
		return err
	}
	u, err := apps.ParseUser(ds.Users, *user)
	if err != nil {
		return err
	}
	row := ds.Row(u)
	var pred []float32
	orient, _ := os.ReadFile(filepath.Join(filepath.Dir(mp), "orientation.txt"))
	if strings.TrimSpace(string(orient)) == "item-based" {
		pred, err = apps.ItemBasedPredictions(ctx, mp, *backend, ds.X, ds.N, ds.D, u)
	} else {
		pred, err = apps.ReconstructONNX(ctx, mp, *backend, row, 1)
	}
	if err != nil {
		return fmt.Errorf("%s (was it trained on %s? it has %d items): %w", mp, *ratings, ds.D, err)
	}
	recs, err := apps.TopN(pred, row, ds.Items, *top)
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
		fmt.Fprintf(stdout, "%2d. item %s\tpredicted %.2f\n", i+1, r.Item, r.Predicted)
	}
	return nil
}

func recommendTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("recommend train", recommendUsage, stderr)
	base := fs.String("ratings", "", "training ratings file (required)")
	test := fs.String("test", "", "held-out ratings file (required)")
	out := fs.String("out", "runs/recommender", "output folder")
	var hidden intList
	fs.Var(&hidden, "hidden", "hidden sizes (default 20)")
	code := fs.Int("code", 10, "code size")
	epochs := fs.Int("epochs", 20, "epochs")
	batch := fs.Int("batch", 16, "mini-batch size (users)")
	lr := fs.Float64("lr", 1e-2, "learning rate")
	opt := fs.String("optimizer", "rmsprop", "optimizer")
	seed := fs.Uint64("seed", 1, "random seed")
	itemBased := fs.Bool("item-based", false, "one row per item (ratings by all users), as I-AutoRec, instead of one row per user")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *base == "" || *test == "" {
		return usagef("--ratings BASE and --test TEST are required")
	}
	if *epochs <= 0 || *batch <= 0 || *code <= 0 || *lr <= 0 {
		return usagef("--epochs, --batch, --code and --lr must be positive")
	}
	s, err := apps.LoadRatingsSplit(*base, *test)
	if err != nil {
		return err
	}
	baseline, err := apps.ItemMeanRMSE(s)
	if err != nil {
		return err
	}
	users, items := s.Train.N, s.Train.D
	if *itemBased {
		s = s.Transposed()
	}
	o := apps.RecommenderOptions{Code: *code, Optimizer: *opt, ItemBased: *itemBased,
		TrainOptions: apps.TrainOptions{Epochs: *epochs, Batch: *batch, LR: *lr, Seed: *seed}}
	if len(hidden) > 0 {
		o.Hidden = hidden
	}
	if !*quiet {
		o.Progress = stderr
		o.Live = isTerminal(stderr)
	}
	_, rmse, err := apps.TrainRecommender(ctx, *out, s, o)
	if err != nil {
		return err
	}
	var nt int
	for _, m := range s.Test.Mask {
		if m != 0 {
			nt++
		}
	}
	fmt.Fprintf(stdout, "%d users × %d items (%s); %d test ratings", users, items, o.Orientation(), nt)
	if s.Dropped > 0 {
		fmt.Fprintf(stdout, " (%d more of unseen users/items skipped)", s.Dropped)
	}
	fmt.Fprintf(stdout, "\ntest RMSE %.4f (predictions clipped to 1-5); item-mean baseline %.4f\nmodel: %s\nplot: %s\n",
		rmse, baseline, filepath.Join(*out, "model.onnx"), filepath.Join(*out, "loss.png"))
	return nil
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
	nb, nt, err := apps.GenerateRatings(b, t, *users, *items, *rank, *density, *noise, 0.2, *seed)
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
