package recommend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestLoadSplitIndexesTestByBase(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "b", "1\t10\t4\n1\t20\t2\n2\t10\t2\n")
	// (2,20) known; (3,10) unknown user; (1,30) unknown item; (4,10)
	// another unknown user.
	test := writeFile(t, dir, "t", "2\t20\t5\n3\t10\t1\n1\t30\t3\n4\t10\t2\n")
	s, err := LoadSplit(base, test)
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, s.Users)
	assert.Equal(t, []string{"10", "20"}, s.Items)
	assert.Equal(t, []Rating{{0, 0, 4}, {0, 1, 2}, {1, 0, 2}}, s.Base)
	// Test rows in the test file's user order: 1, 2, 3, 4.
	assert.Equal(t, []Rating{{0, -1, 3}, {1, 1, 5}, {-3, 0, 1}, {-4, 0, 2}}, s.Test)
	assert.Equal(t, 3, s.Unknown())
	lo, hi := s.Scale()
	assert.Equal(t, []float64{2, 4}, []float64{lo, hi})

	_, err = LoadSplit(base, filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "missing")
}

func TestHoldOut(t *testing.T) {
	var s Split
	// User 0 has 20 ratings, user 1 has 1, user 2 has 10.
	for i := range 20 {
		s.Base = append(s.Base, Rating{0, i, 3})
	}
	s.Base = append(s.Base, Rating{1, 0, 4})
	for i := range 10 {
		s.Base = append(s.Base, Rating{2, i, 5})
	}
	train, val, err := s.HoldOut(0.2, 9)
	require.NoError(t, err)
	count := func(rs []Rating, u int) int {
		n := 0
		for _, r := range rs {
			if r.User == u {
				n++
			}
		}
		return n
	}
	assert.Equal(t, []int{4, 0, 2}, []int{count(val, 0), count(val, 1), count(val, 2)}, "round(0.2·n), a lone rating stays")
	assert.Len(t, train, len(s.Base)-len(val))
	seen := map[Rating]int{}
	for _, r := range append(append([]Rating{}, train...), val...) {
		seen[r]++
	}
	for _, r := range s.Base {
		assert.Equal(t, 1, seen[r], "%v is in exactly one part", r)
	}
	t2, v2, err := s.HoldOut(0.2, 9)
	require.NoError(t, err)
	assert.Equal(t, train, t2, "the same seed draws the same parts")
	assert.Equal(t, val, v2)
	_, v3, err := s.HoldOut(0.2, 10)
	require.NoError(t, err)
	assert.NotEqual(t, val, v3)

	vs, err := s.Validation(0.2, 9)
	require.NoError(t, err)
	assert.Equal(t, train, vs.Base)
	assert.Equal(t, val, vs.Test)

	_, _, err = s.HoldOut(1, 1)
	assert.Error(t, err)
	_, _, err = (&Split{Base: []Rating{{0, 0, 1}}}).HoldOut(0.1, 1)
	assert.ErrorContains(t, err, "holds out no ratings")
}

func TestDenseAndTranspose(t *testing.T) {
	x, m := Dense([]Rating{{0, 2, 5}, {1, 0, 3}, {-1, 0, 4}}, 2, 3)
	assert.Equal(t, []float32{0, 0, 5, 3, 0, 0}, x)
	assert.Equal(t, []float32{0, 0, 1, 1, 0, 0}, m)
	assert.Equal(t, []float32{0, 3, 0, 0, 5, 0}, Transpose(x, 2, 3))
}

func TestTitles(t *testing.T) {
	recbole := "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n" +
		"1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t\tAction\n"
	tt, err := ReadTitles(strings.NewReader(recbole), "ml.item")
	require.NoError(t, err)
	assert.Equal(t, Titles{"1": "Toy Story (1995)", "2": "GoldenEye"}, tt)

	// GroupLens u.item is Latin-1.
	uitem := "1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n2|Cit\xe9 des enfants perdus, La (1995)|01-Jan-1995||x|0\n"
	tt, err = ReadTitles(strings.NewReader(uitem), "u.item")
	require.NoError(t, err)
	assert.Equal(t, Titles{"1": "Toy Story (1995)", "2": "Cité des enfants perdus, La (1995)"}, tt)

	_, err = ReadTitles(strings.NewReader("a\tb\n1\t2\n"), "x.item")
	assert.ErrorContains(t, err, "no item_id and title fields")
	_, err = ReadTitles(strings.NewReader("item_id:token\ttitle:token\n1\n"), "x.item")
	assert.ErrorContains(t, err, "x.item:2: 1 fields, want at least 2")
	_, err = ReadTitles(strings.NewReader(""), "x.item")
	assert.ErrorContains(t, err, "empty item file")

	dir := t.TempDir()
	r := writeFile(t, dir, "ml.inter", "")
	assert.Equal(t, "", TitlesFor(r))
	it := writeFile(t, dir, "other.item", "")
	assert.Equal(t, it, TitlesFor(r), "the only .item in the folder")
	same := writeFile(t, dir, "ml.item", "")
	assert.Equal(t, same, TitlesFor(r), "the same stem first")
}
