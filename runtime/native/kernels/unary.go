package kernels

// Unary elementwise operators and activations (Abs … Erf), Clip and Not.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	v6_13 := []int64{1, 6, 13}
	for name, op := range map[string]ops.UnaryOp{
		"Abs": ops.UnAbs, "Neg": ops.UnNeg, "Exp": ops.UnExp, "Log": ops.UnLog, "Sqrt": ops.UnSqrt,
		"Reciprocal": ops.UnReciprocal, "Sigmoid": ops.UnSigmoid, "Tanh": ops.UnTanh,
		"Floor": ops.UnFloor, "Ceil": ops.UnCeil,
	} {
		for _, v := range v6_13 {
			operators.Register("", name, v, ewBuildUnary(op, nil))
		}
	}
	for _, v := range []int64{1, 6, 13, 14} {
		operators.Register("", "Relu", v, ewBuildUnary(ops.UnRelu, nil))
	}
	for _, v := range []int64{9, 13} {
		operators.Register("", "Erf", v, ewBuildUnary(ops.UnErf, nil))
		operators.Register("", "Sign", v, ewBuildUnary(ops.UnSign, nil))
	}
	for _, v := range []int64{1, 6, 16} {
		operators.Register("", "LeakyRelu", v, ewBuildUnary(ops.UnLeakyRelu, ewAttrs{"alpha": 0.01}))
	}
	operators.Register("", "Elu", 1, ewBuildUnary(ops.UnElu, ewAttrs{"alpha": 1}))
	operators.Register("", "Elu", 6, ewBuildUnary(ops.UnElu, ewAttrs{"alpha": 1}))
	// ONNX Selu's defaults are the float32 roundings of the paper's constants.
	operators.Register("", "Selu", 1, ewBuildUnary(ops.UnSelu, ewAttrs{"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875}))
	operators.Register("", "Selu", 6, ewBuildUnary(ops.UnSelu, ewAttrs{"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875}))
	operators.Register("", "HardSigmoid", 1, ewBuildUnary(ops.UnHardSigmoid, ewAttrs{"alpha": 0.2, "beta": 0.5}))
	operators.Register("", "HardSigmoid", 6, ewBuildUnary(ops.UnHardSigmoid, ewAttrs{"alpha": 0.2, "beta": 0.5}))
	operators.Register("", "Softplus", 1, ewBuildUnary(ops.UnSoftplus, nil))
	operators.Register("", "Softsign", 1, ewBuildUnary(ops.UnSoftsign, nil))
	operators.Register("", "Not", 1, ewBuildNot)
	for _, v := range []int64{1, 6, 11, 12, 13} {
		operators.Register("", "Clip", v, ewBuildClip)
	}
}

// ewAttrs lists a unary operator's float attributes and their defaults.
type ewAttrs map[string]float32

func ewBuildUnary(op ops.UnaryOp, attrs ewAttrs) operators.Builder {
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
		return ewUnaryKernel(n, op, p), nil
	}
}

// ewUnaryKernel runs op with fixed parameters on the node's one input.
func ewUnaryKernel(n *graph.Node, op ops.UnaryOp, p ops.UnaryParams) operators.Kernel {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if err := ewNumeric(n, x, n.Inputs[0]); err != nil {
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

func ewBuildNot(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "X")
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

// ewBuildClip: before opset 11 the bounds are float attributes (defaulting
// to the float range); from 11 they are optional scalar inputs of X's type.
func ewBuildClip(n *graph.Node, opset int64) (operators.Kernel, error) {
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
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if err := ewNumeric(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		lo, hi := tkOptInput(in, 1), tkOptInput(in, 2)
		if opset < 11 {
			if !x.DType.IsFloat() {
				return nil, fmt.Errorf("node %s: input %s has unsupported type %v at opset %d (floating point only)", n.Label(), n.Inputs[0], x.DType, opset)
			}
			lo, hi = ewCastScalar(attrLo, x.DType), ewCastScalar(attrHi, x.DType)
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

// ewCastScalar converts a float32 scalar attribute to a float dtype.
func ewCastScalar(s *ops.Tensor, dt ops.DType) *ops.Tensor {
	if dt == ops.Float32 {
		return s
	}
	t := ops.New(dt)
	if err := ops.Cast(t, s); err != nil {
		return s // unreachable for float targets; ClipTensor reports the mismatch
	}
	return t
}
