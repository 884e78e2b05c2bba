package kernels

// Cast and CastLike among latent's element types, and BitCast (the same
// bits read as another type of the same width).

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Cast", Infer: inferCast, Build: buildCast}, 1, 6, 9, 13, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "CastLike", Infer: inferCastLike, Build: buildCastLike}, 15, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "BitCast", Infer: inferBitCast, Build: buildBitCast}, 26)
}

// bitCastTarget reads BitCast's required "to" (any type but string).
func bitCastTarget(n *graph.Node) (ops.DType, error) {
	if !n.Has("to") {
		return ops.Invalid, errors.New(`attribute "to" is required`)
	}
	to, err := n.Int("to", 0)
	if err != nil {
		return ops.Invalid, err
	}
	dt := graph.DTypeFromElemType(int32(to))
	if dt == ops.Invalid || dt == ops.String {
		return ops.Invalid, fmt.Errorf("BitCast to %s is not supported", graph.ElemTypeName(int32(to)))
	}
	return dt, nil
}

// buildBitCast reinterprets the input's little-endian bytes (ONNX's
// layout, which ops.AppendLE and ops.FromLE read and write) as "to".
func buildBitCast(n *graph.Node, opset int64) (operators.Kernel, error) {
	dt, err := bitCastTarget(n)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.DType == ops.String || x.DType.Bits() != dt.Bits() {
			return nil, fmt.Errorf("node %s: cannot bit-cast %v to %v (the widths must match, strings have none)", n.Label(), x.DType, dt)
		}
		if x.DType == dt {
			return []*ops.Tensor{x}, nil
		}
		out := env.New(dt, x.Shape...)
		if ops.SameStorage(x.DType, dt) {
			ops.CopyData(out.Data, x.Data)
			return []*ops.Tensor{out}, nil
		}
		raw, err := ops.AppendLE(nil, x)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		data, err := ops.FromLE(dt, raw, x.Len())
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		ops.CopyData(out.Data, data)
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferBitCast(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	dt, err := bitCastTarget(n)
	if err != nil {
		return nil, err
	}
	if x := in[0].DType; x != ops.Invalid && (x == ops.String || x.Bits() != dt.Bits()) {
		return nil, fmt.Errorf("cannot bit-cast %v to %v (the widths must match, strings have none)", x, dt)
	}
	out[0].DType = dt
	return out, nil
}

func buildCast(n *graph.Node, opset int64) (operators.Kernel, error) {
	if !n.Has("to") {
		return nil, fmt.Errorf("node %s: missing required attribute \"to\"", n.Label())
	}
	var to int64
	if a := n.Attrs["to"]; a.Type == graph.AttrString {
		// Cast-1 names the type ("FLOAT", "INT64", …).
		code, ok := onnxpb.TensorProto_DataType_value[string(a.S)]
		if !ok {
			return nil, fmt.Errorf("node %s: unknown type name %q in attribute \"to\"", n.Label(), a.S)
		}
		to = int64(code)
	} else {
		var err error
		if to, err = n.Int("to", 0); err != nil {
			return nil, err
		}
	}
	dt := graph.DTypeFromElemType(int32(to))
	if dt == ops.Invalid {
		return nil, fmt.Errorf("node %s: cast to %s is not supported", n.Label(), graph.ElemTypeName(int32(to)))
	}
	opts, err := castOptions(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		return castTo(env, n, x, dt, opts)
	}, nil
}

// castOptions reads the saturate (opset 19) and round_mode (opset 24)
// attributes of Cast and CastLike.
func castOptions(n *graph.Node) (ops.CastOptions, error) {
	sat, err := n.Int("saturate", 1)
	if err != nil {
		return ops.CastOptions{}, err
	}
	mode, err := n.String("round_mode", "up")
	if err != nil {
		return ops.CastOptions{}, err
	}
	r, err := ops.ParseE8M0Rounding(mode)
	if err != nil {
		return ops.CastOptions{}, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return ops.CastOptions{Saturate: sat != 0, E8M0: r}, nil
}

func buildCastLike(n *graph.Node, opset int64) (operators.Kernel, error) {
	opts, err := castOptions(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input", "target_type")
		if err != nil {
			return nil, err
		}
		x, like := ins[0], ins[1]
		return castTo(env, n, x, like.DType, opts)
	}, nil
}

func castTo(env *operators.Env, n *graph.Node, x *ops.Tensor, dt ops.DType, opts ops.CastOptions) ([]*ops.Tensor, error) {
	if x.DType == dt {
		return []*ops.Tensor{x}, nil // same type: a view of the input
	}
	out := env.New(dt, x.Shape...)
	if err := ops.CastWith(out, x, opts); err != nil {
		return nil, fmt.Errorf("node %s: input %s: %w", n.Label(), n.Inputs[0], err)
	}
	return []*ops.Tensor{out}, nil
}

func inferCast(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	to, err := n.Int("to", 0)
	if err != nil {
		return nil, err
	}
	if !n.Has("to") {
		return nil, errors.New(`attribute "to" is required`)
	}
	out[0].DType = graph.DTypeFromElemType(int32(to))
	if out[0].DType == ops.Int64 || out[0].DType == ops.Int32 {
		c.CopyValues(n.Inputs[0], n.Outputs[0])
	}
	return out, nil
}

func inferCastLike(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = in[1].DType
	return out, nil
}
