package kernels

// Fused nodes of the transformer patterns runtime/native/passes rewrites
// (domain latent.native): Gelu (the exporters' decomposed x·0.5·(1 +
// Erf(x/√2)), or the tanh form) and FusedSoftmax (Softmax whose NaN results
// become 0, PyTorch's masked attention).

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "Gelu", Inputs: floatInputs, Infer: inferSame, Build: buildGelu}, 1)
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "FusedSoftmax", Inputs: floatInputs, Infer: inferSame, Build: buildFusedSoftmax}, 1)
}

// buildFusedSoftmax compiles a FusedSoftmax node: Softmax along axis (with
// the semantics of the default-domain opset in attribute opset) and, with
// nan_to_zero, 0 in place of every NaN result.
func buildFusedSoftmax(n *graph.Node, _ int64) (operators.Kernel, error) {
	opset, err := n.Int("opset", 13)
	if err != nil {
		return nil, err
	}
	axis, err := n.Int("axis", softmaxDefaultAxis(opset))
	if err != nil {
		return nil, err
	}
	nz, err := n.Int("nan_to_zero", 0)
	if err != nil {
		return nil, err
	}
	nanToZero := nz != 0
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("node %s: input must have at least one axis, got a scalar", n.Label())
		}
		a, err := resolveAxis(n, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, mid, inner := softmaxAxisSplit(x.Shape, a, opset)
		o := newFloatOutput(env, x.DType, x.Shape)
		if inner == 1 {
			ops.SoftmaxRows(outer, mid, float32s(x), o.f, nanToZero)
		} else {
			ops.SoftmaxAxis(outer, mid, inner, float32s(x), o.f, false)
			if nanToZero {
				for i, v := range o.f {
					if v != v {
						o.f[i] = 0
					}
				}
			}
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}
