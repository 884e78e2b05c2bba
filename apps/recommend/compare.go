package recommend

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// DefaultValFraction of each user's base ratings is held out for early
// stopping, drawn with DefaultValSeed.
const (
	DefaultValFraction = 0.05
	DefaultValSeed     = 7
)

// Orientations of the autoencoder recommender (CompareConfig.Orientation).
const (
	Both     = "both" // an item-based and a user-based autoencoder, blended
	ItemOnly = "item" // one item-based autoencoder (I-AutoRec)
	UserOnly = "user" // one user-based autoencoder (U-AutoRec)
)

// CompareConfig configures Compare. Zero fields take the defaults.
type CompareConfig struct {
	// Orientation is Both (default), ItemOnly or UserOnly. With Both, an
	// item-based and a user-based autoencoder are trained with the
	// Autoencoder settings and their predictions blended, the weight
	// fitted by least squares on the early-stopping ratings.
	Orientation string            `json:"orientation"`
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
	// BlendWeight is the item-based part's weight in the blend (1 for a
	// single autoencoder).
	BlendWeight float64 `json:"blend_weight"`
	// Config is the configuration with every default filled in.
	Config CompareConfig `json:"config"`
	// Results holds one line per model, the autoencoder recommender first
	// (then, for a blend, its item-based and user-based parts alone).
	Results []Result `json:"results"`
	// Autoencoders are the trained models (item-based first).
	Autoencoders []*Autoencoder `json:"-"`
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
	switch c.Orientation {
	case "":
		c.Orientation = Both
	case Both, ItemOnly, UserOnly:
	default:
		return nil, fmt.Errorf("compare: orientation %q is not %s, %s or %s", c.Orientation, Both, ItemOnly, UserOnly)
	}
	c.Autoencoder.UserBased = c.Orientation == UserOnly
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
		Unknown: s.Unknown(), Min: lo, Max: hi, Orientation: c.orientationName(), Config: c}
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

	rec, err := TrainRecommender(ctx, c.Dir, s.Base, train, val, U, I, c.Orientation, c.Autoencoder)
	if err != nil {
		return nil, err
	}
	rep.BlendWeight = rec.Weight
	rep.Autoencoders = rec.Parts
	row, err := measure("autoencoder ("+rep.Orientation+")", rec.Pred, nil, rec.Seconds)
	if err != nil {
		return nil, err
	}
	row.Epochs, row.BestEpoch = rec.Parts[0].Epochs, rec.Parts[0].BestEpoch
	if len(rec.Parts) == 2 {
		for k, p := range rec.Parts {
			row, err := measure("  "+p.Layout.orientation()+" part", rec.PartPreds[k], nil, p.Seconds)
			if err != nil {
				return nil, err
			}
			row.Epochs, row.BestEpoch = p.Epochs, p.BestEpoch
		}
	}

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

// Result returns the line of the named model (leading spaces ignored), or
// nil.
func (r *Report) Result(name string) *Result {
	for k := range r.Results {
		if strings.TrimSpace(r.Results[k].Model) == name {
			return &r.Results[k]
		}
	}
	return nil
}

func (c *CompareConfig) orientationName() string {
	switch c.Orientation {
	case ItemOnly:
		return "item-based"
	case UserOnly:
		return "user-based"
	}
	return "item+user blend"
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

// Recommender is a trained autoencoder recommender: one autoencoder, or an
// item-based and a user-based one whose predictions are blended.
type Recommender struct {
	// Parts are the autoencoders, item-based first; Weight is the first
	// part's weight in the blend (1 for a single autoencoder).
	Parts  []*Autoencoder
	Weight float64
	// Pred holds the blended predictions from every base rating, PartPreds
	// each part's.
	Pred      *Matrix
	PartPreds []*Matrix
	Blend     *Blend
	Seconds   float64
}

// TrainRecommender trains the autoencoder recommender of orientation (Both,
// ItemOnly or UserOnly) with settings ac on the train ratings of a users ×
// items matrix, with the val ratings for early stopping and, for Both, for
// the blend weight (least squares on the predictions each part makes from
// the train ratings alone). Predictions come from every base rating. With
// dir set it writes each part's run (in dir/item and dir/user for Both)
// and the Blend (recommender.json).
func TrainRecommender(ctx context.Context, dir string, base, train, val []Rating, users, items int, orientation string, ac AutoencoderConfig) (*Recommender, error) {
	var orients []bool
	switch orientation {
	case Both, "":
		orients = []bool{false, true}
	case ItemOnly:
		orients = []bool{false}
	case UserOnly:
		orients = []bool{true}
	default:
		return nil, fmt.Errorf("recommender: orientation %q is not %s, %s or %s", orientation, Both, ItemOnly, UserOnly)
	}
	rec := &Recommender{Blend: &Blend{}}
	var vpreds []*Matrix
	var subs []string
	for _, userBased := range orients {
		c := ac
		c.UserBased = userBased
		d, sub := dir, ""
		if len(orients) == 2 {
			sub = map[bool]string{false: "item", true: "user"}[userBased]
			if d != "" {
				d = filepath.Join(dir, sub)
			}
		}
		a, err := TrainAutoencoder(ctx, d, train, val, users, items, c)
		if err != nil {
			return nil, err
		}
		p, err := a.Predict(base, users, items)
		if err != nil {
			return nil, err
		}
		rec.Parts, rec.PartPreds, subs = append(rec.Parts, a), append(rec.PartPreds, p), append(subs, sub)
		rec.Seconds += a.Seconds
		if len(orients) == 2 {
			vp, err := a.Predict(train, users, items)
			if err != nil {
				return nil, err
			}
			vpreds = append(vpreds, vp)
		}
	}
	rec.Weight, rec.Pred = 1, rec.PartPreds[0]
	weights := []float64{1}
	if len(orients) == 2 {
		rec.Weight = FitBlendWeight(vpreds[0], vpreds[1], val)
		rec.Pred = Mix(rec.PartPreds[0], rec.PartPreds[1], rec.Weight)
		weights = []float64{rec.Weight, 1 - rec.Weight}
	}
	for k, a := range rec.Parts {
		rec.Blend.Parts = append(rec.Blend.Parts, BlendPart{Model: filepath.Join(subs[k], "model.onnx"), Layout: a.Layout, Weight: weights[k]})
	}
	if dir != "" {
		if err := rec.Blend.Write(dir); err != nil {
			return nil, err
		}
	}
	return rec, nil
}
