package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRecommendGenerateTrainRecommend(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "ratings")
	out, errs, code := appCLI(t, "recommend", "generate", "--out", data, "--users", "200", "--items", "300", "--density", "0.1")
	if code != 0 || !strings.Contains(out, "base.data") {
		t.Fatalf("generate: exit %d %s %s", code, out, errs)
	}
	run := filepath.Join(dir, "run")
	out, errs, code = appCLI(t, "recommend", "train", "--ratings", filepath.Join(data, "base.data"),
		"--test", filepath.Join(data, "test.data"), "--epochs", "10", "--out", run, "--quiet")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	m := regexp.MustCompile(`test RMSE ([0-9.]+) .*item-mean baseline ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no RMSE line: %s", out)
	}
	rmse, _ := strconv.ParseFloat(m[1], 64)
	if rmse <= 0.3 || rmse > 1.3 {
		t.Fatalf("test RMSE %v outside the plausible range for 1-5 ratings with noise 0.5", rmse)
	}
	if _, err := os.Stat(filepath.Join(run, "loss.png")); err != nil {
		t.Fatal(err)
	}
	out, errs, code = appCLI(t, "recommend", run, "--ratings", filepath.Join(data, "base.data"), "--user", "7", "--top", "3")
	if code != 0 {
		t.Fatalf("recommend: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "user 7 rated") {
		t.Fatalf("output:\n%s", out)
	}
	// The items recommended must be ones user 7 has not rated, in
	// decreasing predicted order.
	base, _ := os.ReadFile(filepath.Join(data, "base.data"))
	rated := map[string]bool{}
	for _, l := range strings.Split(string(base), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "7" {
			rated[f[1]] = true
		}
	}
	prev := 1e9
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if rated[f[2]] {
			t.Fatalf("recommended already rated item %s", f[2])
		}
		p, _ := strconv.ParseFloat(f[4], 64)
		if p > prev {
			t.Fatalf("not in decreasing order:\n%s", out)
		}
		prev = p
	}
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"recommend", run, "--ratings", filepath.Join(data, "base.data"), "--user", "99999"}, "user 99999 not in the ratings file", exitFail},
		{[]string{"recommend", run, "--user", "1"}, "--ratings FILE and --user ID are required", exitUsage},
		{[]string{"recommend", run, "--ratings", filepath.Join(data, "base.data"), "--user", "1", "--top", "0"}, "--top must be positive", exitUsage},
		{[]string{"recommend", "train", "--ratings", "x"}, "--ratings BASE and --test TEST are required", exitUsage},
		{[]string{"recommend", "generate", "--out", dir, "--users", "1"}, "need users", exitFail},
	} {
		_, errs, code := appCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %d with %q", c.args, code, errs, c.code, c.want)
		}
	}
	// Item-based: the same top-N contract through every item's row.
	runI := filepath.Join(dir, "runi")
	if out, errs, code = appCLI(t, "recommend", "train", "--item-based", "--ratings", filepath.Join(data, "base.data"),
		"--test", filepath.Join(data, "test.data"), "--epochs", "5", "--out", runI, "--quiet"); code != 0 || !strings.Contains(out, "(item-based)") {
		t.Fatalf("item-based train: exit %d %s %s", code, out, errs)
	}
	out, errs, code = appCLI(t, "recommend", runI, "--ratings", filepath.Join(data, "base.data"), "--user", "7", "--top", "3")
	if code != 0 {
		t.Fatalf("item-based recommend: exit %d: %s", code, errs)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(l); rated[f[2]] {
			t.Fatalf("item-based recommended already rated item %s", f[2])
		}
	}
	// A model trained on other data: the item count differs.
	other := filepath.Join(dir, "other")
	appCLI(t, "recommend", "generate", "--out", other, "--users", "20", "--items", "30", "--density", "0.5")
	_, errs, code = appCLI(t, "recommend", run, "--ratings", filepath.Join(other, "base.data"), "--user", "1")
	if code != exitFail || !strings.Contains(errs, "was it trained on") {
		t.Errorf("mismatched ratings file: exit %d, %q", code, errs)
	}
}
