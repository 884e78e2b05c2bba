package recommend

import (
	"context"
	"fmt"
	"time"
)

// DefaultValFraction of each user's base ratings is held out for early
// stopping, drawn with DefaultValSeed.
const (
	DefaultValFraction = 0.05
	DefaultValSeed     = 7
)

// CompareConfig configures Compare. Zero fields take the defaults.
type CompareConfig struct {
	Autoencoder AutoencoderConfig `json:"autoencoder"`
	// MF trains for the autoencoder's epochs unless MF.Epochs is set, with
	// the same validation ratings.
	MF   MFConfig   `json:"mf"`
	Bias BiasConfig `json:"bias"`
	// ValFraction of each user's base ratings is held out for early
	// stopping, drawn with ValSeed (defaults DefaultValFraction and
	// DefaultValSeed).
	ValFraction float64 `json:"val_fraction"`
	ValSeed     uint64  `json:"val_seed"`
	// TopN is the list length (default 10) and Relevant the lowest test
	// rating that counts as a hit (default 4).
	TopN     int     `json:"top_n"`
	Relevant float32 `json:"relevant"`
	// Dir receives the autoencoder's run (see TrainAutoencoder); empty:
	// nothing is written.
	Dir string `json:"-"`
}

// Result is one model's line of a Report.
type Result struct {
	Model string `json:"model"`
	// Errors is nil for popularity, which ranks but predicts no ratings;
	// Ranking is nil for the global mean, whose scores are all equal.
	Errors  *Errors  `json:"errors,omitempty"`
	Ranking *Ranking `json:"ranking,omitempty"`
	// Epochs run and the best (kept) epoch, for trained models.
	Epochs    int     `json:"epochs,omitempty"`
	BestEpoch int     `json:"best_epoch,omitempty"`
	Seconds   float64 `json:"seconds"`
}

// Report is the evaluation of the autoencoder and every baseline on one
// split.
type Report struct {
	Users       int `json:"users"`
	Items       int `json:"items"`
	BaseRatings int `json:"base_ratings"`
	ValRatings  int `json:"val_ratings"`
	TestRatings int `json:"test_ratings"`
	// Unknown counts the test ratings of users or items the base file
	// lacks (predicted by the bias model for every model).
	Unknown int `json:"unknown"`
	// Min and Max are the rating scale predictions are clipped to.
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Orientation string  `json:"orientation"`
	// Config is the configuration with every default filled in.
	Config  CompareConfig `json:"config"`
	Results []Result      `json:"results"`
	// Autoencoder is the trained model; its line is Results[0].
	Autoencoder *Autoencoder `json:"-"`
}

// Compare trains the autoencoder recommender and biased matrix
// factorisation on the base ratings less a validation part (for early
// stopping), fits the global-mean, item-mean and user+item-bias baselines
// on all base ratings, and measures every model on the test ratings:
// RMSE with predictions clipped to the base file's rating scale, the mean
// of per-user RMSEs, and precision, recall and NDCG of top-N lists against
// the popularity ranking. The autoencoder predicts from every base rating.
func Compare(ctx context.Context, s *Split, c CompareConfig) (*Report, error) {
	if c.ValFraction == 0 {
		c.ValFraction = DefaultValFraction
	}
	if c.ValSeed == 0 {
		c.ValSeed = DefaultValSeed
	}
	if c.TopN == 0 {
		c.TopN = 10
	}
	if c.Relevant == 0 {
		c.Relevant = 4
	}
	c.Autoencoder.Defaults()
	c.Bias.Defaults()
	if c.MF.Epochs == 0 {
		c.MF.Epochs = c.Autoencoder.Epochs
	}
	if c.MF.Seed == 0 {
		c.MF.Seed = c.Autoencoder.Seed
	}
	c.MF.Defaults()
	if len(s.Base) == 0 || len(s.Test) == 0 {
		return nil, fmt.Errorf("compare: %s has %d ratings and %s %d", s.BaseFile, len(s.Base), s.TestFile, len(s.Test))
	}
	U, I := len(s.Users), len(s.Items)
	lo, hi := s.Scale()
	train, val, err := s.HoldOut(c.ValFraction, c.ValSeed)
	if err != nil {
		return nil, err
	}
	rep := &Report{Users: U, Items: I, BaseRatings: len(s.Base), ValRatings: len(val), TestRatings: len(s.Test),
		Unknown: s.Unknown(), Min: lo, Max: hi, Orientation: c.Autoencoder.Orientation(), Config: c}
	bias, err := timed(func() (*Bias, error) { return FitBias(s.Base, U, I, c.Bias) })
	if err != nil {
		return nil, err
	}
	measure := func(name string, pred *Matrix, sc Scorer, seconds float64) (*Result, error) {
		r := Result{Model: name, Seconds: seconds}
		if pred != nil {
			e, err := RatingErrors(s.Test, pred, bias.v, lo, hi)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			r.Errors = &e
			sc = pred
		}
		if sc != nil {
			rk, err := RankingQuality(s.Base, s.Test, sc, U, I, c.TopN, c.Relevant)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			r.Ranking = &rk
		}
		rep.Results = append(rep.Results, r)
		return &rep.Results[len(rep.Results)-1], nil
	}

	ae, err := TrainAutoencoder(ctx, c.Dir, train, val, U, I, c.Autoencoder)
	if err != nil {
		return nil, err
	}
	pred, err := ae.Predict(s.Base, U, I)
	if err != nil {
		return nil, err
	}
	row, err := measure("autoencoder ("+c.Autoencoder.Orientation()+")", pred, nil, ae.Seconds)
	if err != nil {
		return nil, err
	}
	row.Epochs, row.BestEpoch = ae.Epochs, ae.BestEpoch
	rep.Autoencoder = ae

	mf, err := FitMF(ctx, train, val, U, I, c.MF)
	if err != nil {
		return nil, err
	}
	if row, err = measure("matrix factorisation", mf.Matrix(), nil, mf.Seconds); err != nil {
		return nil, err
	}
	row.Epochs, row.BestEpoch = mf.Epochs, mf.BestEpoch
	if _, err := measure("user+item bias", bias.v.Matrix(), nil, bias.seconds); err != nil {
		return nil, err
	}
	im, err := timed(func() (*Matrix, error) { return ItemMean(s.Base, U, I), nil })
	if err != nil {
		return nil, err
	}
	if _, err := measure("item mean", im.v, nil, im.seconds); err != nil {
		return nil, err
	}
	gm := GlobalMean(s.Base, U, I)
	e, err := RatingErrors(s.Test, gm, bias.v, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("global mean: %w", err)
	}
	rep.Results = append(rep.Results, Result{Model: "global mean", Errors: &e})
	if _, err := measure("popularity", nil, NewPopularity(s.Base, I), 0); err != nil {
		return nil, err
	}
	return rep, nil
}

type timedValue[T any] struct {
	v       T
	seconds float64
}

func timed[T any](f func() (T, error)) (timedValue[T], error) {
	start := time.Now()
	v, err := f()
	return timedValue[T]{v, time.Since(start).Seconds()}, err
}
