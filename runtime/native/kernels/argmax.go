package kernels

// ArgMax, ArgMin and CumSum: reductions along a single axis.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{1, 11, 12, 13} {
		operators.Register("", "ArgMax", v, redBuildArg(true))
		operators.Register("", "ArgMin", v, redBuildArg(false))
	}
	for _, v := range []int64{11, 14} {
		operators.Register("", "CumSum", v, redBuildCumSum)
	}
}

func redBuildArg(max bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		axis, err := n.Int("axis", 0)
		if err != nil {
			return nil, err
		}
		keep, err := n.Int("keepdims", 1)
		if err != nil {
			return nil, err
		}
		last, err := n.Int("select_last_index", 0)
		if err != nil {
			return nil, err
		}
		if last != 0 && opset < 12 {
			return nil, fmt.Errorf("node %s: select_last_index needs opset 12 (model opset %d)", n.Label(), opset)
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := redInput(n, in)
			if err != nil {
				return nil, err
			}
			ax, err := tkAxis(n, "axis", axis, len(x.Shape), false, opset, 11)
			if err != nil {
				return nil, err
			}
			out := env.New(ops.Int64, ops.ReduceShape(x.Shape, []int{ax}, keep != 0)...)
			if err := ops.ArgReduce(out, x, ax, max, last != 0); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			return []*ops.Tensor{out}, nil
		}, nil
	}
}

func redBuildCumSum(n *graph.Node, opset int64) (operators.Kernel, error) {
	excl, err := n.Int("exclusive", 0)
	if err != nil {
		return nil, err
	}
	rev, err := n.Int("reverse", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := redInput(n, in)
		if err != nil {
			return nil, err
		}
		at, err := tkInput(n, in, 1, "axis")
		if err != nil {
			return nil, err
		}
		if at.Len() != 1 {
			return nil, fmt.Errorf("node %s: axis must be a scalar, got shape %s", n.Label(), ops.ShapeString(at.Shape))
		}
		axes, err := tkInts(n, tkView(at, []int{1}), "axis")
		if err != nil {
			return nil, err
		}
		if len(axes) != 1 {
			return nil, fmt.Errorf("node %s: axis input holds %d values, want 1", n.Label(), len(axes))
		}
		ax, err := tkAxis(n, "axis", axes[0], len(x.Shape), false, opset, 0)
		if err != nil {
			return nil, err
		}
		out := env.New(x.DType, x.Shape...)
		if err := ops.CumSum(out, x, ax, excl != 0, rev != 0); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}
