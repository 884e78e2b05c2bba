package kernels

// GridSample over N×C×H×W inputs (2-d sampling grids), on ops.GridSample2D.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "GridSample", Infer: inferGridSample, Build: buildGridSample}, 16, 20, 22)
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
		if x.Rank() != 4 {
			return nil, fmt.Errorf("node %s: only 2-d sampling is supported: X must be N×C×H×W, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		if g.Rank() != 4 || g.Shape[0] != x.Shape[0] || g.Shape[3] != 2 {
			return nil, fmt.Errorf("node %s: grid must be %d×H_out×W_out×2, got shape %s", n.Label(), x.Shape[0], ops.ShapeString(g.Shape))
		}
		p := &ops.GridSampleParams{N: x.Shape[0], C: x.Shape[1], H: x.Shape[2], W: x.Shape[3], OutH: g.Shape[1], OutW: g.Shape[2],
			Mode: mode, Padding: pad, AlignCorners: ac != 0}
		if (p.H == 0 || p.W == 0) && p.OutH*p.OutW > 0 {
			return nil, fmt.Errorf("node %s: cannot sample an empty image of shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		o := newFloatOutput(env, x.DType, []int{p.N, p.C, p.OutH, p.OutW})
		ops.GridSample2D(p, float32s(x), float32s(g), o.f)
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
