package main

// Usage errors: how a badly called command reports itself. Every usage
// error is one line on stderr naming the bad flag or argument, with a
// "did you mean" suggestion when a known name is close, and the hint
// "see latent CMD --help"; the exit status is 2. The help page itself is
// printed only on --help.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// usageError marks errors caused by how the command was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints usage with examples on --help (and only then).
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("latent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nflags:\n", usage)
		printFlags(stderr, fs)
	}
	return fs
}

// printFlags lists the flags of fs as flag.PrintDefaults does, but spelt
// --name as latent's documentation writes them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		switch f.DefValue {
		case "", "0", "false", "0s", "[]":
		default:
			if g, ok := f.Value.(flag.Getter); ok && isString(g.Get()) {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	})
}

// parseFlags parses args, allowing flags after positional arguments
// (latent run MODEL --inputs DIR), and returns the positional arguments.
// A bad flag becomes a one-line usageError (see flagError); the help page
// is printed on --help only.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	usage, out := fs.Usage, fs.Output()
	// The flag package prints the error and the whole usage on a parse
	// error; silence both and report the error once, in one line.
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, err
			}
			return nil, usageError{flagError(fs, err)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError rewrites the flag package's parse errors in latent's words
// ("unknown flag --hiden (did you mean --hidden?)", "--out needs a
// value", "invalid value "x" for --code: …").
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest(name, names); s != "" {
			return fmt.Errorf("unknown flag --%s (did you mean --%s?)", name, s)
		}
		return fmt.Errorf("unknown flag --%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Errorf("--%s needs a value", strings.TrimLeft(name, "-"))
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -code: parse error
		if v, detail, ok := strings.Cut(rest, " for flag -"); ok {
			return fmt.Errorf("invalid value %s for --%s", v, detail)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if v, detail, ok := strings.Cut(rest, " for -"); ok {
			return fmt.Errorf("invalid boolean value %s for --%s", v, detail)
		}
	}
	return err
}

func isString(v any) bool { _, ok := v.(string); return ok }

// usageLine renders a usage error of command cmd as the one line latent
// prints: the message with newlines folded, then the help hint.
func usageLine(cmd string, err error) string {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	hint := "latent --help"
	if cmd != "" {
		hint = "latent " + cmd + " --help"
	}
	if strings.Contains(msg, hint) {
		return msg
	}
	return msg + "; see " + hint
}

// unknownName is the usage error for a name (command, job, subcommand)
// that is not one of known, with a suggestion when one is close.
func unknownName(what, name string, known []string) error {
	if s := suggest(name, known); s != "" {
		return usagef("unknown %s %q (did you mean %s?)", what, name, s)
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return usagef("unknown %s %q (want one of %s)", what, name, strings.Join(sorted, ", "))
}

// suggest returns the candidate closest to name when it is close enough to
// be a likely typo (edit distance with transpositions at most 1 for short
// names, 2 for longer ones, or name a unique prefix), "" otherwise.
func suggest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	best, bestD := "", 1<<30
	var prefixed []string
	for _, c := range candidates {
		if strings.HasPrefix(c, name) {
			prefixed = append(prefixed, c)
		}
		if d := editDistance(name, c); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	limit := 1
	if len(name) > 4 {
		limit = 2
	}
	if bestD <= limit && bestD < len([]rune(name)) {
		return best
	}
	if len(prefixed) == 1 && len(name) >= 2 {
		return prefixed[0]
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
