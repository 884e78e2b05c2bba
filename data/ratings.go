package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Rating is one observed entry of a ratings file.
type Rating struct {
	User, Item string
	Value      float32
	// Line is the record's line number, for error messages.
	Line int
}

// RatingsParser reads the records of one ratings file format; name labels
// errors. Each ratings format is such a parser plus an entry in the
// format table that turns its records into a matrix with RatingsMatrix:
// adding a format (recbole's .inter, say) is one parser.
type RatingsParser func(r io.Reader, name string) ([]Rating, error)

// ratingsReader makes a format reader of a ratings parser.
func ratingsReader(parse RatingsParser) ReadFunc {
	return func(r io.Reader, name string, opt Options) (*Dataset, error) {
		if opt.Limit > 0 {
			return nil, fmt.Errorf("%s: a sample limit does not apply to ratings (rows are users)", name)
		}
		rs, err := parse(r, name)
		if err != nil {
			return nil, err
		}
		return RatingsMatrix(name, rs)
	}
}

var (
	readRatings = ratingsReader(ParseMovieLens)
	readInter   = ratingsReader(ParseInter)
)

// LoadRatings reads the ratings file at path in the ratings format its
// name says, MovieLens-style (ParseMovieLens) when it says none: a
// ratings.csv or ratings.txt is ratings, not a CSV matrix.
func LoadRatings(path string) (*Dataset, error) {
	f := FormatOf(path)
	formatsMu.RLock()
	e := formats[f]
	formatsMu.RUnlock()
	if e == nil || !e.ratings {
		f = Ratings
	}
	return Load(path, Options{Format: f})
}

// ReadRatings reads a MovieLens-style ratings file (ParseMovieLens) into
// its users × items matrix (RatingsMatrix).
func ReadRatings(r io.Reader, name string) (*Dataset, error) {
	return readRatings(r, name, Options{})
}

// ParseMovieLens reads MovieLens-style records: one "user item rating
// [timestamp]" per line, separated by tabs (u.data), "::" (ratings.dat),
// commas (ratings.csv) or spaces. A first line whose rating is not a
// number is a header and skipped. Ratings are kept as stored.
func ParseMovieLens(r io.Reader, name string) ([]Rating, error) {
	var recs []Rating
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
		recs = append(recs, Rating{User: f[0], Item: f[1], Value: float32(v), Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return recs, nil
}

// ParseInter reads a RecBole atomic interaction file (.inter): a
// tab-separated header of name:type fields (user_id:token
// item_id:token rating:float timestamp:float for MovieLens) and one
// interaction per line. The user_id, item_id and rating columns are found
// by name, in any order; other columns are ignored.
func ParseInter(r io.Reader, name string) ([]Rating, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s:1: %w", name, err)
		}
		return nil, fmt.Errorf("%s: no ratings", name)
	}
	header := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
	user, item, rating := -1, -1, -1
	for k, h := range header {
		field, _, _ := strings.Cut(strings.TrimSpace(h), ":")
		switch field {
		case "user_id":
			user = k
		case "item_id":
			item = k
		case "rating":
			rating = k
		}
	}
	if user < 0 || item < 0 || rating < 0 {
		return nil, fmt.Errorf("%s:1: header %q lacks user_id, item_id or rating (want a RecBole .inter file with explicit ratings)", name, sc.Text())
	}
	need := max(user, item, rating) + 1
	var recs []Rating
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < need {
			return nil, fmt.Errorf("%s:%d: %d tab-separated fields, the header names %d", name, line, len(f), len(header))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f[rating]), 32)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: rating %q is not numeric", name, line, f[rating])
		}
		recs = append(recs, Rating{User: strings.TrimSpace(f[user]), Item: strings.TrimSpace(f[item]), Value: float32(v), Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return recs, nil
}

// RatingsMatrix turns ratings into a users × items Dataset whose Mask marks
// the observed entries; missing ratings are 0, so a rating of 0 is
// refused. Users and items are indexed in sorted order of their IDs
// (numerically when all IDs are integers) and recorded in Users and Items.
// Ratings must be finite, IDs non-empty and each (user, item) rated once.
func RatingsMatrix(name string, rs []Rating) (*Dataset, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s: no ratings", name)
	}
	users, items := map[string]int{}, map[string]int{}
	for _, r := range rs {
		switch {
		case math.IsNaN(float64(r.Value)) || math.IsInf(float64(r.Value), 0):
			return nil, fmt.Errorf("%s:%d: rating %v is not finite", name, r.Line, r.Value)
		case r.Value == 0:
			return nil, fmt.Errorf("%s:%d: rating 0 is reserved for missing entries", name, r.Line)
		case r.User == "" || r.Item == "":
			return nil, fmt.Errorf("%s:%d: empty user or item id", name, r.Line)
		}
		users[r.User], items[r.Item] = 0, 0
	}
	ul, il := sortedIDs(users), sortedIDs(items)
	d := &Dataset{N: len(ul), D: len(il), Units: AsStored, Source: name, Users: ul, Items: il}
	if _, err := elements(name+": ratings matrix", d.N, d.D); err != nil || d.N*d.D > 1<<30 {
		return nil, fmt.Errorf("%s: %d users × %d items is too large for a dense matrix", name, d.N, d.D)
	}
	d.X = make([]float32, d.N*d.D)
	d.Mask = make([]float32, d.N*d.D)
	for _, r := range rs {
		i := users[r.User]*d.D + items[r.Item]
		if d.Mask[i] != 0 {
			return nil, fmt.Errorf("%s:%d: duplicate rating of item %s by user %s", name, r.Line, r.Item, r.User)
		}
		d.X[i], d.Mask[i] = r.Value, 1
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
