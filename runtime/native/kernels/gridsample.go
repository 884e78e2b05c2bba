package kernels

// GridSample over N×C×H×W inputs (2-d sampling grids), on ops.GridSample2D.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "GridSample", Build: buildGridSample}, 16, 20, 22)
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
