package kernels

// Unary elementwise operators: the activations (Relu … Gelu, Swish and
// the gated SwiGLU), the
// trigonometric and hyperbolic functions, Round, Clip, Not, BitwiseNot,
// IsNaN and IsInf.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for name, op := range map[string]ops.UnaryOp{
		"Abs": ops.UnAbs, "Neg": ops.UnNeg, "Exp": ops.UnExp, "Log": ops.UnLog, "Sqrt": ops.UnSqrt,
		"Reciprocal": ops.UnReciprocal, "Sigmoid": ops.UnSigmoid, "Tanh": ops.UnTanh,
		"Floor": ops.UnFloor, "Ceil": ops.UnCeil,
	} {
		types := floatInputs
		if name == "Abs" || name == "Neg" {
			types = nil // every numeric type
		}
		operators.Register(operators.Op{Type: name, Inputs: types, Infer: inferSame, Build: buildUnary(op, nil)}, 1, 6, 13)
	}
	operators.Register(operators.Op{Type: "Relu", Infer: inferSame, Build: buildUnary(ops.UnRelu, nil)}, 1, 6, 13, 14)
	operators.Register(operators.Op{Type: "Erf", Infer: inferSame, Build: buildUnary(ops.UnErf, nil)}, 9, 13)
	operators.Register(operators.Op{Type: "Sign", Infer: inferSame, Build: buildUnary(ops.UnSign, nil)}, 9, 13)
	operators.Register(operators.Op{Type: "LeakyRelu", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnLeakyRelu, floatAttrs{"alpha": 0.01})}, 1, 6, 16)
	operators.Register(operators.Op{Type: "Elu", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnElu, floatAttrs{"alpha": 1})}, 1, 6)
	// ONNX Selu's defaults are the float32 roundings of the paper's constants.
	operators.Register(operators.Op{Type: "Selu", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnSelu, floatAttrs{"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875})}, 1, 6)
	operators.Register(operators.Op{Type: "HardSigmoid", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnHardSigmoid, floatAttrs{"alpha": 0.2, "beta": 0.5})}, 1, 6)
	operators.Register(operators.Op{Type: "Softplus", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnSoftplus, nil)}, 1)
	operators.Register(operators.Op{Type: "Softsign", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnSoftsign, nil)}, 1)
	operators.Register(operators.Op{Type: "Not", Infer: inferSame, Build: buildNot}, 1)
	operators.Register(operators.Op{Type: "BitwiseNot", Inputs: integerInputs, Infer: inferSame, Build: buildBitwiseNot}, 18)
	operators.Register(operators.Op{Type: "Clip", Infer: inferSame, Build: buildClip}, 1, 6, 11, 12, 13)
	for name, op := range map[string]ops.UnaryOp{"Cos": ops.UnCos, "Sin": ops.UnSin, "Tan": ops.UnTan,
		"Acos": ops.UnAcos, "Asin": ops.UnAsin, "Atan": ops.UnAtan} {
		operators.Register(operators.Op{Type: name, Inputs: floatInputs, Infer: inferSame, Build: buildUnary(op, nil)}, 7)
	}
	for name, op := range map[string]ops.UnaryOp{"Cosh": ops.UnCosh, "Sinh": ops.UnSinh,
		"Acosh": ops.UnAcosh, "Asinh": ops.UnAsinh, "Atanh": ops.UnAtanh} {
		operators.Register(operators.Op{Type: name, Inputs: floatInputs, Infer: inferSame, Build: buildUnary(op, nil)}, 9)
	}
	operators.Register(operators.Op{Type: "Round", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnRound, nil)}, 11)
	operators.Register(operators.Op{Type: "Celu", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnCelu, floatAttrs{"alpha": 1})}, 12)
	operators.Register(operators.Op{Type: "ThresholdedRelu", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnThresholdedRelu, floatAttrs{"alpha": 1})}, 10)
	operators.Register(operators.Op{Type: "Shrink", Infer: inferSame, Build: buildShrink}, 9)
	operators.Register(operators.Op{Type: "HardSwish", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnHardSwish, nil)}, 14)
	operators.Register(operators.Op{Type: "Mish", Inputs: floatInputs, Infer: inferSame, Build: buildUnary(ops.UnMish, nil)}, 18)
	operators.Register(operators.Op{Type: "Gelu", Inputs: floatInputs, Infer: inferSame, Build: buildGelu}, 20)
	operators.Register(operators.Op{Type: "Swish", Inputs: anyFloatInputs, Infer: inferSame, Build: buildSwish}, 24)
	operators.Register(operators.Op{Type: "SwiGLU", Inputs: anyFloatInputs, Infer: inferSwiGLU, Build: buildSwiGLU}, 28)
	operators.Register(operators.Op{Type: "IsNaN", Inputs: floatInputs, Infer: inferSameBool, Build: buildIsNaN}, 9, 13, 20)
	operators.Register(operators.Op{Type: "IsInf", Inputs: floatInputs, Infer: inferSameBool, Build: buildIsInf}, 10, 20)
}

// floatAttrs lists a unary operator's float attributes and their defaults.
type floatAttrs map[string]float32

func buildUnary(op ops.UnaryOp, attrs floatAttrs) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		var p ops.UnaryParams
		for name, def := range attrs {
			v, err := n.Float(name, def)
			if err != nil {
				return nil, err
			}
			switch name {
			case "alpha":
				p.Alpha = v
			case "beta":
				p.Beta = v
			case "gamma":
				p.Gamma = v
			}
		}
		return unaryKernel(n, op, p), nil
	}
}

// unaryKernel runs op with fixed parameters on the node's one input.
func unaryKernel(n *graph.Node, op ops.UnaryOp, p ops.UnaryParams) operators.Kernel {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if err := checkNumeric(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		if !x.DType.IsFloat() && !op.IntegerOK() {
			return nil, fmt.Errorf("node %s: input %s has unsupported type %v (floating point only)", n.Label(), n.Inputs[0], x.DType)
		}
		out := env.New(x.DType, x.Shape...)
		if err := ops.Unary(op, p, out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}
}

// buildSwish: x·sigmoid(alpha·x) on any float type.
func buildSwish(n *graph.Node, opset int64) (operators.Kernel, error) {
	alpha, err := n.Float("alpha", 1)
	if err != nil {
		return nil, err
	}
	p := ops.UnaryParams{Alpha: alpha}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		out := env.New(x.DType, x.Shape...)
		if err := ops.Unary(ops.UnSwish, p, out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// buildSwiGLU: Swish_alpha(A)·B for A and B of one type and one shape (the
// spec applies no broadcasting).
func buildSwiGLU(n *graph.Node, opset int64) (operators.Kernel, error) {
	alpha, err := n.Float("alpha", 1)
	if err != nil {
		return nil, err
	}
	p := ops.UnaryParams{Alpha: alpha}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		a, err := anyFloatInput(n, in, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := anyFloatInput(n, in, 1, "B")
		if err != nil {
			return nil, err
		}
		if a.DType != b.DType || !ops.SameShape(a.Shape, b.Shape) {
			return nil, fmt.Errorf("node %s: A %v %s and B %v %s must have one type and one shape (SwiGLU does not broadcast)",
				n.Label(), a.DType, ops.ShapeString(a.Shape), b.DType, ops.ShapeString(b.Shape))
		}
		o := newFloatOutput(env, a.DType, a.Shape)
		ops.UnaryF32(ops.UnSwish, p, o.f, float32s(a))
		if a.DType != ops.Float32 {
			// Round the gate to the input type first, as the spec's Swish does.
			o.done()
			copy(o.f, float32s(o.t))
		}
		ops.MulF32(o.f, o.f, float32s(b))
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func inferSwiGLU(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	if err := sameElemType(in[:2]); err != nil {
		return nil, err
	}
	return inferSame(c, n, in)
}

func buildNot(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.DType != ops.Bool {
			return nil, fmt.Errorf("node %s: input %s must be bool, got %v", n.Label(), n.Inputs[0], x.DType)
		}
		out := env.New(ops.Bool, x.Shape...)
		if err := ops.NotTensor(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildBitwiseNot(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if err := checkInteger(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		out := env.New(x.DType, x.Shape...)
		if err := ops.BitwiseNotTensor(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// buildClip: before opset 11 the bounds are float attributes (defaulting
// to the float range); from 11 they are optional scalar inputs of X's type.
func buildClip(n *graph.Node, opset int64) (operators.Kernel, error) {
	var attrLo, attrHi *ops.Tensor
	if opset < 11 {
		lo, err := n.Float("min", -math.MaxFloat32)
		if err != nil {
			return nil, err
		}
		hi, err := n.Float("max", math.MaxFloat32)
		if err != nil {
			return nil, err
		}
		attrLo, attrHi = ops.Scalar(lo), ops.Scalar(hi)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if err := checkNumeric(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		lo, hi := optionalInput(in, 1), optionalInput(in, 2)
		if opset < 11 {
			if !x.DType.IsFloat() {
				return nil, fmt.Errorf("node %s: input %s has unsupported type %v at opset %d (floating point only)", n.Label(), n.Inputs[0], x.DType, opset)
			}
			lo, hi = castScalar(attrLo, x.DType), castScalar(attrHi, x.DType)
		}
		for i, b := range []*ops.Tensor{lo, hi} {
			if b == nil {
				continue
			}
			name := [...]string{"min", "max"}[i]
			if b.DType != x.DType {
				return nil, fmt.Errorf("node %s: %s is %v but input is %v (types must match)", n.Label(), name, b.DType, x.DType)
			}
			if b.Len() != 1 {
				return nil, fmt.Errorf("node %s: %s must be a scalar, got shape %s", n.Label(), name, ops.ShapeString(b.Shape))
			}
		}
		out := env.New(x.DType, x.Shape...)
		if err := ops.ClipTensor(out, x, lo, hi); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// castScalar converts a float32 scalar attribute to a float dtype.
func castScalar(s *ops.Tensor, dt ops.DType) *ops.Tensor {
	if dt == ops.Float32 {
		return s
	}
	t := ops.New(dt)
	if err := ops.Cast(t, s); err != nil {
		return s // unreachable for float targets; ClipTensor reports the mismatch
	}
	return t
}

// buildShrink maps lambd and bias onto UnaryParams.Alpha and Beta.
func buildShrink(n *graph.Node, opset int64) (operators.Kernel, error) {
	lambd, err := n.Float("lambd", 0.5)
	if err != nil {
		return nil, err
	}
	bias, err := n.Float("bias", 0)
	if err != nil {
		return nil, err
	}
	return unaryKernel(n, ops.UnShrink, ops.UnaryParams{Alpha: lambd, Beta: bias}), nil
}

func buildGelu(n *graph.Node, opset int64) (operators.Kernel, error) {
	approx, err := n.String("approximate", "none")
	if err != nil {
		return nil, err
	}
	switch approx {
	case "none":
		return unaryKernel(n, ops.UnGelu, ops.UnaryParams{}), nil
	case "tanh":
		return unaryKernel(n, ops.UnGeluTanh, ops.UnaryParams{}), nil
	}
	return nil, fmt.Errorf("node %s: approximate must be \"none\" or \"tanh\", got %q", n.Label(), approx)
}

func buildIsNaN(n *graph.Node, opset int64) (operators.Kernel, error) {
	return classifyFloats(n, ops.IsNaNTensor), nil
}

func buildIsInf(n *graph.Node, opset int64) (operators.Kernel, error) {
	neg, err := n.Int("detect_negative", 1)
	if err != nil {
		return nil, err
	}
	pos, err := n.Int("detect_positive", 1)
	if err != nil {
		return nil, err
	}
	return classifyFloats(n, func(dst, src *ops.Tensor) error { return ops.IsInfTensor(dst, src, neg != 0, pos != 0) }), nil
}

func classifyFloats(n *graph.Node, f func(dst, src *ops.Tensor) error) operators.Kernel {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if !x.DType.IsFloat() {
			return nil, fmt.Errorf("node %s: input %s has unsupported type %v (floating point only)", n.Label(), n.Inputs[0], x.DType)
		}
		out := env.New(ops.Bool, x.Shape...)
		if err := f(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}
}
