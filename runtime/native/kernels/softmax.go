package kernels

// Softmax and LogSoftmax (opset < 13: over the input coerced to 2-D at
// axis; opset ≥ 13: along one axis), and Dropout (identity in inference,
// seeded inverted dropout in training mode).

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{1, 11, 13} {
		operators.Register("", "Softmax", v, buildSoftmax(false))
		operators.Register("", "LogSoftmax", v, buildSoftmax(true))
	}
	for _, v := range []int64{1, 6, 7, 10, 12, 13} {
		operators.Register("", "Dropout", v, buildDropout)
	}
}

func buildSoftmax(log bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		axis, err := n.Int("axis", nnLastAxisDefault(opset))
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := nnFloatIn(n, in, 0, "input")
			if err != nil {
				return nil, err
			}
			outer, mid, inner := 1, 1, 1
			if x.Rank() == 0 {
				if axis != 0 && axis != -1 {
					return nil, fmt.Errorf("node %s: axis %d out of range for a scalar input", n.Label(), axis)
				}
			} else {
				a, err := nnAxis(n, axis, x.Rank(), "input")
				if err != nil {
					return nil, err
				}
				outer, mid, inner = nnAxisSplit(x.Shape, a, opset)
			}
			o := nnNewOut(env, x.DType, x.Shape)
			ops.SoftmaxAxis(outer, mid, inner, nnF32(x), o.f, log)
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}

// nnAxisSplit is the outer×mid×inner view of shape around axis a that
// Softmax, LogSoftmax and Hardmax reduce over: before opset 13 the input is
// coerced to 2-D at a (mid spans every axis from a on), since then mid is
// axis a alone.
func nnAxisSplit(shape []int, a int, opset int64) (outer, mid, inner int) {
	if opset < 13 {
		return ops.NumElements(shape[:a]), ops.NumElements(shape[a:]), 1
	}
	return ops.NumElements(shape[:a]), shape[a], ops.NumElements(shape[a+1:])
}

func buildDropout(n *graph.Node, opset int64) (operators.Kernel, error) {
	ratioAttr, err := n.Float("ratio", 0.5)
	if err != nil {
		return nil, err
	}
	wantMask := len(n.Outputs) > 1 && n.Outputs[1] != ""
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnIn(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		ratio := ratioAttr
		training := false
		if opset >= 12 {
			ratio = 0.5
			if r := nnOpt(in, 1); r != nil {
				if r.Len() != 1 || !r.DType.IsFloat() {
					return nil, fmt.Errorf("node %s: input ratio must be a float scalar, got %v", n.Label(), r)
				}
				ratio = nnF32(r)[0]
			}
			if t := nnOpt(in, 2); t != nil {
				if t.DType != ops.Bool || t.Len() != 1 {
					return nil, fmt.Errorf("node %s: input training_mode must be a bool scalar, got %v", n.Label(), t)
				}
				training = t.B()[0]
			}
		}
		if training && (ratio < 0 || ratio >= 1) {
			return nil, fmt.Errorf("node %s: ratio %v must be in [0, 1)", n.Label(), ratio)
		}
		if !training || ratio == 0 {
			if !wantMask {
				return []*ops.Tensor{x}, nil
			}
			return []*ops.Tensor{x, nnDropoutMask(env, opset, x, nil)}, nil
		}
		if !x.DType.IsFloat() {
			return nil, fmt.Errorf("node %s: training-mode Dropout needs float data, got %v", n.Label(), x.DType)
		}
		if env == nil || env.Rand == nil {
			return nil, fmt.Errorf("node %s: training-mode Dropout needs a random source (operators.Env.Rand)", n.Label())
		}
		keep := make([]bool, x.Len())
		for i := range keep {
			keep[i] = env.Rand.Float32() >= ratio
		}
		xf := nnF32(x)
		o := nnNewOut(env, x.DType, x.Shape)
		s := 1 / (1 - ratio)
		for i, k := range keep {
			if k {
				o.f[i] = xf[i] * s
			} else {
				o.f[i] = 0
			}
		}
		if !wantMask {
			return []*ops.Tensor{o.done()}, nil
		}
		return []*ops.Tensor{o.done(), nnDropoutMask(env, opset, x, keep)}, nil
	}, nil
}

// nnDropoutMask builds the mask output: bool from opset 10, the data type
// before; keep nil means all kept.
func nnDropoutMask(env *operators.Env, opset int64, x *ops.Tensor, keep []bool) *ops.Tensor {
	if opset >= 10 || !x.DType.IsFloat() {
		m := env.New(ops.Bool, x.Shape...)
		b := m.B()
		for i := range b {
			b[i] = keep == nil || keep[i]
		}
		return m
	}
	o := nnNewOut(env, x.DType, x.Shape)
	for i := range o.f {
		if keep == nil || keep[i] {
			o.f[i] = 1
		} else {
			o.f[i] = 0
		}
	}
	return o.done()
}
