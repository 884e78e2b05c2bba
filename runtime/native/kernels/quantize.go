package kernels

// QuantizeLinear, DequantizeLinear (per-tensor or per-axis scale and zero
// point, 8-bit and int32 data) and DynamicQuantizeLinear (uint8 with
// scale and zero point from the data's range). Rounding is half to even
// with saturation, as the ONNX specification requires.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "QuantizeLinear", Infer: inferQuantize, Build: buildQuantize(false)}, 10, 13, 19, 21)
	operators.Register(operators.Op{Type: "DequantizeLinear", Infer: inferDequantize, Build: buildQuantize(true)}, 10, 13, 19, 21)
	operators.Register(operators.Op{Type: "DynamicQuantizeLinear", Build: buildDynamicQuantize}, 11)
}

// perAxisParams checks a per-axis parameter of count values along axis of
// shape and returns inner and dim such that flat element i uses parameter
// (i / inner) % dim (a single value: inner = dim = 1).
func perAxisParams(n *graph.Node, shape []int, axis int64, count int) (inner, dim int, err error) {
	if count == 1 {
		return 1, 1, nil
	}
	a, err := resolveAxis(n, axis, len(shape))
	if err != nil {
		return 0, 0, err
	}
	if shape[a] != count {
		return 0, 0, fmt.Errorf("node %s: per-axis scale has %d values, axis %d has %d", n.Label(), count, a, shape[a])
	}
	return ops.NumElements(shape[a+1:]), count, nil
}

func buildQuantize(dequant bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		axis, err := n.Int("axis", 1)
		if err != nil {
			return nil, err
		}
		if bs, err := n.Int("block_size", 0); err != nil {
			return nil, err
		} else if bs != 0 {
			return nil, fmt.Errorf("node %s: blocked quantization (block_size %d) is not supported", n.Label(), bs)
		}
		// saturate only concerns float8 outputs, which latent does not
		// represent; 8-bit integers always saturate.
		outDT := ops.Uint8
		if a, ok := n.Attrs["output_dtype"]; ok && a.Type == graph.AttrInt && a.I != 0 {
			switch a.I {
			case 2:
				outDT = ops.Uint8
			case 3:
				outDT = ops.Int8
			default:
				return nil, fmt.Errorf("node %s: output_dtype %d unsupported (uint8 or int8 only)", n.Label(), a.I)
			}
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := requiredInput(n, in, 0, "x")
			if err != nil {
				return nil, err
			}
			st, err := floatInput(n, in, 1, "scale")
			if err != nil {
				return nil, err
			}
			if st.Rank() > 1 {
				return nil, fmt.Errorf("node %s: scale must be a scalar or 1-D, got shape %s", n.Label(), ops.ShapeString(st.Shape))
			}
			scale := float32s(st)
			inner, dim, err := perAxisParams(n, x.Shape, axis, len(scale))
			if err != nil {
				return nil, err
			}
			zpT := optionalInput(in, 2)
			if zpT != nil && zpT.Len() != len(scale) {
				return nil, fmt.Errorf("node %s: zero point has %d values, scale %d", n.Label(), zpT.Len(), len(scale))
			}
			param := func(i int) int { return (i / inner) % dim }
			if dequant {
				var xv []int32
				switch d := x.Data.(type) {
				case []uint8, []int8:
					if xv, err = quantizedInts(n, x, "x"); err != nil {
						return nil, err
					}
				case []int32:
					xv = d
				default:
					return nil, fmt.Errorf("node %s: input x must be uint8, int8 or int32, got %v", n.Label(), x.DType)
				}
				var zp []int32
				if zpT != nil {
					if zpT.DType != x.DType {
						return nil, fmt.Errorf("node %s: zero point must be %v like x, got %v", n.Label(), x.DType, zpT.DType)
					}
					if zpT.DType == ops.Int32 {
						zp = zpT.I32()
					} else if zp, err = quantizedInts(n, zpT, "x_zero_point"); err != nil {
						return nil, err
					}
				}
				dt := st.DType
				o := newFloatOutput(env, dt, x.Shape)
				for i, v := range xv {
					k := param(i)
					o.f[i] = float32(v-paramAt(zp, k)) * scale[k]
				}
				return []*ops.Tensor{o.done()}, nil
			}
			if err := checkFloat(n, x, "x"); err != nil {
				return nil, err
			}
			var zp []int32
			dt := outDT
			if zpT != nil {
				dt = zpT.DType
				if zp, err = quantizedInts(n, zpT, "y_zero_point"); err != nil {
					return nil, err
				}
			}
			xs := float32s(x)
			y := env.New(dt, x.Shape...)
			lo, hi := 0.0, 255.0
			if dt == ops.Int8 {
				lo, hi = -128, 127
			}
			q := func(i int) float64 {
				k := param(i)
				v := math.RoundToEven(float64(xs[i]/scale[k])) + float64(paramAt(zp, k))
				return math.Min(math.Max(v, lo), hi)
			}
			switch d := y.Data.(type) {
			case []uint8:
				for i := range d {
					d[i] = uint8(q(i))
				}
			case []int8:
				for i := range d {
					d[i] = int8(q(i))
				}
			}
			return []*ops.Tensor{y}, nil
		}, nil
	}
}

func buildDynamicQuantize(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "x")
		if err != nil {
			return nil, err
		}
		if x.DType != ops.Float32 {
			return nil, fmt.Errorf("node %s: input x must be float32, got %v", n.Label(), x.DType)
		}
		xs := x.F32()
		// The range always includes 0 so that 0 is exactly representable.
		var mn, mx float32
		for _, v := range xs {
			mn, mx = min(mn, v), max(mx, v)
		}
		scale := (mx - mn) / 255
		var zp float64
		if scale != 0 {
			zp = math.Min(math.Max(math.RoundToEven(float64(-mn/scale)), 0), 255)
		}
		y := env.New(ops.Uint8, x.Shape...)
		yd := y.U8()
		for i, v := range xs {
			q := zp
			if scale != 0 {
				q = math.RoundToEven(float64(v/scale)) + zp
			}
			yd[i] = uint8(math.Min(math.Max(q, 0), 255))
		}
		st := env.New(ops.Float32)
		st.F32()[0] = scale
		zt := env.New(ops.Uint8)
		zt.U8()[0] = uint8(zp)
		return []*ops.Tensor{y, st, zt}, nil
	}, nil
}

func inferDequantize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Float32
	if s := input(in, 1); s.DType != ops.Invalid && c.Opset() >= 19 {
		out[0].DType = s.DType
	}
	return out, nil
}

func inferQuantize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Uint8
	if z := input(in, 2); z.Name != "" {
		out[0].DType = z.DType
	}
	return out, nil
}
