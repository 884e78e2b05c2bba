package kernels

// Pad for every tensor type, on ops.Pad: pads and value as attributes
// before opset 11, as inputs from 11, with the axes input from 18 and wrap
// mode from 19. Negative pads crop. CenterCropPad: a centred crop or zero
// pad to a given shape.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Pad", Infer: inferPad, Build: buildPad}, 1, 2, 11, 13, 18, 19, 21)
	operators.Register(operators.Op{Type: "CenterCropPad", Infer: inferCenterCropPad, Build: buildCenterCropPad}, 18)
}

// buildCenterCropPad: along each of axes (all by default) the output takes
// the size shape gives; a larger input is cropped around its centre (the
// window starts at ⌊(in−out)/2⌋), a smaller one padded with zeros (⌊(out−in)/2⌋
// before, the odd one after).
func buildCenterCropPad(n *graph.Node, opset int64) (operators.Kernel, error) {
	axesAttr, err := n.Ints("axes", nil)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input_data", "shape")
		if err != nil {
			return nil, err
		}
		x := ins[0]
		want, err := intListInput(n, ins[1], "shape")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		axes := make([]int, r)
		for i := range axes {
			axes[i] = i
		}
		if axesAttr != nil {
			if axes, err = resolveAxes(n, axesAttr, r); err != nil {
				return nil, err
			}
		}
		if len(want) != len(axes) {
			return nil, fmt.Errorf("node %s: shape has %d values for %d axes", n.Label(), len(want), len(axes))
		}
		outShape := append([]int(nil), x.Shape...)
		for i, a := range axes {
			if outShape[a], err = checkedDim(n, want[i], "shape entry"); err != nil {
				return nil, err
			}
		}
		if err := checkElementCount(n, "output", outShape); err != nil {
			return nil, err
		}
		dstStart, srcStart, counts := make([]int, r), make([]int, r), make([]int, r)
		for i := range counts {
			d, o := x.Shape[i], outShape[i]
			counts[i] = min(d, o)
			if d > o {
				srcStart[i] = (d - o) / 2
			} else {
				dstStart[i] = (o - d) / 2
			}
		}
		out := env.New(x.DType, outShape...)
		ops.Clear(out.Data)
		if err := ops.CopyBox(out, x, dstStart, srcStart, counts); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildPad(n *graph.Node, opset int64) (operators.Kernel, error) {
	mode, err := enumAttr(n, "mode", "constant",
		enumChoice[ops.PadMode]{"constant", ops.PadConstant},
		enumChoice[ops.PadMode]{"reflect", ops.PadReflect},
		enumChoice[ops.PadMode]{"edge", ops.PadEdge},
		enumChoice[ops.PadMode]{"wrap", ops.PadWrap})
	if err != nil {
		return nil, err
	}
	if mode == ops.PadWrap && opset < 19 {
		return nil, fmt.Errorf("node %s: mode wrap needs opset 19, model has %d", n.Label(), opset)
	}
	var attrPads []int64
	var attrValue float32
	if opset < 11 {
		name := "pads"
		if opset < 2 && !n.Has("pads") {
			name = "paddings"
		}
		if attrPads, err = n.Ints(name, nil); err != nil {
			return nil, err
		}
		if attrPads == nil {
			return nil, fmt.Errorf("node %s: missing required attribute %s", n.Label(), name)
		}
		if attrValue, err = n.Float("value", 0); err != nil {
			return nil, err
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		pads := attrPads
		var cv *ops.Tensor
		axes := make([]int, r)
		for i := range axes {
			axes[i] = i
		}
		if opset >= 11 {
			pt, err := requiredInput(n, in, 1, "pads")
			if err != nil {
				return nil, err
			}
			if pads, err = intListInput(n, pt, "pads"); err != nil {
				return nil, err
			}
			if cv = optionalInput(in, 2); cv != nil {
				if cv.DType != x.DType || cv.Len() != 1 {
					return nil, fmt.Errorf("node %s: constant_value must be a one-element %v tensor, got %v", n.Label(), x.DType, cv)
				}
			}
			if at := optionalInput(in, 3); at != nil && opset >= 18 {
				av, err := intListInput(n, at, "axes")
				if err != nil {
					return nil, err
				}
				axes = axes[:0]
				seen := make([]bool, r)
				for _, a := range av {
					if a < -int64(r) || a >= int64(r) {
						return nil, fmt.Errorf("node %s: axis %d out of range for data of rank %d", n.Label(), a, r)
					}
					if a < 0 {
						a += int64(r)
					}
					if seen[a] {
						return nil, fmt.Errorf("node %s: axis %d repeated in axes %v", n.Label(), a, av)
					}
					seen[a] = true
					axes = append(axes, int(a))
				}
			}
		}
		na := len(axes)
		if len(pads) != 2*na {
			return nil, fmt.Errorf("node %s: pads has %d values, want %d (begin and end for %d axes)", n.Label(), len(pads), 2*na, na)
		}
		begin, end := make([]int, r), make([]int, r)
		for i, a := range axes {
			begin[a], end[a] = int(pads[i]), int(pads[na+i])
		}
		shape, err := ops.PadShape(x.Shape, begin, end)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if mode == ops.PadReflect {
			for d := 0; d < r; d++ {
				if (begin[d] > 0 || end[d] > 0) && x.Shape[d] == 0 {
					return nil, fmt.Errorf("node %s: reflect mode cannot pad empty axis %d", n.Label(), d)
				}
			}
		}
		y := env.New(x.DType, shape...)
		switch xd := x.Data.(type) {
		case []float32:
			v := attrValue
			if cv != nil {
				v = cv.F32()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.F32())
		case []float64:
			v := float64(attrValue)
			if cv != nil {
				v = cv.F64()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.F64())
		case []uint16: // float16, bfloat16 or uint16
			v := uint16(attrValue)
			if x.DType != ops.Uint16 {
				v = ops.Float32ToNarrow(x.DType, attrValue, false)
			}
			if cv != nil {
				v = cv.U16()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.U16())
		case []int64:
			v := int64(attrValue)
			if cv != nil {
				v = cv.I64()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.I64())
		case []int32:
			v := int32(attrValue)
			if cv != nil {
				v = cv.I32()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.I32())
		case []int8:
			v := int8(attrValue)
			if cv != nil {
				v = cv.I8()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.I8())
		case []uint8: // uint8, the 8- and 4-bit floats, uint4, uint2
			v := uint8(attrValue)
			if x.DType.IsNarrowFloat() {
				v = uint8(ops.Float32ToNarrow(x.DType, attrValue, true))
			}
			if cv != nil {
				v = cv.U8()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.U8())
		case []bool:
			v := attrValue != 0
			if cv != nil {
				v = cv.B()[0]
			}
			err = ops.Pad(x.Shape, begin, end, mode, v, xd, y.B())
		default:
			return nil, fmt.Errorf("node %s: unsupported data type %v", n.Label(), x.DType)
		}
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func inferPad(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var pads []int64
	if c.Opset() < 11 {
		var err error
		if pads, err = n.Ints("pads", nil); err != nil {
			return nil, err
		}
	} else if len(n.Inputs) > 3 && n.Inputs[3] != "" {
		pads = nil // axes input: not tracked
	} else {
		pads, _ = c.Ints(n, 1)
	}
	if pads == nil {
		return one(rankOnly(x.DType, int64(r))), nil
	}
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v has %d entries, want %d for input %s", pads, len(pads), 2*r, x.Shape)
	}
	out := make(graph.Shape, r)
	for i, d := range x.Shape {
		switch {
		case pads[i] == 0 && pads[i+r] == 0:
			out[i] = d
		case d.Known():
			v := d.Value + pads[i] + pads[i+r]
			if v < 0 {
				return nil, fmt.Errorf("pads %v make axis %d of %s negative", pads, i, x.Shape)
			}
			out[i] = operators.KnownDim(v)
		default:
			out[i] = operators.UnknownDim
		}
	}
	return one(ranked(x.DType, out)), nil
}

// inferCenterCropPad: the input's shape with the listed axes (all by
// default) set to the constant shape input's sizes; unknown there when
// the shape is not a constant.
func inferCenterCropPad(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	axesAttr, err := n.Ints("axes", nil)
	if err != nil {
		return nil, err
	}
	if axesAttr != nil {
		if axes, err = resolveAxes(n, axesAttr, r); err != nil {
			return nil, err
		}
	}
	out := append(graph.Shape(nil), x.Shape...)
	want, ok := c.Ints(n, 1)
	if ok && len(want) != len(axes) {
		return nil, fmt.Errorf("shape has %d values for %d axes", len(want), len(axes))
	}
	for i, a := range axes {
		out[a] = operators.UnknownDim
		if ok {
			if want[i] < 0 {
				return nil, fmt.Errorf("shape entry %d is negative", want[i])
			}
			out[a] = operators.KnownDim(want[i])
		}
	}
	return one(ranked(x.DType, out)), nil
}
