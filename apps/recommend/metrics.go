package recommend

import (
	"fmt"
	"math"
	"slices"
)

// Scorer scores every item of the base file for one user: predicted
// ratings for the rating models, item counts for popularity.
type Scorer interface {
	// Scores writes user u's score of each item into dst (one per item).
	Scores(u int, dst []float32)
}

// Matrix is a dense users × items matrix of predicted ratings (row-major).
type Matrix struct {
	Users, Items int
	V            []float32
}

// NewMatrix returns a zero users × items matrix.
func NewMatrix(users, items int) *Matrix {
	return &Matrix{Users: users, Items: items, V: make([]float32, users*items)}
}

// Row returns user u's predictions.
func (m *Matrix) Row(u int) []float32 { return m.V[u*m.Items : (u+1)*m.Items] }

// Scores implements Scorer.
func (m *Matrix) Scores(u int, dst []float32) { copy(dst, m.Row(u)) }

// Errors is a rating model's error over a test set.
type Errors struct {
	// RMSE is over all test ratings, predictions clipped to the rating
	// scale.
	RMSE float64 `json:"rmse"`
	// UserRMSE is the mean over test users of each user's RMSE (the
	// figure the classic stacked-autoencoder notebook reports).
	UserRMSE float64 `json:"user_rmse"`
	// N counts the test ratings, Users the test users, Fallback the
	// ratings predicted by the fallback model (unknown user or item).
	N        int `json:"n"`
	Users    int `json:"users"`
	Fallback int `json:"fallback"`
}

// RatingErrors measures pred against the test ratings. Predictions are
// clipped to [lo, hi]; a rating whose user or item the base file does not
// know is predicted by fallback (nil: an error).
func RatingErrors(test []Rating, pred *Matrix, fallback *Bias, lo, hi float64) (Errors, error) {
	var e Errors
	var se, userSE float64
	userN := 0
	flush := func() {
		if userN > 0 {
			e.UserRMSE += math.Sqrt(userSE / float64(userN))
			e.Users++
		}
		userSE, userN = 0, 0
	}
	for k, r := range test {
		if k > 0 && r.User != test[k-1].User {
			flush()
		}
		var p float64
		if r.User < 0 || r.Item < 0 {
			if fallback == nil {
				return Errors{}, fmt.Errorf("rating errors: test rating %d has an unknown user or item and there is no fallback model", k+1)
			}
			p = fallback.Predict(r.User, r.Item)
			e.Fallback++
		} else {
			if r.User >= pred.Users || r.Item >= pred.Items {
				return Errors{}, fmt.Errorf("rating errors: test rating %d at (%d,%d) is outside the %d×%d predictions", k+1, r.User, r.Item, pred.Users, pred.Items)
			}
			p = float64(pred.V[r.User*pred.Items+r.Item])
		}
		d := math.Min(hi, math.Max(lo, p)) - float64(r.Value)
		se += d * d
		userSE += d * d
		userN++
		e.N++
	}
	flush()
	if e.N == 0 {
		return Errors{}, fmt.Errorf("rating errors: no test ratings")
	}
	e.RMSE = math.Sqrt(se / float64(e.N))
	e.UserRMSE /= float64(e.Users)
	return e, nil
}

// Ranking is a model's top-N quality.
type Ranking struct {
	// Precision, Recall and NDCG at N, averaged over the users measured.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	NDCG      float64 `json:"ndcg"`
	// N is the list length; Users counts the users measured.
	N     int `json:"n"`
	Users int `json:"users"`
}

// RankingQuality measures top-n lists against held-out ratings: for every
// user with a test rating of at least relevant on an item of the base
// file, the items the user has not rated in base are ranked by score
// (ties to the lower column) and the top n compared with those relevant
// test items. Precision is hits/n, recall hits/relevant, NDCG the binary
// discounted gain over the best possible for min(n, relevant) hits.
// items is the base file's item count.
func RankingQuality(base, test []Rating, s Scorer, users, items, n int, relevant float32) (Ranking, error) {
	if n <= 0 || items <= 0 {
		return Ranking{}, fmt.Errorf("ranking quality: list length %d and item count %d must be positive", n, items)
	}
	rated := make([][]int, users)
	for _, r := range base {
		if r.User >= 0 && r.User < users && r.Item >= 0 && r.Item < items {
			rated[r.User] = append(rated[r.User], r.Item)
		}
	}
	rel := make(map[int][]int)
	for _, r := range test {
		if r.User >= 0 && r.User < users && r.Item >= 0 && r.Item < items && r.Value >= relevant {
			rel[r.User] = append(rel[r.User], r.Item)
		}
	}
	us := make([]int, 0, len(rel))
	for u := range rel {
		us = append(us, u)
	}
	slices.Sort(us)
	out := Ranking{N: n}
	scores := make([]float32, items)
	excluded := make([]bool, items)
	isRel := make([]bool, items)
	cand := make([]int, 0, items)
	for _, u := range us {
		s.Scores(u, scores)
		clear(excluded)
		for _, i := range rated[u] {
			excluded[i] = true
		}
		cand = cand[:0]
		for i := range items {
			if !excluded[i] {
				cand = append(cand, i)
			}
		}
		top := topK(cand, scores, n)
		for _, i := range rel[u] {
			isRel[i] = true
		}
		hits := 0
		var dcg, idcg float64
		for r, i := range top {
			if isRel[i] {
				hits++
				dcg += 1 / math.Log2(float64(r)+2)
			}
		}
		for r := range min(n, len(rel[u])) {
			idcg += 1 / math.Log2(float64(r)+2)
		}
		for _, i := range rel[u] {
			isRel[i] = false
		}
		out.Precision += float64(hits) / float64(n)
		out.Recall += float64(hits) / float64(len(rel[u]))
		out.NDCG += dcg / idcg
		out.Users++
	}
	if out.Users == 0 {
		return Ranking{}, fmt.Errorf("ranking quality: no test user has a rating of %g or more on a known item", relevant)
	}
	k := float64(out.Users)
	out.Precision /= k
	out.Recall /= k
	out.NDCG /= k
	return out, nil
}

// topK returns the n candidates with the highest scores, best first, ties
// to the lower column (NaN scores rank last). cand is reordered.
func topK(cand []int, scores []float32, n int) []int {
	better := func(a, b int) bool {
		sa, sb := scores[a], scores[b]
		if sa != sb {
			if sa != sa { // NaN
				return false
			}
			return sb != sb || sa > sb
		}
		return a < b
	}
	slices.SortFunc(cand, func(a, b int) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	return cand[:min(n, len(cand))]
}
