package kernels

// Resize (opsets 10–19) and Upsample (7, 9) on float tensors, on
// ops.Resize: nearest/linear/cubic interpolation along any axes, all
// coordinate transformation and nearest rounding modes, roi for
// tf_crop_and_resize, and the opset 18 axes, antialias and
// keep_aspect_ratio_policy attributes.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Resize", Infer: inferResize, Build: buildResize}, 10, 11, 13, 18, 19)
	operators.Register(operators.Op{Type: "Upsample", Infer: inferResize, Build: buildUpsample}, 7, 9)
}

// resizeAttrs are the parsed attributes of a Resize or Upsample node.
type resizeAttrs struct {
	p         ops.ResizeParams // mode/coord/nearest/cubic/exclude/extrapolation/antialias
	axes      []int64
	keepRatio string
}

// resizeMode reads the mode attribute of Resize, Upsample and GridSample
// (def when absent); the bi-/tri- spellings are GridSample's and opset 10's.
func resizeMode(n *graph.Node, def string) (ops.ResizeMode, error) {
	return enumAttr(n, "mode", def,
		enumChoice[ops.ResizeMode]{"nearest", ops.ResizeNearest},
		enumChoice[ops.ResizeMode]{"linear", ops.ResizeLinear},
		enumChoice[ops.ResizeMode]{"bilinear", ops.ResizeLinear},
		enumChoice[ops.ResizeMode]{"trilinear", ops.ResizeLinear},
		enumChoice[ops.ResizeMode]{"cubic", ops.ResizeCubic},
		enumChoice[ops.ResizeMode]{"bicubic", ops.ResizeCubic})
}

func buildResize(n *graph.Node, opset int64) (operators.Kernel, error) {
	var a resizeAttrs
	var err error
	if a.p.Mode, err = resizeMode(n, "nearest"); err != nil {
		return nil, err
	}
	if opset < 11 {
		if a.p.Mode == ops.ResizeCubic {
			return nil, fmt.Errorf("node %s: cubic mode needs opset 11, model has %d", n.Label(), opset)
		}
		a.p.Coord, a.p.Nearest = ops.CoordAsymmetric, ops.NearestSimple
	} else {
		if a.p.Coord, err = enumAttr(n, "coordinate_transformation_mode", "half_pixel",
			enumChoice[ops.CoordMode]{"half_pixel", ops.CoordHalfPixel},
			enumChoice[ops.CoordMode]{"half_pixel_symmetric", ops.CoordHalfPixelSymmetric},
			enumChoice[ops.CoordMode]{"pytorch_half_pixel", ops.CoordPytorchHalfPixel},
			enumChoice[ops.CoordMode]{"align_corners", ops.CoordAlignCorners},
			enumChoice[ops.CoordMode]{"asymmetric", ops.CoordAsymmetric},
			enumChoice[ops.CoordMode]{"tf_half_pixel_for_nn", ops.CoordTFHalfPixelForNN},
			enumChoice[ops.CoordMode]{"tf_crop_and_resize", ops.CoordTFCropAndResize}); err != nil {
			return nil, err
		}
		if a.p.Nearest, err = enumAttr(n, "nearest_mode", "round_prefer_floor",
			enumChoice[ops.NearestMode]{"round_prefer_floor", ops.RoundPreferFloor},
			enumChoice[ops.NearestMode]{"round_prefer_ceil", ops.RoundPreferCeil},
			enumChoice[ops.NearestMode]{"floor", ops.NearestFloor},
			enumChoice[ops.NearestMode]{"ceil", ops.NearestCeil}); err != nil {
			return nil, err
		}
		ca, err := n.Float("cubic_coeff_a", -0.75)
		if err != nil {
			return nil, err
		}
		a.p.CubicA = float64(ca)
		ex, err := n.Int("exclude_outside", 0)
		if err != nil {
			return nil, err
		}
		a.p.ExcludeOutside = ex != 0
		if a.p.Extrapolation, err = n.Float("extrapolation_value", 0); err != nil {
			return nil, err
		}
	}
	if opset >= 18 {
		aa, err := n.Int("antialias", 0)
		if err != nil {
			return nil, err
		}
		a.p.Antialias = aa != 0
		if a.axes, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
		if a.keepRatio, err = n.String("keep_aspect_ratio_policy", "stretch"); err != nil {
			return nil, err
		}
		switch a.keepRatio {
		case "stretch", "not_larger", "not_smaller":
		default:
			return nil, fmt.Errorf("node %s: unknown keep_aspect_ratio_policy %q", n.Label(), a.keepRatio)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		var roi, scales, sizes *ops.Tensor
		if opset < 11 {
			if scales, err = requiredInput(n, in, 1, "scales"); err != nil {
				return nil, err
			}
		} else {
			roi, scales, sizes = optionalInput(in, 1), optionalInput(in, 2), optionalInput(in, 3)
		}
		return runResize(env, n, &a, x, roi, scales, sizes)
	}, nil
}

func buildUpsample(n *graph.Node, opset int64) (operators.Kernel, error) {
	var a resizeAttrs
	var err error
	if a.p.Mode, err = resizeMode(n, "nearest"); err != nil {
		return nil, err
	}
	if a.p.Mode == ops.ResizeCubic {
		return nil, fmt.Errorf("node %s: Upsample supports nearest and linear only", n.Label())
	}
	a.p.Coord, a.p.Nearest = ops.CoordAsymmetric, ops.NearestSimple
	var attrScales []float32
	if opset < 9 {
		if attrScales, err = n.Floats("scales", nil); err != nil {
			return nil, err
		}
		if attrScales == nil {
			return nil, fmt.Errorf("node %s: missing required attribute scales", n.Label())
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		var st *ops.Tensor
		if attrScales != nil {
			st = ops.FromFloat32([]int{len(attrScales)}, attrScales)
		} else if st, err = requiredInput(n, in, 1, "scales"); err != nil {
			return nil, err
		}
		return runResize(env, n, &a, x, nil, st, nil)
	}, nil
}

// float64List reads a 1-D float tensor as float64 values.
func float64List(n *graph.Node, t *ops.Tensor, name string) ([]float64, error) {
	if t.Rank() > 1 || !t.DType.IsFloat() {
		return nil, fmt.Errorf("node %s: input %s must be a 1-D float tensor, got %v", n.Label(), name, t)
	}
	f := float32s(t)
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out, nil
}

func runResize(env *operators.Env, n *graph.Node, a *resizeAttrs, x, roiT, scalesT, sizesT *ops.Tensor) ([]*ops.Tensor, error) {
	byteImage := x.DType == ops.Uint8 || x.DType == ops.Int8
	if byteImage && a.p.Mode != ops.ResizeNearest {
		return nil, fmt.Errorf("node %s: %v input supports nearest mode only, not linear or cubic", n.Label(), x.DType)
	}
	if err := checkFloat(n, x, "X"); err != nil && !byteImage {
		return nil, err
	}
	r := x.Rank()
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a.axes != nil {
		axes = axes[:0]
		seen := make([]bool, r)
		for _, v := range a.axes {
			if v < -int64(r) || v >= int64(r) {
				return nil, fmt.Errorf("node %s: axis %d out of range for X of rank %d", n.Label(), v, r)
			}
			if v < 0 {
				v += int64(r)
			}
			if seen[v] {
				return nil, fmt.Errorf("node %s: axis %d repeated in axes %v", n.Label(), v, a.axes)
			}
			seen[v] = true
			axes = append(axes, int(v))
		}
	}
	na := len(axes)
	p := a.p
	p.In = x.Shape
	p.Out = append([]int(nil), x.Shape...)
	p.Scales = make([]float64, r)
	for i := range p.Scales {
		p.Scales[i] = 1
	}
	if sizesT != nil && sizesT.Len() == 0 {
		sizesT = nil
	}
	if scalesT != nil && scalesT.Len() == 0 {
		scalesT = nil
	}
	switch {
	case sizesT != nil && scalesT != nil:
		return nil, fmt.Errorf("node %s: only one of scales and sizes may be given", n.Label())
	case sizesT != nil:
		sz, err := intListInput(n, sizesT, "sizes")
		if err != nil {
			return nil, err
		}
		if len(sz) != na {
			return nil, fmt.Errorf("node %s: sizes has %d values, want %d", n.Label(), len(sz), na)
		}
		if a.keepRatio == "not_larger" || a.keepRatio == "not_smaller" {
			s := math.Inf(1)
			if a.keepRatio == "not_smaller" {
				s = math.Inf(-1)
			}
			for i, ax := range axes {
				v := float64(sz[i]) / float64(x.Shape[ax])
				if a.keepRatio == "not_larger" {
					s = math.Min(s, v)
				} else {
					s = math.Max(s, v)
				}
			}
			for _, ax := range axes {
				p.Scales[ax] = s
				p.Out[ax] = int(math.RoundToEven(s * float64(x.Shape[ax])))
			}
		} else {
			for i, ax := range axes {
				if sz[i] < 0 {
					return nil, fmt.Errorf("node %s: negative size %d in sizes", n.Label(), sz[i])
				}
				p.Out[ax] = int(sz[i])
				if x.Shape[ax] > 0 {
					p.Scales[ax] = float64(sz[i]) / float64(x.Shape[ax])
				}
			}
		}
	case scalesT != nil:
		sc, err := float64List(n, scalesT, "scales")
		if err != nil {
			return nil, err
		}
		if len(sc) != na {
			return nil, fmt.Errorf("node %s: scales has %d values, want %d", n.Label(), len(sc), na)
		}
		for i, ax := range axes {
			if !(sc[i] > 0) {
				return nil, fmt.Errorf("node %s: scale %v on axis %d must be positive", n.Label(), sc[i], ax)
			}
			p.Scales[ax] = sc[i]
			// ONNX Runtime multiplies in float32 (0.7·10 is 7 there, 6.99…
			// in float64); follow it so both backends agree on the shape.
			p.Out[ax] = int(math.Floor(float64(float32(sc[i]) * float32(x.Shape[ax]))))
		}
	default:
		return nil, fmt.Errorf("node %s: one of scales and sizes is required", n.Label())
	}
	if p.Coord == ops.CoordTFCropAndResize {
		if roiT == nil || roiT.Len() == 0 {
			return nil, fmt.Errorf("node %s: tf_crop_and_resize needs the roi input", n.Label())
		}
		roi, err := float64List(n, roiT, "roi")
		if err != nil {
			return nil, err
		}
		if len(roi) != 2*na {
			return nil, fmt.Errorf("node %s: roi has %d values, want %d (starts and ends of %d axes)", n.Label(), len(roi), 2*na, na)
		}
		p.RoiStart, p.RoiEnd = make([]float64, r), make([]float64, r)
		for i := range p.RoiEnd {
			p.RoiEnd[i] = 1
		}
		for i, ax := range axes {
			p.RoiStart[ax], p.RoiEnd[ax] = roi[i], roi[na+i]
		}
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	if byteImage {
		// Nearest resampling only copies values, and 8-bit values are
		// exact in float32.
		xf := make([]float32, x.Len())
		switch d := x.Data.(type) {
		case []uint8:
			for i, v := range d {
				xf[i] = float32(v)
			}
		case []int8:
			for i, v := range d {
				xf[i] = float32(v)
			}
		}
		yf := make([]float32, ops.NumElements(p.Out))
		ops.Resize(&p, xf, yf)
		y := env.New(x.DType, p.Out...)
		switch d := y.Data.(type) {
		case []uint8:
			for i, v := range yf {
				d[i] = uint8(v)
			}
		case []int8:
			for i, v := range yf {
				d[i] = int8(v)
			}
		}
		return []*ops.Tensor{y}, nil
	}
	o := newFloatOutput(env, x.DType, p.Out)
	ops.Resize(&p, float32s(x), o.f)
	return []*ops.Tensor{o.done()}, nil
}

func inferResize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) || n.Has("axes") {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var scales []float64
	var sizes []int64
	switch {
	case n.OpType == "Upsample" && c.Opset() < 9:
		fs, err := n.Floats("scales", nil)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			scales = append(scales, float64(f))
		}
	case n.OpType == "Upsample" || c.Opset() < 11:
		scales, _ = c.Floats(n, 1)
	default:
		if s, ok := c.Ints(n, 3); ok && len(s) > 0 {
			sizes = s
		} else if f, ok := c.Floats(n, 2); ok && len(f) > 0 {
			scales = f
		}
	}
	switch {
	case sizes != nil:
		if len(sizes) != r {
			return nil, fmt.Errorf("sizes %v has %d entries for input %s of rank %d", sizes, len(sizes), x.Shape, r)
		}
		out := make(graph.Shape, r)
		for i, s := range sizes {
			if s < 0 {
				return nil, fmt.Errorf("sizes %v has a negative entry", sizes)
			}
			out[i] = operators.KnownDim(s)
		}
		return one(ranked(x.DType, out)), nil
	case scales != nil:
		if len(scales) != r {
			return nil, fmt.Errorf("scales %v has %d entries for input %s of rank %d", scales, len(scales), x.Shape, r)
		}
		out := make(graph.Shape, r)
		for i, s := range scales {
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("scales %v must be positive", scales)
			}
			switch d := x.Shape[i]; {
			case s == 1:
				out[i] = d
			case d.Known():
				out[i] = operators.KnownDim(int64(math.Floor(float64(d.Value) * s)))
			default:
				out[i] = operators.UnknownDim
			}
		}
		return one(ranked(x.DType, out)), nil
	}
	return one(rankOnly(x.DType, int64(r))), nil
}
