package kernels

// CausalConvWithState (opset 27): the depthwise causal 1-d convolution of
// recurrent-style blocks with its carried left context (ops.CausalConv1D)
// and an optional fused SiLU.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

var narrowFloatTypes = operators.TypeSet{ops.Float32, ops.Float16, ops.BFloat16}

func init() {
	operators.Register(operators.Op{Type: "CausalConvWithState", Inputs: []operators.TypeSet{narrowFloatTypes},
		Infer: inferCausalConv, Build: buildCausalConv}, 27)
}

func causalConvActivation(n *graph.Node) (bool, error) {
	return enumAttr(n, "activation", "none", enumChoice[bool]{"none", false}, enumChoice[bool]{"silu", true}, enumChoice[bool]{"swish", true})
}

// roundThrough rounds float32 values to dt's precision in place (float16,
// bfloat16), as storing them in a tensor of dt would.
func roundThrough(dt ops.DType, f []float32) {
	switch dt {
	case ops.Float16:
		h := make([]uint16, len(f))
		ops.Float32sToFloat16s(h, f)
		ops.Float16sToFloat32s(f, h)
	case ops.BFloat16:
		for i, v := range f {
			f[i] = ops.BFloat16ToFloat32(ops.Float32ToBFloat16(v))
		}
	}
}

func buildCausalConv(n *graph.Node, opset int64) (operators.Kernel, error) {
	silu, err := causalConvActivation(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		w, err := anyFloatInput(n, in, 1, "weight")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 3 || w.Rank() != 3 || w.Shape[0] != x.Shape[1] || w.Shape[1] != 1 || w.Shape[2] < 1 {
			return nil, fmt.Errorf("node %s: input must be [batch, channels, length] and weight [channels, 1, k], got %s and %s",
				n.Label(), ops.ShapeString(x.Shape), ops.ShapeString(w.Shape))
		}
		b, c, l, k := x.Shape[0], x.Shape[1], x.Shape[2], w.Shape[2]
		var bias, past []float32
		if t := optionalInput(in, 2); t != nil {
			if err := checkAnyFloat(n, t, "bias"); err != nil {
				return nil, err
			}
			if t.Rank() != 1 || t.Shape[0] != c {
				return nil, fmt.Errorf("node %s: bias must be [%d], got %s", n.Label(), c, ops.ShapeString(t.Shape))
			}
			bias = float32s(t)
		}
		if t := optionalInput(in, 3); t != nil {
			if err := checkAnyFloat(n, t, "past_state"); err != nil {
				return nil, err
			}
			if t.Rank() != 3 || t.Shape[0] != b || t.Shape[1] != c || t.Shape[2] != k-1 {
				return nil, fmt.Errorf("node %s: past_state must be [%d, %d, %d], got %s", n.Label(), b, c, k-1, ops.ShapeString(t.Shape))
			}
			past = float32s(t)
		}
		y := newFloatOutput(env, x.DType, []int{b, c, l})
		st := newFloatOutput(env, x.DType, []int{b, c, k - 1})
		ops.CausalConv1D(b, c, l, k, float32s(x), float32s(w), bias, past, y.f, st.f)
		if silu {
			// The activation applies to the convolution's output in T.
			roundThrough(x.DType, y.f)
			for i, v := range y.f {
				y.f[i] = v / (1 + float32(math.Exp(float64(-v))))
			}
		}
		return []*ops.Tensor{y.done(), st.done()}, nil
	}, nil
}

// inferCausalConv: output [B, C, L] and present_state [B, C, k−1].
func inferCausalConv(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	if _, err := causalConvActivation(n); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	if !operators.RankKnown(x) || len(x.Shape) != 3 {
		return []graph.ValueInfo{{DType: x.DType}, {DType: x.DType}}, nil
	}
	st := rankOnly(x.DType, 3)
	st.Shape[0], st.Shape[1] = x.Shape[0], x.Shape[1]
	if len(w.Shape) == 3 && w.Shape[2].Known() {
		st.Shape[2] = operators.KnownDim(w.Shape[2].Value - 1)
	}
	return []graph.ValueInfo{ranked(x.DType, append(graph.Shape(nil), x.Shape...)), st}, nil
}
