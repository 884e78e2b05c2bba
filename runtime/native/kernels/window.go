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

// geometry fills the window's defaults for nd spatial axes and checks the
// attributes against them: kernel is the kernel from the weights (nil for
// pooling, which needs the attribute). The pads are the explicit ones; fit
// resolves auto_pad and the output sizes per axis.
func (w *window) geometry(n *graph.Node, nd int, kernel []int) (*windowGeometry, error) {
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
	return g, nil
}

// fit resolves spatial axis i of size in: the auto_pad pads and the output
// size (floor or ceil rounding per ceil_mode, which the convolutions never
// set).
func (g *windowGeometry) fit(n *graph.Node, w *window, i, in int) error {
	ek := (g.kernel[i]-1)*g.dilations[i] + 1
	s := g.strides[i]
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		// The spec's pad_shape, not clamped at 0: a kernel shorter than
		// the stride gets a negative (cropping) pad, as in ONNX Runtime.
		// Integer division truncates toward zero as in C++.
		out := (in + s - 1) / s
		total := (out-1)*s + ek - in
		if w.autoPad == "SAME_LOWER" {
			g.padBegin[i] = (total + 1) / 2
		} else {
			g.padBegin[i] = total / 2
		}
		g.padEnd[i] = total - g.padBegin[i]
		g.out[i] = out
		return nil
	}
	if in+g.padBegin[i]+g.padEnd[i] < ek {
		return fmt.Errorf("node %s: spatial axis %d of size %d (pads %d+%d) is smaller than the effective kernel %d",
			n.Label(), i, in, g.padBegin[i], g.padEnd[i], ek)
	}
	g.out[i] = ops.PoolOutSize(in, g.kernel[i], s, g.dilations[i], g.padBegin[i], g.padEnd[i], w.ceil)
	return nil
}

// resolve is geometry and fit for the concrete spatial sizes in: what the
// kernels run with.
func (w *window) resolve(n *graph.Node, in []int, kernel []int) (*windowGeometry, error) {
	g, err := w.geometry(n, len(in), kernel)
	if err != nil {
		return nil, err
	}
	for i, d := range in {
		if err := g.fit(n, w, i, d); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// outShape is the shape rules' view of resolve: the output sizes of the
// spatial dims in, some of which may be symbolic or unknown, computed by
// the same fit the kernels use. kernel is the weights' spatial dims (nil
// for pooling); an unknown kernel size leaves every output size unknown
// but for the two that keep their input's size: a window of one with
// stride one and no padding, and SAME padding with stride one.
func (w *window) outShape(n *graph.Node, in, kernel graph.Shape) (graph.Shape, error) {
	nd := len(in)
	var k []int
	if kernel != nil {
		k = make([]int, nd)
		for i, d := range kernel {
			if !d.Known() {
				k = nil
				break
			}
			k[i] = int(d.Value)
		}
	}
	if k == nil && w.kernel != nil {
		// Pooling, or weights of unknown spatial size: the attribute says.
		if len(w.kernel) != nd {
			return nil, fmt.Errorf("node %s: kernel_shape %v has %d axes, input has %d spatial axes", n.Label(), w.kernel, len(w.kernel), nd)
		}
		k = w.kernel
	}
	var g *windowGeometry
	if k != nil {
		var err error
		if g, err = w.geometry(n, nd, k); err != nil {
			return nil, err
		}
	}
	out := make(graph.Shape, nd)
	for i, d := range in {
		switch {
		case g != nil && d.Known():
			if err := g.fit(n, w, i, int(d.Value)); err != nil {
				return nil, err
			}
			out[i] = operators.KnownDim(int64(g.out[i]))
		case g != nil && g.kernel[i] == 1 && g.strides[i] == 1 && g.padBegin[i] == 0 && g.padEnd[i] == 0 && w.autoPad == "NOTSET":
			out[i] = d // an identity window keeps the symbol
		case (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") && (w.strides == nil || w.strides[i] == 1):
			out[i] = d
		default:
			out[i] = operators.UnknownDim
		}
	}
	return out, nil
}

// transposeGeometry resolves ConvTranspose's window for the concrete
// spatial sizes in: strides, dilations, the begin pads and the output
// sizes, from output_shape when given, otherwise from the pads or
// auto_pad and output_padding.
func (w *window) transposeGeometry(n *graph.Node, in, kernel, outPad, outShape []int) (strides, dil, padB, out []int, err error) {
	nd := len(in)
	if err := checkKernelShape(n, w.kernel, kernel); err != nil {
		return nil, nil, nil, nil, err
	}
	if strides, err = perSpatialAxis(n, w.strides, "strides", 1, nd); err != nil {
		return nil, nil, nil, nil, err
	}
	if dil, err = perSpatialAxis(n, w.dilations, "dilations", 1, nd); err != nil {
		return nil, nil, nil, nil, err
	}
	opad, err := perSpatialAxis(n, outPad, "output_padding", 0, nd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var oshape []int
	if outShape != nil {
		oshape = outShape
		if len(oshape) == nd+2 {
			oshape = oshape[2:]
		}
		if len(oshape) != nd {
			return nil, nil, nil, nil, fmt.Errorf("node %s: output_shape %v should have %d spatial values", n.Label(), outShape, nd)
		}
	}
	padB, padE := make([]int, nd), make([]int, nd)
	out = make([]int, nd)
	if w.autoPad == "NOTSET" && w.pads != nil {
		if len(w.pads) != 2*nd {
			return nil, nil, nil, nil, fmt.Errorf("node %s: pads %v should have %d values", n.Label(), w.pads, 2*nd)
		}
		copy(padB, w.pads[:nd])
		copy(padE, w.pads[nd:])
	}
	for i := 0; i < nd; i++ {
		ek := (kernel[i]-1)*dil[i] + 1
		full := strides[i]*(in[i]-1) + opad[i] + ek
		switch {
		case oshape != nil:
			out[i] = oshape[i]
			total := full - out[i]
			if total < 0 {
				// The requested output is larger than the full
				// transposed convolution: the tail stays bias only.
				total = 0
			}
			if w.autoPad == "SAME_UPPER" {
				padB[i], padE[i] = total/2, total-total/2
			} else {
				padB[i], padE[i] = total-total/2, total/2
			}
		case w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER":
			// Pad down to in·stride; a full output that is already
			// shorter stays as it is (as ONNX Runtime does).
			total := max(0, full-in[i]*strides[i])
			if w.autoPad == "SAME_UPPER" {
				padB[i], padE[i] = total/2, total-total/2
			} else {
				padB[i], padE[i] = total-total/2, total/2
			}
			out[i] = full - total
		default:
			out[i] = full - padB[i] - padE[i]
		}
		if out[i] < 0 {
			return nil, nil, nil, nil, fmt.Errorf("node %s: output size %d on spatial axis %d is negative (pads %d+%d too large)", n.Label(), out[i], i, padB[i], padE[i])
		}
	}
	return strides, dil, padB, out, nil
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
