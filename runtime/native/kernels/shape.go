package kernels

// Shape-only operators: Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Shape and Size. All but Shape and Size return views of their input (same
// Data, new Shape).

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Reshape", Infer: inferReshape, Build: buildReshape}, 5, 13, 14, 19, 21)
	operators.Register(operators.Op{Type: "Flatten", Infer: inferFlatten, Build: buildFlatten}, 1, 9, 11, 13, 21)
	operators.Register(operators.Op{Type: "Squeeze", Infer: inferSqueeze, Build: buildSqueeze}, 1, 11, 13, 21)
	operators.Register(operators.Op{Type: "Unsqueeze", Infer: inferUnsqueeze, Build: buildUnsqueeze}, 1, 11, 13, 21)
	operators.Register(operators.Op{Type: "Identity", Infer: inferIdentity, Build: buildIdentity, BuildValues: buildIdentityValues}, 1, 13, 14, 16, 19, 21)
	operators.Register(operators.Op{Type: "Shape", Infer: inferShape, Build: buildShape}, 1, 13, 15, 19, 21)
	operators.Register(operators.Op{Type: "Size", Infer: inferSize, Build: buildSize}, 1, 13, 19, 21)
}

func buildReshape(n *graph.Node, opset int64) (operators.Kernel, error) {
	allowZero := int64(0)
	if opset >= 14 {
		var err error
		if allowZero, err = n.Int("allowzero", 0); err != nil {
			return nil, err
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "data", "shape")
		if err != nil {
			return nil, err
		}
		x, st := ins[0], ins[1]
		spec, err := int64ListInput(n, st, "shape")
		if err != nil {
			return nil, err
		}
		shape, err := ReshapeShape(x.Shape, spec, allowZero != 0)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{viewAs(x, shape)}, nil
	}, nil
}

// ReshapeShape resolves an ONNX Reshape shape spec against the input
// shape: -1 (at most once) is inferred from the element count, and 0 copies
// the input dimension at the same index unless allowZero is set, in which
// case it is a literal 0 (and then -1 may not appear).
func ReshapeShape(in []int, spec []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(spec))
	infer := -1
	known := 1
	hasZero := false
	for i, s := range spec {
		switch {
		case s == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("reshape %s to %v: more than one -1", ops.ShapeString(in), spec)
			}
			infer = i
			continue
		case s < -1:
			return nil, fmt.Errorf("reshape %s to %v: invalid dimension %d", ops.ShapeString(in), spec, s)
		case s == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("reshape %s to %v: 0 at index %d copies a dimension the input does not have", ops.ShapeString(in), spec, i)
			}
			out[i] = in[i]
		default:
			if s == 0 {
				hasZero = true
			}
			if s > math.MaxInt32*int64(1<<16) {
				return nil, fmt.Errorf("reshape %s to %v: dimension %d too large", ops.ShapeString(in), spec, s)
			}
			out[i] = int(s)
		}
		if out[i] > 0 && known > maxElements/out[i] {
			return nil, fmt.Errorf("reshape %s to %v: too many elements", ops.ShapeString(in), spec)
		}
		known *= out[i]
	}
	total := ops.NumElements(in)
	if infer >= 0 {
		if hasZero {
			return nil, fmt.Errorf("reshape %s to %v: allowzero forbids mixing 0 and -1", ops.ShapeString(in), spec)
		}
		if known == 0 {
			return nil, fmt.Errorf("reshape %s to %v: cannot infer -1 next to a zero dimension", ops.ShapeString(in), spec)
		}
		if total%known != 0 {
			return nil, fmt.Errorf("reshape %s (%d elements) to %v: %d is not a multiple of %d", ops.ShapeString(in), total, spec, total, known)
		}
		out[infer] = total / known
		known = total
	}
	if known != total {
		return nil, fmt.Errorf("reshape %s (%d elements) to %v (%s, %d elements): element counts differ", ops.ShapeString(in), total, spec, ops.ShapeString(out), known)
	}
	return out, nil
}

func buildFlatten(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if err := checkNegativeAxis(n, axis, opset, 11); err != nil {
			return nil, err
		}
		// Flatten's axis lies in [-r, r]: r puts every dim in the first.
		r := int64(len(x.Shape))
		if axis < -r || axis > r {
			return nil, fmt.Errorf("node %s: axis %d out of range [%d, %d] for rank %d", n.Label(), axis, -r, r, r)
		}
		a := int(axis)
		if axis < 0 {
			a += int(r)
		}
		shape := []int{ops.NumElements(x.Shape[:a]), ops.NumElements(x.Shape[a:])}
		return []*ops.Tensor{viewAs(x, shape)}, nil
	}, nil
}

// nodeAxes returns a node's axes: the attribute before opset 13, the
// optional second input from 13 on. ok is false when none are given.
func nodeAxes(n *graph.Node, opset int64, in []*ops.Tensor, attr []int64) (axes []int64, ok bool, err error) {
	if opset < 13 {
		return attr, attr != nil, nil
	}
	t := optionalInput(in, 1)
	if t == nil {
		return nil, false, nil
	}
	axes, err = int64ListInput(n, t, "axes")
	return axes, true, err
}

func buildSqueeze(n *graph.Node, opset int64) (operators.Kernel, error) {
	var attr []int64
	if opset < 13 {
		var err error
		if attr, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := nodeAxes(n, opset, in, attr)
		if err != nil {
			return nil, err
		}
		drop := make([]bool, len(x.Shape))
		if given {
			as, err := resolveAxes(n, axes, len(x.Shape))
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				if x.Shape[a] != 1 {
					return nil, fmt.Errorf("node %s: cannot squeeze axis %d of shape %s: size %d, not 1", n.Label(), a, ops.ShapeString(x.Shape), x.Shape[a])
				}
				drop[a] = true
			}
		} else {
			for a, d := range x.Shape {
				drop[a] = d == 1
			}
		}
		shape := []int{}
		for a, d := range x.Shape {
			if !drop[a] {
				shape = append(shape, d)
			}
		}
		return []*ops.Tensor{viewAs(x, shape)}, nil
	}, nil
}

func buildUnsqueeze(n *graph.Node, opset int64) (operators.Kernel, error) {
	var attr []int64
	if opset < 13 {
		var err error
		if attr, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
		if attr == nil {
			return nil, fmt.Errorf("node %s: Unsqueeze needs the axes attribute before opset 13", n.Label())
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := nodeAxes(n, opset, in, attr)
		if err != nil {
			return nil, err
		}
		if !given {
			return nil, fmt.Errorf("node %s: missing input 1 (axes)", n.Label())
		}
		r := len(x.Shape) + len(axes)
		as, err := resolveAxes(n, axes, r)
		if err != nil {
			return nil, err
		}
		shape := make([]int, r)
		for _, a := range as {
			shape[a] = -1
		}
		j := 0
		for a := range shape {
			if shape[a] == -1 {
				shape[a] = 1
			} else {
				shape[a] = x.Shape[j]
				j++
			}
		}
		return []*ops.Tensor{viewAs(x, shape)}, nil
	}, nil
}

func buildIdentity(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		return []*ops.Tensor{viewAs(x, append([]int(nil), x.Shape...))}, nil
	}, nil
}

func buildShape(n *graph.Node, opset int64) (operators.Kernel, error) {
	start, end := int64(0), int64(math.MaxInt64)
	if opset >= 15 {
		var err error
		if start, err = n.Int("start", 0); err != nil {
			return nil, err
		}
		if end, err = n.Int("end", math.MaxInt64); err != nil {
			return nil, err
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		r := int64(len(x.Shape))
		s, e := clampIndex(start, r), clampIndex(end, r)
		cnt := max(e-s, 0)
		out := env.New(ops.Int64, int(cnt))
		d := out.I64()
		for i := range d {
			d[i] = int64(x.Shape[s+int64(i)])
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildSize(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		out := env.New(ops.Int64)
		out.I64()[0] = int64(x.Len())
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferIdentity(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) > 0 && in[0].TypeRaw != nil {
		return one(in[0]), nil // a sequence or optional: the same type
	}
	out, err := inferSame(c, n, in)
	if err == nil && len(n.Outputs) > 0 {
		c.CopyValues(n.Inputs[0], n.Outputs[0])
	}
	return out, err
}

func inferReshape(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	vals, ok := c.Values(n.Inputs[1])
	if !ok {
		if r := in[1]; operators.RankKnown(r) && len(r.Shape) == 1 && r.Shape[0].Known() {
			return one(rankOnly(x.DType, r.Shape[0].Value)), nil
		}
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	allowZero, err := n.Int("allowzero", 0)
	if err != nil {
		return nil, err
	}
	out := make(graph.Shape, len(vals))
	infer := -1
	for i, v := range vals {
		switch {
		case v.Lit && v.Val == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %s has more than one -1", symString(vals))
			}
			infer = i
			out[i] = operators.UnknownDim
		case v.Lit && v.Val == 0 && allowZero == 0:
			if !operators.RankKnown(x) {
				out[i] = operators.UnknownDim
			} else if i >= len(x.Shape) {
				return nil, fmt.Errorf("shape %s copies axis %d with 0, but the input %s has rank %d", symString(vals), i, x.Shape, len(x.Shape))
			} else {
				out[i] = x.Shape[i]
			}
		case v.Lit && v.Val < 0:
			return nil, fmt.Errorf("shape %s has invalid dimension %d", symString(vals), v.Val)
		default:
			out[i] = v.Dim()
		}
	}
	if !operators.RankKnown(x) {
		return one(ranked(x.DType, out)), nil
	}
	// Cancel what input and output have in common; the rest decides -1
	// or, without -1, must agree.
	inKnown, inSyms, inUnknown := splitDims(x.Shape)
	outDims := make(graph.Shape, 0, len(out))
	for i, d := range out {
		if i != infer {
			outDims = append(outDims, d)
		}
	}
	outKnown, outSyms, outUnknown := splitDims(outDims)
	inSyms, outSyms = cancelSyms(inSyms, outSyms)
	if inUnknown || outUnknown {
		return one(ranked(x.DType, out)), nil
	}
	if infer >= 0 {
		switch {
		case len(outSyms) == 0 && len(inSyms) == 0:
			if outKnown == 0 {
				if inKnown != 0 {
					return nil, fmt.Errorf("cannot reshape %s to %s: -1 with a zero-sized dimension", x.Shape, symString(vals))
				}
			} else if inKnown%outKnown != 0 {
				return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s", x.Shape, inKnown, symString(vals))
			} else {
				out[infer] = operators.KnownDim(inKnown / outKnown)
			}
		case len(outSyms) == 0 && len(inSyms) == 1 && inKnown == outKnown:
			out[infer] = graph.Dim{Value: -1, Param: inSyms[0]}
		}
		return one(ranked(x.DType, out)), nil
	}
	if len(inSyms) == 0 && len(outSyms) == 0 && inKnown != outKnown {
		return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s (%d elements)", x.Shape, inKnown, out, outKnown)
	}
	return one(ranked(x.DType, out)), nil
}

func splitDims(s graph.Shape) (known int64, syms []string, unknown bool) {
	known = 1
	for _, d := range s {
		switch {
		case d.Known():
			known *= d.Value
		case d.Param != "":
			syms = append(syms, d.Param)
		default:
			unknown = true
		}
	}
	return known, syms, unknown
}

func cancelSyms(a, b []string) ([]string, []string) {
	b = append([]string(nil), b...)
	var ra []string
outer:
	for _, s := range a {
		for j, t := range b {
			if s == t {
				b = append(b[:j], b[j+1:]...)
				continue outer
			}
		}
		ra = append(ra, s)
	}
	return ra, b
}

func symString(v []operators.SymInt) string {
	s := make(graph.Shape, len(v))
	for i, x := range v {
		if x.Lit {
			s[i] = graph.Dim{Value: x.Val}
			if x.Val < 0 {
				s[i] = graph.Dim{Value: -1, Param: strconv.FormatInt(x.Val, 10)}
			}
		} else {
			s[i] = x.Dim()
		}
	}
	return s.String()
}

func inferFlatten(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := n.Int("axis", 1)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(x) {
		return one(ranked(x.DType, graph.Shape{operators.UnknownDim, operators.UnknownDim})), nil
	}
	r := int64(len(x.Shape))
	if axis < -r || axis > r {
		return nil, fmt.Errorf("axis %d is out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	return one(ranked(x.DType, graph.Shape{operators.ProductDim(x.Shape[:axis]), operators.ProductDim(x.Shape[axis:])})), nil
}

func inferSqueeze(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, given, ok, err := c.Axes(n, 1, 13)
	if err != nil {
		return nil, err
	}
	if !ok || !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	drop := make([]bool, r)
	if given {
		for _, a := range axes {
			k, err := resolveAxis(n, a, r)
			if err != nil {
				return nil, err
			}
			if d := x.Shape[k]; d.Known() && d.Value != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of %s: size %d", a, x.Shape, d.Value)
			}
			drop[k] = true
		}
	} else {
		for k, d := range x.Shape {
			if !d.Known() {
				return one(graph.ValueInfo{DType: x.DType}), nil
			}
			drop[k] = d.Value == 1
		}
	}
	out := graph.Shape{}
	for k, d := range x.Shape {
		if !drop[k] {
			out = append(out, d)
		}
	}
	if v, ok := c.Values(n.Inputs[0]); ok && len(n.Outputs) > 0 {
		c.SetValues(n.Outputs[0], v)
	}
	return one(ranked(x.DType, out)), nil
}

func inferUnsqueeze(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, given, ok, err := c.Axes(n, 1, 13)
	if err != nil {
		return nil, err
	}
	if ok && !given {
		return nil, errors.New("axes are required")
	}
	if !ok || !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		k, err := resolveAxis(n, a, r)
		if err != nil {
			return nil, err
		}
		if ins[k] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, k)
		}
		ins[k] = true
	}
	out := make(graph.Shape, 0, r)
	j := 0
	for k := 0; k < r; k++ {
		if ins[k] {
			out = append(out, operators.KnownDim(1))
		} else {
			out = append(out, x.Shape[j])
			j++
		}
	}
	if v, ok := c.Values(n.Inputs[0]); ok && len(n.Outputs) > 0 {
		c.SetValues(n.Outputs[0], v)
	}
	return one(ranked(x.DType, out)), nil
}

func inferShape(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(ranked(ops.Int64, graph.Shape{operators.UnknownDim})), nil
	}
	start, err := n.Int("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := n.Int("end", math.MaxInt64)
	if err != nil {
		return nil, err
	}
	r := int64(len(x.Shape))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	s, e := clamp(start), clamp(end)
	if e < s {
		e = s
	}
	vals := make([]operators.SymInt, 0, e-s)
	for _, d := range x.Shape[s:e] {
		vals = append(vals, operators.SymOfDim(d))
	}
	if len(n.Outputs) > 0 {
		c.SetValues(n.Outputs[0], vals)
	}
	return one(ranked(ops.Int64, graph.Shape{operators.KnownDim(e - s)})), nil
}

func inferSize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if x := in[0]; operators.RankKnown(x) && len(n.Outputs) > 0 {
		if p := operators.ProductDim(x.Shape); p.Known() || p.Param != "" {
			c.SetValues(n.Outputs[0], []operators.SymInt{operators.SymOfDim(p)})
		}
	}
	return one(ranked(ops.Int64, graph.Shape{})), nil
}
