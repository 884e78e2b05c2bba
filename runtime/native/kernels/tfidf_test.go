package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tfidfNode is a TfIdfVectorizer node over a string pool.
func tfidfNode(pool []string, kv ...any) *graph.Node {
	n := newNodeKV("TfIdfVectorizer", 1, 1, kv...)
	a := &graph.Attr{Name: "pool_strings", Type: graph.AttrStrings}
	for _, s := range pool {
		a.Strings = append(a.Strings, []byte(s))
	}
	n.Attrs[a.Name] = a
	n.AttrOrder = append(n.AttrOrder, a.Name)
	return n
}

func runTfIdf(t *testing.T, n *graph.Node, x *ops.Tensor) (*ops.Tensor, error) {
	t.Helper()
	b, err := operators.KernelBuilder("", "TfIdfVectorizer", 9)
	require.NoError(t, err)
	k, err := b(n, 9)
	if err != nil {
		return nil, err
	}
	out, err := k(&operators.Env{}, []*ops.Tensor{x})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func TestTfIdfHandComputed(t *testing.T) {
	// Tokens a b a c b; the pool holds the unigrams a, b and the bigrams
	// (a b), (a c). Unigrams: a 2, b 2. Bigrams of adjacent tokens: (a b),
	// (a c) once each; one token apart (max_skip_count 1): (a a), (b c),
	// (a b) — so (a b) twice.
	x := &ops.Tensor{DType: ops.String, Shape: []int{5}, Data: []string{"a", "b", "a", "c", "b"}}
	pool := []string{"a", "b", "a", "b", "a", "c"}
	base := []any{"min_gram_length", 1, "max_gram_length", 2, "max_skip_count", 1, "ngram_counts", []int64{0, 2}, "ngram_indexes", []int64{0, 1, 2, 3}}
	with := func(kv ...any) []any { return append(append([]any(nil), base...), kv...) }
	for name, c := range map[string]struct {
		kv   []any
		want []float32
	}{
		"tf":              {with("mode", "TF"), []float32{2, 2, 2, 1}},
		"tfidf weights":   {with("mode", "TFIDF", "weights", []float32{0.5, 1, 2, 3}), []float32{1, 2, 4, 3}},
		"idf weights":     {with("mode", "IDF", "weights", []float32{0.5, 1, 2, 3}), []float32{0.5, 1, 2, 3}},
		"idf no weights":  {with("mode", "IDF"), []float32{1, 1, 1, 1}},
		"bigrams only":    {append([]any{"mode", "TF", "min_gram_length", 2}, base[2:]...), []float32{0, 0, 2, 1}},
		"adjacent only":   {append(with("mode", "TF"), "max_skip_count", 0), []float32{2, 2, 1, 1}},
		"shared column":   {append(with("mode", "TF"), "ngram_indexes", []int64{0, 0, 1, 1}), []float32{4, 3}},
		"unigrams skip 3": {append(with("mode", "TF"), "max_skip_count", 3, "max_gram_length", 1), []float32{2, 2, 0, 0}},
	} {
		// Later attributes override earlier ones (newNodeKV), so the
		// cases override the base.
		y, err := runTfIdf(t, tfidfNode(pool, c.kv...), x)
		require.NoError(t, err, name)
		assert.Equal(t, c.want, y.F32(), name)
	}
	// A batch of int32 rows against an int64 pool: unigram 2 → column 1,
	// bigram (1 2) → column 0.
	n := newNodeKV("TfIdfVectorizer", 1, 1, "mode", "TF", "min_gram_length", 1, "max_gram_length", 2, "max_skip_count", 0,
		"pool_int64s", []int64{2, 1, 2}, "ngram_counts", []int64{0, 1}, "ngram_indexes", []int64{1, 0})
	y, err := runTfIdf(t, n, ops.FromInt32([]int{2, 3}, []int32{1, 2, 1, 2, 2, 3}))
	require.NoError(t, err)
	require.Equal(t, []int{2, 2}, y.Shape)
	assert.Equal(t, []float32{1, 1, 0, 2}, y.F32())
}

func TestTfIdfErrors(t *testing.T) {
	ints := func(kv ...any) *graph.Node {
		base := []any{"mode", "TF", "min_gram_length", 1, "max_gram_length", 1, "max_skip_count", 0,
			"pool_int64s", []int64{1, 2}, "ngram_counts", []int64{0}, "ngram_indexes", []int64{0, 1}}
		return newNodeKV("TfIdfVectorizer", 1, 1, append(base, kv...)...)
	}
	x := ops.FromInt64([]int{2}, []int64{1, 2})
	for name, c := range map[string]struct {
		n    *graph.Node
		x    *ops.Tensor
		want string
	}{
		"bad mode":       {ints("mode", "BM25"), x, "unknown mode"},
		"gram lengths":   {ints("min_gram_length", 2), x, "min_gram_length ≤ max_gram_length"},
		"ragged pool":    {ints("max_gram_length", 2, "ngram_counts", []int64{0, 1}), x, "whole 2-grams"},
		"few indexes":    {ints("ngram_indexes", []int64{0}), x, "ngram_indexes has 1 values"},
		"weights length": {ints("weights", []float32{1}), x, "weights has 1 values"},
		"float input":    {ints(), ops.FromFloat32([]int{1}, []float32{1}), "X must be string, int32 or int64"},
		"string input":   {ints(), &ops.Tensor{DType: ops.String, Shape: []int{1}, Data: []string{"a"}}, "does not match the pool"},
		"rank 3":         {ints(), ops.FromInt64([]int{1, 1, 2}, []int64{1, 2}), "[C] or [N, C]"},
	} {
		_, err := runTfIdf(t, c.n, c.x)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
