package kernels

// Shape-only operators: Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Shape and Size. All but Shape and Size return views of their input (same
// Data, new Shape).

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{5, 13, 14, 19, 21} {
		operators.Register("", "Reshape", v, buildReshape)
	}
	for _, v := range []int64{1, 9, 11, 13, 21} {
		operators.Register("", "Flatten", v, buildFlatten)
	}
	for _, v := range []int64{1, 11, 13, 21} {
		operators.Register("", "Squeeze", v, buildSqueeze)
		operators.Register("", "Unsqueeze", v, buildUnsqueeze)
	}
	for _, v := range []int64{1, 13, 14, 16, 19, 21} {
		operators.Register("", "Identity", v, buildIdentity)
	}
	for _, v := range []int64{1, 13, 15, 19, 21} {
		operators.Register("", "Shape", v, buildShape)
	}
	for _, v := range []int64{1, 13, 19, 21} {
		operators.Register("", "Size", v, buildSize)
	}
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
