package kernels

// Less common elementwise operators: trigonometric and hyperbolic
// functions, Round, the activations Celu, ThresholdedRelu, Shrink,
// HardSwish, Mish and Gelu, IsNaN/IsInf, Mod and BitShift.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for name, op := range map[string]ops.UnaryOp{"Cos": ops.UnCos, "Sin": ops.UnSin, "Tan": ops.UnTan,
		"Acos": ops.UnAcos, "Asin": ops.UnAsin, "Atan": ops.UnAtan} {
		operators.Register("", name, 7, ewBuildUnary(op, nil))
	}
	for name, op := range map[string]ops.UnaryOp{"Cosh": ops.UnCosh, "Sinh": ops.UnSinh,
		"Acosh": ops.UnAcosh, "Asinh": ops.UnAsinh, "Atanh": ops.UnAtanh} {
		operators.Register("", name, 9, ewBuildUnary(op, nil))
	}
	operators.Register("", "Round", 11, ewBuildUnary(ops.UnRound, nil))
	operators.Register("", "Celu", 12, ewBuildUnary(ops.UnCelu, ewAttrs{"alpha": 1}))
	operators.Register("", "ThresholdedRelu", 10, ewBuildUnary(ops.UnThresholdedRelu, ewAttrs{"alpha": 1}))
	operators.Register("", "Shrink", 9, ewBuildShrink)
	operators.Register("", "HardSwish", 14, ewBuildUnary(ops.UnHardSwish, nil))
	operators.Register("", "Mish", 18, ewBuildUnary(ops.UnMish, nil))
	operators.Register("", "Gelu", 20, ewBuildGelu)
	for _, v := range []int64{9, 13, 20} {
		operators.Register("", "IsNaN", v, ewBuildIsNaN)
	}
	for _, v := range []int64{10, 20} {
		operators.Register("", "IsInf", v, ewBuildIsInf)
	}
	for _, v := range []int64{10, 13} {
		operators.Register("", "Mod", v, ewBuildMod)
	}
	operators.Register("", "BitShift", 11, ewBuildBitShift)
}

// ewBuildShrink maps lambd and bias onto UnaryParams.Alpha and Beta.
func ewBuildShrink(n *graph.Node, opset int64) (operators.Kernel, error) {
	lambd, err := n.Float("lambd", 0.5)
	if err != nil {
		return nil, err
	}
	bias, err := n.Float("bias", 0)
	if err != nil {
		return nil, err
	}
	return ewUnaryKernel(n, ops.UnShrink, ops.UnaryParams{Alpha: lambd, Beta: bias}), nil
}

func ewBuildGelu(n *graph.Node, opset int64) (operators.Kernel, error) {
	approx, err := n.String("approximate", "none")
	if err != nil {
		return nil, err
	}
	switch approx {
	case "none":
		return ewUnaryKernel(n, ops.UnGelu, ops.UnaryParams{}), nil
	case "tanh":
		return ewUnaryKernel(n, ops.UnGeluTanh, ops.UnaryParams{}), nil
	}
	return nil, fmt.Errorf("node %s: approximate must be \"none\" or \"tanh\", got %q", n.Label(), approx)
}

func ewBuildIsNaN(n *graph.Node, opset int64) (operators.Kernel, error) {
	return ewClassify(n, ops.IsNaNTensor), nil
}

func ewBuildIsInf(n *graph.Node, opset int64) (operators.Kernel, error) {
	neg, err := n.Int("detect_negative", 1)
	if err != nil {
		return nil, err
	}
	pos, err := n.Int("detect_positive", 1)
	if err != nil {
		return nil, err
	}
	return ewClassify(n, func(dst, src *ops.Tensor) error { return ops.IsInfTensor(dst, src, neg != 0, pos != 0) }), nil
}

func ewClassify(n *graph.Node, f func(dst, src *ops.Tensor) error) operators.Kernel {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "X")
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

// ewBuildMod: fmod=0 is the integer remainder with the divisor's sign;
// fmod=1 (required for floating-point inputs) has the dividend's sign.
func ewBuildMod(n *graph.Node, opset int64) (operators.Kernel, error) {
	fmod, err := n.Int("fmod", 0)
	if err != nil {
		return nil, err
	}
	if fmod != 0 && fmod != 1 {
		return nil, fmt.Errorf("node %s: fmod must be 0 or 1, got %d", n.Label(), fmod)
	}
	op := ops.OpMod
	if fmod == 1 {
		op = ops.OpFmod
	}
	bin, err := ewBuildBinary(op)(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if fmod == 0 && len(in) > 0 && in[0] != nil && in[0].DType.IsFloat() {
			return nil, fmt.Errorf("node %s: floating-point input %s needs fmod=1", n.Label(), n.Inputs[0])
		}
		return bin(env, in)
	}, nil
}

func ewBuildBitShift(n *graph.Node, opset int64) (operators.Kernel, error) {
	dir, err := n.String("direction", "")
	if err != nil {
		return nil, err
	}
	var op ops.BinOp
	switch dir {
	case "LEFT":
		op = ops.OpShiftLeft
	case "RIGHT":
		op = ops.OpShiftRight
	default:
		return nil, fmt.Errorf("node %s: direction must be \"LEFT\" or \"RIGHT\", got %q", n.Label(), dir)
	}
	bin, err := ewBuildBinary(op)(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) > 0 && in[0] != nil && in[0].DType != ops.Uint8 {
			return nil, fmt.Errorf("node %s: input %s has unsupported type %v (latent supports BitShift on uint8)", n.Label(), n.Inputs[0], in[0].DType)
		}
		return bin(env, in)
	}, nil
}
