package passes

import (
	"math"

	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// FuseGelu rewrites the decomposed GELU exporters write; see fuseGelu.
var FuseGelu = Pass{
	Name: "fuse-gelu",
	Doc:  "x·0.5·(1 + Erf(x/√2)), as the exporters decompose GELU, into one Gelu node",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return fuseGelu(g), nil
	},
}

// FuseSoftmax rewrites PyTorch's masked-attention softmax; see fuseSoftmax.
var FuseSoftmax = Pass{
	Name: "fuse-softmax",
	Doc:  "Where(IsNaN(Softmax(x)), 0, Softmax(x)) into one Softmax that writes 0 for NaN",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return fuseSoftmax(m, g), nil
	},
}

// graphUses indexes a graph for the pattern passes: the constants and
// single-reader test of affineScan, and each value's readers.
type graphUses struct {
	*affineScan
	readers map[string][]*graph.Node
}

func newGraphUses(g *graph.Graph) *graphUses {
	u := &graphUses{affineScan: newAffineScan(g), readers: map[string][]*graph.Node{}}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			u.readers[in] = append(u.readers[in], n)
		}
	}
	return u
}

// scalar returns the value of name when it is a constant float32 tensor
// of one element.
func (u *graphUses) scalar(name string) (float64, bool) {
	t := u.constF32(name)
	if t == nil || t.Len() != 1 {
		return 0, false
	}
	return float64(t.F32()[0]), true
}

// only returns the one reader of value name when it is the op operator
// with two inputs and one output and name has no other use.
func (u *graphUses) only(name, op string) *graph.Node {
	if !u.single(name) || len(u.readers[name]) != 1 {
		return nil
	}
	if n := u.readers[name][0]; defaultOp(n, op) {
		return n
	}
	return nil
}

// other returns the input of the two-input node n that is not name (and
// false when both are name).
func other(n *graph.Node, name string) (string, bool) {
	switch {
	case n.Inputs[0] == name && n.Inputs[1] != name:
		return n.Inputs[1], true
	case n.Inputs[1] == name && n.Inputs[0] != name:
		return n.Inputs[0], true
	}
	return "", false
}

func near(v, want float64) bool { return math.Abs(v-want) <= 1e-6*math.Abs(want) }

// fuseGelu returns a copy of g in which every exact GELU written out as
// elementwise operators becomes one node Gelu of domain
// operators.FusedDomain (computed by ops.GeluSlice in one pass instead of
// five):
//
//	e = Erf(Div(x, √2))  or  Erf(Mul(x, 1/√2))
//	a = Add(e, 1)
//	y = Mul(Mul(a, 0.5), x)  or  Mul(Mul(a, x), 0.5)  or  Mul(a, Mul(x, 0.5))
//
// with the operands of each Add and Mul in either order, as torch.onnx's
// dynamo and TorchScript exporters write nn.GELU() and transformers' "gelu".
// Every intermediate value must have its one reader in the pattern; x may
// have others. g is not modified.
func fuseGelu(g *graph.Graph) *graph.Graph {
	u := newGraphUses(g)
	removed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{}
	for _, e := range g.Nodes {
		if e.OpType != "Erf" || (e.Domain != "" && e.Domain != "ai.onnx") || len(e.Inputs) != 1 || len(e.Outputs) != 1 || removed[e] {
			continue
		}
		d := u.producer[e.Inputs[0]]
		if d == nil || !u.single(e.Inputs[0]) || removed[d] {
			continue
		}
		var x string
		switch {
		case defaultOp(d, "Div"):
			if c, ok := u.scalar(d.Inputs[1]); ok && near(c, math.Sqrt2) {
				x = d.Inputs[0]
			}
		case defaultOp(d, "Mul"):
			for j := range 2 {
				if c, ok := u.scalar(d.Inputs[j]); ok && near(c, 1/math.Sqrt2) {
					x = d.Inputs[1-j]
				}
			}
		}
		if x == "" {
			continue
		}
		a := u.only(e.Outputs[0], "Add")
		if a == nil {
			continue
		}
		if one, ok := other(a, e.Outputs[0]); !ok {
			continue
		} else if c, ok := u.scalar(one); !ok || c != 1 {
			continue
		}
		m1 := u.only(a.Outputs[0], "Mul")
		if m1 == nil {
			continue
		}
		f, ok := other(m1, a.Outputs[0])
		if !ok {
			continue
		}
		isHalf := func(name string) bool { c, ok := u.scalar(name); return ok && c == 0.5 }
		var last, extra *graph.Node
		switch {
		case isHalf(f) || f == x:
			// Mul(Mul(a, 0.5), x) or Mul(Mul(a, x), 0.5).
			m2 := u.only(m1.Outputs[0], "Mul")
			if m2 == nil {
				continue
			}
			g2, ok := other(m2, m1.Outputs[0])
			if !ok || !(isHalf(f) && g2 == x || f == x && isHalf(g2)) {
				continue
			}
			last = m2
		default:
			// Mul(a, Mul(x, 0.5)).
			h := u.producer[f]
			if h == nil || !defaultOp(h, "Mul") || !u.single(f) || removed[h] {
				continue
			}
			if hx, ok := other(h, x); !ok || hx == x || !isHalf(hx) {
				continue
			}
			last, extra = m1, h
		}
		for _, n := range []*graph.Node{d, e, a, m1, last, extra} {
			if n != nil {
				removed[n] = true
			}
		}
		replace[last] = &graph.Node{
			Name:    e.Name,
			OpType:  "Gelu",
			Domain:  operators.FusedDomain,
			Inputs:  []string{x},
			Outputs: []string{last.Outputs[0]},
			Attrs:   map[string]*graph.Attr{},
		}
	}
	return rebuild(g, removed, replace)
}

// fuseSoftmax returns a copy of g in which
//
//	s = Softmax(x); y = Where(IsNaN(s), 0, s)
//
// (how torch.onnx writes scaled_dot_product_attention's softmax, so that a
// fully masked row gives zeros) becomes one FusedSoftmax node of domain
// operators.FusedDomain with nan_to_zero = 1: the Where and the IsNaN mask,
// two passes over the attention matrix and two buffers of its size, go.
// s must have no readers but the IsNaN and the Where. g is not modified.
func fuseSoftmax(m *graph.Model, g *graph.Graph) *graph.Graph {
	opset, ok := operators.ImportedVersion(m, "")
	if !ok {
		return g
	}
	u := newGraphUses(g)
	removed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{}
	for _, s := range g.Nodes {
		if s.OpType != "Softmax" || (s.Domain != "" && s.Domain != "ai.onnx") || len(s.Inputs) != 1 || len(s.Outputs) != 1 || s.Outputs[0] == "" {
			continue
		}
		out := s.Outputs[0]
		rs := u.readers[out]
		if len(rs) != 2 || u.reads[out] != 2 {
			continue
		}
		var isNaN, where *graph.Node
		for _, r := range rs {
			switch {
			case r.OpType == "IsNaN" && len(r.Inputs) == 1 && len(r.Outputs) == 1:
				isNaN = r
			case r.OpType == "Where" && len(r.Inputs) == 3 && len(r.Outputs) == 1:
				where = r
			}
		}
		if isNaN == nil || where == nil || (isNaN.Domain != "" && isNaN.Domain != "ai.onnx") || (where.Domain != "" && where.Domain != "ai.onnx") {
			continue
		}
		mask := isNaN.Outputs[0]
		if where.Inputs[0] != mask || where.Inputs[2] != out || !u.single(mask) {
			continue
		}
		if c, ok := u.scalar(where.Inputs[1]); !ok || c != 0 {
			continue
		}
		f := &graph.Node{
			Name:    s.Name,
			OpType:  "FusedSoftmax",
			Domain:  operators.FusedDomain,
			Inputs:  []string{s.Inputs[0]},
			Outputs: []string{where.Outputs[0]},
			Attrs: map[string]*graph.Attr{
				"opset":       {Name: "opset", Type: graph.AttrInt, I: opset},
				"nan_to_zero": {Name: "nan_to_zero", Type: graph.AttrInt, I: 1},
			},
		}
		if a, ok := s.Attrs["axis"]; ok {
			f.Attrs["axis"] = a
		}
		removed[s], removed[isNaN], removed[where] = true, true, true
		replace[where] = f
	}
	return rebuild(g, removed, replace)
}

// rebuild returns g with the removed nodes dropped and each node of
// replace swapped for its replacement (in the replaced node's place), or
// g itself when nothing changed.
func rebuild(g *graph.Graph, removed map[*graph.Node]bool, replace map[*graph.Node]*graph.Node) *graph.Graph {
	if len(replace) == 0 {
		return g
	}
	ng := *g
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		if f, ok := replace[n]; ok {
			ng.Nodes = append(ng.Nodes, f)
			continue
		}
		if !removed[n] {
			ng.Nodes = append(ng.Nodes, n)
		}
	}
	return &ng
}
