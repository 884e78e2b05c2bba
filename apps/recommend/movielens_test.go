package recommend

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// movieLensDir returns the fetched MovieLens-100k folder, failing under CI
// (tools/setup.sh fetches it) and skipping elsewhere when it is missing.
func movieLensDir(t *testing.T) string {
	t.Helper()
	dir := MovieLensDir()
	_, err := os.Stat(filepath.Join(dir, "u5.test"))
	testenv.Need(t, "MovieLens-100k ("+FetchCommand+", run by tools/setup.sh)", err)
	return dir
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}

// The rebuilt folds have GroupLens' published shape: u.data is the .inter
// file without its header; fold i's test file is lines 20000(i-1)+1 …
// 20000i of u.data and its base file the other 80 000, each sorted by user
// then item (numerically); u1.test has 459 users (ids 1 to 462) and 1410
// items and starts with user 1's rating 5 of item 6.
func TestMovieLensFoldsMatchGroupLens(t *testing.T) {
	dir := movieLensDir(t)
	inter := readLines(t, filepath.Join(dir, "ml-100k.inter"))
	udata := readLines(t, filepath.Join(dir, "u.data"))
	require.Len(t, udata, 100000)
	assert.Equal(t, "user_id:token\titem_id:token\trating:float\ttimestamp:float", inter[0])
	assert.Equal(t, inter[1:], udata)
	assert.Equal(t, "196\t242\t3\t881250949", udata[0], "u.data's first line")

	key := func(l string) [2]int {
		f := strings.Split(l, "\t")
		u, err1 := strconv.Atoi(f[0])
		i, err2 := strconv.Atoi(f[1])
		if len(f) != 4 || err1 != nil || err2 != nil {
			require.Failf(t, "bad line", "%q is not user, item, rating, timestamp", l)
		}
		return [2]int{u, i}
	}
	sorted := func(lines []string) bool {
		for k := 1; k < len(lines); k++ {
			a, b := key(lines[k-1]), key(lines[k])
			if a[0] > b[0] || a[0] == b[0] && a[1] >= b[1] {
				return false
			}
		}
		return true
	}
	for i := 1; i <= 5; i++ {
		base, test, err := MovieLensFold(dir, i)
		require.NoError(t, err)
		bl, tl := readLines(t, base), readLines(t, test)
		assert.Len(t, tl, 20000, "u%d.test", i)
		assert.Len(t, bl, 80000, "u%d.base", i)
		assert.True(t, sorted(tl), "u%d.test sorted by user, then item", i)
		assert.True(t, sorted(bl), "u%d.base sorted by user, then item", i)
		block := map[string]bool{}
		for _, l := range udata[20000*(i-1) : 20000*i] {
			block[l] = true
		}
		for _, l := range tl {
			if !block[l] {
				assert.Failf(t, "test line not from its block", "u%d.test line %q is not in lines %d-%d of u.data", i, l, 20000*(i-1)+1, 20000*i)
				break
			}
		}
		rest := map[string]bool{}
		for _, l := range bl {
			rest[l] = true
		}
		assert.Len(t, rest, 80000)
		for _, l := range udata {
			if block[l] == rest[l] {
				assert.Fail(t, "u.data line in both or neither part", "u%d: %q", i, l)
				break
			}
		}
	}
	tl := readLines(t, filepath.Join(dir, "u1.test"))
	users, items, maxUser := map[int]bool{}, map[int]bool{}, 0
	for _, l := range tl {
		k := key(l)
		users[k[0]], items[k[1]] = true, true
		maxUser = max(maxUser, k[0])
	}
	assert.Len(t, users, 459)
	assert.Equal(t, 462, maxUser)
	assert.Len(t, items, 1410)
	assert.Equal(t, "1\t6\t5\t887431973", tl[0])
}

func TestMovieLensSplitAndTitles(t *testing.T) {
	dir := movieLensDir(t)
	base, test, err := MovieLensFold(dir, 1)
	require.NoError(t, err)
	s, err := LoadSplit(base, test)
	require.NoError(t, err)
	assert.Len(t, s.Users, 943)
	assert.Len(t, s.Items, 1650)
	assert.Len(t, s.Base, 80000)
	assert.Len(t, s.Test, 20000)
	assert.Equal(t, 32, s.Unknown(), "u1.test ratings of items u1.base lacks")
	tt, err := LoadTitles(filepath.Join(dir, "ml-100k.item"))
	require.NoError(t, err)
	assert.Len(t, tt, 1682)
	assert.Equal(t, "Toy Story (1995)", tt["1"])
	assert.Equal(t, filepath.Join(dir, "ml-100k.item"), TitlesFor(base))

	_, _, err = MovieLensFold(t.TempDir(), 1)
	assert.ErrorContains(t, err, FetchCommand)
}
