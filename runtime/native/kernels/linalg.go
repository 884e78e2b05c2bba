package kernels

// Linear algebra beyond the products of gemm.go and einsum.go: Det.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Det", Inputs: anyFloatInputs, Infer: inferDet, Build: buildDet}, 11, 22)
}

// buildDet: the determinants of the trailing M×M matrices of X ([*, M, M]
// gives [*]), by LU decomposition in float64 (ops.Det).
func buildDet(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		if r < 2 || x.Shape[r-1] != x.Shape[r-2] {
			return nil, fmt.Errorf("node %s: X must be [*, M, M], got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		m := x.Shape[r-1]
		a := make([]float64, m*m)
		if src, ok := x.Data.([]float64); ok {
			out := env.New(ops.Float64, x.Shape[:r-2]...)
			for b, d := 0, out.F64(); b < len(d); b++ {
				copy(a, src[b*m*m:])
				d[b] = ops.Det(m, a)
			}
			return []*ops.Tensor{out}, nil
		}
		src := float32s(x)
		o := newFloatOutput(env, x.DType, x.Shape[:r-2])
		for b := range o.f {
			for i, v := range src[b*m*m : (b+1)*m*m] {
				a[i] = float64(v)
			}
			o.f[b] = float32(ops.Det(m, a))
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func inferDet(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("X must be [*, M, M], has rank %d", len(x.Shape))
	}
	return one(ranked(x.DType, append(graph.Shape(nil), x.Shape[:len(x.Shape)-2]...))), nil
}
