package kernels

// Affine (domain latent.native, created by the optimiser's FoldAffine):
// Y = X·S + C or X/S + C in one pass.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "Affine", Infer: inferAffine, Build: buildAffine}, 1)
}

// buildAffine compiles an Affine node: Y = X·S + C (divide = 0) or
// Y = X/S + C (divide = 1) with numpy broadcasting. The one-pass float32
// path runs when S and C are 1-D or scalars that match X's last axis;
// anything else runs the two binary operators in turn, so results never
// depend on whether the fusion happened. Each element is rounded after the
// multiply or divide and after the add, exactly as the two nodes round.
func buildAffine(n *graph.Node, _ int64) (operators.Kernel, error) {
	div, err := n.Int("divide", 0)
	if err != nil {
		return nil, err
	}
	if div != 0 && div != 1 {
		return nil, fmt.Errorf("node %s: attribute divide = %d, want 0 or 1", n.Label(), div)
	}
	scaleOp := ops.OpMul
	if div == 1 {
		scaleOp = ops.OpDiv
	}
	scalePlan, err := ops.NewBinaryPlan(scaleOp)
	if err != nil {
		return nil, err
	}
	addPlan, err := ops.NewBinaryPlan(ops.OpAdd)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) != 3 {
			return nil, fmt.Errorf("node %s: got %d inputs, want 3 (X, scale, offset)", n.Label(), len(in))
		}
		for i, name := range []string{"X", "scale", "offset"} {
			if in[i] == nil {
				return nil, fmt.Errorf("node %s: missing input %d (%s)", n.Label(), i, name)
			}
		}
		x, s, c := in[0], in[1], in[2]
		if out := affineFast(env, x, s, c, div == 1); out != nil {
			return []*ops.Tensor{out}, nil
		}
		// General path: the original two nodes.
		for i, t := range in {
			if err := checkNumeric(n, t, n.Inputs[i]); err != nil {
				return nil, err
			}
		}
		var dims [8]int
		shape, err := ops.BroadcastShapeInto(dims[:0], x.Shape, s.Shape)
		if err != nil {
			return nil, fmt.Errorf("node %s: inputs %s and %s: %w", n.Label(), n.Inputs[0], n.Inputs[1], err)
		}
		t := env.New(x.DType, shape...)
		if err := scalePlan.Run(t, x, s); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		if shape, err = ops.BroadcastShapeInto(dims[:0], t.Shape, c.Shape); err != nil {
			return nil, fmt.Errorf("node %s: inputs %s·%s and %s: %w", n.Label(), n.Inputs[0], n.Inputs[1], n.Inputs[2], err)
		}
		out := env.New(x.DType, shape...)
		if err := addPlan.Run(out, t, c); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// affineFast computes x·s + c (or x/s + c) in one pass when all three are
// well-formed float32 and s, c are scalars or 1-D along x's last axis;
// otherwise it returns nil.
func affineFast(env *operators.Env, x, s, c *ops.Tensor, div bool) *ops.Tensor {
	if x.DType != ops.Float32 || s.DType != ops.Float32 || c.DType != ops.Float32 || len(x.Shape) == 0 ||
		len(s.Shape) > 1 || len(c.Shape) > 1 {
		return nil
	}
	k := x.Shape[len(x.Shape)-1]
	xd, ok1 := x.Data.([]float32)
	sd, ok2 := s.Data.([]float32)
	cd, ok3 := c.Data.([]float32)
	if !ok1 || !ok2 || !ok3 || len(xd) != x.Len() || len(sd) != s.Len() || len(cd) != c.Len() ||
		(len(sd) != k && len(sd) != 1) || (len(cd) != k && len(cd) != 1) || k == 0 {
		return nil
	}
	out := env.New(ops.Float32, x.Shape...)
	od := out.F32()
	if len(sd) == 1 || len(cd) == 1 {
		for o := 0; o+k <= len(xd); o += k {
			for i := range k {
				si, ci := sd[0], cd[0]
				if len(sd) == k {
					si = sd[i]
				}
				if len(cd) == k {
					ci = cd[i]
				}
				od[o+i] = affineOne(xd[o+i], si, ci, div)
			}
		}
		return out
	}
	sd, cd = sd[:k], cd[:k]
	for o := 0; o+k <= len(xd); o += k {
		xr, yr := xd[o:o+k], od[o:o+k]
		if div {
			for i := range yr {
				t := xr[i] / sd[i]
				yr[i] = t + cd[i]
			}
		} else {
			for i := range yr {
				yr[i] = float32(xr[i]*sd[i]) + cd[i] // the conversion forbids a fused multiply-add
			}
		}
	}
	return out
}

func affineOne(x, s, c float32, div bool) float32 {
	if div {
		t := x / s
		return t + c
	}
	return float32(x*s) + c
}

// inferAffine: X, S and C broadcast as the Mul (or Div) and Add it
// replaced, in X's type.
func inferAffine(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	s, ok, err := broadcastInputs(in[:3])
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(graph.ValueInfo{DType: in[0].DType}), nil
	}
	return one(ranked(in[0].DType, s)), nil
}
