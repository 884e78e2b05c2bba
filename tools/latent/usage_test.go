package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every registered command documents itself: --help exits 0 with a usage
// line naming the command and examples whose latent lines use only the
// command's own flags.
func TestHelpWalksRegistry(t *testing.T) {
	require.NotEmpty(t, commands)
	for _, name := range commandNames() {
		code, stdout, stderr := latent(t, name, "--help")
		assert.Equal(t, exitOK, code, "%s --help", name)
		assert.Empty(t, stdout, "%s --help prints to stderr", name)
		assert.True(t, strings.HasPrefix(stderr, "usage: latent "+name), "%s --help starts with its usage line:\n%s", name, stderr)
		_, examples, ok := strings.Cut(stderr, "\nexamples:\n")
		if !assert.True(t, ok, "%s --help has examples", name) {
			continue
		}
		examples, _, _ = strings.Cut(examples, "\n\nflags:\n")
		n := 0
		for _, l := range latentCommands(examples) {
			n++
			assert.NoError(t, checkLatentLine(l.args), "%s --help example %q", name, l.text)
		}
		assert.Positive(t, n, "%s --help: no latent command among the examples:\n%s", name, examples)
		assert.NotEmpty(t, commands[name].summary, name)
	}
	code, _, stderr := latent(t)
	assert.Equal(t, exitUsage, code, "no arguments")
	for _, name := range commandNames() {
		assert.Contains(t, stderr, "  "+name+" ", "the command list names %s", name)
	}
	code, _, stderr = latent(t, "help", "train")
	assert.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stderr, "usage: latent train"), "latent help train:\n%s", stderr)
}

// A badly called command prints one line naming what was wrong, a
// suggestion when a known name is close, and where help is; exit 2.
func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, name := range commandNames() {
		code, stdout, stderr := latent(t, name, "--no-such-flag")
		assert.Equal(t, exitUsage, code, name)
		assert.Empty(t, stdout, name)
		assert.Equal(t, fmt.Sprintf("latent %s: unknown flag --no-such-flag; see latent %s --help\n", name, name), stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"trian"}, `latent: unknown command "trian" (did you mean train?); see latent --help`},
		{[]string{"frobnicate"}, `latent: unknown command "frobnicate" (want one of bench, `},
		{[]string{"train", "--hiden", "3"}, "latent train: unknown flag --hiden (did you mean --hidden?); see latent train --help"},
		{[]string{"train", "-epoch", "3"}, "latent train: unknown flag --epoch (did you mean --epochs?)"},
		{[]string{"train", "--code", "x"}, `latent train: invalid value "x" for --code: `},
		{[]string{"train", "--out"}, "latent train: --out needs a value; see latent train --help"},
		{[]string{"demo", "scater"}, `latent demo: unknown demo job "scater" (did you mean scatter?); see latent demo --help`},
		{[]string{"verify", "--atol", "0", "m.onnx"}, "latent verify: --atol must be positive"},
		{[]string{"inspect"}, "latent inspect: missing MODEL argument (a .onnx file or a run folder such as runs/fashion); see latent inspect --help"},
		{[]string{"train", "--model", "deep"}, "latent train: --data PATH is required; see latent train --help"},
	}
	for _, c := range cases {
		code, _, stderr := latent(t, c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.True(t, strings.HasPrefix(stderr, c.want), "%v:\n got %q\nwant %q…", c.args, stderr, c.want)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line, got %q", c.args, stderr)
		assert.NotContains(t, stderr, "flags:", "%v: no help page on a usage error", c.args)
	}
}

// The model's own validation errors name the train flag to change.
func TestTrainSpecErrorsNameFlags(t *testing.T) {
	csv := writeManifoldCSV(t, 40, 8)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--model", "stacked", "--pretrain-epochs", "0"}, "stacked needs pretrain_epochs > 0, got 0 (--pretrain-epochs)"},
		{[]string{"--model", "deep", "--hidden", ""}, "deep needs at least one hidden layer (--hidden)"},
		{[]string{"--model", "k-sparse", "--code", "4", "--k", "9"}, "k-sparse k must be in [1, code=4], got 9 (--k)"},
		{[]string{"--model", "sparse-kl", "--rho", "2"}, "sparse-kl target rho must be in (0,1), got 2 (--rho)"},
		{[]string{"--model", "recommender"}, "is not a ratings file: give --data a file of user item rating"},
	}
	for _, c := range cases {
		args := append([]string{"--data", csv, "--out", t.TempDir(), "--epochs", "1"}, c.args...)
		code, _, stderr := trainCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line, got %q", c.args, stderr)
	}
}

// deep and stacked train with --model and --data alone; the hidden stack
// and code they get are printed and recorded in training.json.
func TestTrainDefaultsRecorded(t *testing.T) {
	csv := writeManifoldCSV(t, 64, 30)
	for _, kind := range []string{"deep", "stacked"} {
		out := filepath.Join(t.TempDir(), kind)
		code, stdout, stderr := trainCLI(t, "--model", kind, "--data", csv, "--out", out, "--epochs", "1")
		require.Equal(t, exitOK, code, stderr)
		// 30 inputs: code min(32, 30/4) = 7; hidden: 16 is the largest power
		// of two below 30, 16/4 = 4 is not wider than the code.
		assert.Contains(t, stdout, "trained "+kind+" [30 16 7]")
		assert.Contains(t, stderr, "latent train: "+kind+" 30-16-7 with defaults --code 7 --hidden 16")
		if kind == "stacked" {
			assert.Contains(t, stderr, "--pretrain-epochs 5")
		}
		b, err := os.ReadFile(filepath.Join(out, "training.json"))
		require.NoError(t, err)
		assert.Contains(t, string(b), `"hidden": "16 (derived from 30 inputs and code 7: powers of two`)
		assert.Contains(t, string(b), `"code": "7 (min(32, inputs/4) for 30 inputs)"`)
	}
	// Given settings are not defaults.
	out := filepath.Join(t.TempDir(), "given")
	code, _, stderr := trainCLI(t, "--model", "deep", "--data", csv, "--out", out, "--epochs", "1", "--hidden", "12", "--code", "3")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "with defaults")
	b, err := os.ReadFile(filepath.Join(out, "training.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"defaults"`)
}

func TestSuggest(t *testing.T) {
	names := []string{"hidden", "epochs", "code", "code-activation", "out", "output-activation", "k"}
	for in, want := range map[string]string{
		"hiden": "hidden", "hidde": "hidden", "epoch": "epochs", "epcohs": "epochs", "cod": "code",
		"code-act": "code-activation", "ot": "out", "x": "", "zzzzzz": "", "": "", "outpu": "out",
	} {
		assert.Equal(t, want, suggest(in, names), "suggest(%q)", in)
	}
	assert.Equal(t, 0, editDistance("abc", "abc"))
	assert.Equal(t, 1, editDistance("abc", "acb"), "a transposition costs one")
	assert.Equal(t, 3, editDistance("", "abc"))
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
}

// Every command that takes a model takes a .onnx file or a run folder. The
// commands are found by walking the registry for usage lines that take
// MODEL (or CHECKPOINT), so a new one cannot be left out.
func TestModelArgumentsTakeRunFolders(t *testing.T) {
	csv := writeManifoldCSV(t, 64, 8)
	runDir := filepath.Join(t.TempDir(), "runs", "tiny")
	code, _, stderr := trainCLI(t, "--model", "deep", "--data", csv, "--out", runDir, "--epochs", "1", "--quiet")
	require.Equal(t, exitOK, code, stderr)
	inputs := t.TempDir()
	require.NoError(t, graph.WriteTensorFile(filepath.Join(inputs, "input_0.pb"), "input", ops.FromFloat32([]int{2, 8}, make([]float32, 16))))
	tmp := t.TempDir()

	// Each command's arguments after MODEL, and what its output must hold.
	cases := map[string]struct {
		args []string
		want string
	}{
		"inspect":   {nil, "model:      " + filepath.Join(runDir, "model.onnx")},
		"verify":    {[]string{"--reference", "native"}, "PASS"},
		"run":       {[]string{"--inputs", inputs}, "reconstruction\tfloat32[2 8]"},
		"bench":     {[]string{"--backend", "native", "--duration", "1ms", "--warmup", "0", "--min-runs", "1"}, "native"},
		"profile":   {[]string{"--runs", "1", "--warmup", "0"}, "Gemm"},
		"encode":    {[]string{"--data", csv, "--header"}, ""},
		"decode":    {[]string{"--data", filepath.Join(tmp, "codes.csv")}, ""},
		"score":     {[]string{"--data", csv, "--header"}, "row,score"},
		"calibrate": {[]string{"--data", csv, "--header", "--dry-run"}, "threshold"},
		"export":    {[]string{"--out", filepath.Join(tmp, "export")}, "model.onnx"},
	}
	// Commands whose MODEL is not an autoencoder run folder: a VAE
	// (sample) or a recommender (recommend) — their own tests give them
	// run folders.
	elsewhere := map[string]string{"sample": "cmd_sample_test.go", "recommend": "cmd_recommend_test.go"}
	usageRE := regexp.MustCompile(`^usage: latent \S+ (MODEL|CHECKPOINT)\b`)
	for _, name := range commandNames() {
		_, _, help := latent(t, name, "--help")
		if !usageRE.MatchString(help) {
			continue
		}
		if _, ok := elsewhere[name]; ok {
			continue
		}
		c, ok := cases[name]
		if !assert.True(t, ok, "latent %s takes a MODEL: add it to this test", name) {
			continue
		}
		if name == "decode" {
			// decode reads codes: the encoder's output on the same data.
			code, out, stderr := latent(t, "encode", runDir, "--data", csv, "--header")
			require.Equal(t, exitOK, code, stderr)
			require.NoError(t, os.WriteFile(filepath.Join(tmp, "codes.csv"), []byte(out), 0o644))
		}
		code, stdout, stderr := latent(t, append([]string{name, runDir}, c.args...)...)
		assert.Equal(t, exitOK, code, "latent %s RUNFOLDER: %s", name, stderr)
		assert.Contains(t, stdout+stderr, c.want, "latent %s RUNFOLDER", name)
		// A folder without the model is named in the error.
		code, _, stderr = latent(t, append([]string{name, tmp}, c.args...)...)
		assert.Equal(t, exitFail, code, "latent %s EMPTYFOLDER", name)
		assert.Contains(t, stderr, "model folder "+tmp+" has no ", name)
	}

	// train: --from takes a run folder (its model.onnx), --resume one
	// written with --checkpoint-every (its checkpoint.latent).
	ft := filepath.Join(tmp, "ft")
	code, stdout, stderr := trainCLI(t, "--from", runDir, "--data", csv, "--epochs", "1", "--quiet", "--out", ft)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "trained deep [8 4 2]")
	ck := filepath.Join(tmp, "ck")
	code, _, stderr = trainCLI(t, "--model", "deep", "--data", csv, "--epochs", "1", "--checkpoint-every", "1", "--quiet", "--out", ck)
	require.Equal(t, exitOK, code, stderr)
	code, stdout, stderr = trainCLI(t, "--resume", ck, "--data", csv, "--epochs", "2", "--quiet", "--out", ck)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "in 2 epochs")

	// serve: --model PATH takes a run folder and is named after it.
	var m modelFlags
	require.NoError(t, m.Set(runDir))
	require.NoError(t, m.Set("enc="+filepath.Join(runDir, "encoder.onnx")))
	require.NoError(t, m.Set(filepath.Join(runDir, "decoder.onnx")))
	require.Len(t, m, 3)
	assert.Equal(t, "tiny", m[0].Name)
	assert.Equal(t, filepath.Join(runDir, "model.onnx"), m[0].Path)
	assert.Equal(t, "enc", m[1].Name)
	assert.Equal(t, "decoder", m[2].Name)
	assert.Error(t, m.Set("=x.onnx"))
}

// Every default output folder of every command (and demo job) is under a
// folder .gitignore ignores, so that following the README leaves git
// status clean.
func TestDefaultOutputsIgnored(t *testing.T) {
	ignore, err := os.ReadFile(filepath.Join("../..", ".gitignore"))
	require.NoError(t, err)
	var dirs []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if strings.HasPrefix(l, "/") && strings.HasSuffix(l, "/") {
			dirs = append(dirs, strings.Trim(l, "/")+"/")
		}
	}
	defaultRE := regexp.MustCompile(`(?m)^  --out string\n.*\(default "([^"]+)"\)`)
	invocations := [][]string{}
	for _, name := range commandNames() {
		invocations = append(invocations, []string{name})
	}
	for _, job := range []string{"scatter", "denoise", "anomaly", "compress"} {
		invocations = append(invocations, []string{"demo", job})
	}
	invocations = append(invocations, []string{"recommend", "train"}, []string{"recommend", "generate"})
	found := 0
	for _, inv := range invocations {
		_, _, help := latent(t, append(inv, "--help")...)
		for _, m := range defaultRE.FindAllStringSubmatch(help, -1) {
			if m[1] == "-" {
				continue // stdout
			}
			found++
			ok := false
			for _, d := range dirs {
				ok = ok || strings.HasPrefix(m[1]+"/", d)
			}
			assert.True(t, ok, "latent %s writes to %s by default, which .gitignore does not ignore", strings.Join(inv, " "), m[1])
		}
	}
	assert.GreaterOrEqual(t, found, 5, "default output folders found")
}
