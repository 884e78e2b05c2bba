package kernels

// TopK: the k largest (or smallest) elements along one axis and their
// indices.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "TopK", Infer: inferTopK, Build: buildTopK}, 1, 10, 11)
}

// buildTopK compiles TopK. Opset 1 takes k as an attribute, opset 10 as a
// 1-element int64 input; opset 11 adds largest, sorted and negative axes.
// Equal values keep the lower index first, as ONNX specifies, and the
// outputs are always sorted (sorted=0 allows any order). NaN orders below
// every number.
func buildTopK(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	largest, err := n.Int("largest", 1)
	if err != nil {
		return nil, err
	}
	if _, err := n.Int("sorted", 1); err != nil {
		return nil, err
	}
	if opset < 11 && largest != 1 {
		return nil, fmt.Errorf("node %s: largest=%d needs opset 11 (model opset %d)", n.Label(), largest, opset)
	}
	kAttr := int64(-1)
	if opset < 10 {
		if kAttr, err = n.Int("k", -1); err != nil {
			return nil, err
		}
		if kAttr < 0 {
			return nil, fmt.Errorf("node %s: attribute k is required and must be >= 0 (opset %d)", n.Label(), opset)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) == 0 {
			return nil, fmt.Errorf("node %s: input X must have rank >= 1, got a scalar", n.Label())
		}
		ax, err := resolveAxis(n, axis, len(x.Shape)) // default -1 at every opset
		if err != nil {
			return nil, err
		}
		k := kAttr
		if opset >= 10 {
			kt, err := requiredInput(n, in, 1, "K")
			if err != nil {
				return nil, err
			}
			if kt.DType != ops.Int64 || kt.Len() != 1 {
				return nil, fmt.Errorf("node %s: input K must be one int64 value, got %s %s", n.Label(), kt.DType, ops.ShapeString(kt.Shape))
			}
			k = kt.I64()[0]
		}
		dim := x.Shape[ax]
		if k < 0 || k > int64(dim) {
			return nil, fmt.Errorf("node %s: k=%d out of range [0, %d] for axis %d of X %s", n.Label(), k, dim, ax, ops.ShapeString(x.Shape))
		}
		oshape := slices.Clone(x.Shape)
		oshape[ax] = int(k)
		vals := env.New(x.DType, oshape...)
		idx := env.New(ops.Int64, oshape...)
		outer := ops.NumElements(x.Shape[:ax])
		inner := ops.NumElements(x.Shape[ax+1:])
		g := topkGeom{outer: outer, dim: dim, inner: inner, k: int(k), largest: largest != 0}
		switch d := x.Data.(type) {
		case []float32:
			topkRun(g, d, vals.F32(), idx.I64())
		case []float64:
			topkRun(g, d, vals.F64(), idx.I64())
		case []uint16:
			if x.DType != ops.Float16 {
				return nil, fmt.Errorf("node %s: TopK does not support %s input", n.Label(), x.DType)
			}
			keys := make([]float32, len(d))
			ops.Float16sToFloat32s(keys, d)
			topkIndices(g, keys, idx.I64())
			gatherTopK(g, d, vals.F16(), idx.I64())
		case []int64:
			topkRun(g, d, vals.I64(), idx.I64())
		case []int32:
			topkRun(g, d, vals.I32(), idx.I64())
		case []int8:
			topkRun(g, d, vals.I8(), idx.I64())
		case []uint8:
			topkRun(g, d, vals.U8(), idx.I64())
		default:
			return nil, fmt.Errorf("node %s: TopK does not support %s input", n.Label(), x.DType)
		}
		return []*ops.Tensor{vals, idx}, nil
	}, nil
}

// topkGeom is X viewed as [outer, dim, inner] with TopK along dim.
type topkGeom struct {
	outer, dim, inner, k int
	largest              bool
}

func topkRun[T cmp.Ordered](g topkGeom, x, vals []T, idx []int64) {
	topkIndices(g, x, idx)
	gatherTopK(g, x, vals, idx)
}

// topkIndices writes, for every (outer, inner) line, the indices of its k
// selected elements in output order into idx ([outer, k, inner]).
func topkIndices[T cmp.Ordered](g topkGeom, x []T, idx []int64) {
	order := make([]int, g.dim)
	line := make([]T, g.dim)
	less := func(a, b int) int {
		c := cmp.Compare(line[a], line[b])
		if g.largest {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	for o := 0; o < g.outer; o++ {
		for in := 0; in < g.inner; in++ {
			base := o * g.dim * g.inner
			for j := 0; j < g.dim; j++ {
				line[j] = x[base+j*g.inner+in]
				order[j] = j
			}
			slices.SortFunc(order, less)
			obase := o * g.k * g.inner
			for j := 0; j < g.k; j++ {
				idx[obase+j*g.inner+in] = int64(order[j])
			}
		}
	}
}

// gatherTopK copies the selected elements into vals.
func gatherTopK[T any](g topkGeom, x, vals []T, idx []int64) {
	for o := 0; o < g.outer; o++ {
		for j := 0; j < g.k; j++ {
			for in := 0; in < g.inner; in++ {
				p := o*g.k*g.inner + j*g.inner + in
				vals[p] = x[o*g.dim*g.inner+int(idx[p])*g.inner+in]
			}
		}
	}
}

func inferTopK(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	unknown := []graph.ValueInfo{{DType: x.DType}, {DType: ops.Int64}}
	if !operators.RankKnown(x) {
		return unknown, nil
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	k := operators.UnknownDim
	if c.Opset() < 10 {
		kv, err := n.Int("k", -1)
		if err != nil {
			return nil, err
		}
		if kv >= 0 {
			k = operators.KnownDim(kv)
		}
	} else if kv, ok := c.Ints(n, 1); ok {
		if len(kv) != 1 || kv[0] < 0 {
			return nil, fmt.Errorf("K %v must be one non-negative value", kv)
		}
		k = operators.KnownDim(kv[0])
	}
	if d := x.Shape[a]; k.Known() && d.Known() && k.Value > d.Value {
		return nil, fmt.Errorf("K %d exceeds axis %d of size %d", k.Value, a, d.Value)
	}
	sh := append(graph.Shape(nil), x.Shape...)
	sh[a] = k
	return []graph.ValueInfo{ranked(x.DType, sh), ranked(ops.Int64, append(graph.Shape(nil), sh...))}, nil
}
