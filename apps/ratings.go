package apps

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

// GenerateRatings writes a MovieLens-style ratings set (user, item, rating
// 1–5, tab-separated) drawn from a rank-r model: rating = round(clip(3 +
// u·v + noise)) for a random fraction density of the users × items
// entries, split by seed into a base file (1-testFrac of each user's
// ratings) and a test file, the layout of MovieLens-100k's u1.base/u1.test.
func GenerateRatings(basePath, testPath string, users, items, rank int, density, noise, testFrac float64, seed uint64) (nBase, nTest int, err error) {
	if users < 2 || items < 2 || rank < 1 || density <= 0 || density > 1 || testFrac <= 0 || testFrac >= 1 {
		return 0, 0, fmt.Errorf("generate ratings: need users, items >= 2, rank >= 1, density in (0,1], test fraction in (0,1); got %d, %d, %d, %g, %g", users, items, rank, density, testFrac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x4a71))
	f := func(n int) [][]float64 {
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, rank)
			for k := range m[i] {
				m[i][k] = rng.NormFloat64() / math.Sqrt(float64(rank)) * 1.1
			}
		}
		return m
	}
	U, V := f(users), f(items)
	ub := make([]float64, users)
	ib := make([]float64, items)
	for i := range ub {
		ub[i] = 0.4 * rng.NormFloat64()
	}
	for i := range ib {
		ib[i] = 0.5 * rng.NormFloat64()
	}
	bf, err := os.Create(basePath)
	if err != nil {
		return 0, 0, fmt.Errorf("generate ratings: %w", err)
	}
	defer bf.Close()
	tf, err := os.Create(testPath)
	if err != nil {
		return 0, 0, fmt.Errorf("generate ratings: %w", err)
	}
	defer tf.Close()
	bw, tw := bufio.NewWriter(bf), bufio.NewWriter(tf)
	for u := 0; u < users; u++ {
		var rated []int
		for i := 0; i < items; i++ {
			if rng.Float64() < density {
				rated = append(rated, i)
			}
		}
		if len(rated) < 2 {
			rated = []int{rng.IntN(items / 2), items/2 + rng.IntN(items-items/2)}
		}
		nt := int(math.Round(testFrac * float64(len(rated))))
		nt = min(max(nt, 1), len(rated)-1)
		rng.Shuffle(len(rated), func(a, b int) { rated[a], rated[b] = rated[b], rated[a] })
		for j, i := range rated {
			var dot float64
			for k := 0; k < rank; k++ {
				dot += U[u][k] * V[i][k]
			}
			r := math.Round(math.Min(5, math.Max(1, 3.5+ub[u]+ib[i]+dot+noise*rng.NormFloat64())))
			w := bw
			if j < nt {
				w, nTest = tw, nTest+1
			} else {
				nBase++
			}
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", u+1, i+1, int(r), 874965758+u*items+i)
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("generate ratings %s: %w", basePath, err)
	}
	if err := tw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("generate ratings %s: %w", testPath, err)
	}
	if err := bf.Close(); err != nil {
		return 0, 0, err
	}
	return nBase, nTest, tf.Close()
}

// RatingsSplit loads a base (training) ratings file and a test file as the
// trainer's masked datasets: train is users × items of the base file;
// test has the same rows and columns with the base ratings as input X and
// the test ratings as Target and Mask. Test ratings of users or items the
// base file lacks cannot be predicted and are counted in Dropped.
type RatingsSplit struct {
	Train, Test *data.Dataset
	Dropped     int
}

// LoadRatingsSplit reads basePath and testPath with data.LoadRatings.
func LoadRatingsSplit(basePath, testPath string) (*RatingsSplit, error) {
	tr, err := data.LoadRatings(basePath)
	if err != nil {
		return nil, err
	}
	te, err := data.LoadRatings(testPath)
	if err != nil {
		return nil, err
	}
	ui := index(tr.Users)
	ii := index(tr.Items)
	s := &RatingsSplit{Train: tr, Test: &data.Dataset{N: tr.N, D: tr.D, X: tr.X, Source: testPath,
		Target: make([]float32, len(tr.X)), Mask: make([]float32, len(tr.X)), Users: tr.Users, Items: tr.Items}}
	for r, u := range te.Users {
		for c, it := range te.Items {
			if te.Mask[r*te.D+c] == 0 {
				continue
			}
			ur, ok1 := ui[u]
			ic, ok2 := ii[it]
			if !ok1 || !ok2 {
				s.Dropped++
				continue
			}
			s.Test.Target[ur*tr.D+ic] = te.X[r*te.D+c]
			s.Test.Mask[ur*tr.D+ic] = 1
		}
	}
	return s, nil
}

func index(ids []string) map[string]int {
	m := make(map[string]int, len(ids))
	for i, id := range ids {
		m[id] = i
	}
	return m
}

// MaskedRMSE returns the RMSE of predictions pred (users × items, the
// model's reconstructions of the base ratings) over the entries of mask,
// with predictions clipped to [lo, hi] (the rating scale), and the count.
func MaskedRMSE(pred, target, mask []float32, lo, hi float64) (float64, int, error) {
	if len(pred) != len(target) || len(pred) != len(mask) {
		return 0, 0, fmt.Errorf("masked rmse: lengths %d, %d, %d differ", len(pred), len(target), len(mask))
	}
	var se float64
	n := 0
	for i, m := range mask {
		if m == 0 {
			continue
		}
		p := math.Min(hi, math.Max(lo, float64(pred[i])))
		e := p - float64(target[i])
		se += e * e
		n++
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("masked rmse: no observed entries")
	}
	return math.Sqrt(se / float64(n)), n, nil
}

// RecommenderOptions configures TrainRecommender.
type RecommenderOptions struct {
	Hidden []int // default 20 (the classic items-20-10-20-items stack)
	Code   int   // default 10
	TrainOptions
	Optimizer string
	// ItemBased marks a split already transposed with Transposed (recorded
	// in DIR/orientation.txt for latent recommend).
	ItemBased bool
}

// Orientation names the layout: "user-based" or "item-based".
func (o *RecommenderOptions) Orientation() string {
	if o.ItemBased {
		return "item-based"
	}
	return "user-based"
}

// TrainRecommender trains the recommender kind on s.Train with s.Test as
// validation (the trainer reports its RMSE per epoch) and returns the
// model with the clipped test RMSE of the final weights.
func TrainRecommender(ctx context.Context, dir string, s *RatingsSplit, o RecommenderOptions) (*trainer.Model, float64, error) {
	spec := models.NewRecommender(s.Train.D)
	if o.Hidden != nil {
		spec.Hidden = o.Hidden
	}
	if o.Code > 0 {
		spec.Code = o.Code
	}
	if err := spec.Validate(); err != nil {
		return nil, 0, err
	}
	if o.Optimizer == "" {
		o.Optimizer = "rmsprop"
	}
	if o.LR == 0 {
		o.LR = 1e-2
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("recommender: %w", err)
	}
	mf, err := os.Create(dir + "/metrics.jsonl")
	if err != nil {
		return nil, 0, fmt.Errorf("recommender: %w", err)
	}
	defer mf.Close()
	cfg := trainer.Config{Epochs: o.Epochs, BatchSize: o.Batch, LR: o.LR, Seed: o.Seed, Val: s.Test,
		Optimizer: trainer.OptimizerConfig{Name: o.Optimizer}, OutDir: dir, Metrics: mf,
		Progress: o.Progress, Live: o.Live}
	m, res, err := trainer.Train(ctx, spec, s.Train, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("recommender: %w", err)
	}
	sum := export.SummaryOf(res, s.Train.N, s.Train.D)
	if _, err := export.Write(ctx, dir, m, export.Options{Training: &sum}); err != nil {
		return nil, 0, fmt.Errorf("recommender: export: %w", err)
	}
	if err := mf.Close(); err != nil {
		return nil, 0, err
	}
	if _, err := LossPlotFromMetrics(dir, "recommender: masked MSE"); err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(dir+"/orientation.txt", []byte(o.Orientation()+"\n"), 0o644); err != nil {
		return nil, 0, fmt.Errorf("recommender: %w", err)
	}
	pred, err := m.Reconstruct(s.Train.X, s.Train.N)
	if err != nil {
		return nil, 0, err
	}
	rmse, _, err := MaskedRMSE(pred, s.Test.Target, s.Test.Mask, 1, 5)
	return m, rmse, err
}

// Recommendation is one recommended item.
type Recommendation struct {
	Item      string
	Predicted float64
}

// TopN returns the n items with the highest predicted ratings among those
// the user has not rated (rated[i] != 0), ties to the lower column.
func TopN(pred, rated []float32, items []string, n int) ([]Recommendation, error) {
	if len(pred) != len(rated) || len(pred) != len(items) {
		return nil, fmt.Errorf("top-n: %d predictions, %d ratings, %d item ids", len(pred), len(rated), len(items))
	}
	var cand []int
	for i, r := range rated {
		if r == 0 && !math.IsNaN(float64(pred[i])) {
			cand = append(cand, i)
		}
	}
	sort.SliceStable(cand, func(a, b int) bool { return pred[cand[a]] > pred[cand[b]] })
	n = min(n, len(cand))
	out := make([]Recommendation, n)
	for k, i := range cand[:n] {
		out[k] = Recommendation{Item: items[i], Predicted: float64(pred[i])}
	}
	return out, nil
}

// ParseUser finds a user id among the ids of a ratings file.
func ParseUser(users []string, id string) (int, error) {
	for i, u := range users {
		if u == id {
			return i, nil
		}
	}
	if _, err := strconv.Atoi(id); err != nil {
		return 0, fmt.Errorf("user %q not in the ratings file", id)
	}
	return 0, fmt.Errorf("user %s not in the ratings file (%d users, ids %s..%s)", id, len(users), users[0], users[len(users)-1])
}

// ItemMeanRMSE is the baseline that predicts each test rating by its
// item's mean base rating (the global mean for items without any).
func ItemMeanRMSE(s *RatingsSplit) (float64, error) {
	D := s.Train.D
	sum := make([]float64, D)
	cnt := make([]float64, D)
	var gs, gc float64
	for i, m := range s.Train.Mask {
		if m != 0 {
			sum[i%D] += float64(s.Train.X[i])
			cnt[i%D]++
			gs += float64(s.Train.X[i])
			gc++
		}
	}
	if gc == 0 {
		return 0, fmt.Errorf("item-mean baseline: no base ratings")
	}
	pred := make([]float32, len(s.Test.Target))
	for i := range pred {
		c := i % D
		if cnt[c] > 0 {
			pred[i] = float32(sum[c] / cnt[c])
		} else {
			pred[i] = float32(gs / gc)
		}
	}
	r, _, err := MaskedRMSE(pred, s.Test.Target, s.Test.Mask, 1, 5)
	return r, err
}

// Transposed returns the split with users and items swapped (item-based,
// the AutoRec "I-AutoRec" orientation: each row is one item's ratings by
// all users).
func (s *RatingsSplit) Transposed() *RatingsSplit {
	tr := func(v []float32, n, d int) []float32 {
		if v == nil {
			return nil
		}
		out := make([]float32, len(v))
		for r := 0; r < n; r++ {
			for c := 0; c < d; c++ {
				out[c*n+r] = v[r*d+c]
			}
		}
		return out
	}
	n, d := s.Train.N, s.Train.D
	a := &data.Dataset{N: d, D: n, X: tr(s.Train.X, n, d), Mask: tr(s.Train.Mask, n, d), Source: s.Train.Source,
		Users: s.Train.Items, Items: s.Train.Users}
	b := &data.Dataset{N: d, D: n, X: a.X, Target: tr(s.Test.Target, n, d), Mask: tr(s.Test.Mask, n, d), Source: s.Test.Source,
		Users: a.Users, Items: a.Items}
	return &RatingsSplit{Train: a, Test: b, Dropped: s.Dropped}
}

// ItemBasedPredictions runs every item's row of the users × items matrix x
// (transposed to items × users) through an item-based model.onnx and
// returns the predictions for user u, one per item.
func ItemBasedPredictions(ctx context.Context, modelPath, backend string, x []float32, users, items, u int) ([]float32, error) {
	if len(x) != users*items || u < 0 || u >= users {
		return nil, fmt.Errorf("item-based predictions: %d ratings for %d users × %d items, user %d", len(x), users, items, u)
	}
	t := make([]float32, len(x))
	for r := 0; r < users; r++ {
		for c := 0; c < items; c++ {
			t[c*users+r] = x[r*items+c]
		}
	}
	rec, err := ReconstructONNX(ctx, modelPath, backend, t, items)
	if err != nil {
		return nil, err
	}
	out := make([]float32, items)
	for c := range out {
		out[c] = rec[c*users+u]
	}
	return out, nil
}
