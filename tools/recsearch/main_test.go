package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/latent-ml/latent/apps/recommend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// movieLensLayout writes a small generated ratings set as fold 1 of a
// MovieLens-100k folder, with a u1.test that is not a ratings file at all:
// the search must never read it.
func movieLensLayout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	_, _, err := recommend.GenerateRatings(filepath.Join(dir, "u1.base"), filepath.Join(t.TempDir(), "unused.test"),
		60, 80, 3, 0.2, 0.5, 0.2, 7)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "u1.test"), []byte("not ratings: the search must not read me\n"), 0o644))
	return dir
}

func rowRMSE(t *testing.T, out, label string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(label) + ` \| ([0-9.]+) ± ([0-9.]+) \|`).FindStringSubmatch(out)
	require.NotNil(t, m, "no row %q in:\n%s", label, out)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// With penalties far larger than any rating count the bias model's user
// and item biases vanish and it predicts the mean of the training ratings:
// its validation RMSE is computed here by hand from the same validation
// part, and the table lists the better (smaller-penalty) row first.
func TestSearchScoresValidationPartOnly(t *testing.T) {
	dir := movieLensLayout(t)
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--data", dir, "--folds", "1", "--model", "bias",
		"--grid", "lambda-user=1e12 lambda-item=1e12,2"}, &out, &errs)
	require.NoError(t, err, errs.String())

	s, err := recommend.LoadBase(filepath.Join(dir, "u1.base"))
	require.NoError(t, err)
	v, err := s.Validation(0.1, 1)
	require.NoError(t, err)
	require.NotEmpty(t, v.Test)
	mean := 0.0
	for _, r := range v.Base {
		mean += float64(r.Value)
	}
	mean /= float64(len(v.Base))
	se := 0.0
	for _, r := range v.Test {
		d := mean - float64(r.Value)
		se += d * d
	}
	want := math.Sqrt(se / float64(len(v.Test)))

	flat := rowRMSE(t, out.String(), "lambda-user=1e12 lambda-item=1e12")
	assert.InDelta(t, want, flat, 6e-5, "huge penalties: the training mean's validation RMSE")
	fitted := rowRMSE(t, out.String(), "lambda-user=1e12 lambda-item=2")
	assert.Less(t, fitted, flat, "item biases help on a set with item effects")
	assert.Less(t, bytes.Index(out.Bytes(), []byte("lambda-item=2 |")), bytes.Index(out.Bytes(), []byte("lambda-item=1e12 |")),
		"rows are listed best first")
}

// The trained models run through the same path: a two-epoch matrix
// factorisation reports its best epoch and an NDCG@10 in [0,1].
func TestSearchMF(t *testing.T) {
	dir := movieLensLayout(t)
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--data", dir, "--folds", "1", "--model", "mf",
		"--grid", "epochs=2 factors=4"}, &out, &errs)
	require.NoError(t, err, errs.String())
	m := regexp.MustCompile(`(?m)^\| epochs=2 factors=4 \| ([0-9.]+) ± 0\.0000 \| ([0-9.]+) \| ([0-9.]+) \| \[([12])\] \|`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	rmse, _ := strconv.ParseFloat(m[1], 64)
	ndcg, _ := strconv.ParseFloat(m[3], 64)
	assert.Equal(t, m[1], m[2], "one fold: the mean is the fold's figure")
	assert.Greater(t, rmse, 0.3)
	assert.Less(t, rmse, 2.0)
	assert.GreaterOrEqual(t, ndcg, 0.0)
	assert.LessOrEqual(t, ndcg, 1.0)
}

func TestSearchErrors(t *testing.T) {
	dir := movieLensLayout(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", dir, "--folds", "1", "--model", "svd"}, "--model must be autoencoder, mf or bias"},
		{[]string{"--data", dir, "--folds", "1", "--model", "bias", "--grid", "factors=3"}, `unknown grid key "factors" for model bias`},
		{[]string{"--data", dir, "--folds", "1", "--model", "bias", "--grid", "lambda-user"}, "is not key=v1,v2"},
		{[]string{"--data", dir, "--folds", "1", "--model", "bias", "--grid", "lambda-user=x"}, "lambda-user=x"},
		{[]string{"--data", dir, "--folds", "one"}, `--folds: "one" is not a fold number`},
		{[]string{"--data", dir, "--folds", "2", "--model", "bias"}, recommend.FetchCommand},
	} {
		var out, errs bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errs)
		if assert.Error(t, err, tc.args) {
			assert.Contains(t, err.Error(), tc.want, tc.args)
		}
	}
}
