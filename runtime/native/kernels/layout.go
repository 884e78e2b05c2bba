package kernels

// Layout operators: Transpose, Tile, Expand, DepthToSpace, SpaceToDepth
// and Trilu, for every element type ops.Tensor holds.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "Trilu", Infer: inferSame, Build: buildTrilu}, 14)
	operators.Register(operators.Op{Type: "DepthToSpace", Infer: inferDepthToSpace, Build: buildDepthToSpace}, 1, 11, 13)
	operators.Register(operators.Op{Type: "SpaceToDepth", Infer: inferSpaceToDepth, Build: buildSpaceToDepth}, 1, 13)
	operators.Register(operators.Op{Type: "Transpose", Infer: inferTranspose, Build: buildTranspose}, 1, 13, 21)
	operators.Register(operators.Op{Type: "Tile", Infer: inferTile, Build: buildTile}, 6, 13)
	operators.Register(operators.Op{Type: "Expand", Infer: inferExpand, Build: buildExpand}, 8, 13)
}

func buildTrilu(n *graph.Node, opset int64) (operators.Kernel, error) {
	upper, err := n.Int("upper", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		r := len(x.Shape)
		if r < 2 {
			return nil, fmt.Errorf("node %s: input must have rank ≥ 2, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		k := int64(0)
		if kt := optionalInput(in, 1); kt != nil {
			if kt.DType != ops.Int64 || kt.Len() != 1 {
				return nil, fmt.Errorf("node %s: k must be an int64 scalar, got %v", n.Label(), kt)
			}
			k = kt.I64()[0]
		}
		rows, cols := x.Shape[r-2], x.Shape[r-1]
		// Clamp k so that the column bound i+k stays within int range.
		k = min(max(k, -int64(rows)-1), int64(cols)+1)
		out := env.New(x.DType, x.Shape...)
		batch := ops.NumElements(x.Shape[:r-2])
		up := upper != 0
		switch s := ops.Words(x.Data).(type) {
		case []uint8:
			applyTrilu(ops.Words(out.Data).([]uint8), s, batch, rows, cols, int(k), up)
		case []uint16:
			applyTrilu(ops.Words(out.Data).([]uint16), s, batch, rows, cols, int(k), up)
		case []uint32:
			applyTrilu(ops.Words(out.Data).([]uint32), s, batch, rows, cols, int(k), up)
		case []uint64:
			applyTrilu(ops.Words(out.Data).([]uint64), s, batch, rows, cols, int(k), up)
		case []string:
			applyTrilu(ops.Words(out.Data).([]string), s, batch, rows, cols, int(k), up)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// applyTrilu keeps, in each rows×cols matrix, the elements with j-i ≥ k
// (upper) or j-i ≤ k (lower) and zeroes the rest.
func applyTrilu[T any](dst, src []T, batch, rows, cols, k int, upper bool) {
	var zero T
	for b := 0; b < batch; b++ {
		for i := 0; i < rows; i++ {
			o := (b*rows + i) * cols
			d, s := dst[o:o+cols], src[o:o+cols]
			// Columns [lo, hi) are kept.
			lo, hi := 0, cols
			if upper {
				lo = min(max(i+k, 0), cols)
			} else {
				hi = min(max(i+k+1, 0), cols)
			}
			for j := range d[:lo] {
				d[j] = zero
			}
			if lo < hi {
				copy(d[lo:hi], s[lo:hi])
			}
			for j := max(hi, lo); j < cols; j++ {
				d[j] = zero
			}
		}
	}
}

// blocksizeAttr reads the required, positive blocksize attribute.
func blocksizeAttr(n *graph.Node) (int, error) {
	if !n.Has("blocksize") {
		return 0, fmt.Errorf("node %s: missing attribute blocksize", n.Label())
	}
	b, err := n.Int("blocksize", 0)
	if err != nil {
		return 0, err
	}
	if b < 1 || b > math.MaxInt32 {
		return 0, fmt.Errorf("node %s: blocksize %d must be positive", n.Label(), b)
	}
	return int(b), nil
}

// permuteInto transposes x viewed as shape by perm into a fresh tensor
// and returns it viewed as final.
func permuteInto(env *operators.Env, n *graph.Node, x *ops.Tensor, shape, perm, final []int) ([]*ops.Tensor, error) {
	v := viewAs(x, shape)
	ts, err := ops.TransposeShape(shape, perm)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	out := env.New(x.DType, ts...)
	if err := ops.TransposeInto(out, v, perm); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return []*ops.Tensor{viewAs(out, final)}, nil
}

func buildDepthToSpace(n *graph.Node, opset int64) (operators.Kernel, error) {
	b, err := blocksizeAttr(n)
	if err != nil {
		return nil, err
	}
	mode := "DCR"
	if opset >= 11 {
		if mode, err = n.String("mode", "DCR"); err != nil {
			return nil, err
		}
		if mode != "DCR" && mode != "CRD" {
			return nil, fmt.Errorf("node %s: mode %q, want DCR or CRD", n.Label(), mode)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("node %s: input must be 4-D [N C H W], got %s", n.Label(), ops.ShapeString(x.Shape))
		}
		N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("node %s: channels %d of input %s are not a multiple of blocksize² = %d", n.Label(), C, ops.ShapeString(x.Shape), b*b)
		}
		c := C / (b * b)
		final := []int{N, c, H * b, W * b}
		if mode == "DCR" {
			return permuteInto(env, n, x, []int{N, b, b, c, H, W}, []int{0, 3, 4, 1, 5, 2}, final)
		}
		return permuteInto(env, n, x, []int{N, c, b, b, H, W}, []int{0, 1, 4, 2, 5, 3}, final)
	}, nil
}

func buildSpaceToDepth(n *graph.Node, opset int64) (operators.Kernel, error) {
	b, err := blocksizeAttr(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("node %s: input must be 4-D [N C H W], got %s", n.Label(), ops.ShapeString(x.Shape))
		}
		N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("node %s: spatial dims of input %s are not multiples of blocksize %d", n.Label(), ops.ShapeString(x.Shape), b)
		}
		return permuteInto(env, n, x, []int{N, C, H / b, b, W / b, b}, []int{0, 3, 5, 1, 2, 4}, []int{N, C * b * b, H / b, W / b})
	}, nil
}

func buildTranspose(n *graph.Node, opset int64) (operators.Kernel, error) {
	perm64, err := n.Ints("perm", nil)
	if err != nil {
		return nil, err
	}
	var perm []int
	if perm64 != nil {
		perm = make([]int, len(perm64))
		for i, p := range perm64 {
			perm[i] = int(p)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		p := perm
		if p == nil {
			p = ops.ReversedPerm(len(x.Shape))
		}
		shape, err := ops.TransposeShape(x.Shape, p)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if keepsOrder(x.Shape, p) {
			return []*ops.Tensor{viewAs(x, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.TransposeInto(out, x, p); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// keepsOrder reports whether perm moves only size-1 axes, so the
// transposed data is the input's data in the same order.
func keepsOrder(shape, perm []int) bool {
	last := -1
	for _, p := range perm {
		if shape[p] == 1 {
			continue
		}
		if p < last {
			return false
		}
		last = p
	}
	return true
}

func buildTile(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input", "repeats")
		if err != nil {
			return nil, err
		}
		x, rt := ins[0], ins[1]
		reps, err := int64ListInput(n, rt, "repeats")
		if err != nil {
			return nil, err
		}
		r := make([]int, len(reps))
		for i, v := range reps {
			if r[i], err = checkedDim(n, v, "repeat"); err != nil {
				return nil, err
			}
		}
		shape, err := ops.TileShape(x.Shape, r)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if err := checkElementCount(n, "output", shape); err != nil {
			return nil, err
		}
		out := env.New(x.DType, shape...)
		if err := ops.TileInto(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildExpand(n *graph.Node, opset int64) (operators.Kernel, error) {
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "input", "shape")
		if err != nil {
			return nil, err
		}
		x, st := ins[0], ins[1]
		spec, err := int64ListInput(n, st, "shape")
		if err != nil {
			return nil, err
		}
		want := make([]int, len(spec))
		for i, v := range spec {
			if want[i], err = checkedDim(n, v, "shape entry"); err != nil {
				return nil, err
			}
		}
		shape, err := ops.BroadcastShape(x.Shape, want)
		if err != nil {
			return nil, fmt.Errorf("node %s: expand: %w", n.Label(), err)
		}
		if err := checkElementCount(n, "output", shape); err != nil {
			return nil, err
		}
		if ops.SameShape(shape, x.Shape) {
			return []*ops.Tensor{viewAs(x, shape)}, nil
		}
		out := env.New(x.DType, shape...)
		if err := ops.ExpandInto(out, x); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func inferExpand(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	vals, ok := c.Values(n.Inputs[1])
	if !ok || !operators.RankKnown(in[0]) {
		return one(graph.ValueInfo{DType: in[0].DType}), nil
	}
	target := make(graph.Shape, len(vals))
	for i, v := range vals {
		target[i] = v.Dim()
	}
	s, err := operators.BroadcastShapes(in[0].Shape, target)
	if err != nil {
		return nil, err
	}
	return one(ranked(in[0].DType, s)), nil
}

func inferTranspose(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	perm, err := n.Ints("perm", nil)
	if err != nil {
		return nil, err
	}
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v has %d entries for input %s of rank %d", perm, len(perm), x.Shape, r)
	}
	seen := make([]bool, r)
	out := make(graph.Shape, r)
	for i, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
		}
		seen[p] = true
		out[i] = x.Shape[p]
	}
	return one(ranked(x.DType, out)), nil
}

func inferTile(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	reps, ok := c.Ints(n, 1)
	if !operators.RankKnown(x) || !ok {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("repeats %v has %d entries for input %s", reps, len(reps), x.Shape)
	}
	out := make(graph.Shape, len(reps))
	for i, r := range reps {
		switch d := x.Shape[i]; {
		case r < 0:
			return nil, fmt.Errorf("repeats %v has a negative entry", reps)
		case r == 1:
			out[i] = d
		case d.Known():
			out[i] = operators.KnownDim(d.Value * r)
		default:
			out[i] = operators.UnknownDim
		}
	}
	return one(ranked(x.DType, out)), nil
}

// inferDepthToSpace: [N, C, H, W] → [N, C/b², H·b, W·b].
func inferDepthToSpace(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	return inferBlocks(n, in, true)
}

// inferSpaceToDepth: [N, C, H, W] → [N, C·b², H/b, W/b].
func inferSpaceToDepth(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	return inferBlocks(n, in, false)
}

func inferBlocks(n *graph.Node, in []graph.ValueInfo, toSpace bool) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	bs, err := blocksizeAttr(n)
	if err != nil {
		return nil, err
	}
	b := int64(bs)
	if !operators.RankKnown(x) {
		return one(rankOnly(x.DType, 4)), nil
	}
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("input %s must be 4-D", x.Shape)
	}
	out := graph.Shape{x.Shape[0], {}, {}, {}}
	if toSpace {
		if out[1], err = dividedDim(x.Shape[1], b*b, "channel count"); err != nil {
			return nil, err
		}
		out[2], out[3] = scaledDim(x.Shape[2], b), scaledDim(x.Shape[3], b)
	} else {
		out[1] = scaledDim(x.Shape[1], b*b)
		for i := 2; i < 4; i++ {
			if out[i], err = dividedDim(x.Shape[i], b, "spatial size"); err != nil {
				return nil, err
			}
		}
	}
	return one(ranked(x.DType, out)), nil
}
