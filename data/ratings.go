package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// LoadRatings reads a MovieLens-style ratings file: one "user item rating
// [timestamp]" record per line, separated by tabs, commas, "::" or spaces.
// It returns a users × items matrix whose Mask marks observed ratings;
// missing ratings are 0. A header line whose rating column is not numeric
// is skipped. Users and items are indexed in sorted order of their IDs
// (numerically when all IDs are integers).
func LoadRatings(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load ratings: %w", err)
	}
	defer f.Close()
	return ReadRatings(f, path)
}

// ReadRatings is LoadRatings from a reader; name labels errors.
func ReadRatings(r io.Reader, name string) (*Dataset, error) {
	type rec struct {
		u, i string
		v    float32
		line int
	}
	var recs []rec
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var f []string
		switch {
		case strings.Contains(text, "::"):
			f = strings.Split(text, "::")
		case strings.ContainsRune(text, '\t'):
			f = strings.Split(text, "\t")
		case strings.ContainsRune(text, ','):
			f = strings.Split(text, ",")
		default:
			f = strings.Fields(text)
		}
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("%s:%d: want user, item, rating[, timestamp], got %d fields", name, line, len(f))
		}
		for k := range f {
			f[k] = strings.TrimSpace(f[k])
		}
		v, err := strconv.ParseFloat(f[2], 32)
		if err != nil {
			if len(recs) == 0 && line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("%s:%d: rating %q is not numeric", name, line, f[2])
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s:%d: rating %q is not finite", name, line, f[2])
		}
		if v == 0 {
			return nil, fmt.Errorf("%s:%d: rating 0 is reserved for missing entries", name, line)
		}
		if f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("%s:%d: empty user or item id", name, line)
		}
		recs = append(recs, rec{f[0], f[1], float32(v), line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no ratings", name)
	}
	users, items := map[string]int{}, map[string]int{}
	for _, r := range recs {
		users[r.u], items[r.i] = 0, 0
	}
	ul, il := sortedIDs(users), sortedIDs(items)
	d := &Dataset{N: len(ul), D: len(il), Source: name, Users: ul, Items: il}
	if d.N*d.D > 1<<30 {
		return nil, fmt.Errorf("%s: %d users × %d items is too large for a dense matrix", name, d.N, d.D)
	}
	d.X = make([]float32, d.N*d.D)
	d.Mask = make([]float32, d.N*d.D)
	for _, r := range recs {
		i := users[r.u]*d.D + items[r.i]
		if d.Mask[i] != 0 {
			return nil, fmt.Errorf("%s:%d: duplicate rating of item %s by user %s", name, r.line, r.i, r.u)
		}
		d.X[i], d.Mask[i] = r.v, 1
	}
	return d, nil
}

// sortedIDs orders ids (numerically when all are integers) and stores each
// id's index in m.
func sortedIDs(m map[string]int) []string {
	ids := make([]string, 0, len(m))
	numeric := true
	for id := range m {
		ids = append(ids, id)
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			numeric = false
		}
	}
	sort.Slice(ids, func(a, b int) bool {
		if numeric {
			x, _ := strconv.ParseInt(ids[a], 10, 64)
			y, _ := strconv.ParseInt(ids[b], 10, 64)
			return x < y
		}
		return ids[a] < ids[b]
	})
	for i, id := range ids {
		m[id] = i
	}
	return ids
}
