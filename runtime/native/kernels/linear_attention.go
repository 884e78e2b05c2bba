package kernels

// LinearAttention (opset 27): the linear-attention recurrences (linear,
// gated, delta-rule and gated delta-rule, with grouped key/value heads)
// over packed [batch, steps, heads·width] inputs, on ops.LinearAttention;
// the state is carried in and out as [batch, kv heads, d_k, d_v].

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "LinearAttention", Inputs: []operators.TypeSet{narrowFloatTypes},
		Infer: inferLinearAttention, Build: buildLinearAttention}, 27)
}

type linearAttnAttrs struct {
	hq, hkv      int
	scale        float32
	gated, delta bool
}

func linearAttentionAttrs(n *graph.Node) (*linearAttnAttrs, error) {
	a := &linearAttnAttrs{}
	rule, err := enumAttr(n, "update_rule", "gated_delta",
		enumChoice[[2]bool]{"linear", [2]bool{false, false}}, enumChoice[[2]bool]{"gated", [2]bool{true, false}},
		enumChoice[[2]bool]{"delta", [2]bool{false, true}}, enumChoice[[2]bool]{"gated_delta", [2]bool{true, true}})
	if err != nil {
		return nil, err
	}
	a.gated, a.delta = rule[0], rule[1]
	hq, err := n.Int("q_num_heads", 0)
	if err != nil {
		return nil, err
	}
	hkv, err := n.Int("kv_num_heads", 0)
	if err != nil {
		return nil, err
	}
	if hq <= 0 || hkv <= 0 || hq > 1<<20 || hq%hkv != 0 {
		return nil, fmt.Errorf("node %s: q_num_heads %d must be a positive multiple of kv_num_heads %d (both required)", n.Label(), hq, hkv)
	}
	a.hq, a.hkv = int(hq), int(hkv)
	if a.scale, err = n.Float("scale", 0); err != nil {
		return nil, err
	}
	return a, nil
}

func buildLinearAttention(n *graph.Node, opset int64) (operators.Kernel, error) {
	a, err := linearAttentionAttrs(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		var ts [6]*ops.Tensor
		for i, name := range []string{"query", "key", "value", "past_state", "decay", "beta"} {
			t := optionalInput(in, i)
			if t == nil {
				if i < 3 {
					return nil, fmt.Errorf("node %s: input %s is required", n.Label(), name)
				}
				continue
			}
			if err := checkAnyFloat(n, t, name); err != nil {
				return nil, err
			}
			if i != 3 && t.Rank() != 3 {
				return nil, fmt.Errorf("node %s: %s must be [batch, steps, features], got %s", n.Label(), name, ops.ShapeString(t.Shape))
			}
			ts[i] = t
		}
		q, k, v, past, decay, beta := ts[0], ts[1], ts[2], ts[3], ts[4], ts[5]
		b, steps := q.Shape[0], q.Shape[1]
		p := &ops.LinearAttentionParams{B: b, T: steps, HQ: a.hq, HKV: a.hkv, Gated: a.gated, Delta: a.delta}
		if q.Shape[2]%a.hq != 0 || v.Shape[2]%a.hkv != 0 {
			return nil, fmt.Errorf("node %s: query width %d must divide by q_num_heads %d and value width %d by kv_num_heads %d",
				n.Label(), q.Shape[2], a.hq, v.Shape[2], a.hkv)
		}
		p.DK, p.DV = q.Shape[2]/a.hq, v.Shape[2]/a.hkv
		for _, t := range []*ops.Tensor{k, v} {
			if t.Shape[0] != b || t.Shape[1] != steps {
				return nil, fmt.Errorf("node %s: query %s, key %s and value %s must share batch and steps", n.Label(),
					ops.ShapeString(q.Shape), ops.ShapeString(k.Shape), ops.ShapeString(v.Shape))
			}
		}
		if k.Shape[2] != a.hkv*p.DK {
			return nil, fmt.Errorf("node %s: key width %d, want kv_num_heads·d_k = %d", n.Label(), k.Shape[2], a.hkv*p.DK)
		}
		if (decay != nil) != a.gated || (beta != nil) != a.delta {
			return nil, fmt.Errorf("node %s: this update_rule takes decay %s and beta %s", n.Label(),
				map[bool]string{true: "(required)", false: "(forbidden)"}[a.gated], map[bool]string{true: "(required)", false: "(forbidden)"}[a.delta])
		}
		var decayF, betaF []float32
		if decay != nil {
			switch {
			case decay.Shape[0] != b || decay.Shape[1] != steps:
				return nil, fmt.Errorf("node %s: decay %s must be [%d, %d, …]", n.Label(), ops.ShapeString(decay.Shape), b, steps)
			case decay.Shape[2] == a.hkv:
			case decay.Shape[2] == a.hkv*p.DK:
				p.DecayPerKey = true
			default:
				return nil, fmt.Errorf("node %s: decay's last dimension %d must be kv_num_heads %d or kv_num_heads·d_k %d", n.Label(), decay.Shape[2], a.hkv, a.hkv*p.DK)
			}
			decayF = float32s(decay)
		}
		if beta != nil {
			if beta.Shape[0] != b || beta.Shape[1] != steps || (beta.Shape[2] != a.hkv && beta.Shape[2] != 1) {
				return nil, fmt.Errorf("node %s: beta %s must be [%d, %d, %d or 1]", n.Label(), ops.ShapeString(beta.Shape), b, steps, a.hkv)
			}
			p.BetaPerHead = beta.Shape[2] == a.hkv
			betaF = float32s(beta)
		}
		stShape := []int{b, a.hkv, p.DK, p.DV}
		stType := q.DType
		state := make([]float32, ops.NumElements(stShape))
		if past != nil {
			if len(past.Shape) != 4 || past.Shape[0] != b || past.Shape[1] != a.hkv || past.Shape[2] != p.DK || past.Shape[3] != p.DV {
				return nil, fmt.Errorf("node %s: past_state must be %s, got %s", n.Label(), ops.ShapeString(stShape), ops.ShapeString(past.Shape))
			}
			copy(state, float32s(past))
			stType = past.DType
		}
		p.Scale = a.scale
		if p.Scale == 0 {
			p.Scale = float32(1 / math.Sqrt(float64(p.DK)))
		}
		out := newFloatOutput(env, q.DType, []int{b, steps, a.hq * p.DV})
		ops.LinearAttention(p, float32s(q), float32s(k), float32s(v), decayF, betaF, state, out.f)
		st := newFloatOutput(env, stType, stShape)
		copy(st.f, state)
		return []*ops.Tensor{out.done(), st.done()}, nil
	}, nil
}

// inferLinearAttention: output [B, T, q_num_heads·d_v] in query's type;
// present_state [B, kv_num_heads, d_k, d_v] in past_state's type (query's
// without one).
func inferLinearAttention(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	a, err := linearAttentionAttrs(n)
	if err != nil {
		return nil, err
	}
	q, v := in[0], in[2]
	stType := q.DType
	if p := input(in, 3); p.Name != "" {
		stType = p.DType
	}
	out := rankOnly(q.DType, 3)
	st := rankOnly(stType, 4)
	st.Shape[1] = operators.KnownDim(int64(a.hkv))
	var dk, dv graph.Dim = operators.UnknownDim, operators.UnknownDim
	if len(q.Shape) == 3 {
		out.Shape[0], out.Shape[1], st.Shape[0] = q.Shape[0], q.Shape[1], q.Shape[0]
		if q.Shape[2].Known() {
			dk = operators.KnownDim(q.Shape[2].Value / int64(a.hq))
		}
	}
	if len(v.Shape) == 3 && v.Shape[2].Known() {
		dv = operators.KnownDim(v.Shape[2].Value / int64(a.hkv))
		out.Shape[2] = operators.KnownDim(dv.Value * int64(a.hq))
	}
	st.Shape[2], st.Shape[3] = dk, dv
	return []graph.ValueInfo{out, st}, nil
}
