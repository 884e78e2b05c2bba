package kernels

// TfIdfVectorizer (opset 9): counts the n-grams of a pool in each row of
// int32, int64 or string tokens (n from min_gram_length to
// max_gram_length, skip-grams of up to max_skip_count skipped tokens) and
// writes term frequencies, IDF weights or their product.

import (
	"encoding/binary"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "TfIdfVectorizer", Inputs: []operators.TypeSet{{ops.String, ops.Int32, ops.Int64}},
		Infer: inferTfIdf, Build: buildTfIdf}, 9)
}

// tfidfMode is TfIdfVectorizer's weighting.
type tfidfMode uint8

const (
	tfidfTF tfidfMode = iota
	tfidfIDF
	tfidfTFIDF
)

// tfidfSpec is a TfIdfVectorizer node's parsed attributes: grams maps the
// key of each pool n-gram (tfidfKey) of a counted length to its output
// column.
type tfidfSpec struct {
	minN, maxN, maxSkip int
	mode                tfidfMode
	grams               map[string]int
	outSize             int
	weights             []float32
	strings             bool // the pool holds strings
}

// tfidfKey appends the key of one token: 8 bytes of an integer, or a
// length-prefixed string (so keys of different n-grams never collide).
func tfidfKey(buf []byte, s string, v int64, isString bool) []byte {
	if isString {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		return append(buf, s...)
	}
	return binary.LittleEndian.AppendUint64(buf, uint64(v))
}

func parseTfIdf(n *graph.Node) (*tfidfSpec, error) {
	fail := func(format string, a ...any) (*tfidfSpec, error) {
		return nil, fmt.Errorf("node %s: %s", n.Label(), fmt.Sprintf(format, a...))
	}
	var sp tfidfSpec
	for _, a := range []struct {
		name string
		dst  *int
	}{{"min_gram_length", &sp.minN}, {"max_gram_length", &sp.maxN}, {"max_skip_count", &sp.maxSkip}} {
		v, err := n.Int(a.name, -1)
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 1<<20 {
			return fail("attribute %s is required and must be a small non-negative integer, got %d", a.name, v)
		}
		*a.dst = int(v)
	}
	if sp.minN < 1 || sp.maxN < sp.minN {
		return fail("want 1 ≤ min_gram_length ≤ max_gram_length, got %d and %d", sp.minN, sp.maxN)
	}
	mode, err := enumAttr(n, "mode", "", enumChoice[tfidfMode]{"TF", tfidfTF}, enumChoice[tfidfMode]{"IDF", tfidfIDF}, enumChoice[tfidfMode]{"TFIDF", tfidfTFIDF})
	if err != nil {
		return nil, err
	}
	sp.mode = mode
	counts, err := n.Ints("ngram_counts", nil)
	if err != nil {
		return nil, err
	}
	indexes, err := n.Ints("ngram_indexes", nil)
	if err != nil {
		return nil, err
	}
	ints, err := n.Ints("pool_int64s", nil)
	if err != nil {
		return nil, err
	}
	var strs []string
	if a, ok := n.Attrs["pool_strings"]; ok {
		if a.Type != graph.AttrStrings {
			return fail("attribute pool_strings must be a list of strings")
		}
		for _, s := range a.Strings {
			strs = append(strs, string(s))
		}
		sp.strings = true
	}
	if (len(ints) > 0) == sp.strings || len(counts) == 0 || len(indexes) == 0 {
		return fail("needs ngram_counts, ngram_indexes and exactly one of pool_int64s and pool_strings")
	}
	if sp.weights, err = n.Floats("weights", nil); err != nil {
		return nil, err
	}
	total := max(len(ints), len(strs))
	for _, ix := range indexes {
		if ix < 0 || ix > 1<<24 {
			return fail("ngram_indexes value %d out of range", ix)
		}
		sp.outSize = max(sp.outSize, int(ix)+1)
	}
	if len(sp.weights) > 0 && len(sp.weights) != sp.outSize {
		return fail("weights has %d values, the output %d columns", len(sp.weights), sp.outSize)
	}
	sp.grams = map[string]int{}
	id := 0 // the pool's n-grams in order, of every length: ngram_indexes[id] is the column
	var key []byte
	for i, start := range counts {
		end := int64(total)
		if i+1 < len(counts) {
			end = counts[i+1]
		}
		size := i + 1
		if start < 0 || end < start || end > int64(total) || (end-start)%int64(size) != 0 {
			return fail("ngram_counts %v do not split the pool of %d tokens into whole %d-grams", counts, total, size)
		}
		for p := int(start); p < int(end); p += size {
			if id >= len(indexes) {
				return fail("ngram_indexes has %d values, the pool more n-grams", len(indexes))
			}
			if size >= sp.minN && size <= sp.maxN {
				key = key[:0]
				for k := p; k < p+size; k++ {
					if sp.strings {
						key = tfidfKey(key, strs[k], 0, true)
					} else {
						key = tfidfKey(key, "", ints[k], false)
					}
				}
				sp.grams[string(key)] = int(indexes[id])
			}
			id++
		}
	}
	return &sp, nil
}

func buildTfIdf(n *graph.Node, opset int64) (operators.Kernel, error) {
	sp, err := parseTfIdf(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		var strs []string
		var ints []int64
		switch d := x.Data.(type) {
		case []string:
			strs = d
		case []int64:
			ints = d
		case []int32:
			ints = make([]int64, len(d))
			for i, v := range d {
				ints[i] = int64(v)
			}
		default:
			return nil, fmt.Errorf("node %s: X must be string, int32 or int64, got %v", n.Label(), x.DType)
		}
		if (strs != nil) != sp.strings {
			return nil, fmt.Errorf("node %s: X of type %v does not match the pool (pool_%s)", n.Label(), x.DType, map[bool]string{true: "strings", false: "int64s"}[sp.strings])
		}
		rows, c := 1, x.Len()
		shape := []int{sp.outSize}
		switch x.Rank() {
		case 0, 1:
		case 2:
			rows, c = x.Shape[0], x.Shape[1]
			shape = []int{rows, sp.outSize}
		default:
			return nil, fmt.Errorf("node %s: X must be [C] or [N, C], got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		if err := checkElementCount(n, "Y", shape); err != nil {
			return nil, err
		}
		out := env.New(ops.Float32, shape...)
		y := out.F32()
		clear(y)
		var key []byte
		for r := 0; r < rows; r++ {
			row := y[r*sp.outSize : (r+1)*sp.outSize]
			// Each skip distance d walks n-grams of tokens d apart;
			// unigrams do not depend on d and count once.
			first := sp.minN
			for d := 1; d <= sp.maxSkip+1; d++ {
				for s := 0; s < c; s++ {
					key = key[:0]
					for size, p := 1, s; size <= sp.maxN && p < c; size, p = size+1, p+d {
						if sp.strings {
							key = tfidfKey(key, strs[r*c+p], 0, true)
						} else {
							key = tfidfKey(key, "", ints[r*c+p], false)
						}
						if size < first {
							continue
						}
						if col, ok := sp.grams[string(key)]; ok {
							row[col]++
						}
					}
				}
				if first == 1 {
					if first = 2; first > sp.maxN {
						break
					}
				}
			}
			for i, f := range row {
				switch {
				case sp.mode == tfidfIDF && f > 0:
					row[i] = 1
					if sp.weights != nil {
						row[i] = sp.weights[i]
					}
				case sp.mode == tfidfTFIDF && sp.weights != nil:
					row[i] = f * sp.weights[i]
				}
			}
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// inferTfIdf: float [out] for [C] tokens, [N, out] for [N, C].
func inferTfIdf(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	sp, err := parseTfIdf(n)
	if err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: ops.Float32}), nil
	}
	switch len(x.Shape) {
	case 0, 1:
		return one(ranked(ops.Float32, graph.Shape{operators.KnownDim(int64(sp.outSize))})), nil
	case 2:
		return one(ranked(ops.Float32, graph.Shape{x.Shape[0], operators.KnownDim(int64(sp.outSize))})), nil
	}
	return nil, fmt.Errorf("X must be [C] or [N, C], has rank %d", len(x.Shape))
}
