package kernels

// Broadcasting elementwise operators: arithmetic (Add … Pow, PRelu), the
// variadic Max/Min/Sum/Mean, comparisons, boolean logic and Where. The
// loops live in package ops; these builders check inputs against the ONNX
// signatures and allocate outputs.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	arith := map[string]ops.BinOp{"Add": ops.OpAdd, "Sub": ops.OpSub, "Mul": ops.OpMul, "Div": ops.OpDiv}
	for name, op := range arith {
		for _, v := range []int64{1, 6, 7, 13, 14} {
			operators.Register("", name, v, ewBuildBinary(op))
		}
	}
	for _, v := range []int64{1, 7, 12, 13, 15} {
		operators.Register("", "Pow", v, ewBuildPow)
	}
	for _, v := range []int64{1, 6, 7, 9, 16} {
		operators.Register("", "PRelu", v, ewBuildPRelu)
	}
	for _, v := range []int64{1, 6, 8, 12, 13} {
		operators.Register("", "Max", v, ewBuildVariadic(ops.OpMax, false))
		operators.Register("", "Min", v, ewBuildVariadic(ops.OpMin, false))
	}
	for _, v := range []int64{1, 6, 8, 13} {
		operators.Register("", "Sum", v, ewBuildVariadic(ops.OpAdd, false))
		operators.Register("", "Mean", v, ewBuildVariadic(ops.OpAdd, true))
	}
	for _, v := range []int64{1, 7, 11, 13, 19} {
		operators.Register("", "Equal", v, ewBuildCompare(ops.CmpEqual))
	}
	for _, v := range []int64{1, 7, 9, 13} {
		operators.Register("", "Greater", v, ewBuildCompare(ops.CmpGreater))
		operators.Register("", "Less", v, ewBuildCompare(ops.CmpLess))
	}
	for _, v := range []int64{12, 16} {
		operators.Register("", "GreaterOrEqual", v, ewBuildCompare(ops.CmpGreaterOrEqual))
		operators.Register("", "LessOrEqual", v, ewBuildCompare(ops.CmpLessOrEqual))
	}
	for _, v := range []int64{1, 7} {
		operators.Register("", "And", v, ewBuildLogic(ops.LogicAnd))
		operators.Register("", "Or", v, ewBuildLogic(ops.LogicOr))
		operators.Register("", "Xor", v, ewBuildLogic(ops.LogicXor))
	}
	for _, v := range []int64{9, 16} {
		operators.Register("", "Where", v, ewBuildWhere)
	}
}

// ewLegacy is the broadcasting of binary operators before opset 7: with
// attribute broadcast=1, B's shape matches a contiguous run of A's dims
// starting at axis (by default A's trailing dims) and is repeated over the
// rest; without it the shapes must be equal.
type ewLegacy struct {
	on        bool // the node is pre-opset-7
	broadcast bool
	axis      int64
	hasAxis   bool
}

func ewParseLegacy(n *graph.Node, opset int64) (ewLegacy, error) {
	if opset >= 7 {
		return ewLegacy{}, nil
	}
	l := ewLegacy{on: true, hasAxis: n.Has("axis")}
	b, err := n.Int("broadcast", 0)
	if err != nil {
		return l, err
	}
	l.broadcast = b != 0
	if l.axis, err = n.Int("axis", 0); err != nil {
		return l, err
	}
	return l, nil
}

// apply returns b reshaped (a view) so that numpy broadcasting against a
// gives the legacy result, or an error when the shapes do not fit.
func (l ewLegacy) apply(n *graph.Node, a, b *ops.Tensor) (*ops.Tensor, error) {
	if !l.on || ops.SameShape(a.Shape, b.Shape) {
		return b, nil
	}
	if !l.broadcast {
		return nil, fmt.Errorf("node %s: inputs %s %s and %s %s differ in shape and broadcast=0 (opset < 7)",
			n.Label(), n.Inputs[0], ops.ShapeString(a.Shape), n.Inputs[1], ops.ShapeString(b.Shape))
	}
	if b.Len() == 1 {
		return tkView(b, nil), nil
	}
	ra, rb := len(a.Shape), len(b.Shape)
	axis := int64(ra - rb)
	if l.hasAxis {
		axis = l.axis
		if axis < 0 {
			axis += int64(ra)
		}
	}
	if rb > ra || axis < 0 || axis+int64(rb) > int64(ra) {
		return nil, fmt.Errorf("node %s: B shape %s does not fit A shape %s at axis %d (legacy broadcast)",
			n.Label(), ops.ShapeString(b.Shape), ops.ShapeString(a.Shape), axis)
	}
	shape := make([]int, ra)
	for i := range shape {
		shape[i] = 1
	}
	for i, d := range b.Shape {
		if d != a.Shape[int(axis)+i] && d != 1 {
			return nil, fmt.Errorf("node %s: B shape %s does not match A shape %s at axis %d (legacy broadcast)",
				n.Label(), ops.ShapeString(b.Shape), ops.ShapeString(a.Shape), axis)
		}
		shape[int(axis)+i] = d
	}
	return tkView(b, shape), nil
}

// ewTwo fetches the two inputs of a binary node, applying pre-opset-7
// broadcasting rules when l is on.
func ewTwo(n *graph.Node, in []*ops.Tensor, l ewLegacy) (a, b *ops.Tensor, err error) {
	if a, err = tkInput(n, in, 0, "A"); err != nil {
		return
	}
	if b, err = tkInput(n, in, 1, "B"); err != nil {
		return
	}
	b, err = l.apply(n, a, b)
	return
}

// ewBroadcast is the broadcast shape of a binary node's inputs a and b,
// written into dst when it fits (a caller's stack array keeps the steady
// state free of shape allocations).
func ewBroadcast(n *graph.Node, dst []int, a, b *ops.Tensor) ([]int, error) {
	shape, err := ops.BroadcastShapeInto(dst, a.Shape, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("node %s: inputs %s and %s: %w", n.Label(), n.Inputs[0], n.Inputs[1], err)
	}
	return shape, nil
}

// ewSameType checks that binary inputs share an element type.
func ewSameType(n *graph.Node, a, b *ops.Tensor) error {
	if a.DType != b.DType {
		return fmt.Errorf("node %s: input %s is %v but %s is %v (types must match)", n.Label(), n.Inputs[0], a.DType, n.Inputs[1], b.DType)
	}
	return nil
}

// ewNumeric rejects element types arithmetic is not defined on.
func ewNumeric(n *graph.Node, t *ops.Tensor, name string) error {
	switch t.DType {
	case ops.Float32, ops.Float64, ops.Float16, ops.Int64, ops.Int32, ops.Int8, ops.Uint8:
		return nil
	}
	return fmt.Errorf("node %s: input %s has unsupported type %v (want a numeric type)", n.Label(), name, t.DType)
}

// ewBuildBinary builds Add, Sub, Mul and Div. Everything that does not
// depend on the inputs (legacy broadcasting attributes, the per-type loops)
// is resolved here, so a steady-state call allocates only its output.
func ewBuildBinary(op ops.BinOp) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		plan, err := ops.NewBinaryPlan(op)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return ewBuildBroadcast2(ops.Invalid, func(n *graph.Node, a, b *ops.Tensor) error {
			if err := ewSameType(n, a, b); err != nil {
				return err
			}
			return ewNumeric(n, a, n.Inputs[0])
		}, plan.Run)(n, opset)
	}
}

func ewBuildPow(n *graph.Node, opset int64) (operators.Kernel, error) {
	legacy, err := ewParseLegacy(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		a, b, err := ewTwo(n, in, legacy)
		if err != nil {
			return nil, err
		}
		var dims [8]int
		shape, err := ewBroadcast(n, dims[:0], a, b)
		if err != nil {
			return nil, err
		}
		if opset < 12 {
			if err := ewSameType(n, a, b); err != nil {
				return nil, err
			}
		}
		if err := ewNumeric(n, a, n.Inputs[0]); err != nil {
			return nil, err
		}
		if err := ewNumeric(n, b, n.Inputs[1]); err != nil {
			return nil, err
		}
		out := env.New(a.DType, shape...)
		if err := ops.PowTensor(out, a, b); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// ewBuildPRelu: slope broadcasts unidirectionally to X; the output has X's
// shape. Before opset 7 a 1-D slope of X's channel count applies per
// channel (axis 1), as PyTorch exported it.
func ewBuildPRelu(n *graph.Node, opset int64) (operators.Kernel, error) {
	plan, err := ops.NewBinaryPlan(ops.OpPRelu)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := tkInputs(n, in, "X", "slope")
		if err != nil {
			return nil, err
		}
		x, slope := ins[0], ins[1]
		if err := ewSameType(n, x, slope); err != nil {
			return nil, err
		}
		if err := ewNumeric(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		if opset < 7 {
			// PRelu-1/6: one slope shared by all, or one per channel (axis 1).
			switch {
			case slope.Len() == 1:
				slope = tkView(slope, nil)
			case len(slope.Shape) == 1 && len(x.Shape) >= 2 && slope.Shape[0] == x.Shape[1]:
				shape := make([]int, len(x.Shape)-1)
				for i := range shape {
					shape[i] = 1
				}
				shape[0] = slope.Shape[0]
				slope = tkView(slope, shape)
			}
		}
		var dims [8]int
		shape, err := ops.BroadcastShapeInto(dims[:0], x.Shape, slope.Shape)
		if err != nil || !ops.SameShape(shape, x.Shape) {
			return nil, fmt.Errorf("node %s: slope shape %s does not broadcast to X shape %s",
				n.Label(), ops.ShapeString(slope.Shape), ops.ShapeString(x.Shape))
		}
		out := env.New(x.DType, x.Shape...)
		if err := plan.Run(out, x, slope); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func ewBuildVariadic(op ops.BinOp, mean bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		if len(n.Inputs) == 0 {
			return nil, fmt.Errorf("node %s: needs at least one input", n.Label())
		}
		floatOnly := mean || op == ops.OpAdd
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			shapes := make([][]int, len(in))
			for i, t := range in {
				if t == nil {
					return nil, fmt.Errorf("node %s: missing input %d", n.Label(), i)
				}
				if t.DType != in[0].DType {
					return nil, fmt.Errorf("node %s: input %s is %v but %s is %v (types must match)", n.Label(), n.Inputs[i], t.DType, n.Inputs[0], in[0].DType)
				}
				shapes[i] = t.Shape
			}
			if err := ewNumeric(n, in[0], n.Inputs[0]); err != nil {
				return nil, err
			}
			if floatOnly && !in[0].DType.IsFloat() {
				return nil, fmt.Errorf("node %s: unsupported type %v (floating point only)", n.Label(), in[0].DType)
			}
			shape, err := ops.BroadcastShapes(shapes...)
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			out := env.New(in[0].DType, shape...)
			if err := ops.Variadic(op, mean, out, in); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			return []*ops.Tensor{out}, nil
		}, nil
	}
}

func ewBuildCompare(op ops.CmpOp) operators.Builder {
	return ewBuildBroadcast2(ops.Bool, func(n *graph.Node, a, b *ops.Tensor) error {
		if err := ewSameType(n, a, b); err != nil {
			return err
		}
		if !(op == ops.CmpEqual && a.DType == ops.Bool) {
			return ewNumeric(n, a, n.Inputs[0])
		}
		return nil
	}, func(out, a, b *ops.Tensor) error { return ops.Compare(op, out, a, b) })
}

func ewBuildLogic(op ops.LogicOp) operators.Builder {
	return ewBuildBroadcast2(ops.Bool, func(n *graph.Node, a, b *ops.Tensor) error {
		if a.DType != ops.Bool || b.DType != ops.Bool {
			return fmt.Errorf("node %s: inputs must be bool, got %v and %v", n.Label(), a.DType, b.DType)
		}
		return nil
	}, func(out, a, b *ops.Tensor) error { return ops.Logic(op, out, a, b) })
}

// ewBuildBroadcast2 builds a broadcasting binary operator (arithmetic,
// comparison, logic): check vets the two inputs, run computes into an
// output of type outDT (ops.Invalid: the first input's type).
func ewBuildBroadcast2(outDT ops.DType, check func(n *graph.Node, a, b *ops.Tensor) error, run func(out, a, b *ops.Tensor) error) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		legacy, err := ewParseLegacy(n, opset)
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			a, b, err := ewTwo(n, in, legacy)
			if err != nil {
				return nil, err
			}
			if err := check(n, a, b); err != nil {
				return nil, err
			}
			var dims [8]int
			shape, err := ewBroadcast(n, dims[:0], a, b)
			if err != nil {
				return nil, err
			}
			dt := outDT
			if dt == ops.Invalid {
				dt = a.DType
			}
			out := env.New(dt, shape...)
			if err := run(out, a, b); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			return []*ops.Tensor{out}, nil
		}, nil
	}
}

func ewBuildWhere(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		var ts [3]*ops.Tensor
		for i, name := range []string{"condition", "X", "Y"} {
			t, err := tkInput(n, in, i, name)
			if err != nil {
				return nil, err
			}
			ts[i] = t
		}
		c, x, y := ts[0], ts[1], ts[2]
		if c.DType != ops.Bool {
			return nil, fmt.Errorf("node %s: condition %s must be bool, got %v", n.Label(), n.Inputs[0], c.DType)
		}
		if err := ewSameType(n, x, y); err != nil {
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
