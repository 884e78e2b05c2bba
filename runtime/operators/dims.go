package operators

import (
	"fmt"

	"github.com/latent-ml/latent/runtime/graph"
)

// Dimension arithmetic for the operators' shape rules. A graph.Dim is known
// (Value ≥ 0, no Param), symbolic (Param set) or unknown (Value < 0, no
// Param).

// UnknownDim is a dimension of unknown size.
var UnknownDim = graph.Dim{Value: -1}

// KnownDim is a dimension of size v.
func KnownDim(v int64) graph.Dim { return graph.Dim{Value: v} }

// SameDim reports whether two dims certainly denote the same size.
func SameDim(a, b graph.Dim) bool {
	if a.Known() && b.Known() {
		return a.Value == b.Value
	}
	return a.Param != "" && a.Param == b.Param
}

// MergeDim combines two descriptions of the same dimension, preferring a
// known size over a symbol over unknown; two different known sizes
// contradict each other.
func MergeDim(a, b graph.Dim) (graph.Dim, error) {
	switch {
	case a.Known() && b.Known():
		if a.Value != b.Value {
			return a, fmt.Errorf("dimension %d vs %d", a.Value, b.Value)
		}
		return a, nil
	case a.Known():
		return a, nil
	case b.Known():
		return b, nil
	case a.Param != "":
		return a, nil
	}
	return b, nil
}

// BroadcastDim applies multidirectional broadcasting to one axis.
func BroadcastDim(a, b graph.Dim) (graph.Dim, error) {
	switch {
	case a.Known() && b.Known():
		switch {
		case a.Value == b.Value, b.Value == 1:
			return a, nil
		case a.Value == 1:
			return b, nil
		}
		return a, fmt.Errorf("dimensions %d and %d do not broadcast", a.Value, b.Value)
	case a.Known() && a.Value == 1:
		return b, nil
	case b.Known() && b.Value == 1:
		return a, nil
	case a.Known():
		// b is symbolic or unknown: it must be 1 or equal to a.
		return a, nil
	case b.Known():
		return b, nil
	case SameDim(a, b):
		return a, nil
	}
	return UnknownDim, nil
}

// BroadcastShapes broadcasts shapes of known rank.
func BroadcastShapes(shapes ...graph.Shape) (graph.Shape, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(graph.Shape, rank)
	for i := range out {
		out[i] = KnownDim(1)
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			r, err := BroadcastDim(out[off+i], d)
			if err != nil {
				return nil, fmt.Errorf("shapes %s do not broadcast at axis %d: %w", shapesString(shapes), off+i, err)
			}
			out[off+i] = r
		}
	}
	return out, nil
}

func shapesString(shapes []graph.Shape) string {
	s := ""
	for i, sh := range shapes {
		if i > 0 {
			s += " and "
		}
		s += sh.String()
	}
	return s
}

// ProductDim multiplies dims: known when all are known, the single symbol
// when the rest are known ones, unknown otherwise.
func ProductDim(ds []graph.Dim) graph.Dim {
	p := int64(1)
	var sym *graph.Dim
	for i := range ds {
		d := ds[i]
		switch {
		case d.Known():
			p *= d.Value
		case d.Param != "" && sym == nil:
			sym = &ds[i]
		default:
			return UnknownDim
		}
	}
	if sym == nil {
		return KnownDim(p)
	}
	if p == 1 {
		return *sym
	}
	return UnknownDim
}

// SymInt is one element of an integer tensor whose value the typed stage
// tracks through shape computations (Shape → Gather → Concat → Reshape):
// a literal (Lit), a symbolic size (Param), or unknown.
type SymInt struct {
	Val   int64
	Param string
	Lit   bool
}

// SymOfDim is the tracked value of a dimension's size.
func SymOfDim(d graph.Dim) SymInt {
	switch {
	case d.Known():
		return SymInt{Val: d.Value, Lit: true}
	case d.Param != "":
		return SymInt{Param: d.Param}
	}
	return SymInt{}
}

// Dim is the dimension of size s (unknown when s is not a non-negative
// literal or a symbol).
func (s SymInt) Dim() graph.Dim {
	switch {
	case s.Lit && s.Val >= 0:
		return KnownDim(s.Val)
	case s.Param != "":
		return graph.Dim{Value: -1, Param: s.Param}
	}
	return UnknownDim
}
