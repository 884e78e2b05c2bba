package main

// Finding latent command lines in documentation (shell blocks, --help
// examples) and checking them against the command registry: the command
// exists and every flag it passes is one of the command's own.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// latentLine is one latent invocation found in a shell block.
type latentLine struct {
	line int // within the block, from 1
	text string
	args []string // after "latent"
}

// latentCommands finds the latent invocations of a shell block: simple
// commands starting with latent or go run ./tools/latent (after any
// VAR=value assignments), in lines joined at trailing backslashes.
func latentCommands(body string) []latentLine {
	var out []latentLine
	lines := strings.Split(body, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		text := lines[i]
		for strings.HasSuffix(strings.TrimSpace(text), "\\") && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(strings.TrimSpace(text), "\\") + " " + strings.TrimSpace(lines[i])
		}
		for _, cmd := range shellCommands(text) {
			for len(cmd) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(cmd[0]) {
				cmd = cmd[1:]
			}
			switch {
			case len(cmd) >= 1 && cmd[0] == "latent":
				out = append(out, latentLine{line: start + 1, text: strings.TrimSpace(text), args: cmd[1:]})
			case len(cmd) >= 3 && cmd[0] == "go" && cmd[1] == "run" && strings.TrimSuffix(cmd[2], "/") == "./tools/latent":
				out = append(out, latentLine{line: start + 1, text: strings.TrimSpace(text), args: cmd[3:]})
			}
		}
	}
	return out
}

// shellCommands splits one logical shell line into simple commands (at
// && || | ; & and a comment), each a list of words with quotes removed.
// It is a small lexer for documentation lines, not a shell.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var cur []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	flushCmd := func() {
		flushWord()
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\'' || r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != r {
				j++
			}
			word.WriteString(string(rs[i+1 : min(j, len(rs))]))
			inWord = true
			i = j
		case r == '#' && !inWord:
			flushCmd()
			return cmds
		case r == ' ' || r == '\t':
			flushWord()
		case r == '&' || r == '|' || r == ';' || r == '(' || r == ')' || r == '<' || r == '>':
			flushCmd()
		case r == '\\' && i+1 < len(rs):
			i++
			word.WriteRune(rs[i])
			inWord = true
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

// checkLatentLine checks that the latent command of args exists and that
// every flag it passes is one of that command's (read from its --help,
// asked with the words before the first flag, or the command alone when
// those words are placeholders).
func checkLatentLine(args []string) error {
	var words []string
	for _, a := range args {
		a = strings.Trim(a, "[]")
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	if len(words) == 0 {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errors.New("latent without a command")
	}
	if _, ok := commands[words[0]]; !ok {
		return fmt.Errorf("%v", unknownName("command", words[0], commandNames()))
	}
	flags, err := helpFlags(words)
	if err != nil && len(words) > 1 {
		flags, err = helpFlags(words[:1])
	}
	if err != nil {
		return err
	}
	var bad []string
	for _, a := range args {
		a = strings.Trim(a, "[]")
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "help" || name == "h" || flags[name] {
			continue
		}
		msg := fmt.Sprintf("latent %s has no flag --%s", words[0], name)
		if s := suggest(name, sortedKeys(flags)); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
		bad = append(bad, msg)
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

var helpFlagRE = regexp.MustCompile(`^  --([A-Za-z0-9][A-Za-z0-9-]*)`)

// helpFlags runs `latent WORDS --help` in-process and returns the flags it
// lists.
func helpFlags(words []string) (map[string]bool, error) {
	var out, errb bytes.Buffer
	code := run(append(append([]string(nil), words...), "--help"), &out, &errb)
	if code != exitOK {
		return nil, fmt.Errorf("latent %s --help: exit %d: %s", strings.Join(words, " "), code, strings.TrimSpace(errb.String()))
	}
	flags := map[string]bool{}
	sc := bufio.NewScanner(&errb)
	for sc.Scan() {
		if m := helpFlagRE.FindStringSubmatch(sc.Text()); m != nil {
			flags[m[1]] = true
		}
	}
	return flags, nil
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// cliEnv makes this test binary run the latent command line instead of its
// tests (TestMain): TestDocs puts a `latent` on PATH that sets it.
const cliEnv = "LATENT_TEST_AS_CLI"

// appendEnv carries the "append" directives of a block to the test
// binary running as latent: a JSON list of docAppend.
const appendEnv = "LATENT_TEST_APPEND"

// docAppend adds Args to every latent invocation whose leading words are
// Prefix (e.g. ["demo"] matches latent demo and latent demo scatter).
type docAppend struct {
	Prefix []string `json:"prefix"`
	Args   []string `json:"args"`
}

// cliArgs applies the append directives in $LATENT_TEST_APPEND to args.
func cliArgs(args []string) []string {
	var as []docAppend
	if s := os.Getenv(appendEnv); s != "" {
		if err := json.Unmarshal([]byte(s), &as); err != nil {
			fmt.Fprintf(os.Stderr, "latent (doc test): bad %s: %v\n", appendEnv, err)
			os.Exit(exitFail)
		}
	}
	for _, a := range as {
		if len(args) >= len(a.Prefix) && slices.Equal(args[:len(a.Prefix)], a.Prefix) {
			args = append(append([]string(nil), args...), a.Args...)
		}
	}
	return args
}
