package kernels

// Softmax, LogSoftmax and Hardmax (opset < 13: over the input coerced to
// 2-D at axis; opset ≥ 13: along one axis).

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Softmax", Inputs: floatInputs, Infer: inferSame, Build: buildSoftmax(false)}, 1, 11, 13)
	operators.Register(operators.Op{Type: "LogSoftmax", Inputs: floatInputs, Infer: inferSame, Build: buildSoftmax(true)}, 1, 11, 13)
	operators.Register(operators.Op{Type: "Hardmax", Inputs: floatInputs, Infer: inferSame, Build: buildHardmax}, 1, 11, 13)
}

func buildSoftmax(log bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		axis, err := n.Int("axis", softmaxDefaultAxis(opset))
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := floatInput(n, in, 0, "input")
			if err != nil {
				return nil, err
			}
			outer, mid, inner := 1, 1, 1
			if x.Rank() == 0 {
				if axis != 0 && axis != -1 {
					return nil, fmt.Errorf("node %s: axis %d out of range for a scalar input", n.Label(), axis)
				}
			} else {
				a, err := resolveAxis(n, axis, x.Rank())
				if err != nil {
					return nil, err
				}
				outer, mid, inner = softmaxAxisSplit(x.Shape, a, opset)
			}
			o := newFloatOutput(env, x.DType, x.Shape)
			ops.SoftmaxAxis(outer, mid, inner, float32s(x), o.f, log)
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}

// softmaxAxisSplit is the outer×mid×inner view of shape around axis a that
// Softmax, LogSoftmax and Hardmax reduce over: before opset 13 the input is
// coerced to 2-D at a (mid spans every axis from a on), since then mid is
// axis a alone.
func softmaxAxisSplit(shape []int, a int, opset int64) (outer, mid, inner int) {
	if opset < 13 {
		return ops.NumElements(shape[:a]), ops.NumElements(shape[a:]), 1
	}
	return ops.NumElements(shape[:a]), shape[a], ops.NumElements(shape[a+1:])
}

// softmaxDefaultAxis returns the default axis of Softmax, LogSoftmax and
// Hardmax: 1 (coerce to 2-D) before opset 13, -1 (the last axis) since.
func softmaxDefaultAxis(opset int64) int64 {
	if opset >= 13 {
		return -1
	}
	return 1
}

func buildHardmax(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", softmaxDefaultAxis(opset))
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := resolveAxis(n, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, mid, inner := softmaxAxisSplit(x.Shape, a, opset)
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.Hardmax(outer, mid, inner, float32s(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}
