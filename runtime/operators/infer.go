package operators

import (
	"errors"
	"fmt"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// Rule computes a node's output element types and (possibly symbolic)
// shapes from its inputs', in[i] describing input i (Name "" for an
// omitted optional input; DType ops.Invalid and HasShape false when
// unknown). It returns one ValueInfo per output it can say something about
// (fewer, or zero values, leave outputs unknown). What it cannot tell
// stays unknown, which is not an error; an error means the node cannot run
// on such inputs (a contradiction: Gemm inner dimensions 3 vs 4, an axis
// out of range, a missing required attribute).
type Rule func(c *InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error)

// InferContext is what a rule may use besides the node and its inputs:
// the opset version, and the values the typed stage tracks (constants, and
// the small integer tensors of shape computations, symbolically).
type InferContext struct {
	opset  int64
	consts map[string]*ops.Tensor
	sym    map[string][]SymInt
	// parent is the context of the enclosing graph while a subgraph is
	// checked: its values are visible unless the subgraph shadows them.
	parent *InferContext
	// local names every value the subgraph defines (its inputs,
	// initializers and node outputs): those shadow the enclosing graphs'
	// values of the same name even where nothing is tracked for them.
	local map[string]bool
}

// symOf looks name's tracked values up here and in enclosing graphs.
func (c *InferContext) symOf(name string) ([]SymInt, bool) {
	for ; c != nil; c = c.parent {
		if v, ok := c.sym[name]; ok {
			return v, true
		}
		if c.local[name] {
			return nil, false
		}
	}
	return nil, false
}

// constOf looks name's constant up here and in enclosing graphs.
func (c *InferContext) constOf(name string) (*ops.Tensor, bool) {
	for ; c != nil; c = c.parent {
		if t, ok := c.consts[name]; ok {
			return t, true
		}
		if c.local[name] {
			return nil, false
		}
	}
	return nil, false
}

// maxSymLen bounds the integer tensors whose values inference tracks.
const maxSymLen = 64

// Opset is the model's imported version of the node's domain.
func (c *InferContext) Opset() int64 { return c.opset }

// Values returns the tracked elements of the integer tensor name (a
// constant, or computed from shapes), or false when they are not tracked.
func (c *InferContext) Values(name string) ([]SymInt, bool) {
	return c.symOf(name)
}

// SetValues records the elements of the integer tensor name (a rule's
// output computed from tracked inputs). Longer tensors are not tracked.
func (c *InferContext) SetValues(name string, v []SymInt) {
	if name != "" && len(v) <= maxSymLen {
		c.sym[name] = v
	}
}

// DropValues forgets the tracked elements of name.
func (c *InferContext) DropValues(name string) { delete(c.sym, name) }

// CopyValues tracks to with from's elements, when from's are tracked.
func (c *InferContext) CopyValues(from, to string) {
	if s, ok := c.symOf(from); ok && to != "" {
		c.sym[to] = s
	}
}

// SetConst records that name is the constant t (a Constant node's output).
func (c *InferContext) SetConst(name string, t *ops.Tensor) {
	c.consts[name] = t
	if t.Rank() > 1 || t.Len() > maxSymLen {
		return
	}
	var vals []SymInt
	switch d := t.Data.(type) {
	case []int64:
		for _, v := range d {
			vals = append(vals, SymInt{Val: v, Lit: true})
		}
	case []int32:
		for _, v := range d {
			vals = append(vals, SymInt{Val: int64(v), Lit: true})
		}
	default:
		return
	}
	c.sym[name] = vals
}

// Ints returns the literal values of n's integer input i when they are
// known (a constant, or shape arithmetic on static sizes).
func (c *InferContext) Ints(n *graph.Node, i int) ([]int64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	vals, ok := c.symOf(n.Inputs[i])
	if !ok {
		return nil, false
	}
	out := make([]int64, len(vals))
	for k, v := range vals {
		if !v.Lit {
			return nil, false
		}
		out[k] = v.Val
	}
	return out, true
}

// Floats returns the values of n's float input i when it is a (small)
// constant.
func (c *InferContext) Floats(n *graph.Node, i int) ([]float64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	t, ok := c.constOf(n.Inputs[i])
	if !ok || t.Len() > maxSymLen {
		return nil, false
	}
	var out []float64
	switch d := t.Data.(type) {
	case []float32:
		for _, v := range d {
			out = append(out, float64(v))
		}
	case []float64:
		out = append(out, d...)
	default:
		return nil, false
	}
	return out, true
}

// Axes reads a node's axes: the "axes" attribute before opset inputSince,
// the (optional) input inputIdx from then on. given is false when there
// are none; ok is false when the input is not constant.
func (c *InferContext) Axes(n *graph.Node, inputIdx int, inputSince int64) (axes []int64, given, ok bool, err error) {
	if c.opset < inputSince {
		axes, err = n.Ints("axes", nil)
		return axes, axes != nil, err == nil, err
	}
	if inputIdx >= len(n.Inputs) || n.Inputs[inputIdx] == "" {
		return nil, false, true, nil
	}
	vals, found := c.symOf(n.Inputs[inputIdx])
	if !found {
		return nil, true, false, nil
	}
	for _, v := range vals {
		if !v.Lit {
			return nil, true, false, nil
		}
		axes = append(axes, v.Val)
	}
	return axes, true, true, nil
}

// InferShapes is the typed stage: it fills m.Graph.ValueInfo with the
// element type and (possibly symbolic) shape of every node output the
// operators' rules can work out from the graph inputs, initializers,
// Constant nodes and the file's own value_info. Symbolic dimensions such
// as "batch" are carried through, including through the Shape → Gather →
// Unsqueeze → Concat → Reshape chains exporters emit.
//
// Operators without a rule (or not registered) leave their outputs
// unknown, which is not an error. A contradiction is: an input whose
// element type the operator does not admit, shapes that cannot go
// together, a declared value_info that disagrees with the inferred one.
// The error names the node. Subgraphs (If's branches, Loop's, Scan's and
// SequenceMap's bodies) are checked too, with the enclosing graphs' values
// in scope; their types are not recorded.
func InferShapes(m *graph.Model) error {
	_, err := Infer(m)
	return err
}

// Typed is what the typed stage learned beyond value_info: the values of
// the small integer tensors shape computations produce (Shape, Size and
// the arithmetic on them), where they are fully known.
type Typed struct {
	sym map[string][]SymInt
}

// Ints returns the value of the integer tensor name when the typed stage
// knows every element.
func (t *Typed) Ints(name string) ([]int64, bool) {
	vals, ok := t.sym[name]
	if !ok {
		return nil, false
	}
	out := make([]int64, len(vals))
	for i, v := range vals {
		if !v.Lit {
			return nil, false
		}
		out[i] = v.Val
	}
	return out, true
}

// Infer is InferShapes also returning the tracked integer values.
func Infer(m *graph.Model) (*Typed, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("shape inference: model has no graph")
	}
	g := m.Graph
	c := &InferContext{consts: map[string]*ops.Tensor{}, sym: map[string][]SymInt{}}
	if g.ValueInfo == nil {
		g.ValueInfo = map[string]graph.ValueInfo{}
	}
	if err := inferGraph(m, g, c, &typeScope{info: map[string]graph.ValueInfo{}}, true); err != nil {
		return nil, fmt.Errorf("shape inference: %w", err)
	}
	return &Typed{sym: c.sym}, nil
}

// typeScope holds the types known in one graph, and through parent those
// of the enclosing graphs a subgraph sees.
type typeScope struct {
	info   map[string]graph.ValueInfo
	parent *typeScope
	// local is the subgraph's own names (see InferContext.local): a name
	// defined here whose type is unknown does not take an outer type.
	local map[string]bool
}

func (s *typeScope) get(name string) (graph.ValueInfo, bool) {
	for ; s != nil; s = s.parent {
		if vi, ok := s.info[name]; ok {
			return vi, true
		}
		if s.local[name] {
			return graph.ValueInfo{}, false
		}
	}
	return graph.ValueInfo{}, false
}

// definedNames lists the values g itself defines: its inputs, its
// initializers and its nodes' outputs (not those of nested subgraphs).
func definedNames(g *graph.Graph) map[string]bool {
	local := make(map[string]bool, len(g.Inputs)+len(g.Initializers)+2*len(g.Nodes))
	for _, vi := range g.Inputs {
		local[vi.Name] = true
	}
	for name := range g.Initializers {
		local[name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				local[o] = true
			}
		}
	}
	return local
}

// inferGraph runs the rules over g's nodes in order. The main graph
// (record set) gets what they find in its ValueInfo; a subgraph (If's
// branches, Loop's and Scan's bodies, checked where its node stands, with
// the enclosing graphs' values in scope) is only checked, never changed.
func inferGraph(m *graph.Model, g *graph.Graph, c *InferContext, sc *typeScope, record bool) error {
	info := sc.info
	for name, vi := range g.ValueInfo {
		vi.Name = name
		info[name] = vi
	}
	overridable := map[string]graph.ValueInfo{}
	for _, vi := range g.OverridableInits {
		overridable[vi.Name] = vi
	}
	for name, t := range g.Initializers {
		if t == nil {
			return fmt.Errorf("initializer %s is nil", name)
		}
		if vi, ok := overridable[name]; ok && RankKnown(vi) {
			// Callers may feed another value of the declared shape.
			info[name] = vi
			continue
		}
		info[name] = graph.TensorInfo(name, t)
		c.SetConst(name, t)
	}
	for _, vi := range g.Inputs {
		info[vi.Name] = vi
	}
	order, err := g.Order()
	if err != nil {
		return err
	}
	for _, n := range order {
		opset, ok := ImportedVersion(m, n.Domain)
		if n.Domain == FusedDomain {
			opset, ok = 1, true
		}
		if !ok {
			continue
		}
		op, err := Lookup(n.Domain, n.OpType, opset)
		if err != nil {
			continue // an operator we do not know: its outputs stay unknown
		}
		in := make([]graph.ValueInfo, len(n.Inputs))
		for i, name := range n.Inputs {
			if name != "" {
				in[i], _ = sc.get(name)
			}
			in[i].Name = name
		}
		if err := checkTypes(op, n, in); err != nil {
			return nameNode(n, err)
		}
		if op.Infer != nil {
			c.opset = opset
			outs, err := op.Infer(c, n, in)
			if err != nil {
				return nameNode(n, err)
			}
			if err := recordOutputs(g, n, outs, info, record); err != nil {
				return err
			}
		}
		if n.HasSubgraph() {
			for _, name := range n.AttrOrderOrSorted() {
				a := n.Attrs[name]
				if a == nil {
					continue
				}
				subs := a.Graphs
				if a.G != nil {
					subs = append([]*graph.Graph{a.G}, subs...)
				}
				for _, sub := range subs {
					if sub == nil {
						continue
					}
					local := definedNames(sub)
					child := &InferContext{consts: map[string]*ops.Tensor{}, sym: map[string][]SymInt{}, parent: c, local: local}
					scope := &typeScope{info: map[string]graph.ValueInfo{}, parent: sc, local: local}
					if err := inferGraph(m, sub, child, scope, false); err != nil {
						return fmt.Errorf("node %s: subgraph %s: %w", n.Label(), name, err)
					}
				}
			}
		}
	}
	return nil
}

// recordOutputs merges what a rule found about n's outputs into info (and,
// when record is set, into g.ValueInfo).
func recordOutputs(g *graph.Graph, n *graph.Node, outs []graph.ValueInfo, info map[string]graph.ValueInfo, record bool) error {
	for i, vi := range outs {
		if i >= len(n.Outputs) || n.Outputs[i] == "" {
			continue
		}
		if vi.DType == ops.Invalid && !RankKnown(vi) && vi.TypeRaw == nil {
			continue
		}
		name := n.Outputs[i]
		vi.Name = name
		if vi.TypeRaw != nil {
			// A sequence, optional or map: its type is all there is.
			vi.DType, vi.Shape, vi.HasShape, vi.ElemTypeCode = ops.Invalid, nil, false, 0
		} else if vi.HasShape = RankKnown(vi); vi.HasShape && vi.Shape == nil {
			vi.Shape = graph.Shape{}
		}
		if old, ok := info[name]; ok {
			merged, err := mergeInfo(old, vi)
			if err != nil {
				return fmt.Errorf("node %s: output %s: %w", n.Label(), name, err)
			}
			vi = merged
		}
		if vi.DType != ops.Invalid {
			vi.ElemTypeCode = graph.ElemTypeOf(vi.DType)
		}
		info[name] = vi
		// ONNX requires an elem_type in value_info: values of a type
		// latent cannot name stay out of it.
		if record && (vi.ElemTypeCode != 0 || vi.TypeRaw != nil) {
			g.ValueInfo[name] = vi
		}
	}
	return nil
}

// nameNode prefixes err with the node's label unless it already names it
// (the kernels' shared helpers do).
func nameNode(n *graph.Node, err error) error {
	if strings.Contains(err.Error(), n.Label()) {
		return err
	}
	return fmt.Errorf("node %s: %w", n.Label(), err)
}

// checkTypes checks the known input element types against op.Inputs,
// and that an operator with only a tensor kernel gets no sequence,
// optional or map.
func checkTypes(op *Op, n *graph.Node, in []graph.ValueInfo) error {
	if op.Build != nil && op.BuildValues == nil && !op.Subgraphs {
		for i, v := range in {
			if v.Name == "" || v.TypeRaw == nil {
				continue
			}
			if kind, err := graph.DeclaredKind(v); err == nil && kind != graph.TensorValue {
				return fmt.Errorf("input %d (%s) is %s; %s takes tensors", i, v.Name, graph.TypeString(v), n.OpType)
			}
		}
	}
	if len(op.Inputs) == 0 {
		return nil
	}
	for i, v := range in {
		if v.Name == "" || v.DType == ops.Invalid {
			continue
		}
		set := op.Inputs[min(i, len(op.Inputs)-1)]
		if set != nil && !set.Has(v.DType) {
			return fmt.Errorf("input %d (%s) is %v; %s accepts %s", i, v.Name, v.DType, n.OpType, set)
		}
	}
	return nil
}

// RankKnown reports whether v's rank is known.
func RankKnown(v graph.ValueInfo) bool { return v.HasShape || v.Shape != nil }

// mergeInfo combines what the file declared about a value with what
// inference found; known sizes that disagree are an error.
func mergeInfo(old, inf graph.ValueInfo) (graph.ValueInfo, error) {
	if old.TypeRaw != nil || inf.TypeRaw != nil {
		declared := old.TypeRaw != nil || old.DType != ops.Invalid
		if declared && !graph.SameType(old, inf) {
			return inf, fmt.Errorf("declared type %s, inferred %s", graph.TypeString(old), graph.TypeString(inf))
		}
		if old.TypeRaw != nil {
			return old, nil
		}
		return inf, nil
	}
	out := inf
	if out.DType == ops.Invalid {
		out.DType, out.ElemTypeCode, out.TypeRaw = old.DType, old.ElemTypeCode, old.TypeRaw
	} else if old.DType != ops.Invalid && old.DType != inf.DType {
		return out, fmt.Errorf("declared type %v, inferred %v", old.DType, inf.DType)
	}
	switch {
	case !RankKnown(old):
	case !RankKnown(inf):
		out.Shape, out.HasShape = old.Shape, true
	case len(old.Shape) != len(inf.Shape):
		return out, fmt.Errorf("declared shape %s, inferred %s", old.Shape, inf.Shape)
	default:
		s := make(graph.Shape, len(inf.Shape))
		for i := range s {
			d, err := MergeDim(inf.Shape[i], old.Shape[i])
			if err != nil {
				return out, fmt.Errorf("declared shape %s, inferred %s", old.Shape, inf.Shape)
			}
			s[i] = d
		}
		out.Shape = s
	}
	if out.DocString == "" {
		out.DocString = old.DocString
	}
	return out, nil
}
