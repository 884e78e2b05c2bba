package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer/nn"
)

// Config controls a training run. Zero values take the documented defaults.
type Config struct {
	Epochs    int     // default 10
	BatchSize int     // default 64
	LR        float64 // base learning rate, default 1e-3
	Optimizer OptimizerConfig
	Schedule  ScheduleConfig
	Seed      uint64
	// Scaling is fitted on the training rows and recorded in the model
	// (default minmax; none for the recommender, conv and conv-vae kinds, whose
	// image loaders already scale pixels to [0,1]).
	Scaling data.ScalingKind
	// ValSplit holds out this fraction of rows (of observed ratings for the
	// recommender kind) for validation; Val supplies a validation set
	// instead (raw units, scaled with the training scaler).
	ValSplit float64
	Val      *data.Dataset
	// EarlyStopping stops after this many epochs without improvement of the
	// monitored loss (validation loss, else training loss) and restores the
	// best weights (0: off).
	EarlyStopping int
	// CheckpointEvery writes OutDir/checkpoint.latent every N epochs
	// (0: never). The final model always goes to OutDir/model.latent when
	// OutDir is set.
	CheckpointEvery int
	OutDir          string
	// Metrics receives one JSON object per epoch (see EpochMetrics).
	Metrics io.Writer
	// Progress receives progress output: a live line with ETA when Live,
	// one plain line per epoch otherwise.
	Progress io.Writer
	Live     bool
	// Workers bounds the goroutines per step (default GOMAXPROCS); it never
	// changes results.
	Workers int
	// Resume continues from this checkpoint (written by an earlier run with
	// the same data and configuration) up to Epochs. The checkpoint's seed
	// is used; Seed must be 0 or equal to it.
	Resume string
	// Initial, when set, starts training from a copy of this model's
	// weights and input scaler (e.g. one imported from ONNX by
	// export.Import) instead of fresh weights and a newly fitted scaler.
	// Its spec is used; a non-empty spec passed to Train must equal it.
	// The optimiser state starts fresh. Initial and Resume exclude each other.
	Initial *Model
	// OnEpoch, when set, is called after each epoch; a non-nil error stops
	// training and is returned.
	OnEpoch func(EpochMetrics) error
}

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch     int      `json:"epoch"`
	Loss      float64  `json:"loss"`       // total training loss (recon + reg)
	ReconLoss float64  `json:"recon_loss"` // training reconstruction loss
	RegLoss   float64  `json:"reg_loss"`   // regulariser penalties
	ValLoss   *float64 `json:"val_loss,omitempty"`
	ValRMSE   *float64 `json:"val_rmse,omitempty"` // recommender: held-out ratings, raw units
	// KL is the VAE's mean KL divergence per sample (unweighted) and
	// KLWeight the beta it was weighted with this epoch (RegLoss is their
	// product); for VAEs ReconLoss is summed over features, averaged over
	// samples, so Loss is the negative ELBO (at beta 1).
	KL          *float64 `json:"kl,omitempty"`
	KLWeight    *float64 `json:"kl_weight,omitempty"`
	LR          float64  `json:"lr"`
	Seconds     float64  `json:"seconds"`
	SamplesPerS float64  `json:"samples_per_s"`
}

// Result summarises a finished run.
type Result struct {
	Epochs    int // completed epochs
	BestEpoch int // epoch of the monitored minimum (1-based)
	BestLoss  float64
	// StoppedEarly reports whether early stopping ended the run.
	StoppedEarly bool
	History      []EpochMetrics
	// Checkpoint and ModelPath are the files written (empty if none).
	Checkpoint, ModelPath string
}

// ErrNonFinite reports a NaN or Inf loss or gradient.
var ErrNonFinite = errors.New("non-finite loss or gradient")

func (c *Config) defaults(kind models.Kind) {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Scaling == "" {
		c.Scaling = data.MinMax
		if kind == models.Recommender || models.IsConv(kind) {
			c.Scaling = data.NoScaling
		}
	}
}

func (c *Config) validate() error {
	if c.Epochs < 0 || c.BatchSize < 0 || c.LR < 0 || c.EarlyStopping < 0 || c.CheckpointEvery < 0 {
		return fmt.Errorf("epochs, batch, lr, early stopping and checkpoint interval must be non-negative")
	}
	if c.ValSplit < 0 || c.ValSplit >= 1 {
		return fmt.Errorf("validation split must be in [0,1), got %g", c.ValSplit)
	}
	if c.Initial != nil && c.Resume != "" {
		return fmt.Errorf("initial model and resume checkpoint %s exclude each other", c.Resume)
	}
	if c.CheckpointEvery > 0 && c.OutDir == "" {
		return fmt.Errorf("checkpoints every %d epochs need an output directory", c.CheckpointEvery)
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	return c.Schedule.Validate()
}

// Train trains a model of spec on train (raw units) and returns it with a
// summary. On error the returned model (when non-nil) holds the last good
// weights. Cancelling ctx stops between mini-batches with ctx's error.
func Train(ctx context.Context, spec models.Spec, train *data.Dataset, cfg Config) (*Model, *Result, error) {
	cfg.defaults(spec.Kind)
	if err := cfg.validate(); err != nil {
		return nil, nil, fmt.Errorf("training config: %w", err)
	}
	var (
		m   *Model
		st  *TrainState
		err error
	)
	if cfg.Resume != "" {
		m, st, err = LoadCheckpoint(cfg.Resume)
		if err != nil {
			return nil, nil, err
		}
		if st == nil {
			return nil, nil, fmt.Errorf("resume %s: checkpoint holds no training state", cfg.Resume)
		}
		a, _ := json.Marshal(spec)
		b, _ := json.Marshal(m.Spec)
		if spec.Kind != "" && string(a) != string(b) {
			return nil, nil, fmt.Errorf("resume %s: checkpoint spec %s differs from requested %s", cfg.Resume, b, a)
		}
		spec = m.Spec
		if cfg.Seed != 0 && cfg.Seed != st.Seed {
			return nil, nil, fmt.Errorf("resume %s: checkpoint was trained with seed %d, not %d (leave the seed 0 to reuse it)", cfg.Resume, st.Seed, cfg.Seed)
		}
		cfg.Seed = st.Seed
	} else if cfg.Initial != nil {
		a, _ := json.Marshal(spec)
		b, _ := json.Marshal(cfg.Initial.Spec)
		if spec.Kind != "" && string(a) != string(b) {
			return nil, nil, fmt.Errorf("initial model spec %s differs from requested %s", b, a)
		}
		spec = cfg.Initial.Spec
		if m, err = cfg.Initial.clone(); err != nil {
			return nil, nil, fmt.Errorf("initial model: %w", err)
		}
	} else {
		if m, err = NewModel(spec, cfg.Seed); err != nil {
			return nil, nil, err
		}
	}
	if err := train.Validate(); err != nil {
		return nil, nil, fmt.Errorf("training data: %w", err)
	}
	if train.D != spec.Input {
		return nil, nil, fmt.Errorf("training data %s has %d columns but the model input is %d", train.Source, train.D, spec.Input)
	}
	if spec.Loss == models.MaskedMSE && train.Mask == nil {
		return nil, nil, fmt.Errorf("loss masked-mse needs observed-entry masks (ratings data); %s has none", train.Source)
	}
	// Split and scale: deterministic given the seed, identical on resume.
	tr, val := train, cfg.Val
	if cfg.ValSplit > 0 && val == nil {
		if spec.Kind == models.Recommender {
			tr, val, err = data.SplitRatings(train, cfg.ValSplit, cfg.Seed)
		} else {
			tr, val, err = data.SplitRows(train, cfg.ValSplit, cfg.Seed)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if val != nil {
		if err := val.Validate(); err != nil {
			return nil, nil, fmt.Errorf("validation data: %w", err)
		}
		if val.D != spec.Input {
			return nil, nil, fmt.Errorf("validation data %s has %d columns but the model input is %d", val.Source, val.D, spec.Input)
		}
		if spec.Loss == models.MaskedMSE && (val.N != tr.N || val.Mask == nil) {
			return nil, nil, fmt.Errorf("validation data %s: masked-mse validation needs the training rows (%d) with held-out entries in Target and Mask (see data.SplitRatings), got %d rows", val.Source, tr.N, val.N)
		}
	}
	if st == nil && cfg.Initial == nil {
		if m.Scaler, err = data.Fit(cfg.Scaling, tr); err != nil {
			return nil, nil, err
		}
	}
	if tr, err = m.Scaler.Apply(tr); err != nil {
		return nil, nil, err
	}
	if val != nil {
		if val, err = m.Scaler.Apply(val); err != nil {
			return nil, nil, err
		}
	}
	if err := checkLossRange(m.Spec.Loss, tr, train.Source, m.Scaler.Kind); err != nil {
		return nil, nil, err
	}
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("output directory: %w", err)
		}
	}
	r := &run{cfg: cfg, m: m, train: tr, val: val}
	err = r.loop(ctx, st)
	return m, r.res, err
}

// RangeError reports training data outside the range its loss needs:
// binary cross-entropy reconstructs through a sigmoid, so the data it
// trains on (after scaling) must be intensities in [0, 1].
type RangeError struct {
	Loss    models.Loss
	Source  string           // the training data
	Scaling data.ScalingKind // the scaling applied before the check
	Lo, Hi  float32          // the range of the scaled training rows
}

func (e *RangeError) Error() string {
	how := "as stored"
	if e.Scaling != data.NoScaling {
		how = "after " + string(e.Scaling) + " scaling"
	}
	return fmt.Sprintf("loss %s needs data in [0, 1], but %s spans [%g, %g] %s: "+
		"divide 0–255 pixels by 255 (uint8 IDX/NPY files are read that way), or train with minmax scaling",
		e.Loss, e.Source, e.Lo, e.Hi, how)
}

// checkLossRange is the one place of the rule that loss bce trains only on
// scaled data in [0, 1] (up to rounding of the scaler).
func checkLossRange(loss models.Loss, scaled *data.Dataset, source string, scaling data.ScalingKind) error {
	if loss != models.BCE {
		return nil
	}
	const slack = 1e-6
	if lo, hi, ok := scaled.Range(); ok && (lo < -slack || hi > 1+slack) {
		if scaling == "" {
			scaling = data.NoScaling
		}
		return &RangeError{Loss: loss, Source: source, Scaling: scaling, Lo: lo, Hi: hi}
	}
	return nil
}

// run is the state of one Train call.
type run struct {
	cfg        Config
	m          *Model
	train, val *data.Dataset
	res        *Result
	rng        *rand.Rand
	pcg        *rand.PCG
	lastGood   string
	prog       *progress
}

func (r *run) loop(ctx context.Context, st *TrainState) error {
	cfg, m := r.cfg, r.m
	r.res = &Result{}
	r.prog = &progress{w: cfg.Progress, live: cfg.Live, epochs: cfg.Epochs}
	r.pcg = rand.NewPCG(cfg.Seed, streamTrain)
	r.rng = rand.New(r.pcg)
	if st != nil && cfg.Optimizer.Name == "" {
		cfg.Optimizer = st.Optimizer // resume with the checkpoint's optimiser
	}
	opt, err := newOptimizer(cfg.Optimizer, m.Params())
	if err != nil {
		return err
	}
	// best holds the early-stopping best weights (checkpointed); bestState
	// the layer state (batch norm statistics) of that epoch, kept in memory.
	var best, bestState [][]float32
	if st == nil {
		st = &TrainState{Seed: cfg.Seed, Optimizer: opt.cfg, BestLoss: math.MaxFloat64,
			Schedule: ScheduleState{LR: cfg.LR, Best: math.MaxFloat64}}
	} else {
		if err := r.pcg.UnmarshalBinary(st.RNG); err != nil {
			return fmt.Errorf("resume %s: rng state: %w", cfg.Resume, err)
		}
		if st.opt != nil {
			if len(st.opt) != len(opt.state) {
				return fmt.Errorf("resume %s: optimiser state has %d buffers, %s needs %d", cfg.Resume, len(st.opt), opt.cfg.Name, len(opt.state))
			}
			opt.state = st.opt
		}
		opt.step = st.Step
		best = st.best
		r.lastGood = cfg.Resume
		r.res.BestEpoch, r.res.BestLoss = st.BestEpoch, st.BestLoss
	}
	if m.Spec.Kind == models.Stacked && !st.Pretrained {
		if err := r.pretrain(ctx); err != nil {
			return err
		}
		st.Pretrained = true
	}
	eng := newEngine(m.net, m.obj, cfg.BatchSize, cfg.Workers, cfg.Seed)
	ckpt := ""
	if cfg.OutDir != "" {
		ckpt = filepath.Join(cfg.OutDir, "checkpoint.latent")
	}
	save := func(path string) error {
		st.RNG, _ = r.pcg.MarshalBinary()
		st.Step = opt.step
		st.opt = opt.state
		st.best = best
		return SaveCheckpoint(path, m, st)
	}
	// interrupted writes a final checkpoint (atomically) when ctx is
	// cancelled, e.g. by SIGINT/SIGTERM in the CLI, so --resume continues.
	interrupted := func(err error) error {
		if serr := save(ckpt); serr != nil {
			return fmt.Errorf("%w; final checkpoint not written: %v", err, serr)
		}
		r.res.Checkpoint = ckpt
		return fmt.Errorf("%w (final checkpoint %s written after %d complete epochs; continue with --resume %s)", err, ckpt, st.Epoch, ckpt)
	}
	for epoch := st.Epoch; epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil && ckpt != "" {
			return interrupted(fmt.Errorf("training cancelled before epoch %d: %w", epoch+1, err))
		}
		lr := cfg.Schedule.lrFor(cfg.LR, epoch, cfg.Epochs, &st.Schedule)
		start := time.Now()
		em, err := r.epoch(ctx, eng, opt, lr, phaseTrain, epoch)
		if err != nil {
			if ckpt != "" && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				// Stopped mid-epoch: the checkpoint keeps the weights
				// reached; resuming re-runs that epoch in full.
				return interrupted(err)
			}
			return err
		}
		monitored := em.Loss
		if r.val != nil {
			vl, rmse := r.evaluate(eng, r.val)
			if math.IsNaN(vl) || math.IsInf(vl, 0) {
				return fmt.Errorf("epoch %d: validation loss %g: %w", epoch+1, vl, ErrNonFinite)
			}
			em.ValLoss = &vl
			if m.Spec.Kind == models.Recommender {
				em.ValRMSE = &rmse
			}
			monitored = vl
		}
		em.Seconds = time.Since(start).Seconds()
		em.SamplesPerS = float64(r.train.N) / math.Max(em.Seconds, 1e-9)
		r.res.History = append(r.res.History, em)
		r.res.Epochs = epoch + 1
		st.Epoch = epoch + 1
		if monitored < st.BestLoss {
			st.BestLoss, st.BestEpoch, st.Bad = monitored, epoch+1, 0
			if cfg.EarlyStopping > 0 {
				best = copyParams(m.Params(), best)
				bestState = copyParams(m.state(), bestState)
			}
		} else {
			st.Bad++
		}
		r.res.BestEpoch, r.res.BestLoss = st.BestEpoch, st.BestLoss
		cfg.Schedule.observe(monitored, &st.Schedule)
		if cfg.Metrics != nil {
			b, _ := json.Marshal(em)
			if _, err := fmt.Fprintf(cfg.Metrics, "%s\n", b); err != nil {
				return fmt.Errorf("write metrics: %w", err)
			}
		}
		r.prog.epochDone(em)
		stop := cfg.EarlyStopping > 0 && st.Bad >= cfg.EarlyStopping
		if ckpt != "" && cfg.CheckpointEvery > 0 && (epoch+1)%cfg.CheckpointEvery == 0 {
			if err := save(ckpt); err != nil {
				return err
			}
			r.lastGood = ckpt
			r.res.Checkpoint = ckpt
		}
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(em); err != nil {
				return err
			}
		}
		if stop {
			r.res.StoppedEarly = true
			break
		}
	}
	if cfg.EarlyStopping > 0 && best != nil {
		for i, p := range m.Params() {
			copy(p.Data, best[i])
		}
		if bestState != nil {
			for i, p := range m.state() {
				copy(p.Data, bestState[i])
			}
		}
	}
	if cfg.OutDir != "" {
		path := filepath.Join(cfg.OutDir, "model.latent")
		if err := save(path); err != nil {
			return err
		}
		r.res.ModelPath = path
	}
	return nil
}

func copyParams(ps []*Param, dst [][]float32) [][]float32 {
	if dst == nil {
		dst = make([][]float32, len(ps))
	}
	for i, p := range ps {
		dst[i] = append(dst[i][:0], p.Data...)
	}
	return dst
}

// Phases of a run, part of the key of the stochastic layers' streams.
const (
	phaseTrain = iota
	// phasePretrain + i is the pre-training of stacked layer i.
	phasePretrain
)

// epoch runs one shuffled pass over the training rows.
func (r *run) epoch(ctx context.Context, eng *engine, opt *optimizer, lr float64, phase, epoch int) (EpochMetrics, error) {
	params := r.m.Params()
	eng.obj.startEpoch(epoch)
	var klSum float64
	ds := r.train
	D, B := ds.D, r.cfg.BatchSize
	perm := r.rng.Perm(ds.N)
	bx := make([]float32, B*D)
	bt := make([]float32, B*D)
	var bm []float32
	if ds.Mask != nil {
		bm = make([]float32, B*D)
	}
	tgt := ds.TargetData()
	var recon, reg float64
	nb := 0
	for lo := 0; lo < ds.N; lo += B {
		if err := ctx.Err(); err != nil {
			return EpochMetrics{}, fmt.Errorf("training cancelled in epoch %d: %w", epoch+1, err)
		}
		rows := min(B, ds.N-lo)
		for i, idx := range perm[lo : lo+rows] {
			copy(bx[i*D:(i+1)*D], ds.X[idx*D:(idx+1)*D])
			copy(bt[i*D:(i+1)*D], tgt[idx*D:(idx+1)*D])
			if bm != nil {
				copy(bm[i*D:(i+1)*D], ds.Mask[idx*D:(idx+1)*D])
			}
		}
		b := batchIn{x: bx[:rows*D], t: bt[:rows*D], rows: rows}
		if bm != nil {
			b.m = bm[:rows*D]
		}
		rl, rg := eng.step(b, uint64(phase)<<48|uint64(epoch)<<24|uint64(nb))
		gn := eng.gradNorm()
		if bad := math.IsNaN(rl + rg + gn); bad || math.IsInf(rl+rg+gn, 0) {
			where := "no checkpoint was written"
			if r.lastGood != "" {
				where = "the last good checkpoint is " + r.lastGood
			}
			return EpochMetrics{}, fmt.Errorf("epoch %d batch %d: loss %g, regulariser %g, gradient norm %g: %w (weights left at the last good step; %s)",
				epoch+1, nb+1, rl, rg, gn, ErrNonFinite, where)
		}
		opt.update(params, eng.grads, lr, gn, eng.parallel)
		if kl := eng.obj.kl; kl != nil {
			klSum += eng.penRaw[slices.Index(eng.obj.penalties, nn.Penalty(kl))] * float64(rows)
		}
		recon += rl * float64(rows)
		reg += rg * float64(rows)
		nb++
		r.prog.batchDone(epoch, lo+rows, ds.N, (recon+reg)/float64(lo+rows))
	}
	recon /= float64(ds.N)
	reg /= float64(ds.N)
	em := EpochMetrics{Epoch: epoch + 1, Loss: recon + reg, ReconLoss: recon, RegLoss: reg, LR: lr}
	if kl := eng.obj.kl; kl != nil {
		mean, w := klSum/float64(ds.N), kl.W
		em.KL, em.KLWeight = &mean, &w
	}
	return em, nil
}

// evaluate returns the reconstruction loss of ds and, for masked data, the
// RMSE over observed target entries in raw units.
func (r *run) evaluate(eng *engine, ds *data.Dataset) (loss, rmse float64) {
	D, B := ds.D, r.cfg.BatchSize
	tgt := ds.TargetData()
	var sum, norm float64
	// Reconstructions are only needed for the masked RMSE.
	var out, raw []float32
	if ds.Mask != nil {
		out, raw = make([]float32, B*D), make([]float32, B*D)
	}
	var se, cnt float64
	for lo := 0; lo < ds.N; lo += B {
		rows := min(B, ds.N-lo)
		b := batchIn{x: ds.X[lo*D : (lo+rows)*D], t: tgt[lo*D : (lo+rows)*D], rows: rows}
		var rec []float32
		if ds.Mask != nil {
			b.m = ds.Mask[lo*D : (lo+rows)*D]
			rec = out[:rows*D]
		}
		s, nm := eng.eval(b, rec)
		sum += s
		norm += nm
		if ds.Mask != nil {
			raw := raw[:rows*D]
			r.m.Scaler.Inverse(rec, rec)
			r.m.Scaler.Inverse(raw, b.t)
			for i, mv := range b.m {
				if mv != 0 {
					e := float64(rec[i] - raw[i])
					se += e * e
					cnt++
				}
			}
		}
	}
	if cnt > 0 {
		rmse = math.Sqrt(se / cnt)
	}
	return sum / math.Max(norm, 1), rmse
}

// pretrain runs greedy layer-wise pre-training for the stacked kind: each
// encoder layer i with its mirror decoder layer is trained as a shallow
// autoencoder on the codes of layers < i. The shallow networks are made of
// the model's own layers, so training them trains the model.
func (r *run) pretrain(ctx context.Context) error {
	m, cfg := r.m, r.cfg
	spec := m.Spec
	var enc, dec []*nn.Dense
	for _, l := range m.net.Encoder() {
		if d, ok := l.(*nn.Dense); ok {
			enc = append(enc, d)
		}
	}
	for _, l := range m.net.Decoder() {
		if d, ok := l.(*nn.Dense); ok {
			dec = append(dec, d)
		}
	}
	L := len(enc)
	if len(dec) != L {
		return fmt.Errorf("pretrain: %d encoder and %d decoder layers do not mirror", L, len(dec))
	}
	init := nn.Xavier
	if spec.Init == models.He {
		init = nn.He
	}
	in := r.train
	initRNG := rand.New(rand.NewPCG(cfg.Seed, streamInit+100))
	for i := 0; i < L; i++ {
		layers := []nn.Layer{enc[i], dec[L-1-i]}
		obj := &objective{lossAt: 2} // squared error on the codes below
		if i == 0 {
			// The first layer reconstructs the data: the model's own loss
			// and output activation.
			obj.loss = m.obj.loss
			layers = append(layers, m.net.Layers[m.obj.lossAt:]...)
		}
		enc[i].Reset(init, initRNG)
		dec[L-1-i].Reset(init, initRNG)
		sub, err := nn.NewNet(1, layers...)
		if err != nil {
			return fmt.Errorf("pretrain layer %d: %w", i+1, err)
		}
		eng := newEngine(sub, obj, cfg.BatchSize, cfg.Workers, cfg.Seed)
		opt, err := newOptimizer(cfg.Optimizer, sub.Params())
		if err != nil {
			return err
		}
		sr := &run{cfg: cfg, m: &Model{Spec: spec, Scaler: m.Scaler, net: sub, obj: obj}, train: in, rng: r.rng, prog: &progress{}}
		for e := 0; e < spec.PretrainEpochs; e++ {
			em, err := sr.epoch(ctx, eng, opt, cfg.LR, phasePretrain+i, e)
			if err != nil {
				return fmt.Errorf("pretrain layer %d: %w", i+1, err)
			}
			r.prog.line(fmt.Sprintf("pretrain layer %d/%d epoch %d/%d loss %.6g", i+1, L, e+1, spec.PretrainEpochs, em.Loss))
		}
		if i == L-1 {
			break
		}
		// Next layer's data: this layer's codes.
		codes := &data.Dataset{N: in.N, D: enc[i].Out, X: make([]float32, in.N*enc[i].Out), Source: in.Source}
		for lo := 0; lo < in.N; lo += eng.chunkRows {
			rows := min(eng.chunkRows, in.N-lo)
			copy(codes.X[lo*codes.D:], enc[i].Forward(in.X[lo*in.D:(lo+rows)*in.D], rows, &nn.Pass{}))
		}
		in = codes
	}
	return nil
}
