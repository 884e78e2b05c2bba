package kernels

// Einsum: explicit ("ij,jk->ik") and implicit ("ij,jk") equations with
// ellipses, repeated labels (diagonals) and summed labels, evaluated by a
// direct loop over the joint index space with float64 (or int64)
// accumulation. Meant for the small contractions models carry; large
// matrix products should be MatMul (a long Einsum checks the run's
// context so it can be cancelled).

import (
	"fmt"
	"sort"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Einsum", Infer: inferEinsum, Build: buildEinsum}, 12)
}

// einsumSpec is a parsed equation: per operand and for the output, the
// label of every axis, with ellipsis axes given labels '0', '1', … .
type einsumSpec struct {
	terms    []string // operand subscripts as written, "..." kept
	out      string   // output subscripts, or "" for implicit
	explicit bool
}

func parseEinsum(n *graph.Node, eq string) (*einsumSpec, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	s := &einsumSpec{}
	lhs := eq
	if i := strings.Index(eq, "->"); i >= 0 {
		lhs, s.out, s.explicit = eq[:i], eq[i+2:], true
	}
	s.terms = strings.Split(lhs, ",")
	check := func(t string) error {
		rest := strings.Replace(t, "...", "", 1)
		for _, c := range rest {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return fmt.Errorf("node %s: equation %q: invalid subscript %q", n.Label(), eq, c)
			}
		}
		return nil
	}
	for _, t := range append(append([]string{}, s.terms...), s.out) {
		if err := check(t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// expand replaces the ellipsis of term (for an operand of rank r) with
// nEll ellipsis labels, right-aligned: the first axes the ellipsis covers
// get the labels of the highest broadcast dims.
func einsumExpand(term string, r, nEll int) ([]rune, error) {
	i := strings.Index(term, "...")
	if i < 0 {
		if len(term) != r {
			return nil, fmt.Errorf("subscripts %q name %d axes, operand has rank %d", term, len(term), r)
		}
		return []rune(term), nil
	}
	named := len(term) - 3
	k := r - named
	if k < 0 {
		return nil, fmt.Errorf("subscripts %q need rank >= %d, operand has rank %d", term, named, r)
	}
	out := []rune(term[:i])
	for j := 0; j < k; j++ {
		out = append(out, rune('0'+nEll-k+j))
	}
	return append(out, []rune(term[i+3:])...), nil
}

// layout resolves the equation for operands of the given ranks: each
// operand's axis labels (ellipses expanded) and the output's, explicit or,
// for an implicit output, the ellipsis axes then the labels that appear
// once, in alphabetical order. The kernel and the shape rule share it.
func (s *einsumSpec) layout(n *graph.Node, ranks []int) (labels [][]rune, outL []rune, err error) {
	if len(ranks) != len(s.terms) {
		return nil, nil, fmt.Errorf("node %s: equation has %d operands, node has %d inputs", n.Label(), len(s.terms), len(ranks))
	}
	nEll := 0
	for i, r := range ranks {
		if strings.Contains(s.terms[i], "...") {
			nEll = max(nEll, r-(len(s.terms[i])-3))
		}
	}
	count := map[rune]int{}
	labels = make([][]rune, len(ranks))
	for i, r := range ranks {
		l, err := einsumExpand(s.terms[i], r, nEll)
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: operand %d: %w", n.Label(), i, err)
		}
		labels[i] = l
		for _, c := range l {
			count[c]++
		}
	}
	if s.explicit {
		outL, err = einsumExpand(s.out, len(s.out)-3*strings.Count(s.out, "...")+nEll*strings.Count(s.out, "..."), nEll)
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: output: %w", n.Label(), err)
		}
		for _, c := range outL {
			if count[c] == 0 {
				return nil, nil, fmt.Errorf("node %s: output label %q appears in no operand", n.Label(), c)
			}
		}
		return labels, outL, nil
	}
	for j := 0; j < nEll; j++ {
		outL = append(outL, rune('0'+j))
	}
	var once []rune
	for c, k := range count {
		if k == 1 && !(c >= '0' && c <= '9') {
			once = append(once, c)
		}
	}
	sort.Slice(once, func(a, b int) bool { return once[a] < once[b] })
	return labels, append(outL, once...), nil
}

// inferEinsum: the output's axes are its labels' sizes (an ellipsis axis
// of size 1 in one operand takes the other's), in the operands' type.
func inferEinsum(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	eq, err := n.String("equation", "")
	if err != nil {
		return nil, err
	}
	spec, err := parseEinsum(n, eq)
	if err != nil {
		return nil, err
	}
	if err := sameElemType(in); err != nil {
		return nil, err
	}
	dt := input(in, 0).DType
	ranks := make([]int, len(in))
	for i, v := range in {
		if !operators.RankKnown(v) {
			return one(graph.ValueInfo{DType: dt}), nil
		}
		ranks[i] = len(v.Shape)
	}
	labels, outL, err := spec.layout(n, ranks)
	if err != nil {
		return nil, err
	}
	dim := map[rune]graph.Dim{}
	for i, v := range in {
		for ax, l := range labels[i] {
			d := v.Shape[ax]
			old, seen := dim[l]
			switch {
			case !seen || old.Known() && old.Value == 1 && l >= '0' && l <= '9':
				dim[l] = d
			case d.Known() && d.Value == 1 && l >= '0' && l <= '9':
			default:
				if dim[l], err = operators.MergeDim(old, d); err != nil {
					return nil, fmt.Errorf("label %q: %w", l, err)
				}
			}
		}
	}
	out := make(graph.Shape, len(outL))
	for i, l := range outL {
		out[i] = dim[l]
	}
	return one(ranked(dt, out)), nil
}

func buildEinsum(n *graph.Node, opset int64) (operators.Kernel, error) {
	eq, err := n.String("equation", "")
	if err != nil {
		return nil, err
	}
	spec, err := parseEinsum(n, eq)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) != len(spec.terms) {
			return nil, fmt.Errorf("node %s: equation %q has %d operands, node has %d inputs", n.Label(), eq, len(spec.terms), len(in))
		}
		dt := ops.Invalid
		ranks := make([]int, len(in))
		for i, t := range in {
			if t == nil {
				return nil, fmt.Errorf("node %s: missing input %d", n.Label(), i)
			}
			if err := t.Validate(); err != nil {
				return nil, fmt.Errorf("node %s: input %d: %w", n.Label(), i, err)
			}
			if i == 0 {
				dt = t.DType
			} else if t.DType != dt {
				return nil, fmt.Errorf("node %s: inputs must share one type, got %v and %v", n.Label(), dt, t.DType)
			}
			ranks[i] = t.Rank()
		}
		switch dt {
		case ops.Float32, ops.Float64, ops.Float16, ops.Int32, ops.Int64:
		default:
			return nil, fmt.Errorf("node %s: unsupported type %v", n.Label(), dt)
		}
		labels, outL, err := spec.layout(n, ranks)
		if err != nil {
			return nil, err
		}
		size := map[rune]int{}
		for i, t := range in {
			for ax, c := range labels[i] {
				d := t.Shape[ax]
				if old, ok := size[c]; ok && old != d {
					if old == 1 && c >= '0' && c <= '9' {
						size[c] = d // ellipsis dims broadcast
					} else if !(d == 1 && c >= '0' && c <= '9') {
						return nil, fmt.Errorf("node %s: label %q has sizes %d and %d", n.Label(), c, old, d)
					}
				} else if !ok {
					size[c] = d
				}
			}
		}
		// Joint index space: output labels first, then summed labels.
		all := append([]rune{}, outL...)
		seen := map[rune]bool{}
		for _, c := range outL {
			seen[c] = true
		}
		var keys []rune
		for c := range size {
			keys = append(keys, c)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
		for _, c := range keys {
			if !seen[c] {
				all = append(all, c)
			}
		}
		pos := map[rune]int{}
		dims := make([]int, len(all))
		for i, c := range all {
			pos[c] = i
			dims[i] = size[c]
		}
		outShape := dims[:len(outL)]
		outN := ops.NumElements(outShape)
		sumN := ops.NumElements(dims[len(outL):])
		// Element stride of each operand along each joint index.
		strides := make([][]int, len(in))
		for i, t := range in {
			st := ops.Strides(t.Shape)
			strides[i] = make([]int, len(all))
			for ax, c := range labels[i] {
				if t.Shape[ax] != 1 || size[c] == 1 {
					strides[i][pos[c]] += st[ax]
				}
			}
		}
		vals := make([][]float64, len(in))
		var ivals [][]int64
		isInt := dt == ops.Int32 || dt == ops.Int64
		if isInt {
			ivals = make([][]int64, len(in))
		}
		for i, t := range in {
			switch d := t.Data.(type) {
			case []int64:
				ivals[i] = d
			case []int32:
				ivals[i] = make([]int64, len(d))
				for j, v := range d {
					ivals[i][j] = int64(v)
				}
			default:
				f := float32s(t)
				if dt == ops.Float64 {
					vals[i] = t.F64()
					continue
				}
				vals[i] = make([]float64, len(f))
				for j, v := range f {
					vals[i][j] = float64(v)
				}
			}
		}
		idx := make([]int, len(all))
		offs := make([]int, len(in))
		accF := make([]float64, outN)
		accI := make([]int64, outN)
		for o := 0; o < outN*sumN; o++ {
			if o&(1<<20-1) == 0 && o > 0 && env != nil && env.Ctx != nil {
				if err := env.Ctx.Err(); err != nil {
					return nil, fmt.Errorf("node %s: %w", n.Label(), err)
				}
			}
			for i := range offs {
				off := 0
				for d, v := range idx {
					off += v * strides[i][d]
				}
				offs[i] = off
			}
			if isInt {
				p := int64(1)
				for i := range in {
					p *= ivals[i][offs[i]]
				}
				accI[o/max(sumN, 1)] += p
			} else {
				p := 1.0
				for i := range in {
					p *= vals[i][offs[i]]
				}
				accF[o/max(sumN, 1)] += p
			}
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < dims[d] {
					break
				}
				idx[d] = 0
			}
		}
		switch dt {
		case ops.Int64:
			y := env.New(ops.Int64, outShape...)
			copy(y.I64(), accI)
			return []*ops.Tensor{y}, nil
		case ops.Int32:
			y := env.New(ops.Int32, outShape...)
			yd := y.I32()
			for i, v := range accI {
				yd[i] = int32(v)
			}
			return []*ops.Tensor{y}, nil
		case ops.Float64:
			y := env.New(ops.Float64, outShape...)
			copy(y.F64(), accF)
			return []*ops.Tensor{y}, nil
		}
		o := newFloatOutput(env, dt, outShape)
		for i, v := range accF {
			o.f[i] = float32(v)
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}
