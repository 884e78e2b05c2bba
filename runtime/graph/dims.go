package graph

import (
	"fmt"
)

// Dimension arithmetic for shape inference. A Dim is known (Value ≥ 0,
// no Param), symbolic (Param set) or unknown (Value < 0, no Param).

var unknownDim = Dim{Value: -1}

func knownDim(v int64) Dim { return Dim{Value: v} }

// sameDim reports whether two dims certainly denote the same size.
func sameDim(a, b Dim) bool {
	if a.Known() && b.Known() {
		return a.Value == b.Value
	}
	return a.Param != "" && a.Param == b.Param
}

// mergeDim combines two descriptions of the same dimension, preferring a
// known size over a symbol over unknown; two different known sizes
// contradict each other.
func mergeDim(a, b Dim) (Dim, error) {
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

// broadcastDim applies multidirectional broadcasting to one axis.
func broadcastDim(a, b Dim) (Dim, error) {
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
	case sameDim(a, b):
		return a, nil
	}
	return unknownDim, nil
}

// broadcastShapes broadcasts shapes of known rank.
func broadcastShapes(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = knownDim(1)
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			r, err := broadcastDim(out[off+i], d)
			if err != nil {
				return nil, fmt.Errorf("shapes %s do not broadcast at axis %d: %w", shapesString(shapes), off+i, err)
			}
			out[off+i] = r
		}
	}
	return out, nil
}

func shapesString(shapes []Shape) string {
	s := ""
	for i, sh := range shapes {
		if i > 0 {
			s += " and "
		}
		s += sh.String()
	}
	return s
}

// productDim multiplies dims: known when all are known, the single symbol
// when the rest are known ones, unknown otherwise.
func productDim(ds []Dim) Dim {
	p := int64(1)
	var sym *Dim
	for i := range ds {
		d := ds[i]
		switch {
		case d.Known():
			p *= d.Value
		case d.Param != "" && sym == nil:
			sym = &ds[i]
		default:
			return unknownDim
		}
	}
	if sym == nil {
		return knownDim(p)
	}
	if p == 1 {
		return *sym
	}
	return unknownDim
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int, what string) (int, error) {
	a := axis
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, fmt.Errorf("%s %d is out of range for rank %d", what, axis, rank)
	}
	return int(a), nil
}

// symInt is one element of an integer tensor whose value is tracked through
// shape computations: a literal, a symbolic size, or unknown.
type symInt struct {
	Val   int64
	Param string
	Lit   bool
}

func symOfDim(d Dim) symInt {
	switch {
	case d.Known():
		return symInt{Val: d.Value, Lit: true}
	case d.Param != "":
		return symInt{Param: d.Param}
	}
	return symInt{}
}

func (s symInt) dim() Dim {
	switch {
	case s.Lit && s.Val >= 0:
		return knownDim(s.Val)
	case s.Param != "":
		return Dim{Value: -1, Param: s.Param}
	}
	return unknownDim
}
