package kernels

// QuantizeLinear and DequantizeLinear (per-tensor, per-axis or blocked
// scale and zero point; 16-, 8-, 4- and 2-bit integers, the 8-bit floats
// and float4, int32 data for DequantizeLinear; the arithmetic is
// ops.Quantize and ops.Dequantize) and DynamicQuantizeLinear (uint8 with
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
	operators.Register(operators.Op{Type: "QuantizeLinear", Infer: inferQuantize, Build: buildQuantize(false)}, 10, 13, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "DequantizeLinear", Infer: inferDequantize, Build: buildQuantize(true)}, 10, 13, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "DynamicQuantizeLinear", Infer: inferDynamicQuantize, Build: buildDynamicQuantize}, 11)
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
		bs, err := n.Int("block_size", 0)
		if err != nil {
			return nil, err
		}
		if bs < 0 {
			return nil, fmt.Errorf("node %s: block_size %d is negative", n.Label(), bs)
		}
		saturate, err := n.Int("saturate", 1)
		if err != nil {
			return nil, err
		}
		outDT := ops.Invalid // from the zero point, else the default
		if code, err := n.Int("output_dtype", 0); err != nil {
			return nil, err
		} else if code != 0 {
			if outDT = graph.DTypeFromElemType(int32(code)); outDT == ops.Invalid {
				return nil, fmt.Errorf("node %s: output_dtype %s is not supported", n.Label(), graph.ElemTypeName(int32(code)))
			}
			if !dequant && !ops.IsQuantizedType(outDT) {
				return nil, fmt.Errorf("node %s: output_dtype %v is not a quantized type", n.Label(), outDT)
			}
		}
		precision := ops.Invalid
		if code, err := n.Int("precision", 0); err != nil {
			return nil, err
		} else if code != 0 {
			if precision = graph.DTypeFromElemType(int32(code)); !precision.IsFloat() && !precision.IsNarrowFloat() {
				return nil, fmt.Errorf("node %s: precision %s is not a float type", n.Label(), graph.ElemTypeName(int32(code)))
			}
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := requiredInput(n, in, 0, "x")
			if err != nil {
				return nil, err
			}
			scale, err := requiredInput(n, in, 1, "scale")
			if err != nil {
				return nil, err
			}
			if !scale.DType.IsFloat() && !scale.DType.IsNarrowFloat() {
				return nil, fmt.Errorf("node %s: scale must be a float type, got %v", n.Label(), scale.DType)
			}
			if bs == 0 && scale.Rank() > 1 {
				return nil, fmt.Errorf("node %s: scale must be a scalar or 1-D without block_size, got shape %s", n.Label(), ops.ShapeString(scale.Shape))
			}
			zp := optionalInput(in, 2)
			p := ops.QuantParams{BlockSize: int(bs)}
			if scale.Len() > 1 || bs > 0 {
				a, err := resolveAxis(n, axis, x.Rank())
				if err != nil {
					return nil, err
				}
				p.Axis = a
			}
			if dequant {
				dt := scale.DType
				if outDT != ops.Invalid {
					dt = outDT
				}
				if opset < 19 {
					dt = ops.Float32
				}
				if !dt.IsFloat() && dt != ops.BFloat16 {
					return nil, fmt.Errorf("node %s: output type %v is not supported (float32, float64, float16, bfloat16)", n.Label(), dt)
				}
				if !ops.IsQuantizedType(x.DType) && x.DType != ops.Int32 {
					return nil, fmt.Errorf("node %s: input x has unsupported type %v", n.Label(), x.DType)
				}
				y := env.New(dt, x.Shape...)
				if err := ops.Dequantize(y, x, scale, zp, p); err != nil {
					return nil, fmt.Errorf("node %s: %w", n.Label(), err)
				}
				return []*ops.Tensor{y}, nil
			}
			switch x.DType {
			case ops.Float32, ops.Float16, ops.BFloat16, ops.Int32:
			default:
				return nil, fmt.Errorf("node %s: input x has unsupported type %v (float32, float16, bfloat16, int32)", n.Label(), x.DType)
			}
			dt := ops.Uint8
			switch {
			case zp != nil && outDT != ops.Invalid && zp.DType != outDT:
				return nil, fmt.Errorf("node %s: output_dtype %v differs from the zero point's type %v", n.Label(), outDT, zp.DType)
			case zp != nil:
				dt = zp.DType
			case outDT != ops.Invalid:
				dt = outDT
			}
			if !ops.IsQuantizedType(dt) {
				return nil, fmt.Errorf("node %s: output type %v is not a quantized type", n.Label(), dt)
			}
			y := env.New(dt, x.Shape...)
			if err := ops.Quantize(y, x, scale, zp, p, saturate != 0, precision); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
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
	if code, _ := n.Int("output_dtype", 0); code != 0 {
		out[0].DType = graph.DTypeFromElemType(int32(code))
	}
	return out, nil
}

func inferQuantize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Uint8
	if code, _ := n.Int("output_dtype", 0); code != 0 {
		out[0].DType = graph.DTypeFromElemType(int32(code))
	}
	if z := input(in, 2); z.Name != "" && z.DType != ops.Invalid {
		out[0].DType = z.DType
	}
	return out, nil
}

// inferDynamicQuantize: y is uint8 of x's shape, y_scale a float32 scalar
// and y_zero_point a uint8 scalar.
func inferDynamicQuantize(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Uint8
	return []graph.ValueInfo{out[0], ranked(ops.Float32, nil), ranked(ops.Uint8, nil)}, nil
}
