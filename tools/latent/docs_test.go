package main

// Executable documentation: TestDocs runs every shell block of README.md
// and docs/*.md, in order, in one scratch folder per file, the way a
// person following the file top to bottom would, and checks the output
// blocks shown after them. docs/doc-tests.md is the guide for writers; the
// directives it describes are parsed here.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latent-ml/latent/apps"
	"github.com/latent-ml/latent/apps/recommend"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/latent-ml/latent/runtime/ort"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docGuide is where a failing block's message sends the writer.
const docGuide = "docs/doc-tests.md"

var updateDocs = flag.Bool("docs.update", false, "rewrite README.md's generated command table")

// mdBlock is one fenced block of a markdown file.
type mdBlock struct {
	file string // relative to the repository root
	line int    // of the opening fence, from 1
	lang string // first word of the info string
	body string
	dir  directives
}

func (b *mdBlock) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// shellLangs are the info strings of shell blocks.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

func (b *mdBlock) isShell() bool { return shellLangs[b.lang] }

// directives are the <!-- doc-test: … --> comments right above a fence.
type directives struct {
	illustrative bool
	reason       string
	needs        []string
	appends      []docAppend
	exit         int
	output       bool
	ports        []string
	timeout      time.Duration
	errs         []string // malformed directives
}

// docNeeds are the requirements a block may declare with "needs": what
// each checks. Outside CI a block whose need is unmet is skipped; under
// CI=true it fails (CI installs everything).
var docNeeds = map[string]func() error{
	"ort": func() error { return ort.Available() },
	"fashion-mnist": func() error {
		_, err := os.Stat(filepath.Join(apps.FashionDir, "t10k-images-idx3-ubyte.gz"))
		return err
	},
	"sklearn-data": func() error { _, err := os.Stat(apps.BreastCancerCSV); return err },
	"movielens": func() error {
		_, _, err := recommend.MovieLensFold(recommend.MovieLensDir(), 1)
		return err
	},
	"python": func() error {
		_, err := exec.LookPath("python3")
		return err
	},
}

var directiveRE = regexp.MustCompile(`^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$`)

// parseDirectives parses the text of one or more doc-test comments:
// directives separated by ';' (outside double quotes and parentheses).
func parseDirectives(texts []string) directives {
	d := directives{}
	for _, text := range texts {
		for _, part := range splitOutsideQuotes(text, ';') {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			word, rest, _ := strings.Cut(part, " ")
			word = strings.TrimSuffix(word, ":")
			rest = strings.TrimSpace(rest)
			switch word {
			case "illustrative":
				d.illustrative = true
				d.reason = strings.Trim(rest, "():— ")
				if d.reason == "" {
					d.errs = append(d.errs, `"illustrative" needs a reason: <!-- doc-test: illustrative (why it cannot run as written) -->`)
				}
			case "needs":
				for _, n := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' }) {
					if _, ok := docNeeds[n]; !ok {
						d.errs = append(d.errs, fmt.Sprintf("unknown need %q (known: %s)", n, strings.Join(sortedKeys(docNeeds), ", ")))
					}
					d.needs = append(d.needs, n)
				}
			case "append":
				// append "ARGS" to latent CMD [SUB]
				m := regexp.MustCompile(`^"([^"]*)"\s+to\s+latent\s+(.+)$`).FindStringSubmatch(rest)
				if m == nil {
					d.errs = append(d.errs, fmt.Sprintf(`malformed %q: write append "--limit 1000" to latent demo`, part))
					continue
				}
				d.appends = append(d.appends, docAppend{Prefix: strings.Fields(m[2]), Args: strings.Fields(m[1])})
			case "exit":
				n, err := strconv.Atoi(rest)
				if err != nil {
					d.errs = append(d.errs, fmt.Sprintf("malformed %q: write exit 3", part))
				}
				d.exit = n
			case "output":
				d.output = true
			case "free-port":
				if _, err := strconv.Atoi(rest); err != nil {
					d.errs = append(d.errs, fmt.Sprintf("malformed %q: write free-port 8000", part))
				}
				d.ports = append(d.ports, rest)
			case "timeout":
				t, err := time.ParseDuration(rest)
				if err != nil {
					d.errs = append(d.errs, fmt.Sprintf("malformed %q: write timeout 5m", part))
				}
				d.timeout = t
			default:
				d.errs = append(d.errs, fmt.Sprintf("unknown directive %q (see %s)", word, docGuide))
			}
		}
	}
	return d
}

// splitOutsideQuotes splits s at sep where it is outside double quotes
// and parentheses (an illustrative reason may hold a ';').
func splitOutsideQuotes(s string, sep rune) []string {
	var parts []string
	var cur strings.Builder
	quoted, depth := false, 0
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case (r == '(' || r == ')') && !quoted:
			if r == '(' {
				depth++
			} else if depth > 0 {
				depth--
			}
			cur.WriteRune(r)
		case r == sep && !quoted && depth == 0:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String())
}

var fenceRE = regexp.MustCompile("^(\\s*)(```+|~~~+)\\s*([^`\\s]*)[^`]*$")

// parseMarkdown returns the fenced blocks of a markdown file with the
// directives written on the lines right above each opening fence.
func parseMarkdown(file string, src []byte) ([]mdBlock, error) {
	var blocks []mdBlock
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, fence, lang := m[1], m[2], strings.ToLower(m[3])
		var texts []string
		for j := i - 1; j >= 0; j-- {
			dm := directiveRE.FindStringSubmatch(lines[j])
			if dm == nil {
				break
			}
			texts = append([]string{dm[1]}, texts...)
		}
		b := mdBlock{file: file, line: i + 1, lang: lang, dir: parseDirectives(texts)}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			l := lines[i]
			if t := strings.TrimSpace(l); strings.HasPrefix(t, fence[:3]) && strings.Trim(t, fence[:1]) == "" && len(t) >= len(fence) {
				closed = true
				break
			}
			body = append(body, strings.TrimPrefix(l, indent))
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: the %s fence is never closed", file, b.line, fence)
		}
		b.body = strings.Join(body, "\n")
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// docFiles are the markdown files TestDocs runs: README.md and docs/*.md.
func docFiles(t *testing.T, root string) []string {
	files := []string{"README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	for _, f := range more {
		rel, err := filepath.Rel(root, f)
		require.NoError(t, err)
		files = append(files, rel)
	}
	return files
}

const repoRoot = "../.."

// howToFix ends every failure message: what the writer can do.
func howToFix(b *mdBlock) string {
	return fmt.Sprintf("Fix the command (or what the earlier blocks of %s create), or, if the block is not meant to run as written, "+
		"put this line right above its opening fence:\n    <!-- doc-test: illustrative (why it cannot run) -->\n"+
		"Other directives (needs ort, append \"--limit 1000\" to latent demo, exit 3, output, free-port 8000) are in %s.",
		b.file, docGuide)
}

// TestDocFences checks what needs no running: every fence names its
// language, every directive parses, every shell block's latent command
// lines name existing commands and flags, output directives follow a
// block that runs.
func TestDocFences(t *testing.T) {
	for _, file := range docFiles(t, repoRoot) {
		src, err := os.ReadFile(filepath.Join(repoRoot, file))
		require.NoError(t, err)
		blocks, err := parseMarkdown(file, src)
		if !assert.NoError(t, err) {
			continue
		}
		shellRuns := false // a shell block that runs came before
		for i := range blocks {
			b := &blocks[i]
			for _, e := range b.dir.errs {
				assert.Failf(t, "bad doc-test directive", "%s: doc-test directive: %s", b.where(), e)
			}
			if !assert.NotEmpty(t, b.lang, "%s: fenced block without a language: write ```sh for commands (run by TestDocs unless marked illustrative, see %s) "+
				"or ```text for output and other text", b.where(), docGuide) {
				continue
			}
			if b.dir.output {
				if assert.False(t, b.isShell(), "%s: \"output\" marks the text block that shows a shell block's output, not a shell block", b.where()) {
					assert.True(t, shellRuns, "%s: \"output\" block follows no shell block that runs (all before it are illustrative)", b.where())
				}
			}
			if !b.isShell() {
				assert.False(t, b.dir.illustrative || len(b.dir.appends) > 0 || len(b.dir.needs) > 0,
					"%s: doc-test directives other than \"output\" apply to shell blocks (```sh), not ```%s", b.where(), b.lang)
				continue
			}
			shellRuns = shellRuns || !b.dir.illustrative
			if b.dir.exit == exitUsage {
				continue // a block that shows a usage error calls latent wrongly on purpose
			}
			for _, l := range latentCommands(b.body) {
				assert.NoError(t, checkLatentLine(l.args), "%s (line %d of the block):\n    %s", b.where(), l.line, l.text)
			}
		}
	}
}

// TestDocCommandLines checks the latent command lines of the other
// markdown files (BENCHMARKS.md, RELIABILITY.md, tools/…/README.md,
// deploy/…): they are not run (benchmarks take long and need the zoo),
// but the command beside a published figure must still be one latent
// accepts, so a renamed or dropped flag fails here.
func TestDocCommandLines(t *testing.T) {
	var files []string
	for _, pattern := range []string{"*.md", "tools/*/README.md", "deploy/*.md", "deploy/*/README.md"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		require.NoError(t, err)
		files = append(files, m...)
	}
	checked := 0
	for _, path := range files {
		file, err := filepath.Rel(repoRoot, path)
		require.NoError(t, err)
		if file == "README.md" {
			continue // TestDocFences and TestDocs
		}
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		blocks, err := parseMarkdown(file, src)
		if !assert.NoError(t, err) {
			continue
		}
		for _, b := range blocks {
			if b.dir.exit == exitUsage {
				continue
			}
			for _, l := range latentCommands(b.body) {
				checked++
				assert.NoError(t, checkLatentLine(l.args), "%s (line %d of the block):\n    %s", b.where(), l.line, l.text)
			}
		}
	}
	assert.NotZero(t, checked, "no latent command line found outside README.md and docs/ (BENCHMARKS.md has several)")
}

// TestDocs runs the shell blocks of README.md and docs/*.md that are not
// marked illustrative, each file in its own scratch folder (the
// repository's top-level entries linked in, so that testdata/… and
// tools/… resolve), with this test binary as `latent` on PATH and
// `go run ./tools/latent` / `go build -o X ./tools/latent` mapped to it.
// A block passes when it exits as expected and its output block, if any,
// matches (numbers may differ: the test runs on small --limit and the
// figures come from full runs).
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the documentation's commands are not run")
	}
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	exe, err := os.Executable()
	require.NoError(t, err)
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\n%s=1 exec %q \"$@\"\n", cliEnv, exe)
	require.NoError(t, os.WriteFile(filepath.Join(bin, "latent"), []byte(wrapper), 0o755))

	for _, file := range docFiles(t, root) {
		t.Run(file, func(t *testing.T) {
			t.Parallel() // each file has its own folder and ports
			src, err := os.ReadFile(filepath.Join(root, file))
			require.NoError(t, err)
			blocks, err := parseMarkdown(file, src)
			require.NoError(t, err)
			runDocFile(t, root, bin, blocks)
		})
	}
}

// runDocFile runs the blocks of one file in order in a fresh scratch folder.
func runDocFile(t *testing.T, root, bin string, blocks []mdBlock) {
	work := t.TempDir()
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range entries {
		switch e.Name() {
		case ".git", "runs", "bin", "latent":
			continue // outputs of earlier runs, and what blocks make themselves
		}
		require.NoError(t, os.Symlink(filepath.Join(root, e.Name()), filepath.Join(work, e.Name())))
	}
	var last *mdBlock
	var lastOut string
	for i := range blocks {
		b := &blocks[i]
		if b.dir.output && last != nil {
			assert.NoError(t, matchOutput(b.body, lastOut), "%s: the output shown differs from what %s printed\nprinted:\n%s\n"+
				"Update the block (numbers may differ; the words and layout must match), or drop its <!-- doc-test: output --> line.",
				b.where(), last.where(), indent(lastOut))
			continue
		}
		if !b.isShell() || b.dir.illustrative || len(b.dir.errs) > 0 {
			continue
		}
		last, lastOut = b, ""
		if missing := unmetNeeds(b.dir.needs); missing != "" {
			if os.Getenv("CI") != "" {
				assert.Failf(t, "CI is set but the block's need is unmet", "%s: %s (tools/setup.sh installs it)", b.where(), missing)
			} else {
				t.Logf("%s: skipped (%s; bash tools/setup.sh installs it; CI fails instead)", b.where(), missing)
			}
			last = nil
			continue
		}
		out, code, elapsed, err := runDocBlock(t, work, bin, b)
		lastOut = out
		t.Logf("%s: exit %d in %.1fs", b.where(), code, elapsed.Seconds())
		if !assert.NoError(t, err, "%s\nblock:\n%s\noutput:\n%s\n%s", b.where(), indent(b.body), indent(tail(out, 40)), howToFix(b)) {
			continue
		}
		if code != b.dir.exit {
			what := "the block"
			if i := strings.LastIndex(out, "doc-test: exit "); i >= 0 {
				if _, cmd, ok := strings.Cut(strings.SplitN(out[i:], "\n", 2)[0], " from: "); ok {
					what = fmt.Sprintf("%q", cmd)
				}
			}
			assert.Equal(t, b.dir.exit, code, "%s: %s exited %d; the block should exit %d\nblock:\n%s\noutput:\n%s\n%s", b.where(), what, code, b.dir.exit,
				indent(b.body), indent(tail(out, 40)), howToFix(b))
		}

	}
}

func unmetNeeds(needs []string) string {
	var msgs []string
	for _, n := range needs {
		if check, ok := docNeeds[n]; ok {
			if err := check(); err != nil {
				msgs = append(msgs, fmt.Sprintf("%s: %v", n, err))
			}
		}
	}
	return strings.Join(msgs, "; ")
}

// goShim maps the documentation's ways of running latent from a checkout
// to the latent on PATH (this test binary), so that no block compiles the
// module again; any other go command runs as written.
const goShim = `go() {
	if [ "$1" = run ] && [ "${2%/}" = ./tools/latent ]; then
		shift 2
		latent "$@"
		return
	fi
	if [ "$1" = build ]; then
		local out="" prev="" last=""
		for a in "$@"; do
			[ "$prev" = -o ] && out="$a"
			prev="$a"
			last="$a"
		done
		if [ "${last%/}" = ./tools/latent ] && [ -n "$out" ]; then
			mkdir -p "$(dirname "$out")"
			ln -sf "$(command -v latent)" "$out"
			return
		fi
	fi
	command go "$@"
}
`

// runDocBlock runs one block with bash -eo pipefail in work and returns
// its combined output and exit status. Processes it leaves behind (a
// server started with &) are killed with its process group.
func runDocBlock(t *testing.T, work, bin string, b *mdBlock) (string, int, time.Duration, error) {
	body := b.body
	for _, p := range b.dir.ports {
		free, err := freePort()
		if err != nil {
			return "", -1, 0, err
		}
		body = strings.ReplaceAll(body, ":"+p, ":"+free)
	}
	// The ERR trap names the command that stopped the block.
	script := "set -eo pipefail\ntrap 'echo \"doc-test: exit $? from: $BASH_COMMAND\" >&2' ERR\n" + goShim + "\n" + body + "\n"
	timeout := b.dir.timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	outFile, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		return "", -1, 0, err
	}
	defer outFile.Close()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = work
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if len(b.dir.appends) > 0 {
		j, _ := json.Marshal(b.dir.appends)
		env = append(env, appendEnv+"="+string(j))
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = outFile, outFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever the block left running
	}
	out, _ := os.ReadFile(outFile.Name())
	if ctx.Err() != nil {
		return string(out), -1, elapsed, fmt.Errorf("timed out after %v (a longer block can say <!-- doc-test: timeout 20m -->)", timeout)
	}
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		return string(out), ee.ExitCode(), elapsed, nil
	}
	if runErr != nil {
		return string(out), -1, elapsed, runErr
	}
	return string(out), 0, elapsed, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// numberRE matches the numbers an output line may show differently from
// run to run (figures, times, sizes): they are compared as placeholders.
var numberRE = regexp.MustCompile(`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN`)

// lineShape is a line with its numbers replaced and blanks collapsed.
func lineShape(s string) string {
	return strings.Join(strings.Fields(numberRE.ReplaceAllString(s, "#")), " ")
}

// matchOutput checks that every non-empty line of want occurs in got, in
// order, with numbers allowed to differ; "…" in a wanted line matches
// anything.
func matchOutput(want, got string) error {
	gotLines := strings.Split(got, "\n")
	at := 0
	for _, w := range strings.Split(want, "\n") {
		if strings.TrimSpace(w) == "" {
			continue
		}
		parts := strings.Split(lineShape(w), "…")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(strings.TrimSpace(p))
		}
		re := regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
		found := false
		for ; at < len(gotLines); at++ {
			if re.MatchString(lineShape(gotLines[at])) {
				found, at = true, at+1
				break
			}
		}
		if !found {
			return fmt.Errorf("no line like %q (after the lines matched before it)", strings.TrimSpace(w))
		}
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// README.md's command table is the registry's: one row per command with
// its summary. go test ./tools/latent -run TestREADMECommands -docs.update
// rewrites it.
func TestREADMECommands(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Command | What it does |\n| --- | --- |\n")
	for _, name := range commandNames() {
		fmt.Fprintf(&b, "| `latent %s` | %s |\n", name, commands[name].summary)
	}
	checkGenerated(t, "README.md", "commands", b.String(), "TestREADMECommands")
}

// README.md's operator list is the native backend's registry, as
// latent inspect --operators prints it: the ai.onnx operators by name,
// then those of other domains. go test ./tools/latent -run
// TestREADMEOperators -docs.update rewrites it.
func TestREADMEOperators(t *testing.T) {
	var onnx, other []string
	for _, op := range operators.Operators() {
		if name, ok := strings.CutPrefix(op, "ai.onnx/"); ok {
			onnx = append(onnx, name)
		} else {
			other = append(other, op)
		}
	}
	require.NotEmpty(t, onnx, "no native operators registered")
	want := fmt.Sprintf("%d operators: %s", len(onnx), strings.Join(onnx, ", "))
	if len(other) > 0 {
		want += "; other domains: " + strings.Join(other, ", ")
	}
	checkGenerated(t, "README.md", "operators", want+".\n", "TestREADMEOperators")
}

// checkGenerated compares the text between <!-- NAME:begin --> and
// <!-- NAME:end --> in file with want; with -docs.update it rewrites it.
func checkGenerated(t *testing.T, file, name, want, test string) {
	t.Helper()
	path := filepath.Join(repoRoot, file)
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := bytes.Index(src, []byte(begin)), bytes.Index(src, []byte(end))
	require.True(t, i >= 0 && j > i, "%s has no %q … %q section", file, strings.TrimSpace(begin), end)
	got := string(src[i+len(begin) : j])
	if *updateDocs && got != want {
		out := append(append(append([]byte{}, src[:i+len(begin)]...), want...), src[j:]...)
		require.NoError(t, os.WriteFile(path, out, 0o644))
		got = want
	}
	assert.Equal(t, want, got, "%s's %s section is out of date: go test ./tools/latent -run %s -docs.update", file, name, test)
}

// The pieces TestDocs stands on, on hand-written markdown.
func TestParseMarkdown(t *testing.T) {
	src := "# t\n\n" +
		"<!-- doc-test: needs ort; append \"--limit 10 --epochs 1\" to latent demo -->\n" +
		"```sh\nlatent demo\n```\n\n" +
		"<!-- doc-test: output -->\n```text\nok 1\n```\n\n" +
		"- item\n\n  ```bash\n  echo indented\n  ```\n\n" +
		"<!-- doc-test: illustrative (a reason; with a semicolon) -->\n" +
		"<!-- doc-test: exit 3 -->\n" +
		"~~~sh\nfalse\n~~~\n\n```\nno language\n```\n"
	blocks, err := parseMarkdown("x.md", []byte(src))
	require.NoError(t, err)
	require.Len(t, blocks, 5)
	b := blocks[0]
	assert.Equal(t, "x.md:4", b.where())
	assert.True(t, b.isShell())
	assert.Equal(t, "latent demo", b.body)
	assert.Equal(t, []string{"ort"}, b.dir.needs)
	assert.Equal(t, []docAppend{{Prefix: []string{"demo"}, Args: []string{"--limit", "10", "--epochs", "1"}}}, b.dir.appends)
	assert.Empty(t, b.dir.errs)
	assert.True(t, blocks[1].dir.output)
	assert.Equal(t, "text", blocks[1].lang)
	assert.Equal(t, "echo indented", blocks[2].body, "list indentation is removed")
	assert.Equal(t, "bash", blocks[2].lang)
	assert.True(t, blocks[3].dir.illustrative)
	assert.Equal(t, "a reason; with a semicolon", blocks[3].dir.reason)
	assert.Equal(t, 3, blocks[3].dir.exit)
	assert.Equal(t, "", blocks[4].lang)

	bad := parseDirectives([]string{"illustrative", "needs gpu", "frobnicate", `append --limit to demo`})
	require.Len(t, bad.errs, 4)
	assert.Contains(t, bad.errs[0], "needs a reason")
	assert.Contains(t, bad.errs[1], `unknown need "gpu"`)
	assert.Contains(t, bad.errs[2], `unknown directive "frobnicate"`)
	assert.Contains(t, bad.errs[3], "malformed")

	_, err = parseMarkdown("y.md", []byte("```sh\nopen\n"))
	assert.ErrorContains(t, err, "y.md:1: the ``` fence is never closed")
}

func TestMatchOutput(t *testing.T) {
	got := "progress 1/3\ndeep autoencoder, code 32:   test MSE 0.04901\nratio:  3.164\nplots: a.png, b.png\n"
	assert.NoError(t, matchOutput("deep autoencoder, code 32: test MSE 0.00974\nratio: 0.643\n", got), "numbers and spacing may differ")
	assert.NoError(t, matchOutput("plots: …", got), "… matches anything")
	assert.Error(t, matchOutput("ratio: 0.643\ndeep autoencoder, code 32: test MSE 0.00974", got), "order matters")
	assert.ErrorContains(t, matchOutput("PCA: test MSE 0.01", got), `no line like "PCA: test MSE 0.01"`)
	assert.NoError(t, matchOutput("max |diff| 2.9e-06, rtol 1e-4", "max |diff| +Inf, rtol 0.0001"))
}

func TestShellCommands(t *testing.T) {
	cmds := shellCommands(`A=1 latent score runs/x --data "a b.csv" | head -3 && go run ./tools/latent demo # comment`)
	assert.Equal(t, [][]string{{"A=1", "latent", "score", "runs/x", "--data", "a b.csv"}, {"head", "-3"}, {"go", "run", "./tools/latent", "demo"}}, cmds)
	ls := latentCommands("latent run m.onnx \\\n    --inputs DIR\nCGO_ENABLED=0 go run ./tools/latent/ version\necho latent\n")
	require.Len(t, ls, 2)
	assert.Equal(t, []string{"run", "m.onnx", "--inputs", "DIR"}, ls[0].args)
	assert.Equal(t, 1, ls[0].line)
	assert.Equal(t, []string{"version"}, ls[1].args)
	assert.Equal(t, 3, ls[1].line)

	assert.NoError(t, checkLatentLine([]string{"run", "MODEL", "--inputs", "DIR", "--backend=ort"}))
	assert.NoError(t, checkLatentLine([]string{"demo", "[JOB]", "[--full]"}), "placeholders fall back to the command's own help")
	assert.EqualError(t, checkLatentLine([]string{"train", "--hiden", "3"}), "latent train has no flag --hiden (did you mean --hidden?)")
	assert.ErrorContains(t, checkLatentLine([]string{"trian"}), `unknown command "trian" (did you mean train?)`)
}
