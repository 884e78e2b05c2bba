package kernels

// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow, PRelu, Mod, BitShift,
// BitwiseAnd/Or/Xor and the variadic Max/Min/Sum/Mean, with the pre-opset-7 broadcast rule.
// The loops live in package ops; these builders check inputs against the
// ONNX signatures and allocate outputs.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	arith := map[string]ops.BinOp{"Add": ops.OpAdd, "Sub": ops.OpSub, "Mul": ops.OpMul, "Div": ops.OpDiv}
	for name, op := range arith {
		operators.Register(operators.Op{Type: name, Infer: inferBroadcast, Build: buildArithmetic(op)}, 1, 6, 7, 13, 14)
	}
	operators.Register(operators.Op{Type: "Pow", Infer: inferBroadcast, Build: buildPow}, 1, 7, 12, 13, 15)
	operators.Register(operators.Op{Type: "PRelu", Infer: inferSame, Build: buildPRelu}, 1, 6, 7, 9, 16)
	operators.Register(operators.Op{Type: "Max", Infer: inferBroadcast, Build: buildVariadic(ops.OpMax, false)}, 1, 6, 8, 12, 13)
	operators.Register(operators.Op{Type: "Min", Infer: inferBroadcast, Build: buildVariadic(ops.OpMin, false)}, 1, 6, 8, 12, 13)
	operators.Register(operators.Op{Type: "Sum", Infer: inferBroadcast, Build: buildVariadic(ops.OpAdd, false)}, 1, 6, 8, 13)
	operators.Register(operators.Op{Type: "Mean", Infer: inferBroadcast, Build: buildVariadic(ops.OpAdd, true)}, 1, 6, 8, 13)
	operators.Register(operators.Op{Type: "Mod", Infer: inferBroadcast, Build: buildMod}, 10, 13, 28)
	operators.Register(operators.Op{Type: "BitShift", Infer: inferBroadcast, Build: buildBitShift}, 11)
	bitwise := map[string]ops.BinOp{"BitwiseAnd": ops.OpBitAnd, "BitwiseOr": ops.OpBitOr, "BitwiseXor": ops.OpBitXor}
	for name, op := range bitwise {
		operators.Register(operators.Op{Type: name, Inputs: integerInputs, Infer: inferBroadcast, Build: buildBitwise(op)}, 18)
	}
}

// legacyBroadcast is the broadcasting of binary operators before opset 7: with
// attribute broadcast=1, B's shape matches a contiguous run of A's dims
// starting at axis (by default A's trailing dims) and is repeated over the
// rest; without it the shapes must be equal.
type legacyBroadcast struct {
	on        bool // the node is pre-opset-7
	broadcast bool
	axis      int64
	hasAxis   bool
}

func parseLegacyBroadcast(n *graph.Node, opset int64) (legacyBroadcast, error) {
	if opset >= 7 {
		return legacyBroadcast{}, nil
	}
	l := legacyBroadcast{on: true, hasAxis: n.Has("axis")}
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
func (l legacyBroadcast) apply(n *graph.Node, a, b *ops.Tensor) (*ops.Tensor, error) {
	if !l.on || ops.SameShape(a.Shape, b.Shape) {
		return b, nil
	}
	if !l.broadcast {
		return nil, fmt.Errorf("node %s: inputs %s %s and %s %s differ in shape and broadcast=0 (opset < 7)",
			n.Label(), n.Inputs[0], ops.ShapeString(a.Shape), n.Inputs[1], ops.ShapeString(b.Shape))
	}
	if b.Len() == 1 {
		return viewAs(b, nil), nil
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
	return viewAs(b, shape), nil
}

// binaryInputs fetches the two inputs of a binary node, applying pre-opset-7
// broadcasting rules when l is on.
func binaryInputs(n *graph.Node, in []*ops.Tensor, l legacyBroadcast) (a, b *ops.Tensor, err error) {
	if a, err = requiredInput(n, in, 0, "A"); err != nil {
		return
	}
	if b, err = requiredInput(n, in, 1, "B"); err != nil {
		return
	}
	b, err = l.apply(n, a, b)
	return
}

// broadcastShape is the broadcast shape of a binary node's inputs a and b,
// written into dst when it fits (a caller's stack array keeps the steady
// state free of shape allocations).
func broadcastShape(n *graph.Node, dst []int, a, b *ops.Tensor) ([]int, error) {
	shape, err := ops.BroadcastShapeInto(dst, a.Shape, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("node %s: inputs %s and %s: %w", n.Label(), n.Inputs[0], n.Inputs[1], err)
	}
	return shape, nil
}

// checkSameType checks that binary inputs share an element type.
func checkSameType(n *graph.Node, a, b *ops.Tensor) error {
	if a.DType != b.DType {
		return fmt.Errorf("node %s: input %s is %v but %s is %v (types must match)", n.Label(), n.Inputs[0], a.DType, n.Inputs[1], b.DType)
	}
	return nil
}

// checkNumeric rejects element types arithmetic is not defined on.
func checkNumeric(n *graph.Node, t *ops.Tensor, name string) error {
	switch t.DType {
	case ops.Float32, ops.Float64, ops.Float16,
		ops.Int64, ops.Int32, ops.Int16, ops.Int8, ops.Uint64, ops.Uint32, ops.Uint16, ops.Uint8:
		return nil
	}
	return fmt.Errorf("node %s: input %s has unsupported type %v (want a numeric type)", n.Label(), name, t.DType)
}

// buildArithmetic builds Add, Sub, Mul and Div. Everything that does not
// depend on the inputs (legacy broadcasting attributes, the per-type loops)
// is resolved here, so a steady-state call allocates only its output.
func buildArithmetic(op ops.BinOp) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		plan, err := ops.NewBinaryPlan(op)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return buildBroadcastBinary(ops.Invalid, func(n *graph.Node, a, b *ops.Tensor) error {
			if err := checkSameType(n, a, b); err != nil {
				return err
			}
			return checkNumeric(n, a, n.Inputs[0])
		}, plan.Run)(n, opset)
	}
}

func buildPow(n *graph.Node, opset int64) (operators.Kernel, error) {
	legacy, err := parseLegacyBroadcast(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		a, b, err := binaryInputs(n, in, legacy)
		if err != nil {
			return nil, err
		}
		var dims [8]int
		shape, err := broadcastShape(n, dims[:0], a, b)
		if err != nil {
			return nil, err
		}
		if opset < 12 {
			if err := checkSameType(n, a, b); err != nil {
				return nil, err
			}
		}
		if err := checkNumeric(n, a, n.Inputs[0]); err != nil {
			return nil, err
		}
		if err := checkNumeric(n, b, n.Inputs[1]); err != nil {
			return nil, err
		}
		out := env.New(a.DType, shape...)
		if err := ops.PowTensor(out, a, b); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// buildPRelu: slope broadcasts unidirectionally to X; the output has X's
// shape. Before opset 7 a 1-D slope of X's channel count applies per
// channel (axis 1), as PyTorch exported it.
func buildPRelu(n *graph.Node, opset int64) (operators.Kernel, error) {
	plan, err := ops.NewBinaryPlan(ops.OpPRelu)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "X", "slope")
		if err != nil {
			return nil, err
		}
		x, slope := ins[0], ins[1]
		if err := checkSameType(n, x, slope); err != nil {
			return nil, err
		}
		if err := checkNumeric(n, x, n.Inputs[0]); err != nil {
			return nil, err
		}
		if opset < 7 {
			// PRelu-1/6: one slope shared by all, or one per channel (axis 1).
			switch {
			case slope.Len() == 1:
				slope = viewAs(slope, nil)
			case len(slope.Shape) == 1 && len(x.Shape) >= 2 && slope.Shape[0] == x.Shape[1]:
				shape := make([]int, len(x.Shape)-1)
				for i := range shape {
					shape[i] = 1
				}
				shape[0] = slope.Shape[0]
				slope = viewAs(slope, shape)
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

func buildVariadic(op ops.BinOp, mean bool) operators.Builder {
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
			if err := checkNumeric(n, in[0], n.Inputs[0]); err != nil {
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

// buildBroadcastBinary builds a broadcasting binary operator (arithmetic,
// comparison, logic): check vets the two inputs, run computes into an
// output of type outDT (ops.Invalid: the first input's type).
func buildBroadcastBinary(outDT ops.DType, check func(n *graph.Node, a, b *ops.Tensor) error, run func(out, a, b *ops.Tensor) error) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		legacy, err := parseLegacyBroadcast(n, opset)
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			a, b, err := binaryInputs(n, in, legacy)
			if err != nil {
				return nil, err
			}
			if err := check(n, a, b); err != nil {
				return nil, err
			}
			var dims [8]int
			shape, err := broadcastShape(n, dims[:0], a, b)
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

// buildBitwise builds BitwiseAnd, BitwiseOr and BitwiseXor: integers of one
// type, broadcast.
func buildBitwise(op ops.BinOp) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		plan, err := ops.NewBinaryPlan(op)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return buildBroadcastBinary(ops.Invalid, func(n *graph.Node, a, b *ops.Tensor) error {
			if err := checkSameType(n, a, b); err != nil {
				return err
			}
			return checkInteger(n, a, n.Inputs[0])
		}, plan.Run)(n, opset)
	}
}

// checkInteger rejects element types other than the 8- to 64-bit integers.
func checkInteger(n *graph.Node, t *ops.Tensor, name string) error {
	if !t.DType.IsInteger() || t.DType.Bits() < 8 {
		return fmt.Errorf("node %s: input %s has unsupported type %v (want an integer type)", n.Label(), name, t.DType)
	}
	return nil
}

// integerInputs constrains every input of an operator to the integer
// types.
var integerInputs = []operators.TypeSet{{ops.Int8, ops.Int16, ops.Int32, ops.Int64, ops.Uint8, ops.Uint16, ops.Uint32, ops.Uint64}}

// buildMod: fmod=0 is the remainder with the divisor's sign (floored
// division), fmod=1 the one with the dividend's sign (truncated division).
// Before opset 28 fmod=0 is defined for integers only.
func buildMod(n *graph.Node, opset int64) (operators.Kernel, error) {
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
	bin, err := buildArithmetic(op)(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if fmod == 0 && opset < 28 && len(in) > 0 && in[0] != nil && in[0].DType.IsFloat() {
			return nil, fmt.Errorf("node %s: floating-point input %s needs fmod=1 before opset 28 (the model imports %d)", n.Label(), n.Inputs[0], opset)
		}
		return bin(env, in)
	}, nil
}

func buildBitShift(n *graph.Node, opset int64) (operators.Kernel, error) {
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
	bin, err := buildArithmetic(op)(n, opset)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) > 0 && in[0] != nil && (!in[0].DType.IsInteger() || in[0].DType.Bits() < 8) {
			return nil, fmt.Errorf("node %s: input %s has unsupported type %v (BitShift takes integers)", n.Label(), n.Inputs[0], in[0].DType)
		}
		return bin(env, in)
	}, nil
}

// inferBroadcast is the rule of the broadcasting arithmetic operators: the
// inputs share one element type (Pow's exponent excepted) and broadcast
// together (numpy-style; before opset 7, B onto A as the legacy broadcast
// attribute says, so the output is A's shape).
func inferBroadcast(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	same := in
	if n.OpType == "Pow" {
		same = in[:1]
	}
	if err := sameElemType(same); err != nil {
		return nil, err
	}
	if c.Opset() < 7 && (n.OpType == "Add" || n.OpType == "Sub" || n.OpType == "Mul" || n.OpType == "Div" || n.OpType == "Pow") {
		symArith(c, n)
		return one(graph.ValueInfo{DType: in[0].DType, Shape: in[0].Shape, HasShape: operators.RankKnown(in[0])}), nil
	}
	s, ok, err := broadcastInputs(in)
	if err != nil {
		return nil, err
	}
	symArith(c, n)
	if !ok {
		return one(graph.ValueInfo{DType: in[0].DType}), nil
	}
	return one(ranked(in[0].DType, s)), nil
}

// symArith tracks small integer arithmetic on shape values (e.g. a
// dimension divided by the number of heads) when both sides are literals.
func symArith(c *operators.InferContext, n *graph.Node) {
	if len(n.Inputs) != 2 || len(n.Outputs) == 0 {
		return
	}
	a, okA := c.Values(n.Inputs[0])
	b, okB := c.Values(n.Inputs[1])
	if !okA || !okB || (len(a) != len(b) && len(a) != 1 && len(b) != 1) {
		return
	}
	l := max(len(a), len(b))
	out := make([]operators.SymInt, l)
	for i := range out {
		x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
		if !x.Lit || !y.Lit {
			if n.OpType == "Mul" && x.Lit && x.Val == 1 {
				out[i] = y
			} else if (n.OpType == "Mul" || n.OpType == "Div") && y.Lit && y.Val == 1 {
				out[i] = x
			}
			continue
		}
		switch n.OpType {
		case "Add":
			out[i] = operators.SymInt{Val: x.Val + y.Val, Lit: true}
		case "Sub":
			out[i] = operators.SymInt{Val: x.Val - y.Val, Lit: true}
		case "Mul":
			out[i] = operators.SymInt{Val: x.Val * y.Val, Lit: true}
		case "Div":
			if y.Val == 0 {
				return
			}
			q := x.Val / y.Val
			if (x.Val%y.Val != 0) && ((x.Val < 0) != (y.Val < 0)) {
				q-- // integer Div floors
			}
			out[i] = operators.SymInt{Val: q, Lit: true}
		default:
			return
		}
	}
	c.SetValues(n.Outputs[0], out)
}
