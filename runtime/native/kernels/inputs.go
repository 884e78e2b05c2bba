package kernels

// What kernels read and check: a node's inputs (present, well-formed,
// float), integer-list inputs and attributes, axes, shapes given as data,
// and float inputs of any float type viewed as float32 with their outputs
// converted back.

import (
	"fmt"
	"math"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// requiredInput returns input i, which must be present and well-formed, or
// an error naming the node and the input.
func requiredInput(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("node %s: missing input %d (%s)", n.Label(), i, name)
	}
	if err := in[i].Validate(); err != nil {
		return nil, fmt.Errorf("node %s: input %s: %w", n.Label(), name, err)
	}
	return in[i], nil
}

// optionalInput returns input i, or nil when it is omitted.
func optionalInput(in []*ops.Tensor, i int) *ops.Tensor {
	if i >= len(in) {
		return nil
	}
	return in[i]
}

// checkFloat checks that t is a float tensor (float32, float64 or float16).
func checkFloat(n *graph.Node, t *ops.Tensor, name string) error {
	if !t.DType.IsFloat() {
		return fmt.Errorf("node %s: input %s must be float32, float64 or float16, got %v", n.Label(), name, t.DType)
	}
	return nil
}

// floatInput returns input i, which must be present, well-formed and of a
// float type.
func floatInput(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	t, err := requiredInput(n, in, i, name)
	if err != nil {
		return nil, err
	}
	if err := checkFloat(n, t, name); err != nil {
		return nil, err
	}
	return t, nil
}

// checkAnyFloat checks that t is a float tensor of a type the newer
// operators admit: float32, float64, float16 or bfloat16.
func checkAnyFloat(n *graph.Node, t *ops.Tensor, name string) error {
	if !t.DType.IsFloat() && t.DType != ops.BFloat16 {
		return fmt.Errorf("node %s: input %s must be float32, float64, float16 or bfloat16, got %v", n.Label(), name, t.DType)
	}
	return nil
}

// anyFloatInput is floatInput admitting bfloat16 too (checkAnyFloat).
func anyFloatInput(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	t, err := requiredInput(n, in, i, name)
	if err != nil {
		return nil, err
	}
	if err := checkAnyFloat(n, t, name); err != nil {
		return nil, err
	}
	return t, nil
}

// float32s returns the elements of a float tensor as float32: float32 data is
// returned as-is (callers must not write it), other float types converted.
func float32s(t *ops.Tensor) []float32 {
	switch d := t.Data.(type) {
	case []float32:
		return d
	case []uint16:
		out := make([]float32, len(d))
		if t.DType == ops.BFloat16 {
			for i, v := range d {
				out[i] = ops.BFloat16ToFloat32(v)
			}
			return out
		}
		ops.Float16sToFloat32s(out, d)
		return out
	case []float64:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
		}
		return out
	}
	return nil
}

// float32Param reads a float parameter input of the same dtype family that
// must have exactly want elements.
func float32Param(n *graph.Node, t *ops.Tensor, name string, want int) ([]float32, error) {
	if err := checkFloat(n, t, name); err != nil {
		return nil, err
	}
	if t.Len() != want {
		return nil, fmt.Errorf("node %s: input %s must have %d elements, has shape %s", n.Label(), name, want, ops.ShapeString(t.Shape))
	}
	return float32s(t), nil
}

// floatOutput is a float output computed in float32: f is written by the kernel,
// and done converts it into the output dtype when that is not float32.
type floatOutput struct {
	t *ops.Tensor
	f []float32
}

func newFloatOutput(env *operators.Env, dt ops.DType, shape []int) floatOutput {
	t := env.New(dt, shape...)
	if dt == ops.Float32 {
		return floatOutput{t, t.F32()}
	}
	return floatOutput{t, scratchFloats(env, ops.NumElements(shape))}
}

func (o floatOutput) done() *ops.Tensor {
	switch d := o.t.Data.(type) {
	case []uint16:
		if o.t.DType == ops.BFloat16 {
			for i, v := range o.f {
				d[i] = ops.Float32ToBFloat16(v)
			}
			break
		}
		ops.Float32sToFloat16s(d, o.f)
	case []float64:
		for i, v := range o.f {
			d[i] = float64(v)
		}
	}
	return o.t
}

// enumChoice is one accepted value of a string-valued (enum) attribute.
type enumChoice[T any] struct {
	name string
	v    T
}

// enumAttr reads the string attribute attr (default def) and returns the
// value of the matching choice; an unknown string is an error naming the
// node and listing the accepted ones.
func enumAttr[T any](n *graph.Node, attr, def string, choices ...enumChoice[T]) (T, error) {
	var zero T
	s, err := n.String(attr, def)
	if err != nil {
		return zero, err
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		if c.name == s {
			return c.v, nil
		}
		names[i] = c.name
	}
	return zero, fmt.Errorf("node %s: unknown %s %q (want one of %s)", n.Label(), attr, s, strings.Join(names, ", "))
}

// viewAs returns a tensor sharing t's data with another shape.
func viewAs(t *ops.Tensor, shape []int) *ops.Tensor {
	return &ops.Tensor{DType: t.DType, Shape: shape, Data: t.Data}
}

// shapeFromInts converts a shape given as integers (an attribute or an input)
// to dims, checking each entry and the element count.
func shapeFromInts(n *graph.Node, spec []int64) ([]int, error) {
	shape := make([]int, len(spec))
	for i, v := range spec {
		d, err := checkedDim(n, v, "shape entry")
		if err != nil {
			return nil, err
		}
		shape[i] = d
	}
	if err := checkElementCount(n, "output", shape); err != nil {
		return nil, err
	}
	return shape, nil
}

// dtypeAttr reads the optional dtype attribute (an ONNX element type
// code); ops.Invalid when it is absent.
func dtypeAttr(n *graph.Node) (ops.DType, error) {
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

// int64ListInput is intListInput for the inputs the spec types as int64 only
// (shapes, axes, repeats): another type is an error naming the input.
func int64ListInput(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	if t.DType != ops.Int64 {
		return nil, fmt.Errorf("node %s: input %s must be int64, got %v", n.Label(), name, t.DType)
	}
	return intListInput(n, t, name)
}

// intListInput reads a 1-D (or scalar) int64/int32 tensor used as a list of
// integers (shapes, axes, starts …).
func intListInput(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
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

// resolveAxis normalises an axis of a rank-r tensor: it must lie in
// [-r, r-1], negative values counting from the end.
//
// Negative axes are accepted at every opset, as ONNX Runtime does (older
// exporters such as PyTorch at opset 6 emit them); the operators whose
// spec rule the kernels keep (Flatten, ArgMax/ArgMin before opset 11)
// check that first with checkNegativeAxis.
func resolveAxis(n *graph.Node, axis int64, r int) (int, error) {
	if axis < -int64(r) || axis >= int64(r) {
		return 0, fmt.Errorf("node %s: axis %d out of range [%d, %d] for rank %d", n.Label(), axis, -r, r-1, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	return int(axis), nil
}

// checkNegativeAxis rejects a negative axis before opset since.
func checkNegativeAxis(n *graph.Node, axis int64, opset, since int64) error {
	if axis < 0 && opset < since {
		return fmt.Errorf("node %s: axis %d out of range: negative axes need opset %d, the model imports %d", n.Label(), axis, since, opset)
	}
	return nil
}

// resolveAxes normalises a list of distinct axes.
func resolveAxes(n *graph.Node, axes []int64, r int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, r)
	for i, a := range axes {
		v, err := resolveAxis(n, a, r)
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

// maxElements bounds the element count of a tensor a kernel creates from
// a shape it was given as data (ConstantOfShape, Expand, Tile, OneHot,
// RandomNormal …), so a bad shape is an error rather than a fatal
// out-of-memory crash: 2^31 elements, 8 GiB of float32.
const maxElements = 1 << 31

// checkElementCount returns an error when shape holds more than maxElements
// elements (checked without overflow).
func checkElementCount(n *graph.Node, what string, shape []int) error {
	total := 1
	for _, d := range shape {
		if d == 0 {
			return nil
		}
	}
	for _, d := range shape {
		if d > maxElements/total {
			return fmt.Errorf("node %s: %s shape %s has too many elements", n.Label(), what, ops.ShapeString(shape))
		}
		total *= d
	}
	return nil
}

func checkedDim(n *graph.Node, v int64, what string) (int, error) {
	if v < 0 || v > math.MaxInt32*int64(1<<16) {
		return 0, fmt.Errorf("node %s: %s %d is not a valid dimension", n.Label(), what, v)
	}
	return int(v), nil
}

// clampIndex adds r to a negative index and clamps it to [0, r].
func clampIndex(i, r int64) int64 {
	if i < 0 {
		i += r
	}
	return min(max(i, 0), r)
}

// requiredInputs returns the first len(names) inputs, all required; names[i]
// names input i in the error when it is missing.
func requiredInputs(n *graph.Node, in []*ops.Tensor, names ...string) ([]*ops.Tensor, error) {
	for i, name := range names {
		if _, err := requiredInput(n, in, i, name); err != nil {
			return nil, err
		}
	}
	return in[:len(names)], nil
}
