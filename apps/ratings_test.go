package apps

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestRatingsSplitAndBaselines(t *testing.T) {
	dir := t.TempDir()
	base, test := filepath.Join(dir, "b"), filepath.Join(dir, "t")
	os.WriteFile(base, []byte("1\t10\t4\n1\t20\t2\n2\t10\t2\n"), 0o644)
	// (2,20) predictable; (3,10) unknown user; (1,30) unknown item.
	os.WriteFile(test, []byte("2\t20\t5\n3\t10\t1\n1\t30\t3\n"), 0o644)
	s, err := LoadRatingsSplit(base, test)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dropped != 2 || s.Test.Mask[1*2+1] != 1 || s.Test.Target[3] != 5 || s.Test.X[0] != 4 {
		t.Fatalf("split: dropped %d, test %+v", s.Dropped, s.Test)
	}
	// Item 20's mean base rating is 2; the one test rating is 5 → RMSE 3.
	if r, err := ItemMeanRMSE(s); err != nil || r != 3 {
		t.Fatalf("item mean rmse %v, %v", r, err)
	}
	// Clipping: 7 → 5 (error 0 vs 5), 0 → 1 (error 1 vs 2): sqrt(1/2).
	r, n, err := MaskedRMSE([]float32{7, 0, 9}, []float32{5, 2, 0}, []float32{1, 1, 0}, 1, 5)
	if err != nil || n != 2 || math.Abs(r-math.Sqrt(0.5)) > 1e-12 {
		t.Fatalf("masked rmse %v (%d), %v", r, n, err)
	}
	if _, _, err := MaskedRMSE([]float32{1}, []float32{1}, []float32{0}, 1, 5); err == nil {
		t.Fatal("empty mask accepted")
	}
}

func TestTopN(t *testing.T) {
	pred := []float32{4, 5, 3, 4.5, 4.5}
	rated := []float32{0, 3, 0, 0, 0}
	got, err := TopN(pred, rated, []string{"a", "b", "c", "d", "e"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// b is rated; ties d/e keep column order.
	if len(got) != 3 || got[0].Item != "d" || got[1].Item != "e" || got[2].Item != "a" {
		t.Fatalf("top = %+v", got)
	}
	if all, _ := TopN(pred, rated, []string{"a", "b", "c", "d", "e"}, 10); len(all) != 4 {
		t.Fatalf("n beyond candidates: %+v", all)
	}
	if _, err := TopN(pred, rated[:2], nil, 1); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
}

// On a generated low-rank set the recommender must beat predicting the
// global mean and stay near the noise floor.
func TestRecommenderOnGeneratedRatings(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a recommender (a few seconds)")
	}
	dir := t.TempDir()
	b, te := filepath.Join(dir, "base"), filepath.Join(dir, "test")
	nb, nt, err := GenerateRatings(b, te, 300, 400, 3, 0.1, 0.3, 0.2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if nb < 8000 || nt < 2000 {
		t.Fatalf("generated %d base and %d test ratings", nb, nt)
	}
	s, err := LoadRatingsSplit(b, te)
	if err != nil {
		t.Fatal(err)
	}
	_, rmse, err := TrainRecommender(context.Background(), filepath.Join(dir, "run"), s, RecommenderOptions{TrainOptions: TrainOptions{Epochs: 15, Batch: 16, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Global-mean predictor for comparison.
	var sum, cnt float64
	for i, m := range s.Train.Mask {
		if m != 0 {
			sum += float64(s.Train.X[i])
			cnt++
		}
	}
	pred := make([]float32, len(s.Test.Target))
	for i := range pred {
		pred[i] = float32(sum / cnt)
	}
	global, _, _ := MaskedRMSE(pred, s.Test.Target, s.Test.Mask, 1, 5)
	if rmse >= global {
		t.Fatalf("recommender test RMSE %.4f does not beat the global mean's %.4f", rmse, global)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GenerateRatings(b, te, 1, 400, 3, 0.1, 0.3, 0.2, 3); err == nil {
		t.Fatal("one user accepted")
	}
}

func TestTransposedSplit(t *testing.T) {
	dir := t.TempDir()
	base, test := filepath.Join(dir, "b"), filepath.Join(dir, "t")
	os.WriteFile(base, []byte("1\t10\t4\n1\t20\t2\n2\t10\t3\n"), 0o644)
	os.WriteFile(test, []byte("2\t20\t5\n"), 0o644)
	s, err := LoadRatingsSplit(base, test)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Transposed()
	// Rows are items now: item 20's ratings by users 1, 2 are (2, —); the
	// held-out (user 2, item 20) = 5 sits at row 1, column 1.
	if tr.Train.N != 2 || tr.Train.X[2] != 2 || tr.Train.Mask[3] != 0 || tr.Test.Target[3] != 5 || tr.Train.Users[1] != "20" {
		t.Fatalf("transposed %+v / %+v", tr.Train, tr.Test)
	}
	back := tr.Transposed()
	for i := range s.Train.X {
		if back.Train.X[i] != s.Train.X[i] || back.Test.Mask[i] != s.Test.Mask[i] {
			t.Fatal("transposing twice does not give the original")
		}
	}
	a, _ := ItemMeanRMSE(s)
	if a != 3 {
		t.Fatalf("item mean %v", a)
	}
}
