package kernels

// GridSample over N×C×D1×…×Dr inputs: 2-d grids on ops.GridSample2D (every
// mode), other ranks on ops.GridSampleND (nearest and linear, as ONNX
// defines cubic for 2-d only); AffineGrid (opset 20), the grids of 2-d and
// 3-d affine transforms, on ops.AffineGrid.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "GridSample", Infer: inferGridSample, Build: buildGridSample}, 16, 20, 22)
	operators.Register(operators.Op{Type: "AffineGrid", Inputs: []operators.TypeSet{anyFloatTypes, {ops.Int64}},
		Infer: inferAffineGrid, Build: buildAffineGrid}, 20)
}

func buildGridSample(n *graph.Node, opset int64) (operators.Kernel, error) {
	def := "bilinear"
	if opset >= 20 {
		def = "linear"
	}
	mode, err := resizeMode(n, def)
	if err != nil {
		return nil, err
	}
	pad, err := enumAttr(n, "padding_mode", "zeros",
		enumChoice[ops.GridPadding]{"zeros", ops.GridZeros},
		enumChoice[ops.GridPadding]{"border", ops.GridBorder},
		enumChoice[ops.GridPadding]{"reflection", ops.GridReflection})
	if err != nil {
		return nil, err
	}
	ac, err := n.Int("align_corners", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		g, err := floatInput(n, in, 1, "grid")
		if err != nil {
			return nil, err
		}
		r := x.Rank() - 2
		if r < 1 || (opset < 20 && r != 2) {
			return nil, fmt.Errorf("node %s: X must be N×C×H×W (N×C×D1×…×Dr from opset 20), got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		if g.Rank() != r+2 || g.Shape[0] != x.Shape[0] || g.Shape[r+1] != r {
			return nil, fmt.Errorf("node %s: grid must be %d×(%d output sizes)×%d for X of shape %s, got shape %s", n.Label(), x.Shape[0], r, r,
				ops.ShapeString(x.Shape), ops.ShapeString(g.Shape))
		}
		if r != 2 && mode == ops.ResizeCubic {
			return nil, fmt.Errorf("node %s: cubic sampling is defined for 2-d images only, X has shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		inSp, outSp := x.Shape[2:], g.Shape[1:r+1]
		if ops.NumElements(inSp) == 0 && ops.NumElements(outSp) > 0 {
			return nil, fmt.Errorf("node %s: cannot sample an empty image of shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		o := newFloatOutput(env, x.DType, append([]int{x.Shape[0], x.Shape[1]}, outSp...))
		if r == 2 {
			p := &ops.GridSampleParams{N: x.Shape[0], C: x.Shape[1], H: x.Shape[2], W: x.Shape[3], OutH: g.Shape[1], OutW: g.Shape[2],
				Mode: mode, Padding: pad, AlignCorners: ac != 0}
			ops.GridSample2D(p, float32s(x), float32s(g), o.f)
		} else {
			ops.GridSampleND(x.Shape[0], x.Shape[1], inSp, outSp, mode, pad, ac != 0, float32s(x), float32s(g), o.f)
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// inferGridSample: X [N, C, spatial…] sampled at grid [N, out…, r] gives
// [N, C, out…] in X's type.
func inferGridSample(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x, grid := in[0], in[1]
	if !operators.RankKnown(x) || !operators.RankKnown(grid) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	if len(x.Shape) < 3 || len(grid.Shape) != len(x.Shape) {
		return nil, fmt.Errorf("X %s must be N×C×spatial and grid %s of the same rank", x.Shape, grid.Shape)
	}
	if last := grid.Shape[len(grid.Shape)-1]; last.Known() && last.Value != int64(len(x.Shape)-2) {
		return nil, fmt.Errorf("grid %s must end in %d coordinates", grid.Shape, len(x.Shape)-2)
	}
	nd, err := operators.MergeDim(x.Shape[0], grid.Shape[0])
	if err != nil {
		return nil, fmt.Errorf("X %s and grid %s: batch: %w", x.Shape, grid.Shape, err)
	}
	out := append(graph.Shape{nd, x.Shape[1]}, grid.Shape[1:len(grid.Shape)-1]...)
	return one(ranked(x.DType, out)), nil
}

// buildAffineGrid: theta N×2×3 (N×3×4) and size [N, C, H, W] ([N, C, D, H,
// W]) give the N×H×W×2 (N×D×H×W×3) grid GridSample reads.
func buildAffineGrid(n *graph.Node, opset int64) (operators.Kernel, error) {
	ac, err := n.Int("align_corners", 0)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		theta, err := anyFloatInput(n, in, 0, "theta")
		if err != nil {
			return nil, err
		}
		st, err := requiredInput(n, in, 1, "size")
		if err != nil {
			return nil, err
		}
		size, err := intListInput(n, st, "size")
		if err != nil {
			return nil, err
		}
		if len(size) != 4 && len(size) != 5 {
			return nil, fmt.Errorf("node %s: size must be [N, C, H, W] or [N, C, D, H, W], got %v", n.Label(), size)
		}
		r := len(size) - 2
		if theta.Rank() != 3 || theta.Shape[1] != r || theta.Shape[2] != r+1 || int64(theta.Shape[0]) != size[0] {
			return nil, fmt.Errorf("node %s: theta must be %d×%d×%d for size %v, got shape %s", n.Label(), size[0], r, r+1, size, ops.ShapeString(theta.Shape))
		}
		shape := []int{theta.Shape[0]}
		for _, v := range size[2:] {
			d, err := checkedDim(n, v, "size")
			if err != nil {
				return nil, err
			}
			shape = append(shape, d)
		}
		shape = append(shape, r)
		if err := checkElementCount(n, "grid", shape); err != nil {
			return nil, err
		}
		o := newFloatOutput(env, theta.DType, shape)
		ops.AffineGrid(theta.Shape[0], shape[1:r+1], ac != 0, float32s(theta), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// inferAffineGrid: [N, spatial…, r] in theta's type, the spatial sizes
// known when size is a constant.
func inferAffineGrid(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	theta, size := in[0], in[1]
	r := int64(-1)
	if len(size.Shape) == 1 && size.Shape[0].Known() {
		r = size.Shape[0].Value - 2
	} else if len(theta.Shape) == 3 && theta.Shape[1].Known() {
		r = theta.Shape[1].Value
	}
	if r != 2 && r != 3 {
		if r >= 0 {
			return nil, fmt.Errorf("size must hold 4 or 5 values (N, C and 2 or 3 spatial sizes), theta be N×2×3 or N×3×4")
		}
		return one(graph.ValueInfo{DType: theta.DType}), nil
	}
	out := rankOnly(theta.DType, r+2)
	out.Shape[r+1] = operators.KnownDim(r)
	if len(theta.Shape) == 3 {
		out.Shape[0] = theta.Shape[0]
	}
	if v, ok := c.Ints(n, 1); ok && int64(len(v)) == r+2 {
		for i := int64(0); i < r; i++ {
			out.Shape[i+1] = operators.KnownDim(v[i+2])
		}
	}
	return one(out), nil
}
