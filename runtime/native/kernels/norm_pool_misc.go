package kernels

// Further NN operators: Hardmax, LRN, MeanVarianceNormalization,
// MaxUnpool, GroupNormalization, LpNormalization, LpPool and GlobalLpPool.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{1, 11, 13} {
		operators.Register("", "Hardmax", v, buildHardmax)
	}
	for _, v := range []int64{1, 13} {
		operators.Register("", "LRN", v, buildLRN)
	}
	for _, v := range []int64{9, 13} {
		operators.Register("", "MeanVarianceNormalization", v, buildMVN)
	}
	for _, v := range []int64{9, 11} {
		operators.Register("", "MaxUnpool", v, buildMaxUnpool)
	}
	for _, v := range []int64{18, 21} {
		operators.Register("", "GroupNormalization", v, buildGroupNorm)
	}
	operators.Register("", "LpNormalization", 1, buildLpNormalization)
	for _, v := range []int64{1, 2, 11, 18} {
		operators.Register("", "LpPool", v, buildLpPool(false))
	}
	for _, v := range []int64{1, 2} {
		operators.Register("", "GlobalLpPool", v, buildLpPool(true))
	}
}

func buildGroupNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	groups, err := n.Int("num_groups", 0)
	if err != nil {
		return nil, err
	}
	if groups <= 0 {
		return nil, fmt.Errorf("node %s: attribute num_groups must be positive, got %d", n.Label(), groups)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("node %s: input X must be N×C×…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		c, g := x.Shape[1], int(groups)
		if c%g != 0 {
			return nil, fmt.Errorf("node %s: num_groups %d must divide the %d channels", n.Label(), g, c)
		}
		// Opset 18 has one scale and bias per group, opset 21 per channel.
		per := c
		if opset < 21 {
			per = g
		}
		var sb [2][]float32
		for i, name := range []string{"scale", "bias"} {
			t, err := nnIn(n, in, 1+i, name)
			if err != nil {
				return nil, err
			}
			v, err := nnF32Param(n, t, name, per)
			if err != nil {
				return nil, err
			}
			if per != c {
				full := make([]float32, c)
				for ch := range full {
					full[ch] = v[ch/(c/g)]
				}
				v = full
			}
			sb[i] = v
		}
		o := nnNewOut(env, x.DType, x.Shape)
		ops.GroupNorm(x.Shape[0], c, ops.NumElements(x.Shape[2:]), g, nnF32(x), sb[0], sb[1], eps, o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildLpNormalization(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	p, err := n.Int("p", 2)
	if err != nil {
		return nil, err
	}
	if p != 1 && p != 2 {
		return nil, fmt.Errorf("node %s: p %d must be 1 or 2", n.Label(), p)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := nnAxis(n, axis, x.Rank(), "input")
		if err != nil {
			return nil, err
		}
		o := nnNewOut(env, x.DType, x.Shape)
		ops.LpNormalize(ops.NumElements(x.Shape[:a]), x.Shape[a], ops.NumElements(x.Shape[a+1:]), int(p), nnF32(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
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
		var win *nnWindow
		if !global {
			if win, err = nnParsePoolWindow(n); err != nil {
				return nil, err
			}
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := nnFloatIn(n, in, 0, "X")
			if err != nil {
				return nil, err
			}
			var p *ops.PoolParams
			if global {
				sp, err := nnSpatial(n, x, "X", 1)
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
			} else if p, err = nnPoolParams(n, win, x); err != nil {
				return nil, err
			}
			o := nnNewOut(env, x.DType, append([]int{x.Shape[0], x.Shape[1]}, p.Out...))
			ops.LpPool(p, float64(pv), nnF32(x), o.f)
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}

func buildHardmax(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", nnLastAxisDefault(opset))
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := nnAxis(n, axis, x.Rank(), "input")
		if err != nil {
			return nil, err
		}
		outer, mid, inner := nnAxisSplit(x.Shape, a, opset)
		o := nnNewOut(env, x.DType, x.Shape)
		ops.Hardmax(outer, mid, inner, nnF32(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildLRN(n *graph.Node, opset int64) (operators.Kernel, error) {
	size, err := n.Int("size", 0)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("node %s: attribute size must be a positive integer, got %d", n.Label(), size)
	}
	alpha, err := n.Float("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.Float("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.Float("bias", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("node %s: input X must be N×C×…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		o := nnNewOut(env, x.DType, x.Shape)
		ops.LRN(x.Shape[0], x.Shape[1], ops.NumElements(x.Shape[2:]), int(size), alpha, beta, bias, nnF32(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildMVN(n *graph.Node, opset int64) (operators.Kernel, error) {
	axes, err := n.Ints("axes", []int64{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		reduce := make([]bool, r)
		for _, a := range axes {
			if a < -int64(r) || a >= int64(r) {
				return nil, fmt.Errorf("node %s: axis %d out of range for X of rank %d", n.Label(), a, r)
			}
			if a < 0 {
				a += int64(r)
			}
			reduce[a] = true
		}
		o := nnNewOut(env, x.DType, x.Shape)
		ops.MeanVarianceNorm(x.Shape, reduce, nnF32(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildMaxUnpool(n *graph.Node, opset int64) (operators.Kernel, error) {
	win, err := nnParsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		it, err := nnIn(n, in, 1, "I")
		if err != nil {
			return nil, err
		}
		if it.DType != ops.Int64 || !ops.SameShape(it.Shape, x.Shape) {
			return nil, fmt.Errorf("node %s: indices I must be int64 of X's shape %s, got %v", n.Label(), ops.ShapeString(x.Shape), it)
		}
		sp, err := nnSpatial(n, x, "X", 1)
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
			s, pb, pe := 1, 0, 0
			if win.strides != nil {
				if len(win.strides) != nd {
					return nil, fmt.Errorf("node %s: strides %v should have %d values", n.Label(), win.strides, nd)
				}
				s = win.strides[i]
			}
			if win.pads != nil {
				if len(win.pads) != 2*nd {
					return nil, fmt.Errorf("node %s: pads %v should have %d values", n.Label(), win.pads, 2*nd)
				}
				pb, pe = win.pads[i], win.pads[nd+i]
			}
			d := (sp[i]-1)*s + win.kernel[i] - pb - pe
			if d < 0 {
				return nil, fmt.Errorf("node %s: output size %d on spatial axis %d is negative", n.Label(), d, i)
			}
			def = append(def, d)
		}
		shape := def
		idx := it.I64()
		if os := nnOpt(in, 2); os != nil {
			v, err := tkInts(n, os, "output_shape")
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
			o := nnNewOut(env, ops.Float16, shape)
			err = ops.MaxUnpool(nnF32(x), idx, o.f)
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
