package runtime_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/internal/atomicfile"
)

// unsupportedPath is the one list of conformance cases a backend does not
// pass, each with its reason.
var unsupportedPath = filepath.Join("..", "testdata", "conformance", "unsupported.txt")

// listBackends are the backends unsupported.txt has lines for.
var listBackends = map[string]bool{"native": true, "ort": true}

type entryKey struct{ backend, key string } // key is suite/case
type floorKey struct{ backend, suite string }

// listEntry is one unsupported case: the reason the harness derived and an
// optional hand-written note (after "  # "), which updates keep.
type listEntry struct{ reason, note string }

// unsupportedList is unsupported.txt in memory.
type unsupportedList struct {
	header  []string // the leading comment block, kept as written
	floors  map[floorKey]int
	entries map[entryKey]listEntry
}

func loadUnsupported() (*unsupportedList, error) {
	f, err := os.Open(unsupportedPath)
	if err != nil {
		return nil, fmt.Errorf("read the unsupported list: %w", err)
	}
	defer f.Close()
	l, err := parseUnsupported(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", unsupportedPath, err)
	}
	return l, nil
}

// parseUnsupported reads the list:
//
//	# comments
//	floor BACKEND SUITE N
//	BACKEND SUITE/CASE  REASON[  # NOTE]
func parseUnsupported(r io.Reader) (*unsupportedList, error) {
	l := &unsupportedList{floors: map[floorKey]int{}, entries: map[entryKey]listEntry{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	inHeader := true
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		s := strings.TrimSpace(raw)
		if strings.HasPrefix(s, "#") {
			if inHeader {
				l.header = append(l.header, raw)
			}
			continue
		}
		inHeader = false
		if s == "" {
			continue
		}
		fields := strings.Fields(s)
		if fields[0] == "floor" {
			if len(fields) != 4 || !listBackends[fields[1]] {
				return nil, fmt.Errorf("line %d: want \"floor native|ort SUITE N\", got %q", line, s)
			}
			n, err := strconv.Atoi(fields[3])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("line %d: floor %q is not a count", line, fields[3])
			}
			k := floorKey{fields[1], fields[2]}
			if _, dup := l.floors[k]; dup {
				return nil, fmt.Errorf("line %d: second floor for %s %s", line, k.backend, k.suite)
			}
			l.floors[k] = n
			continue
		}
		backend, rest, _ := strings.Cut(s, " ")
		key, reason, _ := strings.Cut(strings.TrimSpace(rest), " ")
		reason, note, _ := strings.Cut(strings.TrimSpace(reason), "  # ")
		reason, note = strings.TrimSpace(reason), strings.TrimSpace(note)
		if !listBackends[backend] || !strings.Contains(key, "/") || reason == "" {
			return nil, fmt.Errorf("line %d: want \"native|ort SUITE/CASE  REASON\", got %q", line, s)
		}
		k := entryKey{backend, key}
		if _, dup := l.entries[k]; dup {
			return nil, fmt.Errorf("line %d: %s %s is listed twice", line, backend, key)
		}
		l.entries[k] = listEntry{reason, note}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// write renders the list: header, floors, then the cases by suite (in
// suiteOrder, unknown suites last), case and backend.
func (l *unsupportedList) write(w io.Writer, suiteOrder []string) error {
	rank := func(suite string) int {
		for i, s := range suiteOrder {
			if s == suite {
				return i
			}
		}
		return len(suiteOrder)
	}
	bw := bufio.NewWriter(w)
	for _, h := range l.header {
		fmt.Fprintln(bw, h)
	}
	floors := make([]floorKey, 0, len(l.floors))
	for k := range l.floors {
		floors = append(floors, k)
	}
	sort.Slice(floors, func(i, j int) bool {
		a, b := floors[i], floors[j]
		if a.backend != b.backend {
			return a.backend < b.backend
		}
		return rank(a.suite) < rank(b.suite) || rank(a.suite) == rank(b.suite) && a.suite < b.suite
	})
	fmt.Fprintln(bw)
	for _, k := range floors {
		fmt.Fprintf(bw, "floor %s %s %d\n", k.backend, k.suite, l.floors[k])
	}
	keys := make([]entryKey, 0, len(l.entries))
	for k := range l.entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		sa, _, _ := strings.Cut(a.key, "/")
		sb, _, _ := strings.Cut(b.key, "/")
		if ra, rb := rank(sa), rank(sb); ra != rb {
			return ra < rb
		}
		if a.key != b.key {
			return a.key < b.key
		}
		return a.backend < b.backend
	})
	prevSuite := ""
	for _, k := range keys {
		suite, _, _ := strings.Cut(k.key, "/")
		if suite != prevSuite {
			fmt.Fprintln(bw)
			prevSuite = suite
		}
		e := l.entries[k]
		line := fmt.Sprintf("%-6s %s  %s", k.backend, k.key, e.reason)
		if e.note != "" {
			line += "  # " + e.note
		}
		fmt.Fprintln(bw, line)
	}
	return bw.Flush()
}

// updateList rewrites backend's lines from a run: cases that ran and
// failed are listed with this run's reason (keeping any note), cases that
// ran and passed are dropped, lines of suites that ran in full but name a
// case the suite lacks are dropped, and the floors of suites that ran in
// full rise to this run's pass count (never fall).
func updateList(backend string, res *runResult, cat map[string][]*confCase) error {
	l, err := loadUnsupported()
	if err != nil {
		return err
	}
	var order []string
	for _, s := range suiteIDs {
		order = append(order, s)
		cases := cat[s]
		for _, c := range cases {
			o, ran := res.outcomes[c.key()]
			if !ran {
				continue
			}
			k := entryKey{backend, c.key()}
			if o.pass {
				delete(l.entries, k)
				continue
			}
			l.entries[k] = listEntry{reason: o.reason, note: l.entries[k].note}
		}
		if !res.full[s] {
			continue
		}
		for k := range l.entries {
			if k.backend == backend && strings.HasPrefix(k.key, s+"/") && !hasCase(cases, k.key) {
				delete(l.entries, k)
			}
		}
		if backend == "native" {
			fk := floorKey{backend, s}
			l.floors[fk] = max(l.floors[fk], res.passed[s])
		}
	}
	var b strings.Builder
	if err := l.write(&b, order); err != nil {
		return err
	}
	return atomicfile.Write(unsupportedPath, []byte(b.String()))
}

// suiteIDs are the suites in the order unsupported.txt lists them.
var suiteIDs = []string{"onnx-node", "onnx-simple", "node", "pytorch-converted", "pytorch-operator", "simple"}

func TestParseUnsupported(t *testing.T) {
	text := "# header\n# second\n\nfloor native node 3\n\n" +
		"native node/test_a  no native kernel: Foo\n" +
		"ort    node/test_a  open: bad  # ORT excludes it too\n" +
		"# a comment between lines is dropped on rewrite\n" +
		"native onnx-node/test_b  output y: wrong values\n"
	l, err := parseUnsupported(strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, []string{"# header", "# second"}, l.header)
	assert.Equal(t, map[floorKey]int{{"native", "node"}: 3}, l.floors)
	assert.Equal(t, listEntry{"no native kernel: Foo", ""}, l.entries[entryKey{"native", "node/test_a"}])
	assert.Equal(t, listEntry{"open: bad", "ORT excludes it too"}, l.entries[entryKey{"ort", "node/test_a"}])
	assert.Len(t, l.entries, 3)

	var b strings.Builder
	require.NoError(t, l.write(&b, suiteIDs))
	assert.Equal(t, "# header\n# second\n\nfloor native node 3\n\n"+
		"native onnx-node/test_b  output y: wrong values\n\n"+
		"native node/test_a  no native kernel: Foo\n"+
		"ort    node/test_a  open: bad  # ORT excludes it too\n", b.String())
	again, err := parseUnsupported(strings.NewReader(b.String()))
	require.NoError(t, err)
	assert.Equal(t, l.entries, again.entries, "the written list reads back the same")

	for _, bad := range []string{
		"native node/test_x\n",                       // no reason
		"gpu node/test_x  reason\n",                  // unknown backend
		"native test_x  reason\n",                    // no suite
		"native node/a  r\nnative node/a  r\n",       // twice
		"floor native node x\n",                      // not a count
		"floor native node 1\nfloor native node 2\n", // two floors
	} {
		_, err := parseUnsupported(strings.NewReader(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// TestUnsupportedListWellFormed checks the committed list parses and names
// only known suites.
func TestUnsupportedListWellFormed(t *testing.T) {
	l, err := loadUnsupported()
	require.NoError(t, err)
	known := map[string]bool{}
	for _, s := range suiteIDs {
		known[s] = true
	}
	for k := range l.entries {
		suite, _, _ := strings.Cut(k.key, "/")
		assert.True(t, known[suite], "unsupported.txt: %s %s names an unknown suite", k.backend, k.key)
	}
	for k := range l.floors {
		assert.True(t, known[k.suite], "unsupported.txt: floor for unknown suite %s", k.suite)
	}
}
