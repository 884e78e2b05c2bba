package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SplitString matches Python's str.split (the ONNX reference's).
func TestSplitStringLikePython(t *testing.T) {
	cases := []struct {
		s, sep   string
		maxsplit int
		want     []string
	}{
		{"  a b  c ", "", -1, []string{"a", "b", "c"}},
		{"  a b  c ", "", 1, []string{"a", "b  c "}}, // the rest keeps its trailing space
		{"a b", "", 0, []string{"a b"}},
		{"", "", -1, nil},
		{"   ", "", 1, nil},
		{"a,,b", ",", -1, []string{"a", "", "b"}},
		{"", ",", -1, []string{""}},
		{"a-b-c", "-", 1, []string{"a", "b-c"}},
		{"héllo wörld", "", -1, []string{"héllo", "wörld"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, SplitString(c.s, c.sep, c.maxsplit), "%q split on %q, maxsplit %d", c.s, c.sep, c.maxsplit)
	}
	x := &Tensor{DType: String, Shape: []int{2}, Data: []string{"a b c", "d"}}
	parts, counts, err := StringSplitAll(x, "", -1)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, parts.Shape)
	assert.Equal(t, []string{"a", "b", "c", "d", "", ""}, parts.Str())
	assert.Equal(t, []int64{3, 1}, counts.I64())
}

func TestStringConcatAndEqual(t *testing.T) {
	a := &Tensor{DType: String, Shape: []int{2}, Data: []string{"a", "é"}}
	b := &Tensor{DType: String, Shape: nil, Data: []string{"!"}}
	d := New(String, 2)
	require.NoError(t, StringConcat(d, a, b))
	assert.Equal(t, []string{"a!", "é!"}, d.Str())
	e := New(Bool, 2)
	require.NoError(t, Compare(CmpEqual, e, d, &Tensor{DType: String, Shape: []int{2}, Data: []string{"a!", "e!"}}))
	assert.Equal(t, []bool{true, false}, e.B())
	assert.Error(t, Compare(CmpLess, e, d, d), "strings only compare for equality")
	assert.Error(t, StringConcat(d, a, FromFloat32(nil, []float32{1})))
}

func TestNormalizeStrings(t *testing.T) {
	x := &Tensor{DType: String, Shape: []int{1, 4}, Data: []string{"Monday", "tuesday", "monday", "Friday"}}
	// Case-insensitive: stop words compared after lowering.
	y, err := NormalizeStrings(x, CaseLower, false, []string{"MONDAY"})
	require.NoError(t, err)
	assert.Equal(t, &Tensor{DType: String, Shape: []int{1, 2}, Data: []string{"tuesday", "friday"}}, y)
	// Case-sensitive: only the exact word goes, then upper case.
	y, err = NormalizeStrings(x, CaseUpper, true, []string{"monday"})
	require.NoError(t, err)
	assert.Equal(t, []string{"MONDAY", "TUESDAY", "FRIDAY"}, y.Str())
	// Nothing left: one empty string.
	y, err = NormalizeStrings(&Tensor{DType: String, Shape: []int{1}, Data: []string{"a"}}, CaseNone, true, []string{"a"})
	require.NoError(t, err)
	assert.Equal(t, &Tensor{DType: String, Shape: []int{1}, Data: []string{""}}, y)
	_, err = NormalizeStrings(&Tensor{DType: String, Shape: []int{2, 2}, Data: make([]string, 4)}, CaseNone, true, nil)
	assert.Error(t, err, "[2 2] is neither [C] nor [1, C]")
}

func TestFullMatch(t *testing.T) {
	re, err := FullMatch(`www\.[\w.-]+\.\bcom\b`)
	require.NoError(t, err)
	assert.True(t, re.MatchString("www.google.com"))
	assert.False(t, re.MatchString("www.google.com/x"), "a full match, not a search")
	re, err = FullMatch(`a|b`)
	require.NoError(t, err)
	assert.False(t, re.MatchString("ab"), "alternation is grouped before anchoring")
	_, err = FullMatch(`(`)
	assert.Error(t, err)
}
