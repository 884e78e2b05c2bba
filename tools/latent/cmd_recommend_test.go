package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-ml/latent/apps/recommend"
	"github.com/latent-ml/latent/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readReport loads a run's result.json.
func readReport(t *testing.T, dir string) recommend.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	require.NoError(t, err)
	var rep recommend.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	return rep
}

// printedRMSE is the value of the "test RMSE <value>" line.
func printedRMSE(t *testing.T, out string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^test RMSE ([0-9.]+) `).FindStringSubmatch(out)
	require.NotNil(t, m, "no test RMSE line in:\n%s", out)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// ratedBy lists the items a user rated in a ratings file.
func ratedBy(t *testing.T, path, user string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	rated := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == user {
			rated[f[1]] = true
		}
	}
	return rated
}

// checkRecommendations runs latent recommend for user 7 and checks the
// list: unrated items only, in decreasing predicted order, titled when a
// titles file is present.
func checkRecommendations(t *testing.T, run, ratings string, titled bool) {
	t.Helper()
	out, errs, code := appCLI(t, "recommend", run, "--ratings", ratings, "--user", "7", "--top", "3")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.True(t, strings.HasPrefix(lines[0], "user 7 rated "), lines[0])
	rated := ratedBy(t, ratings, "7")
	prev := 1e9
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		require.GreaterOrEqual(t, len(f), 2, l)
		item := strings.TrimPrefix(strings.Fields(f[0])[2], "")
		assert.False(t, rated[item], "recommended item %s, already rated", item)
		p, err := strconv.ParseFloat(strings.TrimPrefix(f[1], "predicted "), 64)
		require.NoError(t, err, l)
		assert.LessOrEqual(t, p, prev, "not in decreasing order:\n%s", out)
		prev = p
		if titled {
			require.Len(t, f, 3, l)
			assert.Equal(t, "Movie "+item+" (1999)", f[2])
		} else {
			assert.Len(t, f, 2, l)
		}
	}
}

func TestRecommendGenerateTrainRecommend(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "ratings")
	out, errs, code := appCLI(t, "recommend", "generate", "--out", data, "--users", "200", "--items", "300", "--density", "0.1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "base.data")
	base, test := filepath.Join(data, "base.data"), filepath.Join(data, "test.data")

	run := filepath.Join(dir, "run")
	out, errs, code = appCLI(t, "recommend", "train", "--ratings", base, "--test", test, "--epochs", "8", "--code", "64",
		"--batch", "8", "--lr", "3e-3", "--weight-decay", "0.5", "--out", run, "--quiet")
	require.Equal(t, 0, code, errs)
	rep := readReport(t, run)
	var names []string
	for _, r := range rep.Results {
		names = append(names, r.Model)
	}
	assert.Equal(t, []string{"autoencoder (item+user blend)", "  item-based part", "  user-based part",
		"matrix factorisation", "user+item bias", "item mean", "global mean", "popularity"}, names)
	got := map[string]recommend.Result{}
	for _, r := range rep.Results {
		got[strings.TrimSpace(r.Model)] = r
	}
	ae := rep.Results[0]
	require.NotNil(t, ae.Errors)
	assert.InDelta(t, ae.Errors.RMSE, printedRMSE(t, out), 5e-5, "the printed figure is result.json's")
	assert.Greater(t, ae.Errors.RMSE, 0.3)
	assert.Less(t, ae.Errors.RMSE, got["global mean"].Errors.RMSE, "the autoencoder beats the global mean")
	assert.Equal(t, 8, ae.Epochs)
	assert.Equal(t, 8, got["matrix factorisation"].Epochs, "matrix factorisation trains as many epochs")
	assert.Nil(t, got["popularity"].Errors, "popularity predicts no ratings")
	assert.Nil(t, got["global mean"].Ranking, "the global mean ranks nothing")
	assert.Equal(t, 10, ae.Ranking.N)
	assert.Equal(t, 1.0, rep.Min)
	assert.Equal(t, 5.0, rep.Max)
	assert.GreaterOrEqual(t, rep.BlendWeight, 0.0)
	assert.LessOrEqual(t, rep.BlendWeight, 1.0)
	// The blend is the weighted mean of its parts: its RMSE is at most the
	// worse part's (squared error is convex).
	assert.LessOrEqual(t, ae.Errors.RMSE, max(got["item-based part"].Errors.RMSE, got["user-based part"].Errors.RMSE)+1e-9)
	for _, sub := range []string{"item", "user"} {
		for _, f := range []string{"model.onnx", "encoder.onnx", "model.latent", "loss.png", "metrics.jsonl"} {
			assert.FileExists(t, filepath.Join(run, sub, f))
		}
	}
	assert.FileExists(t, filepath.Join(run, "recommender.json"))
	assert.Regexp(t, `(?m)^autoencoder \(item\+user blend\) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+/8 +[0-9.]+$`, out)
	assert.Regexp(t, `(?m)^popularity +- +- +[0-9.]+`, out)

	checkRecommendations(t, run, base, false)
	// Titles from a RecBole .item file beside the ratings.
	var items strings.Builder
	items.WriteString("item_id:token\tmovie_title:token_seq\trelease_year:token\n")
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&items, "%d\tMovie %d\t1999\n", i, i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(data, "base.item"), []byte(items.String()), 0o644))
	checkRecommendations(t, run, base, true)

	// The same ratings as RecBole's .inter (a typed header line).
	inter := filepath.Join(dir, "ml.inter")
	b, err := os.ReadFile(base)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inter, append([]byte("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"), b...), 0o644))
	checkRecommendations(t, run, inter, false)

	// One autoencoder of each orientation, the files in the run folder.
	for _, o := range []string{"user", "item"} {
		runO := filepath.Join(dir, "run"+o)
		out, errs, code = appCLI(t, "recommend", "train", "--orientation", o, "--ratings", base, "--test", test, "--epochs", "3", "--code", "32", "--out", runO, "--quiet")
		require.Equal(t, 0, code, errs)
		assert.Contains(t, out, "autoencoder ("+o+"-based)")
		assert.NotContains(t, out, "part")
		assert.FileExists(t, filepath.Join(runO, "model.onnx"))
		checkRecommendations(t, runO, base, true)
	}

	// A model trained on other data: the item count differs.
	other := filepath.Join(dir, "other")
	_, errs, code = appCLI(t, "recommend", "generate", "--out", other, "--users", "20", "--items", "30", "--density", "0.5")
	require.Equal(t, 0, code, errs)
	_, errs, code = appCLI(t, "recommend", run, "--ratings", filepath.Join(other, "base.data"), "--user", "1")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "was it trained on")
}

func TestRecommendBadInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "ratings")
	_, errs, code := appCLI(t, "recommend", "generate", "--out", data, "--users", "30", "--items", "40", "--density", "0.3")
	require.Equal(t, 0, code, errs)
	base := filepath.Join(data, "base.data")
	run := filepath.Join(dir, "run")
	_, errs, code = appCLI(t, "recommend", "train", "--ratings", base, "--test", filepath.Join(data, "test.data"), "--epochs", "1", "--code", "8", "--out", run, "--quiet")
	require.Equal(t, 0, code, errs)
	bad := filepath.Join(dir, "bad.data")
	require.NoError(t, os.WriteFile(bad, []byte("1\t2\t4\n1\t2\t5\n"), 0o644))
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"recommend", run, "--ratings", base, "--user", "99999"}, "user 99999 not in the ratings file", exitFail},
		{[]string{"recommend", run, "--user", "1"}, "--ratings FILE and --user ID are required", exitUsage},
		{[]string{"recommend", run, "--ratings", base, "--user", "1", "--top", "0"}, "--top must be positive", exitUsage},
		{[]string{"recommend", dir, "--ratings", base, "--user", "1"}, "is " + dir + " a folder written by latent recommend train?", exitFail},
		{[]string{"recommend", "train", "--ratings", base, "--test", base, "--orientation", "diagonal"}, "--orientation must be both, item or user", exitUsage},
		{[]string{"recommend", run, "--ratings", base, "--user", "1", "--titles", bad}, "no item_id and title fields", exitFail},
		{[]string{"recommend", "train", "--ratings", "x"}, "--ratings BASE and --test TEST (or --fold N) are required", exitUsage},
		{[]string{"recommend", "train", "--fold", "1", "--ratings", "x"}, "exclude each other", exitUsage},
		{[]string{"recommend", "train", "--fold", "6"}, "folds 1 to 5, not 6", exitFail},
		{[]string{"recommend", "train", "--fold", "1", "--data", dir}, "fetch it with: bash tools/fetch-movielens.sh", exitFail},
		{[]string{"recommend", "train", "--ratings", base, "--test", base, "--val", "1"}, "--val must be in (0,1)", exitUsage},
		{[]string{"recommend", "train", "--ratings", base, "--test", base, "--input-dropout", "1"}, "--input-dropout in [0,1)", exitUsage},
		{[]string{"recommend", "train", "--ratings", bad, "--test", base}, "duplicate rating of item 2 by user 1", exitFail},
		{[]string{"recommend", "crossval", "--folds", "x"}, "--folds: want fold numbers", exitUsage},
		{[]string{"recommend", "generate", "--out", dir, "--users", "1"}, "need users", exitFail},
	} {
		_, errs, code := appCLI(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, "%v", c.args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, "%v: one line: %q", c.args, errs)
	}
}

// crossval over two folds laid out as MovieLens' uN.base/uN.test prints
// one line per fold and the mean ± sd table.
func TestRecommendCrossval(t *testing.T) {
	dir := t.TempDir()
	for i := 1; i <= 2; i++ {
		g := filepath.Join(dir, fmt.Sprint("g", i))
		_, errs, code := appCLI(t, "recommend", "generate", "--out", g, "--users", "60", "--items", "80", "--density", "0.2", "--seed", fmt.Sprint(i))
		require.Equal(t, 0, code, errs)
		require.NoError(t, os.Rename(filepath.Join(g, "base.data"), filepath.Join(dir, fmt.Sprintf("u%d.base", i))))
		require.NoError(t, os.Rename(filepath.Join(g, "test.data"), filepath.Join(dir, fmt.Sprintf("u%d.test", i))))
	}
	runs := filepath.Join(dir, "runs")
	out, errs, code := appCLI(t, "recommend", "crossval", "--data", dir, "--folds", "1,2", "--epochs", "2", "--code", "16", "--out", runs, "--quiet")
	require.Equal(t, 0, code, errs)
	r1, r2 := readReport(t, filepath.Join(runs, "u1")), readReport(t, filepath.Join(runs, "u2"))
	assert.Contains(t, out, fmt.Sprintf("u1: test RMSE %.4f (autoencoder)", r1.Results[0].Errors.RMSE))
	mean := (r1.Results[0].Errors.RMSE + r2.Results[0].Errors.RMSE) / 2
	assert.Contains(t, out, fmt.Sprintf("| autoencoder (item+user blend) | %.4f ± ", mean))
	assert.Contains(t, out, "| popularity | – | – | ")
}

// MovieLens-100k's u1 split end to end with latent recommend train's
// defaults (chosen on validation parts of the base files, never on
// u1.test): the autoencoder recommender must keep u1's test RMSE within
// the target of 0.90, and beat matrix factorisation and the bias model on
// RMSE and NDCG@10. The data comes from tools/setup.sh
// (tools/fetch-movielens.sh); under CI its absence is a failure.
func TestRecommendMovieLensU1(t *testing.T) {
	dir := recommend.MovieLensDir()
	_, _, err := recommend.MovieLensFold(dir, 1)
	testenv.Need(t, "MovieLens-100k ("+recommend.FetchCommand+", run by tools/setup.sh)", err)
	if testing.Short() && !testenv.CI() {
		t.Skip("trains on MovieLens-100k u1 (a minute or two)")
	}
	run := t.TempDir()
	out, errs, code := appCLI(t, "recommend", "train", "--fold", "1", "--out", run, "--quiet")
	require.Equal(t, 0, code, errs)
	t.Logf("\n%s", out)
	rep := readReport(t, run)
	assert.Equal(t, 80000, rep.BaseRatings)
	assert.Equal(t, 20000, rep.TestRatings)
	assert.Equal(t, 32, rep.Unknown)
	ae, mf, bias := rep.Results[0], rep.Result("matrix factorisation"), rep.Result("user+item bias")
	require.NotNil(t, ae.Errors)
	require.NotNil(t, mf)
	require.NotNil(t, bias)
	assert.Equal(t, "autoencoder (item+user blend)", ae.Model)
	assert.LessOrEqual(t, printedRMSE(t, out), 0.90, "u1 test RMSE with the defaults")
	assert.Less(t, ae.Errors.RMSE, mf.Errors.RMSE, "autoencoder vs matrix factorisation (RMSE)")
	assert.Less(t, ae.Errors.RMSE, bias.Errors.RMSE, "autoencoder vs bias (RMSE)")
	assert.Greater(t, ae.Ranking.NDCG, mf.Ranking.NDCG, "autoencoder vs matrix factorisation (NDCG@10)")
	assert.Greater(t, ae.Ranking.NDCG, bias.Ranking.NDCG, "autoencoder vs bias (NDCG@10)")
	assert.Equal(t, ae.Epochs, mf.Epochs, "matrix factorisation trains as many epochs")
}
