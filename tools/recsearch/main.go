// Command recsearch runs the search that chose latent recommend's
// defaults, so that anyone can repeat or extend it. Every combination of
// the grid's values is trained on each fold's base file less a validation
// part (a fraction of each user's ratings) and scored by the RMSE on that
// part, predictions clipped to the rating scale (and NDCG@10 against that
// part's ratings of 4 and above); the test files are never read.
// Combinations are listed by mean validation RMSE over the folds, with the
// standard deviation, per-fold figures, NDCG@10, epochs and time.
//
//	go run ./tools/recsearch --model autoencoder --grid 'wd=1,3,10 lr=0.001,0.003'
//	go run ./tools/recsearch --model mf --grid 'factors=50,100 reg=0.02,0.05'
//	go run ./tools/recsearch --model bias --grid 'lambda-user=2,5,10 lambda-item=5,10,25'
//
// Grid keys: autoencoder: orientation (both, item or user; default both,
// as latent recommend train), ratings-only (true/false), code, hidden (widths joined by x, e.g. 500x250), act,
// epochs, batch, lr, wd, dropout, patience; mf: factors, lr, reg, init, epochs, patience; bias:
// lambda-user, lambda-item. Keys left out take latent recommend's
// defaults. Progress goes to stderr, the table (Markdown) to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/latent-ml/latent/apps/recommend"
	"github.com/latent-ml/latent/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "recsearch:", err)
		os.Exit(1)
	}
}

type param struct {
	key    string
	values []string
}

// grid parses "k=v1,v2 k2=v3" into parameters in the order given.
func grid(s string) ([]param, error) {
	var ps []param
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("grid entry %q is not key=v1,v2,…", f)
		}
		ps = append(ps, param{k, strings.Split(v, ",")})
	}
	return ps, nil
}

// combos lists every combination of the parameters' values.
func combos(ps []param) []map[string]string {
	out := []map[string]string{{}}
	for _, p := range ps {
		var next []map[string]string
		for _, c := range out {
			for _, v := range p.values {
				m := make(map[string]string, len(c)+1)
				for k, x := range c {
					m[k] = x
				}
				m[p.key] = v
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

func label(ps []param, c map[string]string) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.key+"="+c[p.key])
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, " ")
}

// setter applies one grid value to a configuration.
type config struct {
	orientation string
	ae          recommend.AutoencoderConfig
	mf          recommend.MFConfig
	bias        recommend.BiasConfig
}

func (c *config) set(model, key, v string) error {
	f := func() (float64, error) { return strconv.ParseFloat(v, 64) }
	n := func() (int, error) { return strconv.Atoi(v) }
	var err error
	switch model + "/" + key {
	case "autoencoder/orientation":
		c.orientation = v
	case "autoencoder/code":
		c.ae.Code, err = n()
	case "autoencoder/hidden":
		c.ae.Hidden = nil
		for _, w := range strings.Split(v, "x") {
			k, e := strconv.Atoi(w)
			if e != nil {
				return fmt.Errorf("hidden=%s: %w", v, e)
			}
			c.ae.Hidden = append(c.ae.Hidden, k)
		}
	case "autoencoder/act":
		c.ae.Activation = models.Activation(v)
	case "autoencoder/epochs":
		c.ae.Epochs, err = n()
	case "autoencoder/batch":
		c.ae.Batch, err = n()
	case "autoencoder/lr":
		c.ae.LR, err = f()
	case "autoencoder/wd":
		c.ae.WeightDecay, err = f()
	case "autoencoder/dropout":
		if c.ae.InputDropout, err = f(); c.ae.InputDropout == 0 {
			c.ae.InputDropout = -1 // off (0 would mean the default)
		}
	case "autoencoder/ratings-only":
		c.ae.RatingsOnly, err = strconv.ParseBool(v)
	case "autoencoder/patience":
		c.ae.Patience, err = n()
	case "mf/factors":
		c.mf.Factors, err = n()
	case "mf/lr":
		c.mf.LR, err = f()
	case "mf/reg":
		c.mf.Reg, err = f()
	case "mf/init":
		c.mf.InitStd, err = f()
	case "mf/epochs":
		c.mf.Epochs, err = n()
	case "mf/patience":
		c.mf.Patience, err = n()
	case "bias/lambda-user":
		c.bias.LambdaUser, err = f()
	case "bias/lambda-item":
		c.bias.LambdaItem, err = f()
	default:
		return fmt.Errorf("unknown grid key %q for model %s", key, model)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %w", key, v, err)
	}
	return nil
}

type outcome struct {
	label       string
	rmse, ndcg  []float64
	epochs      []int
	seconds     float64
	mean, stdev float64
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recsearch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", recommend.MovieLensDir(), "folder holding u1.base … u5.base")
	foldList := fs.String("folds", "1,2,3,4,5", "folds whose base files are searched")
	frac := fs.Float64("frac", 0.1, "fraction of each user's base ratings scored as validation")
	seed := fs.Uint64("seed", 1, "seed of the validation parts (the models use seed 1)")
	model := fs.String("model", "autoencoder", "autoencoder, mf or bias")
	gridFlag := fs.String("grid", "", "space-separated key=v1,v2,… (see the package comment)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *model {
	case "autoencoder", "mf", "bias":
	default:
		return fmt.Errorf("--model must be autoencoder, mf or bias, got %q", *model)
	}
	ps, err := grid(*gridFlag)
	if err != nil {
		return err
	}
	var folds []int
	for _, f := range strings.Split(*foldList, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--folds: %q is not a fold number", f)
		}
		folds = append(folds, i)
	}
	var splits []*recommend.Split
	for _, i := range folds {
		base, _, err := recommend.MovieLensFold(*dir, i)
		if err != nil {
			return err
		}
		// The test file is never read: the split's "test" ratings are the
		// validation part of the base file.
		s, err := recommend.LoadBase(base)
		if err != nil {
			return err
		}
		if s, err = s.Validation(*frac, *seed); err != nil {
			return err
		}
		splits = append(splits, s)
	}
	var results []outcome
	for _, c := range combos(ps) {
		var cfg config
		cfg.ae.Seed, cfg.mf.Seed = 1, 1
		for k, v := range c {
			if err := cfg.set(*model, k, v); err != nil {
				return err
			}
		}
		o := outcome{label: label(ps, c)}
		start := time.Now()
		for fi, s := range splits {
			rmse, ndcg, epochs, err := score(ctx, *model, s, cfg)
			if err != nil {
				return fmt.Errorf("%s, fold %d: %w", o.label, folds[fi], err)
			}
			o.rmse, o.ndcg = append(o.rmse, rmse), append(o.ndcg, ndcg)
			o.epochs = append(o.epochs, epochs)
			fmt.Fprintf(stderr, "recsearch: %s fold %d: validation RMSE %.4f, NDCG@10 %.4f (%d epochs)\n", o.label, folds[fi], rmse, ndcg, epochs)
		}
		o.seconds = time.Since(start).Seconds() / float64(len(splits))
		o.mean, o.stdev = meanSD(o.rmse)
		results = append(results, o)
	}
	slices.SortStableFunc(results, func(a, b outcome) int {
		switch {
		case a.mean < b.mean:
			return -1
		case a.mean > b.mean:
			return 1
		}
		return 0
	})
	fmt.Fprintf(stdout, "%s, validation parts (%g of each user's ratings, seed %d) of folds %s\n\n", *model, *frac, *seed, *foldList)
	fmt.Fprintf(stdout, "| configuration | validation RMSE (mean ± sd) | per fold | NDCG@10 (mean) | best epochs | s per fold |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, o := range results {
		var pf []string
		for _, r := range o.rmse {
			pf = append(pf, fmt.Sprintf("%.4f", r))
		}
		nd, _ := meanSD(o.ndcg)
		fmt.Fprintf(stdout, "| %s | %.4f ± %.4f | %s | %.4f | %v | %.1f |\n", o.label, o.mean, o.stdev, strings.Join(pf, " "), nd, o.epochs, o.seconds)
	}
	return nil
}

// score trains one model on s.Base (less its own early-stopping part for
// the trained models, as latent recommend does) and returns the RMSE on
// s.Test and the epochs run.
func score(ctx context.Context, model string, s *recommend.Split, c config) (rmse, ndcg float64, epochs int, err error) {
	U, I := len(s.Users), len(s.Items)
	lo, hi := s.Scale()
	bias, err := recommend.FitBias(s.Base, U, I, c.bias)
	if err != nil {
		return 0, 0, 0, err
	}
	var pred *recommend.Matrix
	switch model {
	case "bias":
		pred = bias.Matrix()
	default:
		train, val, err := s.HoldOut(recommend.DefaultValFraction, recommend.DefaultValSeed)
		if err != nil {
			return 0, 0, 0, err
		}
		if model == "mf" {
			m, err := recommend.FitMF(ctx, train, val, U, I, c.mf)
			if err != nil {
				return 0, 0, 0, err
			}
			pred, epochs = m.Matrix(), m.BestEpoch
		} else {
			r, err := recommend.TrainRecommender(ctx, "", s.Base, train, val, U, I, c.orientation, c.ae)
			if err != nil {
				return 0, 0, 0, err
			}
			pred, epochs = r.Pred, r.Parts[0].BestEpoch
		}
	}
	e, err := recommend.RatingErrors(s.Test, pred, bias, lo, hi)
	if err != nil {
		return 0, 0, 0, err
	}
	rk, err := recommend.RankingQuality(s.Base, s.Test, pred, U, I, 10, 4)
	if err != nil {
		return 0, 0, 0, err
	}
	return e.RMSE, rk.NDCG, epochs, nil
}

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
