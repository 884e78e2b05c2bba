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

// tkView returns a tensor sharing t's data with another shape.
func tkView(t *ops.Tensor, shape []int) *ops.Tensor {
	return &ops.Tensor{DType: t.DType, Shape: shape, Data: t.Data}
}

// tkInput returns input i, or an error naming the node and the input when
// it is missing.
func tkInput(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("node %s: missing input %d (%s)", n.Label(), i, name)
	}
	return in[i], nil
}

// tkOptInput returns input i or nil when it is omitted.
func tkOptInput(in []*ops.Tensor, i int) *ops.Tensor {
	if i >= len(in) {
		return nil
	}
	return in[i]
}

// tkShapeOf converts a shape given as integers (an attribute or an input)
// to dims, checking each entry and the element count.
func tkShapeOf(n *graph.Node, spec []int64) ([]int, error) {
	shape := make([]int, len(spec))
	for i, v := range spec {
		d, err := tkDim(n, v, "shape entry")
		if err != nil {
			return nil, err
		}
		shape[i] = d
	}
	if err := tkCheckSize(n, "output", shape); err != nil {
		return nil, err
	}
	return shape, nil
}

// tkDTypeAttr reads the optional dtype attribute (an ONNX element type
// code); ops.Invalid when it is absent.
func tkDTypeAttr(n *graph.Node) (ops.DType, error) {
	if !n.Has("dtype") {
		return ops.Invalid, nil
	}
	code, err := n.Int("dtype", 0)
	if err != nil {
		return ops.Invalid, err
	}
	dt := graph.DTypeFromElemType(int32(code))
	if dt == ops.Invalid {
		return ops.Invalid, fmt.Errorf("node %s: dtype %d is not a type latent computes with", n.Label(), code)
	}
	return dt, nil
}

// tkInt64List is tkInts for the inputs the spec types as int64 only
// (shapes, axes, repeats): another type is an error naming the input.
func tkInt64List(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	if t.DType != ops.Int64 {
		return nil, fmt.Errorf("node %s: input %s must be int64, got %v", n.Label(), name, t.DType)
	}
	return tkInts(n, t, name)
}

// tkInts reads a 1-D (or scalar) int64/int32 tensor used as a list of
// integers (shapes, axes, starts …).
func tkInts(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("node %s: input %s must be 1-D, got shape %s", n.Label(), name, ops.ShapeString(t.Shape))
	}
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("node %s: input %s must be int64 or int32, got %v", n.Label(), name, t.DType)
}

// tkAxis normalises an axis for a rank-r tensor: valid range [-r, r-1]
// (or [-r, r] when inclusive), negative values only from opset negSince on.
//
// The operators of this package's shape files pass negSince 0, accepting
// negative axes at every opset as ONNX Runtime does (older exporters such
// as PyTorch at opset 6 emit them); only Flatten keeps the spec's opset-11
// rule.
func tkAxis(n *graph.Node, what string, axis int64, r int, inclusive bool, opset, negSince int64) (int, error) {
	hi := int64(r) - 1
	if inclusive {
		hi++
	}
	lo := -int64(r)
	if opset < negSince {
		lo = 0
	}
	if axis < lo || axis > hi {
		return 0, fmt.Errorf("node %s: %s %d out of range [%d, %d] for rank %d (opset %d)", n.Label(), what, axis, lo, hi, r, opset)
	}
	if axis < 0 {
		axis += int64(r)
	}
	return int(axis), nil
}

// tkAxes normalises a list of distinct axes.
func tkAxes(n *graph.Node, axes []int64, r int, opset, negSince int64) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, r)
	for i, a := range axes {
		v, err := tkAxis(n, "axis", a, r, false, opset, negSince)
		if err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, fmt.Errorf("node %s: axis %d repeated in axes %v", n.Label(), a, axes)
		}
		seen[v] = true
		out[i] = v
	}
	return out, nil
}

// tkMaxElements bounds the element count of a tensor a kernel creates from
// a shape it was given as data (ConstantOfShape, Expand, Tile, OneHot,
// RandomNormal …), so a bad shape is an error rather than a fatal
// out-of-memory crash: 2^31 elements, 8 GiB of float32.
const tkMaxElements = 1 << 31

// tkCheckSize returns an error when shape holds more than tkMaxElements
// elements (checked without overflow).
func tkCheckSize(n *graph.Node, what string, shape []int) error {
	total := 1
	for _, d := range shape {
		if d == 0 {
			return nil
		}
	}
	for _, d := range shape {
		if d > tkMaxElements/total {
			return fmt.Errorf("node %s: %s shape %s has too many elements", n.Label(), what, ops.ShapeString(shape))
		}
		total *= d
	}
	return nil
}

func tkDim(n *graph.Node, v int64, what string) (int, error) {
	if v < 0 || v > math.MaxInt32*int64(1<<16) {
		return 0, fmt.Errorf("node %s: %s %d is not a valid dimension", n.Label(), what, v)
	}
	return int(v), nil
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
		ins, err := tkInputs(n, in, "data", "shape")
		if err != nil {
			return nil, err
		}
		x, st := ins[0], ins[1]
		spec, err := tkInt64List(n, st, "shape")
		if err != nil {
			return nil, err
		}
		shape, err := ReshapeShape(x.Shape, spec, allowZero != 0)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{tkView(x, shape)}, nil
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
		if out[i] > 0 && known > tkMaxElements/out[i] {
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
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := tkAxis(n, "axis", axis, len(x.Shape), true, opset, 11)
		if err != nil {
			return nil, err
		}
		shape := []int{ops.NumElements(x.Shape[:a]), ops.NumElements(x.Shape[a:])}
		return []*ops.Tensor{tkView(x, shape)}, nil
	}, nil
}

// tkAxesSource returns a node's axes: the attribute before opset 13, the
// optional second input from 13 on. ok is false when none are given.
func tkAxesSource(n *graph.Node, opset int64, in []*ops.Tensor, attr []int64) (axes []int64, ok bool, err error) {
	if opset < 13 {
		return attr, attr != nil, nil
	}
	t := tkOptInput(in, 1)
	if t == nil {
		return nil, false, nil
	}
	axes, err = tkInt64List(n, t, "axes")
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
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := tkAxesSource(n, opset, in, attr)
		if err != nil {
			return nil, err
		}
		drop := make([]bool, len(x.Shape))
		if given {
			as, err := tkAxes(n, axes, len(x.Shape), opset, 0)
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
		return []*ops.Tensor{tkView(x, shape)}, nil
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
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := tkAxesSource(n, opset, in, attr)
		if err != nil {
			return nil, err
		}
		if !given {
			return nil, fmt.Errorf("node %s: missing input 1 (axes)", n.Label())
		}
		r := len(x.Shape) + len(axes)
		as, err := tkAxes(n, axes, r, opset, 0)
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
		return []*ops.Tensor{tkView(x, shape)}, nil
	}, nil
}

func buildIdentity(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		return []*ops.Tensor{tkView(x, append([]int(nil), x.Shape...))}, nil
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
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		r := int64(len(x.Shape))
		s, e := tkClampIndex(start, r), tkClampIndex(end, r)
		cnt := max(e-s, 0)
		out := env.New(ops.Int64, int(cnt))
		d := out.I64()
		for i := range d {
			d[i] = int64(x.Shape[s+int64(i)])
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkClampIndex adds r to a negative index and clamps it to [0, r].
func tkClampIndex(i, r int64) int64 {
	if i < 0 {
		i += r
	}
	return min(max(i, 0), r)
}

func buildSize(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		out := env.New(ops.Int64)
		out.I64()[0] = int64(x.Len())
		return []*ops.Tensor{out}, nil
	}, nil
}

// tkInputs returns the first len(names) inputs, all required; names[i]
// names input i in the error when it is missing.
func tkInputs(n *graph.Node, in []*ops.Tensor, names ...string) ([]*ops.Tensor, error) {
	for i, name := range names {
		if _, err := tkInput(n, in, i, name); err != nil {
			return nil, err
		}
	}
	return in[:len(names)], nil
}
