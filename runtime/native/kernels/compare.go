package kernels

// Comparisons (Equal, Greater, Less, GreaterOrEqual, LessOrEqual), boolean
// logic (And, Or, Xor) and Where, broadcasting like the arithmetic
// operators.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Equal", Infer: inferCompare, Build: buildCompare(ops.CmpEqual)}, 1, 7, 11, 13, 19)
	operators.Register(operators.Op{Type: "Greater", Infer: inferCompare, Build: buildCompare(ops.CmpGreater)}, 1, 7, 9, 13)
	operators.Register(operators.Op{Type: "Less", Infer: inferCompare, Build: buildCompare(ops.CmpLess)}, 1, 7, 9, 13)
	operators.Register(operators.Op{Type: "GreaterOrEqual", Infer: inferCompare, Build: buildCompare(ops.CmpGreaterOrEqual)}, 12, 16)
	operators.Register(operators.Op{Type: "LessOrEqual", Infer: inferCompare, Build: buildCompare(ops.CmpLessOrEqual)}, 12, 16)
	operators.Register(operators.Op{Type: "And", Infer: inferCompare, Build: buildLogic(ops.LogicAnd)}, 1, 7)
	operators.Register(operators.Op{Type: "Or", Infer: inferCompare, Build: buildLogic(ops.LogicOr)}, 1, 7)
	operators.Register(operators.Op{Type: "Xor", Infer: inferCompare, Build: buildLogic(ops.LogicXor)}, 1, 7)
	operators.Register(operators.Op{Type: "Where", Infer: inferWhere, Build: buildWhere}, 9, 16)
}

func buildCompare(op ops.CmpOp) operators.Builder {
	return buildBroadcastBinary(ops.Bool, func(n *graph.Node, a, b *ops.Tensor) error {
		if err := checkSameType(n, a, b); err != nil {
			return err
		}
		if !(op == ops.CmpEqual && (a.DType == ops.Bool || a.DType == ops.String)) {
			return checkNumeric(n, a, n.Inputs[0])
		}
		return nil
	}, func(out, a, b *ops.Tensor) error { return ops.Compare(op, out, a, b) })
}

func buildLogic(op ops.LogicOp) operators.Builder {
	return buildBroadcastBinary(ops.Bool, func(n *graph.Node, a, b *ops.Tensor) error {
		if a.DType != ops.Bool || b.DType != ops.Bool {
			return fmt.Errorf("node %s: inputs must be bool, got %v and %v", n.Label(), a.DType, b.DType)
		}
		return nil
	}, func(out, a, b *ops.Tensor) error { return ops.Logic(op, out, a, b) })
}

func buildWhere(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		var ts [3]*ops.Tensor
		for i, name := range []string{"condition", "X", "Y"} {
			t, err := requiredInput(n, in, i, name)
			if err != nil {
				return nil, err
			}
			ts[i] = t
		}
		c, x, y := ts[0], ts[1], ts[2]
		if c.DType != ops.Bool {
			return nil, fmt.Errorf("node %s: condition %s must be bool, got %v", n.Label(), n.Inputs[0], c.DType)
		}
		if err := checkSameType(n, x, y); err != nil {
			return nil, fmt.Errorf("node %s: X is %v but Y is %v (types must match)", n.Label(), x.DType, y.DType)
		}
		shape, err := ops.BroadcastShapes(c.Shape, x.Shape, y.Shape)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		out := env.New(x.DType, shape...)
		if err := ops.WhereTensor(out, c, x, y); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferCompare(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferBroadcast(c, n, in)
	if err != nil {
		return nil, err
	}
	c.DropValues(n.Outputs[0])
	out[0].DType = ops.Bool
	return out, nil
}

func inferWhere(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	if err := sameElemType(in[1:]); err != nil {
		return nil, err
	}
	s, ok, err := broadcastInputs(in)
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(graph.ValueInfo{DType: in[1].DType}), nil
	}
	return one(ranked(in[1].DType, s)), nil
}
