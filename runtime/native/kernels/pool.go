package kernels

// Pooling: MaxPool (optional int64 Indices), AveragePool, GlobalAveragePool
// and GlobalMaxPool over N×C×D1…Dn tensors, on ops.MaxPool / ops.AvgPool.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	for _, v := range []int64{1, 8, 10, 11, 12} {
		operators.Register("", "MaxPool", v, buildMaxPool)
	}
	for _, v := range []int64{1, 7, 10, 11, 19} {
		operators.Register("", "AveragePool", v, buildAveragePool)
	}
	operators.Register("", "GlobalAveragePool", 1, buildGlobalPool(false))
	operators.Register("", "GlobalMaxPool", 1, buildGlobalPool(true))
}

// nnPoolParams resolves the window of a pooling node against input x.
func nnPoolParams(n *graph.Node, win *nnWindow, x *ops.Tensor) (*ops.PoolParams, error) {
	sp, err := nnSpatial(n, x, "X", 1)
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
	win, err := nnParsePoolWindow(n)
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
		x, err := nnIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		p, err := nnPoolParams(n, win, x)
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
			o := nnNewOut(env, x.DType, shape)
			ops.MaxPool(p, nnF32(x), o.f, id, so == 1)
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
	win, err := nnParsePoolWindow(n)
	if err != nil {
		return nil, err
	}
	cip, err := n.Int("count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := nnFloatIn(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		p, err := nnPoolParams(n, win, x)
		if err != nil {
			return nil, err
		}
		o := nnNewOut(env, x.DType, append([]int{x.Shape[0], x.Shape[1]}, p.Out...))
		ops.AvgPool(p, nnF32(x), o.f, cip != 0)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildGlobalPool(isMax bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := nnFloatIn(n, in, 0, "X")
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
			o := nnNewOut(env, x.DType, shape)
			if isMax {
				ops.GlobalMaxPool(planes, size, nnF32(x), o.f)
			} else {
				ops.GlobalAvgPool(planes, size, nnF32(x), o.f)
			}
			return []*ops.Tensor{o.done()}, nil
		}, nil
	}
}
