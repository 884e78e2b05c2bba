package kernels

// Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum and ReduceLogSumExp,
// ArgMax and ArgMin, and the scans CumSum and CumProd.
// Axes come from the "axes" attribute until ReduceSum-13 / the others' 18,
// and from the optional second input after; keepdims and
// noop_with_empty_axes follow the spec of the node's opset.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "ReduceSum", Infer: inferReduce, Build: buildReduce(ops.RedSum, 13)}, 1, 11, 13)
	for name, op := range map[string]ops.ReduceOp{
		"ReduceMean": ops.RedMean, "ReduceProd": ops.RedProd, "ReduceSumSquare": ops.RedSumSquare,
		"ReduceL1": ops.RedL1, "ReduceL2": ops.RedL2, "ReduceLogSum": ops.RedLogSum,
	} {
		operators.Register(operators.Op{Type: name, Infer: inferReduce, Build: buildReduce(op, 18)}, 1, 11, 13, 18)
	}
	operators.Register(operators.Op{Type: "ReduceMax", Infer: inferReduce, Build: buildReduce(ops.RedMax, 18)}, 1, 11, 12, 13, 18, 20)
	operators.Register(operators.Op{Type: "ReduceMin", Infer: inferReduce, Build: buildReduce(ops.RedMin, 18)}, 1, 11, 12, 13, 18, 20)
	operators.Register(operators.Op{Type: "ReduceLogSumExp", Infer: inferReduce, Build: buildReduceLogSumExp}, 1, 11, 13, 18)
	operators.Register(operators.Op{Type: "ArgMax", Infer: inferArg, Build: buildArgMinMax(true)}, 1, 11, 12, 13)
	operators.Register(operators.Op{Type: "ArgMin", Infer: inferArg, Build: buildArgMinMax(false)}, 1, 11, 12, 13)
	operators.Register(operators.Op{Type: "CumSum", Infer: inferSame, Build: buildCumulative(ops.CumSum)}, 11, 14)
	operators.Register(operators.Op{Type: "CumProd", Infer: inferSame, Build: buildCumulative(ops.CumProd)}, 26)
}

// reduceParams are a reduce node's parsed attributes.
type reduceParams struct {
	keep      bool
	noop      bool
	attrAxes  []int64
	axesInput bool // axes come from input 1 (opset >= inputSince)
}

func parseReduce(n *graph.Node, opset, inputSince int64) (reduceParams, error) {
	var p reduceParams
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return p, err
	}
	p.keep = keep != 0
	p.axesInput = opset >= inputSince
	if p.axesInput {
		noop, err := n.Int("noop_with_empty_axes", 0)
		if err != nil {
			return p, err
		}
		p.noop = noop != 0
		if n.Has("axes") {
			return p, fmt.Errorf("node %s: axes is an input from opset %d, not an attribute (model opset %d)", n.Label(), inputSince, opset)
		}
	} else if p.attrAxes, err = n.Ints("axes", nil); err != nil {
		return p, err
	}
	return p, nil
}

// axes resolves the reduced axes for x; reduce is false for the noop case
// (empty axes with noop_with_empty_axes).
func (p reduceParams) axes(n *graph.Node, opset int64, in []*ops.Tensor, x *ops.Tensor) (axes []int, reduce bool, err error) {
	list := p.attrAxes
	if p.axesInput {
		if t := optionalInput(in, 1); t != nil {
			if list, err = int64ListInput(n, t, "axes"); err != nil {
				return nil, false, err
			}
		}
	}
	if len(list) == 0 {
		if p.noop {
			return nil, false, nil
		}
		all := make([]int, len(x.Shape))
		for i := range all {
			all[i] = i
		}
		return all, true, nil
	}
	if opset < 11 {
		for _, a := range list {
			if a < 0 {
				return nil, false, fmt.Errorf("node %s: negative axis %d needs opset 11 (model opset %d)", n.Label(), a, opset)
			}
		}
	}
	axes, err = ops.ReduceAxes(list, len(x.Shape))
	if err != nil {
		return nil, false, fmt.Errorf("node %s: axes %v for input %s of shape %s: %w", n.Label(), list, n.Inputs[0], ops.ShapeString(x.Shape), err)
	}
	return axes, true, nil
}

func reduceInput(n *graph.Node, in []*ops.Tensor) (*ops.Tensor, error) {
	x, err := requiredInput(n, in, 0, "data")
	if err != nil {
		return nil, err
	}
	if err := checkNumeric(n, x, n.Inputs[0]); err != nil {
		return nil, err
	}
	return x, nil
}

func buildReduce(op ops.ReduceOp, inputSince int64) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		p, err := parseReduce(n, opset, inputSince)
		if err != nil {
			return nil, err
		}
		// From opset 20 ReduceMax and ReduceMin take booleans (false < true).
		boolOK := opset >= 20 && (op == ops.RedMax || op == ops.RedMin)
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			var x *ops.Tensor
			var err error
			if boolOK && len(in) > 0 && in[0] != nil && in[0].DType == ops.Bool {
				x, err = requiredInput(n, in, 0, "data")
			} else {
				x, err = reduceInput(n, in)
			}
			if err != nil {
				return nil, err
			}
			axes, reduce, err := p.axes(n, opset, in, x)
			if err != nil {
				return nil, err
			}
			if !reduce {
				// noop_with_empty_axes: the elementwise part of the
				// reduction applied to each element alone.
				axes = nil
				if op == ops.RedSum || op == ops.RedMean || op == ops.RedMax || op == ops.RedMin || op == ops.RedProd {
					return []*ops.Tensor{x}, nil
				}
			}
			out := env.New(x.DType, ops.ReduceShape(x.Shape, axes, p.keep)...)
			if err := ops.Reduce(op, out, x, axes); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			return []*ops.Tensor{out}, nil
		}, nil
	}
}

// buildReduceLogSumExp computes log(Σ exp(x - m)) + m with m the max over the
// reduced axes, so large inputs do not overflow.
func buildReduceLogSumExp(n *graph.Node, opset int64) (operators.Kernel, error) {
	p, err := parseReduce(n, opset, 18)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := reduceInput(n, in)
		if err != nil {
			return nil, err
		}
		if !x.DType.IsFloat() {
			return nil, fmt.Errorf("node %s: input %s has unsupported type %v (floating point only)", n.Label(), n.Inputs[0], x.DType)
		}
		axes, reduce, err := p.axes(n, opset, in, x)
		if err != nil {
			return nil, err
		}
		if !reduce {
			return []*ops.Tensor{x}, nil // log(exp(x)) per element
		}
		wrap := func(err error) error { return fmt.Errorf("node %s: %w", n.Label(), err) }
		kept := ops.ReduceShape(x.Shape, axes, true)
		m := ops.New(x.DType, kept...)
		if err := ops.Reduce(ops.RedMax, m, x, axes); err != nil {
			return nil, wrap(err)
		}
		// Infinite maxima would give inf-inf; shift by 0 there instead.
		if err := zeroNonFinite(m); err != nil {
			return nil, wrap(err)
		}
		e := ops.New(x.DType, x.Shape...)
		if err := ops.Binary(ops.OpSub, e, x, m); err != nil {
			return nil, wrap(err)
		}
		if err := ops.Unary(ops.UnExp, ops.UnaryParams{}, e, e); err != nil {
			return nil, wrap(err)
		}
		s := ops.New(x.DType, kept...)
		if err := ops.Reduce(ops.RedLogSum, s, e, axes); err != nil {
			return nil, wrap(err)
		}
		out := env.New(x.DType, ops.ReduceShape(x.Shape, axes, p.keep)...)
		if err := ops.Binary(ops.OpAdd, out.Reshaped(kept...), s, m); err != nil {
			return nil, wrap(err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// zeroNonFinite replaces ±Inf and NaN in a float tensor by 0.
func zeroNonFinite(t *ops.Tensor) error {
	switch d := t.Data.(type) {
	case []float32:
		for i, v := range d {
			if v-v != 0 {
				d[i] = 0
			}
		}
	case []float64:
		for i, v := range d {
			if v-v != 0 {
				d[i] = 0
			}
		}
	case []uint16:
		for i, v := range d {
			if v&0x7c00 == 0x7c00 {
				d[i] = 0
			}
		}
	default:
		return fmt.Errorf("unsupported type %v", t.DType)
	}
	return nil
}

func buildArgMinMax(max bool) operators.Builder {
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
			x, err := reduceInput(n, in)
			if err != nil {
				return nil, err
			}
			if err := checkNegativeAxis(n, axis, opset, 11); err != nil {
				return nil, err
			}
			ax, err := resolveAxis(n, axis, len(x.Shape))
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

// buildCumulative builds CumSum and CumProd (scan computes the one or the
// other).
func buildCumulative(scan func(dst, src *ops.Tensor, axis int, exclusive, reverse bool) error) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) { return buildScan(n, scan) }
}

func buildScan(n *graph.Node, scan func(dst, src *ops.Tensor, axis int, exclusive, reverse bool) error) (operators.Kernel, error) {
	excl, err := n.Int("exclusive", 0)
	if err != nil {
		return nil, err
	}
	rev, err := n.Int("reverse", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := reduceInput(n, in)
		if err != nil {
			return nil, err
		}
		at, err := requiredInput(n, in, 1, "axis")
		if err != nil {
			return nil, err
		}
		if at.Len() != 1 {
			return nil, fmt.Errorf("node %s: axis must be a scalar, got shape %s", n.Label(), ops.ShapeString(at.Shape))
		}
		axes, err := intListInput(n, viewAs(at, []int{1}), "axis")
		if err != nil {
			return nil, err
		}
		if len(axes) != 1 {
			return nil, fmt.Errorf("node %s: axis input holds %d values, want 1", n.Label(), len(axes))
		}
		ax, err := resolveAxis(n, axes[0], len(x.Shape))
		if err != nil {
			return nil, err
		}
		out := env.New(x.DType, x.Shape...)
		if err := scan(out, x, ax, excl != 0, rev != 0); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferReduce(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return nil, err
	}
	noopEmpty, err := n.Int("noop_with_empty_axes", 0)
	if err != nil {
		return nil, err
	}
	since := int64(18)
	if n.OpType == "ReduceSum" {
		since = 13
	}
	axes, given, ok, err := c.Axes(n, 1, since)
	if err != nil {
		return nil, err
	}
	if !ok || !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	red := make([]bool, r)
	if !given || len(axes) == 0 {
		if noopEmpty != 0 {
			return one(ranked(x.DType, append(graph.Shape(nil), x.Shape...))), nil
		}
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		k, err := resolveAxis(n, a, r)
		if err != nil {
			return nil, err
		}
		red[k] = true
	}
	out := graph.Shape{}
	for i, d := range x.Shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep != 0:
			out = append(out, operators.KnownDim(1))
		}
	}
	return one(ranked(x.DType, out)), nil
}

func inferArg(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: ops.Int64}), nil
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	out := graph.Shape{}
	for i, d := range x.Shape {
		switch {
		case i != a:
			out = append(out, d)
		case keep != 0:
			out = append(out, operators.KnownDim(1))
		}
	}
	return one(ranked(ops.Int64, out)), nil
}
