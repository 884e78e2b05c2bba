package recommend_test

import (
	"fmt"

	"github.com/latent-ml/latent/apps/recommend"
)

// The highest predicted ratings among the items the user has not rated yet.
func ExampleTopN() {
	predicted := []float32{4.1, 4.8, 3.2, 4.6}
	rated := []float32{0, 5, 0, 0} // the user already rated item "b"
	recs, _ := recommend.TopN(predicted, rated, []string{"a", "b", "c", "d"}, 2)
	for _, r := range recs {
		fmt.Printf("%s %.1f\n", r.Item, r.Predicted)
	}
	// Output:
	// d 4.6
	// a 4.1
}

// RMSE over every test rating, predictions clipped to the 1–5 scale, and
// the mean of per-user RMSEs.
func ExampleRatingErrors() {
	pred := &recommend.Matrix{Users: 2, Items: 2, V: []float32{4.5, 6, 2, 3}}
	test := []recommend.Rating{{User: 0, Item: 0, Value: 5}, {User: 0, Item: 1, Value: 5}, {User: 1, Item: 1, Value: 2}}
	e, _ := recommend.RatingErrors(test, pred, nil, 1, 5)
	fmt.Printf("RMSE %.4f, mean per-user RMSE %.4f over %d ratings of %d users\n", e.RMSE, e.UserRMSE, e.N, e.Users)
	// Output: RMSE 0.6455, mean per-user RMSE 0.6768 over 3 ratings of 2 users
}

// Top-2 lists against held-out ratings of 4 and above: user 0's list (items
// 2, 1) finds its one liked item second.
func ExampleRankingQuality() {
	base := []recommend.Rating{{User: 0, Item: 0, Value: 3}}
	test := []recommend.Rating{{User: 0, Item: 1, Value: 5}, {User: 0, Item: 3, Value: 2}}
	scores := &recommend.Matrix{Users: 1, Items: 4, V: []float32{5, 3, 4, 1}}
	r, _ := recommend.RankingQuality(base, test, scores, 1, 4, 2, 4)
	fmt.Printf("precision@2 %.2f, recall@2 %.2f, NDCG@2 %.4f\n", r.Precision, r.Recall, r.NDCG)
	// Output: precision@2 0.50, recall@2 1.00, NDCG@2 0.6309
}
