package kernels

// Unique: the distinct elements (or slices along an axis) of a tensor,
// with their first indices, the inverse mapping and their counts.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Unique", Infer: inferUnique, Build: buildUnique}, 11)
}

func buildUnique(n *graph.Node, opset int64) (operators.Kernel, error) {
	sorted, err := n.Int("sorted", 1)
	if err != nil {
		return nil, err
	}
	hasAxis := n.Has("axis")
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		src, a := viewAs(x, []int{x.Len()}), 0
		if hasAxis {
			if len(x.Shape) == 0 {
				return nil, fmt.Errorf("node %s: axis given for a scalar input", n.Label())
			}
			if a, err = resolveAxis(n, axis, len(x.Shape)); err != nil {
				return nil, err
			}
			src = x
		}
		outer, dim, inner := ops.NumElements(src.Shape[:a]), src.Shape[a], ops.NumElements(src.Shape[a+1:])
		var cmpSlices func(p, q int) int
		keys := src // what positions are ordered by
		if src.DType.IsNarrowFloat() || src.DType == ops.Float16 {
			// float16, bfloat16, the 8- and 4-bit floats: ordered by value.
			f := make([]float32, src.Len())
			if err := ops.WidenToFloat32(f, src); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			keys = &ops.Tensor{DType: ops.Float32, Shape: src.Shape, Data: f}
		}
		switch d := keys.Data.(type) {
		case []float32:
			cmpSlices = compareSlices(d, outer, dim, inner, compareFloats[float32])
		case []float64:
			cmpSlices = compareSlices(d, outer, dim, inner, compareFloats[float64])
		case []uint16: // uint16 (the float types were widened above)
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[uint16])
		case []int16:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[int16])
		case []uint32:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[uint32])
		case []uint64:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[uint64])
		case []string:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[string])
		case []int64:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[int64])
		case []int32:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[int32])
		case []int8:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[int8])
		case []uint8:
			cmpSlices = compareSlices(d, outer, dim, inner, cmp.Compare[uint8])
		case []bool:
			cmpSlices = compareSlices(d, outer, dim, inner, func(p, q bool) int {
				switch {
				case p == q:
					return 0
				case q:
					return -1
				}
				return 1
			})
		default:
			return nil, fmt.Errorf("node %s: input X has unsupported type %v", n.Label(), x.DType)
		}
		// Sort slice positions by content, ties by position, so each group's
		// first entry is its first occurrence.
		order := make([]int, dim)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, cmpSlices)
		var first, counts []int
		group := make([]int, dim) // group of each position, in sorted order
		for k, p := range order {
			if k == 0 || cmpSlices(order[k-1], p) != 0 {
				first = append(first, p)
				counts = append(counts, 0)
			}
			g := len(first) - 1
			group[p] = g
			counts[g]++
		}
		// rank[g] is group g's position in the output.
		rank := make([]int, len(first))
		for g := range rank {
			rank[g] = g
		}
		if sorted == 0 {
			// Output in order of first occurrence.
			byFirst := make([]int, len(first))
			for g := range byFirst {
				byFirst[g] = g
			}
			slices.SortFunc(byFirst, func(g, h int) int { return first[g] - first[h] })
			for pos, g := range byFirst {
				rank[g] = pos
			}
		}
		m := len(first)
		uniq := make([]int, m)
		for g, p := range first {
			uniq[rank[g]] = p
		}
		shape := append([]int{}, src.Shape...)
		shape[a] = m
		y := env.New(x.DType, shape...)
		if err := ops.GatherInto(y, viewAs(src, []int{outer, dim, inner}), 1, uniq); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		idx, inv, cnt := env.New(ops.Int64, m), env.New(ops.Int64, dim), env.New(ops.Int64, m)
		idxD, invD, cntD := idx.I64(), inv.I64(), cnt.I64()
		for g, p := range first {
			idxD[rank[g]] = int64(p)
			cntD[rank[g]] = int64(counts[g])
		}
		for p := range dim {
			invD[p] = int64(rank[group[p]])
		}
		return []*ops.Tensor{y, idx, inv, cnt}, nil
	}, nil
}

// compareFloats orders floats with every NaN equal to the others and above all
// numbers, so that sorting and grouping are consistent.
func compareFloats[F float32 | float64](p, q F) int {
	pn, qn := p != p, q != q
	switch {
	case pn && qn:
		return 0
	case pn:
		return 1
	case qn:
		return -1
	}
	return cmp.Compare(p, q)
}

// compareSlices compares slices p and q of d viewed as [outer, dim, inner]
// (slice j = d[o, j, i] for all o, i) lexicographically, by position on ties.
func compareSlices[T any](d []T, outer, dim, inner int, c func(a, b T) int) func(p, q int) int {
	return func(p, q int) int {
		for o := 0; o < outer; o++ {
			bp, bq := (o*dim+p)*inner, (o*dim+q)*inner
			for i := 0; i < inner; i++ {
				if r := c(d[bp+i], d[bq+i]); r != 0 {
					return r
				}
			}
		}
		return 0
	}
}

// inferUnique: how many values are unique is known only when run. Y is
// 1-D (no axis) or X's shape with that axis unknown; indices,
// inverse_indices and counts are int64 vectors.
func inferUnique(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	y := rankOnly(x.DType, 1)
	if n.Has("axis") {
		y = graph.ValueInfo{DType: x.DType}
		if operators.RankKnown(x) {
			axis, err := n.Int("axis", 0)
			if err != nil {
				return nil, err
			}
			a, err := resolveAxis(n, axis, len(x.Shape))
			if err != nil {
				return nil, err
			}
			s := append(graph.Shape(nil), x.Shape...)
			s[a] = operators.UnknownDim
			y = ranked(x.DType, s)
		}
	}
	out := []graph.ValueInfo{y}
	for range n.Outputs[1:] {
		out = append(out, rankOnly(ops.Int64, 1))
	}
	return out, nil
}
