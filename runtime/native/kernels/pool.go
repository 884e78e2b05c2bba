package kernels

// Pooling: MaxPool (optional int64 Indices), AveragePool, LpPool, their
// Global forms over N×C×D1…Dn tensors (on ops.MaxPool / ops.AvgPool), and
// MaxUnpool.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "MaxPool", Infer: inferPool, Build: buildMaxPool}, 1, 8, 10, 11, 12)
	operators.Register(operators.Op{Type: "AveragePool", Inputs: floatInputs, Infer: inferPool, Build: buildAveragePool}, 1, 7, 10, 11, 19)
	operators.Register(operators.Op{Type: "GlobalAveragePool", Inputs: floatInputs, Infer: inferGlobalPool, Build: buildGlobalPool(false)}, 1)
	operators.Register(operators.Op{Type: "GlobalMaxPool", Inputs: floatInputs, Infer: inferGlobalPool, Build: buildGlobalPool(true)}, 1)
	operators.Register(operators.Op{Type: "MaxUnpool", Infer: inferMaxUnpool, Build: buildMaxUnpool}, 9, 11)
	operators.Register(operators.Op{Type: "LpPool", Inputs: floatInputs, Infer: inferPool, Build: buildLpPool(false)}, 1, 2, 11, 18)
	operators.Register(operators.Op{Type: "GlobalLpPool", Inputs: floatInputs, Infer: inferGlobalPool, Build: buildLpPool(true)}, 1, 2)
}

// poolParams resolves the window of a pooling node against input x.
func poolParams(n *graph.Node, win *window, x *ops.Tensor) (*ops.PoolParams, error) {
	sp, err := checkSpatial(n, x, "X", 1)
	if err != nil {
		return nil, err
	}
	geo, err := win.resolve(n, sp, nil)
	if err != nil {
		return nil, err
	}
	p := &ops.PoolParams{Planes: x.Shape[0] * x.Shape[1], In: sp, Kernel: geo.kernel, Out: geo.out,
		Strides: geo.strides, Dilations: geo.dilations, PadBegin: geo.padBegin, PadEnd: geo.padEnd}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return p, nil
}

func buildMaxPool(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, err := parsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	so, err := n.Int("storage_order", 0)
	if err != nil {
		return nil, err
	}
	if so != 0 && so != 1 {
		return nil, fmt.Errorf("node %s: storage_order %d must be 0 (row major) or 1 (column major)", n.Label(), so)
	}
	wantIdx := len(n.Outputs) > 1 && n.Outputs[1] != ""
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		p, err := poolParams(n, win, x)
		if err != nil {
			return nil, err
		}
		shape := append([]int{x.Shape[0], x.Shape[1]}, p.Out...)
		var idx *ops.Tensor
		var id []int64
		if wantIdx {
			idx = env.New(ops.Int64, shape...)
			id = idx.I64()
		}
		var y *ops.Tensor
		switch x.DType {
		case ops.Float32, ops.Float16:
			o := newFloatOutput(env, x.DType, shape)
			ops.MaxPool(p, float32s(x), o.f, id, so == 1)
			y = o.done()
		case ops.Float64:
			y = env.New(ops.Float64, shape...)
			ops.MaxPool(p, x.F64(), y.F64(), id, so == 1)
		case ops.Int8:
			y = env.New(ops.Int8, shape...)
			ops.MaxPool(p, x.I8(), y.I8(), id, so == 1)
		case ops.Uint8:
			y = env.New(ops.Uint8, shape...)
			ops.MaxPool(p, x.U8(), y.U8(), id, so == 1)
		default:
			return nil, fmt.Errorf("node %s: unsupported type %v (want float32, float64, float16, int8 or uint8)", n.Label(), x.DType)
		}
		if wantIdx {
			return []*ops.Tensor{y, idx}, nil
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func buildAveragePool(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, err := parsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	cip, err := n.Int("count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		p, err := poolParams(n, win, x)
		if err != nil {
			return nil, err
		}
		o := newFloatOutput(env, x.DType, append([]int{x.Shape[0], x.Shape[1]}, p.Out...))
		ops.AvgPool(p, float32s(x), o.f, cip != 0)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildGlobalPool(isMax bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := floatInput(n, in, 0, "X")
			if err != nil {
				return nil, err
			}
			if x.Rank() < 2 {
				return nil, fmt.Errorf("node %s: input X must be N×C×D1…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
			}
			shape := make([]int, x.Rank())
			shape[0], shape[1] = x.Shape[0], x.Shape[1]
			for i := 2; i < len(shape); i++ {
				shape[i] = 1
			}
			planes := x.Shape[0] * x.Shape[1]
			size := ops.NumElements(x.Shape[2:])
			o := newFloatOutput(env, x.DType, shape)
			if isMax {
				ops.GlobalMaxPool(planes, size, float32s(x), o.f)
			} else {
				ops.GlobalAvgPool(planes, size, float32s(x), o.f)
			}
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}

func buildLpPool(global bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		pv, err := n.Int("p", 2)
		if err != nil {
			return nil, err
		}
		if opset < 2 {
			// LpPool-1 and GlobalLpPool-1 carry p as a float.
			if a, ok := n.Attrs["p"]; ok && a.Type == graph.AttrFloat {
				pv = int64(a.F)
			}
		}
		if pv <= 0 {
			return nil, fmt.Errorf("node %s: p %d must be positive", n.Label(), pv)
		}
		var win *window
		if !global {
			if win, err = parsePoolWindow(n); err != nil {
				return nil, err
			}
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := floatInput(n, in, 0, "X")
			if err != nil {
				return nil, err
			}
			var p *ops.PoolParams
			if global {
				sp, err := checkSpatial(n, x, "X", 1)
				if err != nil {
					return nil, err
				}
				ones, zeros := make([]int, len(sp)), make([]int, len(sp))
				for i := range ones {
					ones[i] = 1
				}
				p = &ops.PoolParams{Planes: x.Shape[0] * x.Shape[1], In: sp, Kernel: sp, Out: ones, Strides: ones,
					Dilations: ones, PadBegin: zeros, PadEnd: zeros}
				for _, d := range sp {
					if d == 0 {
						return nil, fmt.Errorf("node %s: cannot pool an empty spatial axis of X %s", n.Label(), ops.ShapeString(x.Shape))
					}
				}
			} else if p, err = poolParams(n, win, x); err != nil {
				return nil, err
			}
			o := newFloatOutput(env, x.DType, append([]int{x.Shape[0], x.Shape[1]}, p.Out...))
			ops.LpPool(p, float64(pv), float32s(x), o.f)
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}

// unpoolSize is MaxUnpool's default output size on spatial axis i for an
// input of size in: (in-1)·stride + kernel - pads, what MaxPool's input
// would have been. The kernel and the shape rule share it.
func unpoolSize(n *graph.Node, win *window, i, in int) (int, error) {
	nd := len(win.kernel)
	s, pb, pe := 1, 0, 0
	if win.strides != nil {
		if len(win.strides) != nd {
			return 0, fmt.Errorf("node %s: strides %v should have %d values", n.Label(), win.strides, nd)
		}
		s = win.strides[i]
	}
	if win.pads != nil {
		if len(win.pads) != 2*nd {
			return 0, fmt.Errorf("node %s: pads %v should have %d values", n.Label(), win.pads, 2*nd)
		}
		pb, pe = win.pads[i], win.pads[nd+i]
	}
	d := (in-1)*s + win.kernel[i] - pb - pe
	if d < 0 {
		return 0, fmt.Errorf("node %s: output size %d on spatial axis %d is negative", n.Label(), d, i)
	}
	return d, nil
}

// inferMaxUnpool: the constant output_shape when given, else the default
// size per spatial axis (unknown where X's is), in X's type.
func inferMaxUnpool(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("X %s must have spatial axes", x.Shape)
	}
	if v, ok := c.Ints(n, 2); ok {
		if len(v) != len(x.Shape) {
			return nil, fmt.Errorf("output_shape %v should have %d values", v, len(x.Shape))
		}
		out := make(graph.Shape, len(v))
		for i, d := range v {
			out[i] = operators.KnownDim(d)
		}
		return one(ranked(x.DType, out)), nil
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		return one(rankOnly(x.DType, int64(len(x.Shape)))), nil
	}
	win, err := parsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	nd := len(x.Shape) - 2
	if len(win.kernel) != nd {
		return nil, fmt.Errorf("kernel_shape %v has %d axes, X has %d spatial axes", win.kernel, len(win.kernel), nd)
	}
	out := graph.Shape{x.Shape[0], x.Shape[1]}
	for i, dim := range x.Shape[2:] {
		if !dim.Known() {
			out = append(out, operators.UnknownDim)
			continue
		}
		d, err := unpoolSize(n, win, i, int(dim.Value))
		if err != nil {
			return nil, err
		}
		out = append(out, operators.KnownDim(int64(d)))
	}
	return one(ranked(x.DType, out)), nil
}

func buildMaxUnpool(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, err := parsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		it, err := requiredInput(n, in, 1, "I")
		if err != nil {
			return nil, err
		}
		if it.DType != ops.Int64 || !ops.SameShape(it.Shape, x.Shape) {
			return nil, fmt.Errorf("node %s: indices I must be int64 of X's shape %s, got %v", n.Label(), ops.ShapeString(x.Shape), it)
		}
		sp, err := checkSpatial(n, x, "X", 1)
		if err != nil {
			return nil, err
		}
		nd := len(sp)
		if len(win.kernel) != nd {
			return nil, fmt.Errorf("node %s: kernel_shape %v has %d axes, X has %d spatial axes", n.Label(), win.kernel, len(win.kernel), nd)
		}
		// The indices address the default output (what MaxPool's input
		// would have been); an explicit output_shape places those
		// coordinates into a larger or equal tensor.
		def := []int{x.Shape[0], x.Shape[1]}
		for i := 0; i < nd; i++ {
			d, err := unpoolSize(n, win, i, sp[i])
			if err != nil {
				return nil, err
			}
			def = append(def, d)
		}
		shape := def
		idx := it.I64()
		if os := optionalInput(in, 2); os != nil {
			v, err := intListInput(n, os, "output_shape")
			if err != nil {
				return nil, err
			}
			if len(v) != x.Rank() {
				return nil, fmt.Errorf("node %s: output_shape %v should have %d values", n.Label(), v, x.Rank())
			}
			shape = make([]int, len(v))
			for i, d := range v {
				if d < 0 {
					return nil, fmt.Errorf("node %s: negative dimension in output_shape %v", n.Label(), v)
				}
				shape[i] = int(d)
			}
			if !ops.SameShape(shape, def) {
				defSt, outSt := ops.Strides(def), ops.Strides(shape)
				total := int64(ops.NumElements(def))
				mapped := make([]int64, len(idx))
				for k, q := range idx {
					if q < 0 || q >= total {
						return nil, fmt.Errorf("node %s: index %d outside the pooled input of shape %s", n.Label(), q, ops.ShapeString(def))
					}
					r := int(q)
					off := 0
					for d := range def {
						c := r / defSt[d]
						r %= defSt[d]
						if c >= shape[d] {
							return nil, fmt.Errorf("node %s: index %d does not fit output_shape %v", n.Label(), q, v)
						}
						off += c * outSt[d]
					}
					mapped[k] = int64(off)
				}
				idx = mapped
			}
		}
		var y *ops.Tensor
		switch xd := x.Data.(type) {
		case []float32:
			y = env.New(ops.Float32, shape...)
			err = ops.MaxUnpool(xd, idx, y.F32())
		case []float64:
			y = env.New(ops.Float64, shape...)
			err = ops.MaxUnpool(xd, idx, y.F64())
		case []uint16:
			o := newFloatOutput(env, ops.Float16, shape)
			err = ops.MaxUnpool(float32s(x), idx, o.f)
			y = o.done()
		default:
			return nil, fmt.Errorf("node %s: unsupported type %v (want float32, float64 or float16)", n.Label(), x.DType)
		}
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

func inferPool(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	win, err := parsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(x) {
		return []graph.ValueInfo{{DType: x.DType}, {DType: ops.Int64}}, nil
	}
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("X %s must have rank ≥ 3", x.Shape)
	}
	sp, err := win.outShape(n, x.Shape[2:], nil)
	if err != nil {
		return nil, err
	}
	out := append(graph.Shape{x.Shape[0], x.Shape[1]}, sp...)
	return []graph.ValueInfo{ranked(x.DType, out), ranked(ops.Int64, append(graph.Shape(nil), out...))}, nil
}

func inferGlobalPool(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("X %s must have rank ≥ 3", x.Shape)
	}
	out := graph.Shape{x.Shape[0], x.Shape[1]}
	for range x.Shape[2:] {
		out = append(out, operators.KnownDim(1))
	}
	return one(ranked(x.DType, out)), nil
}
