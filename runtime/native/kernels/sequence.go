package kernels

// Sequence and optional operators: SequenceEmpty, SequenceConstruct,
// SequenceAt, SequenceInsert, SequenceErase, SequenceLength,
// SplitToSequence, ConcatFromSequence, Optional, OptionalHasElement and
// OptionalGetElement. They run as value kernels (operators.ValueKernel)
// over graph.Value: sequences are immutable, so an operator that makes a
// sequence from another shares its element tensors instead of copying
// them. SequenceMap runs a subgraph and lives with the other control flow
// in runtime/native.

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	reg := func(t string, infer operators.Rule, build operators.ValueBuilder, since ...int64) {
		operators.Register(operators.Op{Type: t, Infer: infer, BuildValues: build}, since...)
	}
	reg("SequenceEmpty", inferSequenceEmpty, buildSequenceEmpty, 11)
	reg("SequenceConstruct", inferSequenceConstruct, buildSequenceConstruct, 11)
	reg("SequenceAt", inferSequenceAt, buildSequenceAt, 11)
	reg("SequenceInsert", inferSequenceInsert, buildSequenceInsert, 11)
	reg("SequenceErase", inferSequenceErase, buildSequenceErase, 11)
	reg("SequenceLength", inferSequenceLength, buildSequenceLength, 11)
	reg("SplitToSequence", inferSplitToSequence, buildSplitToSequence, 11, 24)
	reg("ConcatFromSequence", inferConcatFromSequence, buildConcatFromSequence, 11)
	reg("Optional", inferOptional, buildOptional, 15, 28)
	reg("OptionalHasElement", inferOptionalHasElement, buildOptionalHasElement, 15, 18, 28)
	reg("OptionalGetElement", inferOptionalGetElement, buildOptionalGetElement, 15, 18, 28)
}

// --- reading values ---

// sequenceInput returns input i, which must be a sequence.
func sequenceInput(n *graph.Node, in []*graph.Value, i int, name string) (*graph.Value, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("node %s: missing input %d (%s)", n.Label(), i, name)
	}
	if in[i].Kind != graph.SequenceValue {
		return nil, fmt.Errorf("node %s: input %s is a %s, want a sequence", n.Label(), name, in[i].Kind)
	}
	return in[i], nil
}

// tensorValue returns input i, which must be a tensor (nil when omitted
// and not required).
func tensorValue(n *graph.Node, in []*graph.Value, i int, name string, required bool) (*ops.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		if required {
			return nil, fmt.Errorf("node %s: missing input %d (%s)", n.Label(), i, name)
		}
		return nil, nil
	}
	if in[i].Kind != graph.TensorValue {
		return nil, fmt.Errorf("node %s: input %s is a %s, want a tensor", n.Label(), name, in[i].Kind)
	}
	if err := in[i].Tensor.Validate(); err != nil {
		return nil, fmt.Errorf("node %s: input %s: %w", n.Label(), name, err)
	}
	return in[i].Tensor, nil
}

// positionInput reads a sequence position: a one-element int32 or int64
// tensor, in [-size, size) (or [-size, size] when end is allowed, as
// SequenceInsert's), returned as an index in [0, size].
func positionInput(n *graph.Node, t *ops.Tensor, size int, end bool) (int, error) {
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("node %s: position must be a scalar, got %v", n.Label(), t)
	}
	var p int64
	switch d := t.Data.(type) {
	case []int64:
		p = d[0]
	case []int32:
		p = int64(d[0])
	default:
		return 0, fmt.Errorf("node %s: position must be int32 or int64, got %v", n.Label(), t.DType)
	}
	hi := int64(size)
	if !end {
		hi--
	}
	if p < -int64(size) || p > hi {
		if end {
			return 0, fmt.Errorf("node %s: position %d is out of range [%d, %d] for a sequence of %d elements", n.Label(), p, -size, size, size)
		}
		return 0, fmt.Errorf("node %s: position %d is out of range [%d, %d] for a sequence of %d elements", n.Label(), p, -size, size-1, size)
	}
	if p < 0 {
		p += int64(size)
	}
	return int(p), nil
}

// checkElem checks that tensor t may go into sequence s.
func checkElem(n *graph.Node, s *graph.Value, t *ops.Tensor) error {
	if s.DType != ops.Invalid && t.DType != s.DType {
		return fmt.Errorf("node %s: a %v tensor cannot go into a sequence of %v", n.Label(), t.DType, s.DType)
	}
	for i, e := range s.Elems {
		if e.Kind != graph.TensorValue {
			return fmt.Errorf("node %s: element %d of the sequence is a %s, not a tensor", n.Label(), i, e.Kind)
		}
	}
	return nil
}

func values(vs ...*graph.Value) []*graph.Value { return vs }

// --- kernels ---

func buildSequenceEmpty(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	if dt == ops.Invalid {
		dt = ops.Float32 // the default
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		return values(graph.SequenceOf(dt)), nil
	}, nil
}

func buildSequenceConstruct(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	if len(n.Inputs) == 0 {
		return nil, fmt.Errorf("node %s: SequenceConstruct needs at least one input", n.Label())
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		elems := make([]*graph.Value, len(in))
		for i := range in {
			t, err := tensorValue(n, in, i, fmt.Sprintf("inputs[%d]", i), true)
			if err != nil {
				return nil, err
			}
			if t.DType != elems0DType(elems, t) {
				return nil, fmt.Errorf("node %s: input %d is %v, input 0 %v: a sequence holds one element type", n.Label(), i, t.DType, elems[0].Tensor.DType)
			}
			elems[i] = graph.TensorOf(t)
		}
		return values(graph.SequenceOf(elems[0].Tensor.DType, elems...)), nil
	}, nil
}

// elems0DType is the element type of the first element set, or t's.
func elems0DType(elems []*graph.Value, t *ops.Tensor) ops.DType {
	if elems[0] != nil {
		return elems[0].Tensor.DType
	}
	return t.DType
}

func buildSequenceAt(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		s, err := sequenceInput(n, in, 0, "input_sequence")
		if err != nil {
			return nil, err
		}
		pt, err := tensorValue(n, in, 1, "position", true)
		if err != nil {
			return nil, err
		}
		p, err := positionInput(n, pt, len(s.Elems), false)
		if err != nil {
			return nil, err
		}
		return values(s.Elems[p]), nil
	}, nil
}

func buildSequenceInsert(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		s, err := sequenceInput(n, in, 0, "input_sequence")
		if err != nil {
			return nil, err
		}
		t, err := tensorValue(n, in, 1, "tensor", true)
		if err != nil {
			return nil, err
		}
		if err := checkElem(n, s, t); err != nil {
			return nil, err
		}
		p := len(s.Elems)
		if pt, err := tensorValue(n, in, 2, "position", false); err != nil {
			return nil, err
		} else if pt != nil {
			if p, err = positionInput(n, pt, len(s.Elems), true); err != nil {
				return nil, err
			}
		}
		elems := make([]*graph.Value, 0, len(s.Elems)+1)
		elems = append(append(append(elems, s.Elems[:p]...), graph.TensorOf(t)), s.Elems[p:]...)
		return values(graph.SequenceOf(t.DType, elems...)), nil
	}, nil
}

func buildSequenceErase(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		s, err := sequenceInput(n, in, 0, "input_sequence")
		if err != nil {
			return nil, err
		}
		if len(s.Elems) == 0 {
			return nil, fmt.Errorf("node %s: cannot erase from an empty sequence", n.Label())
		}
		p := len(s.Elems) - 1
		if pt, err := tensorValue(n, in, 1, "position", false); err != nil {
			return nil, err
		} else if pt != nil {
			if p, err = positionInput(n, pt, len(s.Elems), false); err != nil {
				return nil, err
			}
		}
		elems := make([]*graph.Value, 0, len(s.Elems)-1)
		elems = append(append(elems, s.Elems[:p]...), s.Elems[p+1:]...)
		return values(graph.SequenceOf(s.DType, elems...)), nil
	}, nil
}

func buildSequenceLength(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		s, err := sequenceInput(n, in, 0, "input_sequence")
		if err != nil {
			return nil, err
		}
		out := env.New(ops.Int64)
		out.I64()[0] = int64(len(s.Elems))
		return values(graph.TensorOf(out)), nil
	}, nil
}

func buildSplitToSequence(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		x, err := tensorValue(n, in, 0, "input", true)
		if err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("node %s: cannot split a scalar", n.Label())
		}
		a, err := resolveAxis(n, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		dim := x.Shape[a]
		var sizes []int
		squeeze := false
		split, err := tensorValue(n, in, 1, "split", false)
		if err != nil {
			return nil, err
		}
		switch {
		case split == nil:
			sizes = make([]int, dim)
			for i := range sizes {
				sizes[i] = 1
			}
			squeeze = keep == 0
		case split.Rank() == 0:
			chunk, err := intListInput(n, split, "split")
			if err != nil {
				return nil, err
			}
			if chunk[0] <= 0 {
				return nil, fmt.Errorf("node %s: split %d must be positive", n.Label(), chunk[0])
			}
			c := int(min(chunk[0], int64(max(dim, 1))))
			for left := dim; left > 0; left -= c {
				sizes = append(sizes, min(c, left))
			}
		default:
			list, err := intListInput(n, split, "split")
			if err != nil {
				return nil, err
			}
			total := int64(0)
			for _, v := range list {
				if v < 0 {
					return nil, fmt.Errorf("node %s: split sizes %v must not be negative", n.Label(), list)
				}
				total += v
				sizes = append(sizes, int(v))
			}
			if total != int64(dim) {
				return nil, fmt.Errorf("node %s: split sizes %v add up to %d, the axis has %d", n.Label(), list, total, dim)
			}
		}
		parts := make([]*ops.Tensor, len(sizes))
		for i, sz := range sizes {
			shape := append([]int(nil), x.Shape...)
			shape[a] = sz
			parts[i] = env.New(x.DType, shape...)
		}
		if len(parts) > 0 {
			if err := ops.SplitInto(parts, x, a); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
		}
		elems := make([]*graph.Value, len(parts))
		for i, t := range parts {
			if squeeze {
				t.Shape = append(t.Shape[:a:a], t.Shape[a+1:]...)
			}
			elems[i] = graph.TensorOf(t)
		}
		return values(graph.SequenceOf(x.DType, elems...)), nil
	}, nil
}

func buildConcatFromSequence(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	if !n.Has("axis") {
		return nil, fmt.Errorf("node %s: missing attribute axis", n.Label())
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	newAxis, err := n.Int("new_axis", 0)
	if err != nil {
		return nil, err
	}
	if newAxis != 0 && newAxis != 1 {
		return nil, fmt.Errorf("node %s: new_axis must be 0 or 1, got %d", n.Label(), newAxis)
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		s, err := sequenceInput(n, in, 0, "input_sequence")
		if err != nil {
			return nil, err
		}
		if len(s.Elems) == 0 {
			return nil, fmt.Errorf("node %s: cannot concatenate an empty sequence", n.Label())
		}
		parts := make([]*ops.Tensor, len(s.Elems))
		for i, e := range s.Elems {
			if e.Kind != graph.TensorValue {
				return nil, fmt.Errorf("node %s: element %d is a %s, not a tensor", n.Label(), i, e.Kind)
			}
			parts[i] = e.Tensor
			if parts[i].DType != parts[0].DType {
				return nil, fmt.Errorf("node %s: element %d is %v, element 0 %v", n.Label(), i, parts[i].DType, parts[0].DType)
			}
		}
		r := parts[0].Rank()
		if newAxis == 1 {
			a, err := resolveAxis(n, axis, r+1)
			if err != nil {
				return nil, err
			}
			// Stack: every element gets a new axis of size 1 at a.
			first := parts[0].Shape
			for i, p := range parts {
				if !ops.SameShape(p.Shape, first) {
					return nil, fmt.Errorf("node %s: element %d has shape %s, element 0 %s: stacking needs equal shapes", n.Label(), i, ops.ShapeString(p.Shape), ops.ShapeString(first))
				}
				parts[i] = viewAs(p, append(append(append([]int(nil), p.Shape[:a]...), 1), p.Shape[a:]...))
			}
			axis = int64(a)
			r++
		}
		if r == 0 {
			return nil, fmt.Errorf("node %s: cannot concatenate scalars without new_axis", n.Label())
		}
		a, err := resolveAxis(n, axis, r)
		if err != nil {
			return nil, err
		}
		shapes := make([][]int, len(parts))
		for i, p := range parts {
			shapes[i] = p.Shape
		}
		shape, err := ops.ConcatShape(a, shapes...)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		out := env.New(parts[0].DType, shape...)
		if err := ops.ConcatInto(out, parts, a); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return values(graph.TensorOf(out)), nil
	}, nil
}

func buildOptional(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	hasInput := len(n.Inputs) > 0 && n.Inputs[0] != ""
	if !hasInput {
		if _, ok, err := n.TypeAttr("type"); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("node %s: an Optional without input needs the type attribute", n.Label())
		}
	}
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		if !hasInput {
			return values(graph.OptionalOf(nil)), nil
		}
		if in[0] == nil {
			return nil, fmt.Errorf("node %s: missing input", n.Label())
		}
		if in[0].Kind == graph.OptionalValue {
			return nil, fmt.Errorf("node %s: input is an optional; optionals of optionals are not allowed", n.Label())
		}
		return values(graph.OptionalOf(in[0])), nil
	}, nil
}

func buildOptionalHasElement(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		out := env.New(ops.Bool)
		var v *graph.Value
		if len(in) > 0 {
			v = in[0]
		}
		switch {
		case v == nil:
			if opset < 18 {
				return nil, fmt.Errorf("node %s: missing input (an empty input is allowed from opset 18)", n.Label())
			}
			out.B()[0] = false
		case v.Kind == graph.OptionalValue:
			out.B()[0] = v.Elem != nil
		case opset < 18:
			return nil, fmt.Errorf("node %s: input is a %s; OptionalHasElement takes an optional before opset 18", n.Label(), v.Kind)
		default:
			out.B()[0] = true // a tensor or sequence is present
		}
		return values(graph.TensorOf(out)), nil
	}, nil
}

func buildOptionalGetElement(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		if len(in) == 0 || in[0] == nil {
			return nil, fmt.Errorf("node %s: missing input", n.Label())
		}
		v := in[0]
		switch {
		case v.Kind == graph.OptionalValue:
			if v.Elem == nil {
				return nil, fmt.Errorf("node %s: the optional is empty", n.Label())
			}
			return values(v.Elem), nil
		case opset < 18:
			return nil, fmt.Errorf("node %s: input is a %s; OptionalGetElement takes an optional before opset 18", n.Label(), v.Kind)
		}
		return values(v), nil
	}, nil
}

// buildIdentityValues is Identity on a sequence, optional or map: the
// value itself (values are immutable).
func buildIdentityValues(n *graph.Node, opset int64) (operators.ValueKernel, error) {
	return func(env *operators.Env, in []*graph.Value) ([]*graph.Value, error) {
		if len(in) == 0 || in[0] == nil {
			return nil, fmt.Errorf("node %s: missing input", n.Label())
		}
		return values(in[0]), nil
	}, nil
}

// --- rules ---

// elementOf returns the element type of the sequence vi declares; ok is
// false when vi is not known to be a sequence. A tensor type is an error.
func elementOf(vi graph.ValueInfo, what string) (graph.ValueInfo, bool, error) {
	if vi.TypeRaw == nil {
		if vi.DType != ops.Invalid {
			return graph.ValueInfo{}, false, fmt.Errorf("%s (%s) is %s, want a sequence", what, vi.Name, graph.TypeString(vi))
		}
		return graph.ValueInfo{}, false, nil
	}
	kind, err := graph.DeclaredKind(vi)
	if err != nil {
		return graph.ValueInfo{}, false, err
	}
	if kind != graph.SequenceValue {
		return graph.ValueInfo{}, false, fmt.Errorf("%s (%s) is %s, want a sequence", what, vi.Name, graph.TypeString(vi))
	}
	e, ok := graph.ElementInfo(vi)
	return e, ok, nil
}

// tensorOf checks that vi, when declared, is a tensor.
func tensorOf(vi graph.ValueInfo, what string) error {
	if vi.TypeRaw != nil {
		if kind, err := graph.DeclaredKind(vi); err != nil || kind != graph.TensorValue {
			return fmt.Errorf("%s (%s) is %s, want a tensor", what, vi.Name, graph.TypeString(vi))
		}
	}
	return nil
}

// seqOfType is the type seq(tensor(dt)).
func seqOfType(dt ops.DType) graph.ValueInfo {
	return graph.SequenceInfo("", graph.ValueInfo{DType: dt})
}

func inferSequenceEmpty(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	if dt == ops.Invalid {
		dt = ops.Float32
	}
	return one(seqOfType(dt)), nil
}

func inferSequenceConstruct(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) == 0 {
		return nil, errors.New("SequenceConstruct needs at least one input")
	}
	dt := ops.Invalid
	for i, v := range in {
		if err := tensorOf(v, fmt.Sprintf("input %d", i)); err != nil {
			return nil, err
		}
		if v.DType == ops.Invalid {
			continue
		}
		if dt != ops.Invalid && v.DType != dt {
			return nil, fmt.Errorf("input %d (%s) is %v, an earlier input %v: a sequence holds one element type", i, v.Name, v.DType, dt)
		}
		dt = v.DType
	}
	return one(seqOfType(dt)), nil
}

func inferSequenceAt(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	e, ok, err := elementOf(in[0], "input 0")
	if err != nil || !ok {
		return nil, err
	}
	return one(e), nil
}

func inferSequenceInsert(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	if err := tensorOf(in[1], "input 1"); err != nil {
		return nil, err
	}
	e, ok, err := elementOf(in[0], "input 0")
	if err != nil {
		return nil, err
	}
	if ok && e.DType != ops.Invalid && in[1].DType != ops.Invalid && e.DType != in[1].DType {
		return nil, fmt.Errorf("input 1 (%s) is %v; the sequence holds %v", in[1].Name, in[1].DType, e.DType)
	}
	dt := in[1].DType
	if ok && dt == ops.Invalid {
		dt = e.DType
	}
	return one(seqOfType(dt)), nil
}

func inferSequenceErase(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if _, _, err := elementOf(in[0], "input 0"); err != nil {
		return nil, err
	}
	if in[0].TypeRaw == nil {
		return nil, nil
	}
	return one(in[0]), nil
}

func inferSequenceLength(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if _, _, err := elementOf(in[0], "input 0"); err != nil {
		return nil, err
	}
	return one(graph.ValueInfo{DType: ops.Int64, Shape: graph.Shape{}, HasShape: true}), nil
}

func inferSplitToSequence(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if err := tensorOf(in[0], "input 0"); err != nil {
		return nil, err
	}
	return one(seqOfType(in[0].DType)), nil
}

func inferConcatFromSequence(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if !n.Has("axis") {
		return nil, errors.New("missing attribute axis")
	}
	e, ok, err := elementOf(in[0], "input 0")
	if err != nil || !ok {
		return nil, err
	}
	out := graph.ValueInfo{DType: e.DType}
	if operators.RankKnown(e) {
		newAxis, err := n.Int("new_axis", 0)
		if err != nil {
			return nil, err
		}
		out = rankOnly(e.DType, int64(len(e.Shape))+newAxis)
	}
	return one(out), nil
}

func inferOptional(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) > 0 && in[0].Name != "" {
		if kind, err := graph.DeclaredKind(in[0]); err == nil && kind == graph.OptionalValue {
			return nil, fmt.Errorf("input 0 (%s) is %s; optionals of optionals are not allowed", in[0].Name, graph.TypeString(in[0]))
		}
		return one(graph.OptionalInfo("", in[0])), nil
	}
	t, ok, err := n.TypeAttr("type")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("an Optional without input needs the type attribute")
	}
	return one(graph.OptionalInfo("", t)), nil
}

func inferOptionalHasElement(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if c.Opset() < 18 {
		if err := needInputs(n, in, 1); err != nil {
			return nil, err
		}
		if err := optionalOf(in[0]); err != nil {
			return nil, err
		}
	}
	return one(graph.ValueInfo{DType: ops.Bool, Shape: graph.Shape{}, HasShape: true}), nil
}

func inferOptionalGetElement(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if c.Opset() < 18 {
		if err := optionalOf(in[0]); err != nil {
			return nil, err
		}
	}
	if kind, err := graph.DeclaredKind(in[0]); err == nil && kind == graph.OptionalValue {
		e, ok := graph.ElementInfo(in[0])
		if !ok {
			return nil, nil
		}
		return one(e), nil
	}
	return one(in[0]), nil
}

// optionalOf checks that vi, when its type is known, is an optional.
func optionalOf(vi graph.ValueInfo) error {
	if vi.TypeRaw == nil && vi.DType == ops.Invalid {
		return nil
	}
	if kind, err := graph.DeclaredKind(vi); err != nil || kind != graph.OptionalValue {
		return fmt.Errorf("input 0 (%s) is %s, want an optional (before opset 18)", vi.Name, graph.TypeString(vi))
	}
	return nil
}
