package recommend

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRatingErrorsHandComputed(t *testing.T) {
	// 2 users × 3 items of predictions.
	pred := &Matrix{Users: 2, Items: 3, V: []float32{
		4, 7, 2, // user 0: 7 is clipped to 5
		0, 3, 3, // user 1: 0 is clipped to 1
	}}
	test := []Rating{
		{0, 0, 5},  // error 1
		{0, 1, 5},  // 7 → 5: error 0
		{1, 0, 3},  // 0 → 1: error 2
		{1, 2, 3},  // error 0
		{1, -1, 4}, // unknown item: fallback μ + b_u = 3 + 0.5: error 0.5
	}
	fb := &Bias{Mean: 3, User: []float64{0, 0.5}, Item: []float64{0, 0, 0}}
	e, err := RatingErrors(test, pred, fb, 1, 5)
	require.NoError(t, err)
	assert.Equal(t, 5, e.N)
	assert.Equal(t, 2, e.Users)
	assert.Equal(t, 1, e.Fallback)
	assert.InDelta(t, math.Sqrt((1+0+4+0+0.25)/5.0), e.RMSE, 1e-12)
	// Per user: sqrt(1/2) and sqrt(4.25/3), averaged.
	assert.InDelta(t, (math.Sqrt(0.5)+math.Sqrt(4.25/3))/2, e.UserRMSE, 1e-12)

	_, err = RatingErrors(test, pred, nil, 1, 5)
	assert.ErrorContains(t, err, "no fallback model")
	_, err = RatingErrors([]Rating{{5, 0, 1}}, pred, fb, 1, 5)
	assert.ErrorContains(t, err, "outside the 2×3 predictions")
	_, err = RatingErrors(nil, pred, fb, 1, 5)
	assert.ErrorContains(t, err, "no test ratings")
}

func TestRatingErrorsSeparatesUnknownUsers(t *testing.T) {
	// Two unknown users (ids -1 and -2) are two users, not one.
	test := []Rating{{-1, 0, 4}, {-2, 0, 2}}
	fb := &Bias{Mean: 3, Item: []float64{0}}
	e, err := RatingErrors(test, NewMatrix(0, 1), fb, 1, 5)
	require.NoError(t, err)
	assert.Equal(t, 2, e.Users)
	assert.InDelta(t, 1.0, e.UserRMSE, 1e-12)
}

func TestRankingQualityHandComputed(t *testing.T) {
	// One user, 6 items. Base: the user rated item 0. Test: items 2 (5★),
	// 4 (4★) and 5 (2★, not relevant). Scores rank the candidates
	// 1,2,3,4,5 as 3 > 2 > 1 > 5 > 4.
	base := []Rating{{0, 0, 3}}
	test := []Rating{{0, 2, 5}, {0, 4, 4}, {0, 5, 2}}
	scores := &Matrix{Users: 1, Items: 6, V: []float32{9, 3, 4, 5, 1, 2}}
	r, err := RankingQuality(base, test, scores, 1, 6, 2, 4)
	require.NoError(t, err)
	// Top 2: items 3, 2 → one hit (item 2) at rank 2.
	assert.Equal(t, 1, r.Users)
	assert.InDelta(t, 0.5, r.Precision, 1e-12)
	assert.InDelta(t, 0.5, r.Recall, 1e-12)
	assert.InDelta(t, (1/math.Log2(3))/(1+1/math.Log2(3)), r.NDCG, 1e-12)

	// Top 4: items 3, 2, 1, 5: still one hit; the best possible has two.
	r, err = RankingQuality(base, test, scores, 1, 6, 4, 4)
	require.NoError(t, err)
	assert.InDelta(t, 0.25, r.Precision, 1e-12)
	assert.InDelta(t, 0.5, r.Recall, 1e-12)

	// Ties go to the lower column: equal scores rank items 1, 2, … first.
	flat := &Matrix{Users: 1, Items: 6, V: make([]float32, 6)}
	r, err = RankingQuality(base, test, flat, 1, 6, 2, 4)
	require.NoError(t, err)
	assert.InDelta(t, 0.5, r.Precision, 1e-12, "items 1 and 2 make the list")

	_, err = RankingQuality(base, []Rating{{0, 5, 2}}, scores, 1, 6, 2, 4)
	assert.ErrorContains(t, err, "no test user has a rating of 4")
	_, err = RankingQuality(base, test, scores, 1, 6, 0, 4)
	assert.Error(t, err)
}

func TestRankingQualityAveragesOverUsers(t *testing.T) {
	// User 0 finds its one relevant item first, user 1 misses; user 2 has
	// no relevant test rating and is not measured.
	test := []Rating{{0, 1, 5}, {1, 0, 4}, {2, 1, 1}}
	scores := &Matrix{Users: 3, Items: 2, V: []float32{0, 1, 0, 1, 0, 1}}
	r, err := RankingQuality(nil, test, scores, 3, 2, 1, 4)
	require.NoError(t, err)
	assert.Equal(t, 2, r.Users)
	assert.InDelta(t, 0.5, r.Precision, 1e-12)
	assert.InDelta(t, 0.5, r.Recall, 1e-12)
	assert.InDelta(t, 0.5, r.NDCG, 1e-12)
}

func TestTopN(t *testing.T) {
	pred := []float32{4, 5, 3, 4.5, 4.5, float32(math.NaN())}
	rated := []float32{0, 3, 0, 0, 0, 0}
	items := []string{"a", "b", "c", "d", "e", "f"}
	got, err := TopN(pred, rated, items, 3)
	require.NoError(t, err)
	// b is rated; ties d/e keep column order; NaN never appears.
	require.Len(t, got, 3)
	assert.Equal(t, []string{"d", "e", "a"}, []string{got[0].Item, got[1].Item, got[2].Item})
	all, err := TopN(pred, rated, items, 10)
	require.NoError(t, err)
	assert.Len(t, all, 4)
	_, err = TopN(pred, rated[:2], items, 1)
	assert.Error(t, err)
}

func TestParseUser(t *testing.T) {
	users := []string{"1", "2", "10"}
	u, err := ParseUser(users, "10")
	require.NoError(t, err)
	assert.Equal(t, 2, u)
	_, err = ParseUser(users, "99")
	assert.EqualError(t, err, "user 99 not in the ratings file (3 users, ids 1..10)")
	_, err = ParseUser(users, "bob")
	assert.EqualError(t, err, `user "bob" not in the ratings file`)
}
