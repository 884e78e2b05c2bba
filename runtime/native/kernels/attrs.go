package kernels

// Helpers shared by the neural-network kernels (k_nn_*.go): float inputs in
// any float dtype viewed as float32, float outputs converted back, and the
// window geometry (kernel, strides, dilations, pads, auto_pad) common to
// convolutions and pooling.

import (
	"fmt"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// nnIn returns input i or an error naming the node and input when missing.
func nnIn(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("node %s: missing required input %d (%s)", n.Label(), i, name)
	}
	if err := in[i].Validate(); err != nil {
		return nil, fmt.Errorf("node %s: input %s: %w", n.Label(), name, err)
	}
	return in[i], nil
}

// nnOpt returns input i, or nil when it is omitted.
func nnOpt(in []*ops.Tensor, i int) *ops.Tensor {
	if i >= len(in) {
		return nil
	}
	return in[i]
}

// nnFloat checks that t is a float tensor (float32, float64 or float16).
func nnFloat(n *graph.Node, t *ops.Tensor, name string) error {
	if !t.DType.IsFloat() {
		return fmt.Errorf("node %s: input %s must be float32, float64 or float16, got %v", n.Label(), name, t.DType)
	}
	return nil
}

// nnFloatIn returns input i, which must be present, well-formed and of a
// float type.
func nnFloatIn(n *graph.Node, in []*ops.Tensor, i int, name string) (*ops.Tensor, error) {
	t, err := nnIn(n, in, i, name)
	if err != nil {
		return nil, err
	}
	if err := nnFloat(n, t, name); err != nil {
		return nil, err
	}
	return t, nil
}

// nnAxis resolves axis (negative counts from the end) against a tensor of
// rank r, named what in the error when it is out of range.
func nnAxis(n *graph.Node, axis int64, r int, what string) (int, error) {
	a := axis
	if a < 0 {
		a += int64(r)
	}
	if a < 0 || a >= int64(r) {
		return 0, fmt.Errorf("node %s: axis %d out of range for %s of rank %d", n.Label(), axis, what, r)
	}
	return int(a), nil
}

// nnLastAxisDefault returns the default axis of Softmax, LogSoftmax and
// Hardmax: 1 (coerce to 2-D) before opset 13, -1 (the last axis) since.
func nnLastAxisDefault(opset int64) int64 {
	if opset >= 13 {
		return -1
	}
	return 1
}

// nnF32 returns the elements of a float tensor as float32: float32 data is
// returned as-is (callers must not write it), other float types converted.
func nnF32(t *ops.Tensor) []float32 {
	switch d := t.Data.(type) {
	case []float32:
		return d
	case []uint16:
		out := make([]float32, len(d))
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

// nnF32Param reads a float parameter input of the same dtype family that
// must have exactly want elements.
func nnF32Param(n *graph.Node, t *ops.Tensor, name string, want int) ([]float32, error) {
	if err := nnFloat(n, t, name); err != nil {
		return nil, err
	}
	if t.Len() != want {
		return nil, fmt.Errorf("node %s: input %s must have %d elements, has shape %s", n.Label(), name, want, ops.ShapeString(t.Shape))
	}
	return nnF32(t), nil
}

// nnOut is a float output computed in float32: f is written by the kernel,
// and done converts it into the output dtype when that is not float32.
type nnOut struct {
	t *ops.Tensor
	f []float32
}

func nnNewOut(env *operators.Env, dt ops.DType, shape []int) nnOut {
	t := env.New(dt, shape...)
	if dt == ops.Float32 {
		return nnOut{t, t.F32()}
	}
	return nnOut{t, nnScratch(env, ops.NumElements(shape))}
}

func (o nnOut) done() *ops.Tensor {
	switch d := o.t.Data.(type) {
	case []uint16:
		ops.Float32sToFloat16s(d, o.f)
	case []float64:
		for i, v := range o.f {
			d[i] = float64(v)
		}
	}
	return o.t
}

// nnWindow holds the sliding-window attributes of Conv, ConvTranspose and
// the pooling operators, parsed at build time. Nil slices mean "default
// for the input's rank", resolved per run by resolve.
type nnWindow struct {
	kernel, strides, dilations, pads []int
	autoPad                          string
	ceil                             bool
}

func nnIntsAttr(n *graph.Node, name string) ([]int, error) {
	v, err := n.Ints(name, nil)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x < -1<<31 || x > 1<<31 {
			return nil, fmt.Errorf("node %s: attribute %s value %d out of range", n.Label(), name, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// nnChoice is one accepted value of a string-valued (enum) attribute.
type nnChoice[T any] struct {
	name string
	v    T
}

// nnEnum reads the string attribute attr (default def) and returns the
// value of the matching choice; an unknown string is an error naming the
// node and listing the accepted ones.
func nnEnum[T any](n *graph.Node, attr, def string, choices ...nnChoice[T]) (T, error) {
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

// nnParseConvWindow is nnParseWindow for the convolutions, with their
// group attribute (default 1, must be positive).
func nnParseConvWindow(n *graph.Node) (*nnWindow, int64, error) {
	win, err := nnParseWindow(n)
	if err != nil {
		return nil, 0, err
	}
	group, err := n.Int("group", 1)
	if err != nil {
		return nil, 0, err
	}
	if group <= 0 {
		return nil, 0, fmt.Errorf("node %s: group %d must be positive", n.Label(), group)
	}
	return win, group, nil
}

// nnParsePoolWindow is nnParseWindow for the pooling operators, whose
// kernel_shape attribute is required.
func nnParsePoolWindow(n *graph.Node) (*nnWindow, error) {
	win, err := nnParseWindow(n)
	if err != nil {
		return nil, err
	}
	if win.kernel == nil {
		return nil, fmt.Errorf("node %s: missing required attribute kernel_shape", n.Label())
	}
	return win, nil
}

func nnParseWindow(n *graph.Node) (*nnWindow, error) {
	w := &nnWindow{}
	var err error
	if w.kernel, err = nnIntsAttr(n, "kernel_shape"); err != nil {
		return nil, err
	}
	if w.strides, err = nnIntsAttr(n, "strides"); err != nil {
		return nil, err
	}
	if w.dilations, err = nnIntsAttr(n, "dilations"); err != nil {
		return nil, err
	}
	if w.pads, err = nnIntsAttr(n, "pads"); err != nil {
		return nil, err
	}
	if w.autoPad, err = n.String("auto_pad", "NOTSET"); err != nil {
		return nil, err
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	case "":
		w.autoPad = "NOTSET"
	default:
		return nil, fmt.Errorf("node %s: unknown auto_pad %q (want NOTSET, VALID, SAME_UPPER or SAME_LOWER)", n.Label(), w.autoPad)
	}
	c, err := n.Int("ceil_mode", 0)
	if err != nil {
		return nil, err
	}
	w.ceil = c != 0
	if w.autoPad != "NOTSET" && w.pads != nil {
		for _, p := range w.pads {
			if p != 0 {
				return nil, fmt.Errorf("node %s: explicit pads %v cannot be combined with auto_pad %s", n.Label(), w.pads, w.autoPad)
			}
		}
	}
	for _, v := range w.strides {
		if v <= 0 {
			return nil, fmt.Errorf("node %s: strides %v must be positive", n.Label(), w.strides)
		}
	}
	for _, v := range w.dilations {
		if v <= 0 {
			return nil, fmt.Errorf("node %s: dilations %v must be positive", n.Label(), w.dilations)
		}
	}
	for _, v := range w.kernel {
		if v <= 0 {
			return nil, fmt.Errorf("node %s: kernel_shape %v must be positive", n.Label(), w.kernel)
		}
	}
	return w, nil
}

// nnGeom is a window resolved against a concrete input.
type nnGeom struct {
	kernel, strides, dilations, padBegin, padEnd, out []int
}

// resolve fills defaults for nd spatial axes of sizes in, computes
// auto_pad pads and the output size (floor or ceil rounding per ceil,
// which the convolutions never set). kernel is the kernel from the weights
// (nil for pooling, which needs the attribute).
func (w *nnWindow) resolve(n *graph.Node, in []int, kernel []int) (*nnGeom, error) {
	nd := len(in)
	g := &nnGeom{}
	switch {
	case kernel != nil:
		if err := nnCheckKernelAttr(n, w.kernel, kernel); err != nil {
			return nil, err
		}
		g.kernel = kernel
	case w.kernel != nil:
		if len(w.kernel) != nd {
			return nil, fmt.Errorf("node %s: kernel_shape %v has %d axes, input has %d spatial axes", n.Label(), w.kernel, len(w.kernel), nd)
		}
		g.kernel = w.kernel
	default:
		return nil, fmt.Errorf("node %s: missing attribute kernel_shape", n.Label())
	}
	var err error
	if g.strides, err = nnPerAxis(n, w.strides, "strides", 1, nd); err != nil {
		return nil, err
	}
	if g.dilations, err = nnPerAxis(n, w.dilations, "dilations", 1, nd); err != nil {
		return nil, err
	}
	g.padBegin, g.padEnd, g.out = make([]int, nd), make([]int, nd), make([]int, nd)
	if w.autoPad == "NOTSET" && w.pads != nil {
		if len(w.pads) != 2*nd {
			return nil, fmt.Errorf("node %s: pads %v should have %d values (begin and end for %d spatial axes)", n.Label(), w.pads, 2*nd, nd)
		}
		for i := 0; i < nd; i++ {
			g.padBegin[i], g.padEnd[i] = w.pads[i], w.pads[nd+i]
			if g.padBegin[i] < 0 || g.padEnd[i] < 0 {
				return nil, fmt.Errorf("node %s: pads %v must be non-negative", n.Label(), w.pads)
			}
		}
	}
	for i := 0; i < nd; i++ {
		ek := (g.kernel[i]-1)*g.dilations[i] + 1
		s := g.strides[i]
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			// The spec's pad_shape, not clamped at 0: a kernel shorter
			// than the stride gets a negative (cropping) pad, as in ONNX
			// Runtime. Integer division truncates toward zero as in C++.
			out := (in[i] + s - 1) / s
			total := (out-1)*s + ek - in[i]
			if w.autoPad == "SAME_LOWER" {
				g.padBegin[i] = (total + 1) / 2
			} else {
				g.padBegin[i] = total / 2
			}
			g.padEnd[i] = total - g.padBegin[i]
			g.out[i] = out
			continue
		}
		g.out[i] = ops.PoolOutSize(in[i], g.kernel[i], s, g.dilations[i], g.padBegin[i], g.padEnd[i], w.ceil)
		if in[i]+g.padBegin[i]+g.padEnd[i] < ek {
			return nil, fmt.Errorf("node %s: spatial axis %d of size %d (pads %d+%d) is smaller than the effective kernel %d",
				n.Label(), i, in[i], g.padBegin[i], g.padEnd[i], ek)
		}
	}
	return g, nil
}

// nnCheckKernelAttr checks an optional kernel_shape attribute (nil when
// absent) against the spatial dims of the weights.
func nnCheckKernelAttr(n *graph.Node, attr, kernel []int) error {
	if attr == nil {
		return nil
	}
	if len(attr) != len(kernel) {
		return fmt.Errorf("node %s: kernel_shape %v has %d axes, input has %d spatial axes", n.Label(), attr, len(attr), len(kernel))
	}
	if !ops.SameShape(attr, kernel) {
		return fmt.Errorf("node %s: kernel_shape %v disagrees with weight spatial dims %v", n.Label(), attr, kernel)
	}
	return nil
}

// nnPerAxis returns a per-spatial-axis attribute v checked to have nd
// values, or nd copies of def when the attribute is absent (nil).
func nnPerAxis(n *graph.Node, v []int, name string, def, nd int) ([]int, error) {
	if v == nil {
		out := make([]int, nd)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(v) != nd {
		return nil, fmt.Errorf("node %s: %s %v has %d values, input has %d spatial axes", n.Label(), name, v, len(v), nd)
	}
	return v, nil
}

// nnSpatial checks that x is N×C×spatial… with at least minSpatial spatial
// axes and returns the spatial dims.
func nnSpatial(n *graph.Node, x *ops.Tensor, name string, minSpatial int) ([]int, error) {
	if len(x.Shape) < 2+minSpatial {
		return nil, fmt.Errorf("node %s: input %s must be N×C×D1… with at least %d spatial axes, got shape %s", n.Label(), name, minSpatial, ops.ShapeString(x.Shape))
	}
	return x.Shape[2:], nil
}
