package data

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	d, err := ReadCSV(strings.NewReader("a,b,c\n1,2,3\n\n4,5.5,-6e1\n"), "x.csv", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, d.N)
	assert.Equal(t, 3, d.D)
	assert.Equal(t, []float32{1, 2, 3, 4, 5.5, -60}, d.X)
	assert.Nil(t, d.Shape)

	d, err = ReadCSV(strings.NewReader("1\t2\n3\t4\n"), "x.tsv", CSVOptions{})
	require.NoError(t, err, "tsv")
	assert.Equal(t, []float32{1, 2, 3, 4}, d.X)
	assert.Equal(t, 2, d.D)

	d, err = ReadCSV(strings.NewReader("9;8\n1;2\n"), "x.csv", CSVOptions{Header: true, Comma: ';'})
	require.NoError(t, err, "explicit header")
	assert.Equal(t, []float32{1, 2}, d.X)

	d, err = ReadCSV(strings.NewReader("1,2\n3,4\n5,x\n"), "x.csv", CSVOptions{Limit: 2})
	require.NoError(t, err, "limit stops before the bad third row")
	assert.Equal(t, []float32{1, 2, 3, 4}, d.X)
}

func TestReadCSVErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1,2\n3\n", "x.csv:2: ragged row: 1 columns, want 2"},
		{"1,2\n3,abc\n", `x.csv:2: column 2: non-numeric value "abc"`},
		{"1,2\nNaN,1\n", `x.csv:2: column 1: value "NaN" is not finite`},
		{"1,Inf\n", `x.csv:1: column 2: value "Inf" is not finite`},
		{"", "x.csv: no data rows"},
		{"h1,h2\n", "x.csv: no data rows"},
	} {
		_, err := ReadCSV(strings.NewReader(c.in), "x.csv", CSVOptions{})
		assert.ErrorContains(t, err, c.want, "%q", c.in)
	}
}

func TestWriteCSVReadBack(t *testing.T) {
	d := &Dataset{N: 2, D: 2, X: []float32{1.25, -3, 1e-7, 4}}
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, d))
	assert.Equal(t, "1.25,-3\n1e-07,4\n", buf.String())
	got, err := ReadCSV(&buf, "d.csv", CSVOptions{})
	require.NoError(t, err)
	assert.Equal(t, d.X, got.X)
}

func TestReadJSONL(t *testing.T) {
	d, err := ReadJSONL(strings.NewReader("[1,2,3]\n\n[[4,5],[6]]\n[7,8,9]\n"), "x.jsonl", 2)
	require.NoError(t, err)
	assert.Equal(t, 2, d.N)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, d.X)
	for _, c := range []struct{ in, want string }{
		{"[1,2]\n[3]\n", "x.jsonl:2: 1 values, earlier rows have 2"},
		{`{"a":1}` + "\n", "x.jsonl:1: want an array of numbers, found map"},
		{"[1,\n", "x.jsonl:1: unexpected end of JSON input"},
		{"[]\n", "x.jsonl:1: empty sample"},
		{"[1e300]\n", "x.jsonl:1: value 1e+300 is beyond float32's range"},
		{`[1,"2"]` + "\n", "found string"},
	} {
		_, err := ReadJSONL(strings.NewReader(c.in), "x.jsonl", 0)
		assert.ErrorContains(t, err, c.want, "%q", c.in)
	}
}

func TestRatings(t *testing.T) {
	in := "user\titem\trating\tts\n10\t7\t4\t1\n2\t7\t3\t1\n10\t1\t5\t2\n"
	d, err := ReadRatings(strings.NewReader(in), "r.tsv")
	require.NoError(t, err)
	// users sorted numerically: 2, 10; items: 1, 7.
	assert.Equal(t, []string{"2", "10"}, d.Users)
	assert.Equal(t, []string{"1", "7"}, d.Items)
	assert.Equal(t, []float32{0, 3, 5, 4}, d.X)
	assert.Equal(t, []float32{0, 1, 1, 1}, d.Mask)
	assert.Equal(t, AsStored, d.Units)

	d, err = ReadRatings(strings.NewReader("1::2::3::4\n"), "ml.dat")
	require.NoError(t, err, ":: separator")
	assert.Equal(t, []float32{3}, d.X)
	d, err = ReadRatings(strings.NewReader("a b 2.5\n"), "sp.txt")
	require.NoError(t, err, "space separator, string ids")
	assert.Equal(t, []string{"a"}, d.Users)

	for _, c := range []struct{ in, want string }{
		{"1,2,3\n1,2,4\n", "r.csv:2: duplicate rating of item 2 by user 1"},
		{"1,2,3\n1,3,x\n", `r.csv:2: rating "x" is not numeric`},
		{"1,2\n", "r.csv:1: want user, item, rating"},
		{"1,2,NaN\n", "r.csv:1: rating NaN is not finite"},
		{"1,2,0\n", "r.csv:1: rating 0 is reserved"},
		{"1, ,3\n", "r.csv:1: empty user or item id"},
		{"", "r.csv: no ratings"},
	} {
		_, err := ReadRatings(strings.NewReader(c.in), "r.csv")
		assert.ErrorContains(t, err, c.want, "%q", c.in)
	}
	_, err = Read(strings.NewReader("1 2 3\n"), "u.data", Options{Limit: 3})
	assert.ErrorContains(t, err, "u.data: a sample limit does not apply to ratings")
}

// RecBole's .inter: columns found by the typed header's names, in any
// order, other columns ignored.
func TestInter(t *testing.T) {
	in := "timestamp:float\trating:float\titem_id:token\tuser_id:token\n" +
		"881250949\t3\t242\t196\n891717742\t4.5\t302\t186\n\n"
	rs, err := ParseInter(strings.NewReader(in), "ml.inter")
	require.NoError(t, err)
	assert.Equal(t, []Rating{{User: "196", Item: "242", Value: 3, Line: 2}, {User: "186", Item: "302", Value: 4.5, Line: 3}}, rs)

	p := filepath.Join(t.TempDir(), "ml.inter")
	require.NoError(t, os.WriteFile(p, []byte(in), 0o644))
	for _, load := range []func() (*Dataset, error){
		func() (*Dataset, error) { return LoadRatings(p) },
		func() (*Dataset, error) { return Load(p, Options{}) },
	} {
		d, err := load()
		require.NoError(t, err)
		assert.Equal(t, []string{"186", "196"}, d.Users)
		assert.Equal(t, []string{"242", "302"}, d.Items)
		assert.Equal(t, []float32{0, 4.5, 3, 0}, d.X)
		assert.Equal(t, []float32{0, 1, 1, 0}, d.Mask)
	}

	for _, c := range []struct{ in, want string }{
		{"user_id:token\titem_id:token\n1\t2\n", "ml.inter:1: header \"user_id:token\\titem_id:token\" lacks user_id, item_id or rating"},
		{"user_id:token\titem_id:token\trating:float\n1\t2\n", "ml.inter:2: 2 tab-separated fields, the header names 3"},
		{"user_id:token\titem_id:token\trating:float\n1\t2\tgood\n", `ml.inter:2: rating "good" is not numeric`},
		{"user_id:token\titem_id:token\trating:float\n1\t2\t0\n", "ml.inter:2: rating 0 is reserved"},
		{"", "ml.inter: no ratings"},
	} {
		_, err := readInter(strings.NewReader(c.in), "ml.inter", Options{})
		assert.ErrorContains(t, err, c.want, "%q", c.in)
	}
}

// A second ratings format is a parser: RatingsMatrix does the rest.
func TestRatingsMatrixFromParser(t *testing.T) {
	rs := []Rating{{User: "u2", Item: "b", Value: 1, Line: 1}, {User: "u1", Item: "a", Value: 2, Line: 2}}
	d, err := RatingsMatrix("custom", rs)
	require.NoError(t, err)
	assert.Equal(t, []string{"u1", "u2"}, d.Users)
	assert.Equal(t, []string{"a", "b"}, d.Items)
	assert.Equal(t, []float32{2, 0, 0, 1}, d.X)
	_, err = RatingsMatrix("custom", append(rs, Rating{User: "u1", Item: "a", Value: 3, Line: 7}))
	assert.ErrorContains(t, err, "custom:7: duplicate rating")
}

func TestSplitRatings(t *testing.T) {
	d := &Dataset{N: 3, D: 4, X: []float32{1, 2, 3, 4, 5, 0, 0, 0, 1, 1, 1, 0},
		Mask: []float32{1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0}}
	tr, val, err := SplitRatings(d, 0.5, 1)
	require.NoError(t, err)
	for i := range d.Mask {
		require.Equal(t, d.Mask[i], tr.Mask[i]+val.Mask[i], "entry %d: train + val masks must be the observed mask", i)
		if val.Mask[i] != 0 {
			assert.Equal(t, d.X[i], val.Target[i], "held-out entry %d", i)
			assert.Zero(t, tr.X[i], "held-out entry %d leaked into training input", i)
		}
	}
	assert.Equal(t, float32(1), tr.Mask[4], "a user's only rating was held out")
	assert.Equal(t, float32(2), val.Mask[0]+val.Mask[1]+val.Mask[2]+val.Mask[3], "2 of user 0's 4 ratings held out")
}

func TestScalers(t *testing.T) {
	d := &Dataset{N: 3, D: 2, X: []float32{0, 5, 2, 5, 4, 5}}
	mm, err := Fit(MinMax, d)
	require.NoError(t, err)
	out, err := mm.Apply(d)
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 0, 0.5, 0, 1, 0}, out.X, "minmax")

	st, err := Fit(Standard, d)
	require.NoError(t, err)
	out, err = st.Apply(d)
	require.NoError(t, err)
	s := float32(math.Sqrt(8.0 / 3))
	assert.InDeltaSlice(t, []float32{-2 / s, 0, 0, 0, 2 / s, 0}, out.X, 1e-6, "standard")
	back := make([]float32, 6)
	st.Inverse(back, out.X)
	assert.InDeltaSlice(t, d.X, back, 1e-5, "inverse")

	_, err = Fit("log", d)
	assert.ErrorContains(t, err, `unknown scaling "log"`)
	assert.ErrorContains(t, mm.Check(3), "2/2 offsets/scales for 3 features")
}

func TestValidateAndSplitRows(t *testing.T) {
	d := &Dataset{N: 2, D: 2, X: []float32{1, 2, float32(math.Inf(1)), 4}, Source: "s"}
	assert.ErrorContains(t, d.Validate(), "s: row 2 column 1 is +Inf")
	d = &Dataset{N: 1, D: 4, X: make([]float32, 4), Shape: []int{1, 3, 1}, Source: "s"}
	assert.ErrorContains(t, d.Validate(), "s: sample shape [1 3 1] holds 3 values, rows have 4")

	d = &Dataset{N: 10, D: 1, X: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Units: BytesOver255, Shape: []int{1, 1, 1}}
	tr, val, err := SplitRows(d, 0.3, 4)
	require.NoError(t, err)
	assert.Equal(t, 7, tr.N)
	assert.Equal(t, 3, val.N)
	assert.ElementsMatch(t, d.X, append(append([]float32(nil), tr.X...), val.X...), "split lost or duplicated rows")
	assert.Equal(t, BytesOver255, tr.Units, "subsets keep the units")
	assert.Equal(t, []int{1, 1, 1}, val.Shape, "subsets keep the sample shape")
	_, _, err = SplitRows(&Dataset{N: 1, D: 1, X: []float32{1}}, 0.5, 1)
	assert.ErrorContains(t, err, "leaves no training rows")
}
