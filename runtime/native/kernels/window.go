package kernels

// The sliding-window attributes of the convolutions and pooling operators
// (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) and their
// resolution against an input's spatial dims.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// window holds the sliding-window attributes of Conv, ConvTranspose and
// the pooling operators, parsed at build time. Nil slices mean "default
// for the input's rank", resolved per run by resolve.
type window struct {
	kernel, strides, dilations, pads []int
	autoPad                          string
	ceil                             bool
}

func intsAttr(n *graph.Node, name string) ([]int, error) {
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

// parseConvWindow is parseWindow for the convolutions, with their
// group attribute (default 1, must be positive).
func parseConvWindow(n *graph.Node) (*window, int64, error) {
	win, err := parseWindow(n)
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

// parsePoolWindow is parseWindow for the pooling operators, whose
// kernel_shape attribute is required.
func parsePoolWindow(n *graph.Node) (*window, error) {
	win, err := parseWindow(n)
	if err != nil {
		return nil, err
	}
	if win.kernel == nil {
		return nil, fmt.Errorf("node %s: missing required attribute kernel_shape", n.Label())
	}
	return win, nil
}

func parseWindow(n *graph.Node) (*window, error) {
	w := &window{}
	var err error
	if w.kernel, err = intsAttr(n, "kernel_shape"); err != nil {
		return nil, err
	}
	if w.strides, err = intsAttr(n, "strides"); err != nil {
		return nil, err
	}
	if w.dilations, err = intsAttr(n, "dilations"); err != nil {
		return nil, err
	}
	if w.pads, err = intsAttr(n, "pads"); err != nil {
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

// windowGeometry is a window resolved against a concrete input.
type windowGeometry struct {
	kernel, strides, dilations, padBegin, padEnd, out []int
}

// resolve fills defaults for nd spatial axes of sizes in, computes
// auto_pad pads and the output size (floor or ceil rounding per ceil,
// which the convolutions never set). kernel is the kernel from the weights
// (nil for pooling, which needs the attribute).
func (w *window) resolve(n *graph.Node, in []int, kernel []int) (*windowGeometry, error) {
	nd := len(in)
	g := &windowGeometry{}
	switch {
	case kernel != nil:
		if err := checkKernelShape(n, w.kernel, kernel); err != nil {
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
	if g.strides, err = perSpatialAxis(n, w.strides, "strides", 1, nd); err != nil {
		return nil, err
	}
	if g.dilations, err = perSpatialAxis(n, w.dilations, "dilations", 1, nd); err != nil {
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

// checkKernelShape checks an optional kernel_shape attribute (nil when
// absent) against the spatial dims of the weights.
func checkKernelShape(n *graph.Node, attr, kernel []int) error {
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

// perSpatialAxis returns a per-spatial-axis attribute v checked to have nd
// values, or nd copies of def when the attribute is absent (nil).
func perSpatialAxis(n *graph.Node, v []int, name string, def, nd int) ([]int, error) {
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

// checkSpatial checks that x is N×C×spatial… with at least minSpatial spatial
// axes and returns the spatial dims.
func checkSpatial(n *graph.Node, x *ops.Tensor, name string, minSpatial int) ([]int, error) {
	if len(x.Shape) < 2+minSpatial {
		return nil, fmt.Errorf("node %s: input %s must be N×C×D1… with at least %d spatial axes, got shape %s", n.Label(), name, minSpatial, ops.ShapeString(x.Shape))
	}
	return x.Shape[2:], nil
}

type windowAttrs struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
	ceil                             bool
}

func readWindow(n *graph.Node, spatial int, kernelFromW graph.Shape) (windowAttrs, error) {
	var w windowAttrs
	var err error
	if w.kernel, err = n.Ints("kernel_shape", nil); err != nil {
		return w, err
	}
	if w.kernel == nil && kernelFromW != nil {
		for _, d := range kernelFromW {
			if !d.Known() {
				w.kernel = nil
				break
			}
			w.kernel = append(w.kernel, d.Value)
		}
	}
	if w.strides, err = n.Ints("strides", nil); err != nil {
		return w, err
	}
	if w.dilations, err = n.Ints("dilations", nil); err != nil {
		return w, err
	}
	if w.pads, err = n.Ints("pads", nil); err != nil {
		return w, err
	}
	if w.autoPad, err = n.String("auto_pad", "NOTSET"); err != nil {
		return w, err
	}
	ceil, err := n.Int("ceil_mode", 0)
	if err != nil {
		return w, err
	}
	w.ceil = ceil != 0
	fill := func(name string, v []int64, n int, def int64) ([]int64, error) {
		if v == nil {
			v = make([]int64, n)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != n {
			return nil, fmt.Errorf("attribute %s has %d values, want %d for %d spatial axes", name, len(v), n, spatial)
		}
		return v, nil
	}
	if w.kernel != nil && len(w.kernel) != spatial {
		return w, fmt.Errorf("kernel_shape has %d values, want %d spatial axes", len(w.kernel), spatial)
	}
	if w.strides, err = fill("strides", w.strides, spatial, 1); err != nil {
		return w, err
	}
	if w.dilations, err = fill("dilations", w.dilations, spatial, 1); err != nil {
		return w, err
	}
	if w.pads, err = fill("pads", w.pads, 2*spatial, 0); err != nil {
		return w, err
	}
	for i := 0; i < spatial; i++ {
		if w.strides[i] < 1 || w.dilations[i] < 1 {
			return w, fmt.Errorf("strides %v and dilations %v must be ≥ 1", w.strides, w.dilations)
		}
		if w.pads[i] < 0 || w.pads[i+spatial] < 0 {
			return w, fmt.Errorf("pads %v must be ≥ 0", w.pads)
		}
		if w.kernel != nil && w.kernel[i] < 1 {
			return w, fmt.Errorf("kernel_shape %v must be ≥ 1", w.kernel)
		}
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "":
	default:
		return w, fmt.Errorf("unknown auto_pad %q", w.autoPad)
	}
	return w, nil
}

// windowOut computes one spatial output size of a convolution or pooling.
func (w windowAttrs) out(i int, in graph.Dim) (graph.Dim, error) {
	if !in.Known() || w.kernel == nil {
		k := int64(1)
		if w.kernel != nil {
			k = w.kernel[i]
		}
		if k == 1 && w.strides[i] == 1 && w.pads[i] == 0 && w.pads[i+len(w.strides)] == 0 {
			return in, nil // identity window keeps the symbol
		}
		if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") && w.strides[i] == 1 {
			return in, nil
		}
		return operators.UnknownDim, nil
	}
	x, s := in.Value, w.strides[i]
	span := (w.kernel[i]-1)*w.dilations[i] + 1
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return operators.KnownDim((x + s - 1) / s), nil
	case "VALID":
		if x < span {
			return in, fmt.Errorf("input size %d is smaller than the kernel extent %d", x, span)
		}
		return operators.KnownDim((x-span)/s + 1), nil
	}
	total := x + w.pads[i] + w.pads[i+len(w.strides)] - span
	if total < 0 {
		return in, fmt.Errorf("padded input size %d is smaller than the kernel extent %d", x+w.pads[i]+w.pads[i+len(w.strides)], span)
	}
	o := total/s + 1
	if w.ceil && total%s != 0 {
		o++
		// The last window must start inside the input or left padding.
		if (o-1)*s >= x+w.pads[i] {
			o--
		}
	}
	return operators.KnownDim(o), nil
}
