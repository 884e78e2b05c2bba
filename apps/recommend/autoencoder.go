package recommend

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

// AutoencoderConfig configures the autoencoder recommender: each row of
// the ratings matrix (an item's ratings by every user, as I-AutoRec, or
// with UserBased a user's ratings of every item, as U-AutoRec) is reconstructed through
// Hidden layers and a Code layer, with the squared error counted over
// observed ratings only. Zero fields take the defaults, chosen by the
// search on validation parts of MovieLens-100k's base files that
// docs/recommender.md records.
type AutoencoderConfig struct {
	UserBased  bool              `json:"user_based"`
	Hidden     []int             `json:"hidden,omitempty"` // encoder layers before the code (default none)
	Code       int               `json:"code"`             // code width (default 500)
	Activation models.Activation `json:"activation"`       // of the hidden and code layers (default sigmoid); the output is linear
	Epochs     int               `json:"epochs"`           // default 60
	Batch      int               `json:"batch"`            // rows per step (default 64)
	LR         float64           `json:"lr"`               // peak learning rate, cosine-annealed to LR/100 (default 1e-3)
	// WeightDecay is the decoupled L2 weight decay of AdamW (default 4;
	// biases are not decayed).
	WeightDecay float64 `json:"weight_decay"`
	// InputDropout zeroes each input (rating or indicator) with this
	// probability during training, the target keeping the ratings
	// (default 0.1; negative: off).
	InputDropout float64 `json:"input_dropout"`
	// RatingsOnly feeds the ratings alone, without the observed-entry
	// indicators (see Layout).
	RatingsOnly bool `json:"ratings_only,omitempty"`
	// Patience stops after this many epochs without a better validation
	// loss (0: run every epoch); the best epoch's weights are kept either
	// way.
	Patience int       `json:"patience"`
	Seed     uint64    `json:"seed"`
	Progress io.Writer `json:"-"`
	Live     bool      `json:"-"`
}

// Defaults fills the zero fields with the defaults.
func (c *AutoencoderConfig) Defaults() {
	if c.Code == 0 {
		c.Code = 500
	}
	if c.Activation == "" {
		c.Activation = models.Sigmoid
	}
	if c.Epochs == 0 {
		c.Epochs = 60
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.WeightDecay == 0 {
		c.WeightDecay = 4
	}
	if c.InputDropout == 0 {
		c.InputDropout = 0.1
	}
}

// Layout is the configuration's matrix layout.
func (c *AutoencoderConfig) Layout() Layout {
	return Layout{ItemBased: !c.UserBased, Observed: !c.RatingsOnly}
}

// Orientation names the layout: "user-based" or "item-based".
func (c *AutoencoderConfig) Orientation() string {
	if c.UserBased {
		return "user-based"
	}
	return "item-based"
}

// Spec returns the model spec for a ratings matrix of users × items.
func (c AutoencoderConfig) Spec(users, items int) models.Spec {
	c.Defaults()
	s := models.NewRecommender(c.Layout().Width(users, items))
	s.Hidden = c.Hidden
	s.Code = c.Code
	s.Activation, s.CodeActivation = c.Activation, c.Activation
	if c.InputDropout > 0 {
		s.Noise = models.Noise{Type: models.MaskingNoise, Drop: c.InputDropout}
	}
	return s
}

// Layout is how a users × items ratings matrix becomes the autoencoder's
// rows: one row per item (ItemBased) or per user, each the ratings (0
// where missing) followed, with Observed, by the 0/1 indicators of which
// of them are observed, so that the net tells "not rated" from any rating
// and learns from who rated an item, not only how. The model's output has
// the input's width; its first half (the ratings) is the prediction.
type Layout struct {
	ItemBased bool `json:"item_based"`
	Observed  bool `json:"observed"`
}

// Rows returns the row count and the ratings per row.
func (l Layout) Rows(users, items int) (rows, cols int) {
	if l.ItemBased {
		return items, users
	}
	return users, items
}

// Width is the model's input (and output) width.
func (l Layout) Width(users, items int) int {
	_, cols := l.Rows(users, items)
	if l.Observed {
		return 2 * cols
	}
	return cols
}

// Input lays the users × items ratings x (0 where missing) out as model
// rows.
func (l Layout) Input(x []float32, users, items int) []float32 {
	rows, cols := l.Rows(users, items)
	if l.ItemBased {
		x = Transpose(x, users, items)
	}
	if !l.Observed {
		return x
	}
	out := make([]float32, rows*2*cols)
	for r := range rows {
		row := out[r*2*cols : (r+1)*2*cols]
		for c, v := range x[r*cols : (r+1)*cols] {
			row[c] = v
			if v != 0 {
				row[cols+c] = 1
			}
		}
	}
	return out
}

// target lays the ratings t with mask m out as model rows of Width, the
// indicator half never a target.
func (l Layout) target(t, m []float32, users, items int) (tt, mm []float32) {
	rows, cols := l.Rows(users, items)
	if l.ItemBased {
		t, m = Transpose(t, users, items), Transpose(m, users, items)
	}
	if !l.Observed {
		return t, m
	}
	tt, mm = make([]float32, rows*2*cols), make([]float32, rows*2*cols)
	for r := range rows {
		copy(tt[r*2*cols:], t[r*cols:(r+1)*cols])
		copy(mm[r*2*cols:], m[r*cols:(r+1)*cols])
	}
	return tt, mm
}

// Output maps model output rows back to users × items predictions.
func (l Layout) Output(rec []float32, users, items int) (*Matrix, error) {
	rows, cols := l.Rows(users, items)
	w := l.Width(users, items)
	if len(rec) != rows*w {
		return nil, fmt.Errorf("autoencoder recommender: %d outputs, want %d rows of %d", len(rec), rows, w)
	}
	p := make([]float32, rows*cols)
	for r := range rows {
		copy(p[r*cols:(r+1)*cols], rec[r*w:r*w+cols])
	}
	if l.ItemBased {
		p = Transpose(p, items, users)
	}
	return &Matrix{Users: users, Items: items, V: p}, nil
}

// orientation names the layout's rows.
func (l Layout) orientation() string {
	if l.ItemBased {
		return "item-based"
	}
	return "user-based"
}

// Autoencoder is a trained autoencoder recommender.
type Autoencoder struct {
	Model  *trainer.Model
	Layout Layout
	// Epochs run, the best (kept) epoch, its validation RMSE and the
	// training time.
	Epochs, BestEpoch int
	ValRMSE           float64
	Seconds           float64
}

// TrainAutoencoder trains the recommender on the train ratings of a users ×
// items matrix with the val ratings (same users, other entries) for early
// stopping. With dir set it writes the run there: model.latent,
// model.onnx (with encoder.onnx and decoder.onnx), metrics.jsonl and
// loss.png.
func TrainAutoencoder(ctx context.Context, dir string, train, val []Rating, users, items int, c AutoencoderConfig) (*Autoencoder, error) {
	c.Defaults()
	spec := c.Spec(users, items)
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("autoencoder recommender: %w", err)
	}
	if len(val) == 0 {
		return nil, fmt.Errorf("autoencoder recommender: no validation ratings for early stopping")
	}
	l := c.Layout()
	rows, _ := l.Rows(users, items)
	w := l.Width(users, items)
	x, mask := Dense(train, users, items)
	vt, vm := Dense(val, users, items)
	in := l.Input(x, users, items)
	t, m := l.target(x, mask, users, items)
	vt, vm = l.target(vt, vm, users, items)
	tr := &data.Dataset{N: rows, D: w, X: in, Target: t, Mask: m, Source: "training ratings"}
	vd := &data.Dataset{N: rows, D: w, X: in, Target: vt, Mask: vm, Source: "validation ratings"}
	cfg := trainer.Config{Epochs: c.Epochs, BatchSize: c.Batch, LR: c.LR, Seed: c.Seed, Val: vd,
		Optimizer:     trainer.OptimizerConfig{Name: "adamw", WeightDecay: c.WeightDecay},
		Schedule:      trainer.ScheduleConfig{Name: "cosine", MinLR: c.LR / 100},
		EarlyStopping: c.Epochs, Progress: c.Progress, Live: c.Live}
	if c.Patience > 0 {
		cfg.EarlyStopping = c.Patience
	}
	var mf *os.File
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("autoencoder recommender: %w", err)
		}
		var err error
		if mf, err = os.Create(filepath.Join(dir, "metrics.jsonl")); err != nil {
			return nil, fmt.Errorf("autoencoder recommender: %w", err)
		}
		defer mf.Close()
		cfg.OutDir, cfg.Metrics = dir, mf
	}
	start := time.Now()
	mod, res, err := trainer.Train(ctx, spec, tr, cfg)
	if err != nil {
		return nil, fmt.Errorf("autoencoder recommender: %w", err)
	}
	a := &Autoencoder{Model: mod, Layout: l, Epochs: res.Epochs, BestEpoch: res.BestEpoch,
		Seconds: time.Since(start).Seconds()}
	if h := res.History; res.BestEpoch >= 1 && res.BestEpoch <= len(h) && h[res.BestEpoch-1].ValRMSE != nil {
		a.ValRMSE = *h[res.BestEpoch-1].ValRMSE
	}
	if dir == "" {
		return a, nil
	}
	if err := mf.Close(); err != nil {
		return nil, fmt.Errorf("autoencoder recommender: %w", err)
	}
	if _, err := apps.LossPlotFromMetrics(dir, "recommender: masked MSE"); err != nil {
		return nil, err
	}
	sum := export.SummaryOf(res, rows, w)
	if _, err := export.Write(ctx, dir, mod, export.Options{Training: &sum}); err != nil {
		return nil, fmt.Errorf("autoencoder recommender: export: %w", err)
	}
	return a, nil
}

// Predict runs the model on the dense matrix of ratings (users × items,
// e.g. every base rating) and returns its predictions, users × items.
func (a *Autoencoder) Predict(ratings []Rating, users, items int) (*Matrix, error) {
	x, _ := Dense(ratings, users, items)
	rows, _ := a.Layout.Rows(users, items)
	rec, err := a.Model.Reconstruct(a.Layout.Input(x, users, items), rows)
	if err != nil {
		return nil, fmt.Errorf("autoencoder recommender: %w", err)
	}
	return a.Layout.Output(rec, users, items)
}
