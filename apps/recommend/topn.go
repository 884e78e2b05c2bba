package recommend

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/latent-ml/latent/apps"
)

// Recommendation is one recommended item.
type Recommendation struct {
	Item      string
	Predicted float64
}

// TopN returns the n items with the highest predicted ratings among those
// the user has not rated (rated[i] != 0), ties to the lower column, NaN
// predictions never.
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
	top := topK(cand, pred, n)
	out := make([]Recommendation, len(top))
	for k, i := range top {
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
	if len(users) == 0 {
		return 0, fmt.Errorf("user %q: the ratings file has no users", id)
	}
	if _, err := strconv.Atoi(id); err != nil {
		return 0, fmt.Errorf("user %q not in the ratings file", id)
	}
	return 0, fmt.Errorf("user %s not in the ratings file (%d users, ids %s..%s)", id, len(users), users[0], users[len(users)-1])
}

// PredictUser runs an exported recommender (model.onnx) laid out as l on
// the users × items ratings matrix x and returns user u's predicted
// rating of every item: the user's row through a user-based model, every
// item's row through an item-based one.
func PredictUser(ctx context.Context, modelPath, backend string, l Layout, x []float32, users, items, u int) ([]float32, error) {
	if len(x) != users*items || u < 0 || u >= users {
		return nil, fmt.Errorf("predict user: %d ratings for %d users × %d items, user %d", len(x), users, items, u)
	}
	if !l.ItemBased {
		row := x[u*items : (u+1)*items]
		rec, err := apps.ReconstructONNX(ctx, modelPath, backend, l.Input(row, 1, items), 1)
		if err != nil {
			return nil, err
		}
		p, err := l.Output(rec, 1, items)
		if err != nil {
			return nil, err
		}
		return p.V, nil
	}
	rec, err := apps.ReconstructONNX(ctx, modelPath, backend, l.Input(x, users, items), items)
	if err != nil {
		return nil, err
	}
	p, err := l.Output(rec, users, items)
	if err != nil {
		return nil, err
	}
	return p.Row(u), nil
}
