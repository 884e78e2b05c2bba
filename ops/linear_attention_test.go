package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearAttentionClosedForm: without the delta rule the recurrence is
// causal attention without a softmax, o_t = scale·Σ_{s≤t} w(s,t)(q_t·k_s)v_s
// with w = 1 (linear) or exp(g_{s+1} + … + g_t) (gated, one decay per
// head); checked with two query heads per key/value head.
func TestLinearAttentionClosedForm(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, gated := range []bool{false, true} {
		p := &LinearAttentionParams{B: 2, T: 5, HQ: 4, HKV: 2, DK: 3, DV: 2, Scale: 0.7, Gated: gated}
		q := uniform(r, p.B*p.T*p.HQ*p.DK)
		k := uniform(r, p.B*p.T*p.HKV*p.DK)
		v := uniform(r, p.B*p.T*p.HKV*p.DV)
		decay := uniform(r, p.B*p.T*p.HKV)
		state := make([]float32, p.B*p.HKV*p.DK*p.DV)
		got := make([]float32, p.B*p.T*p.HQ*p.DV)
		LinearAttention(p, q, k, v, decay, nil, state, got)
		want := make([]float32, len(got))
		for b := 0; b < p.B; b++ {
			for hq := 0; hq < p.HQ; hq++ {
				h := hq / (p.HQ / p.HKV)
				for tt := 0; tt < p.T; tt++ {
					for m := 0; m < p.DV; m++ {
						var o float64
						for s := 0; s <= tt; s++ {
							w := 1.0
							if gated {
								for u := s + 1; u <= tt; u++ {
									w *= math.Exp(float64(decay[(b*p.T+u)*p.HKV+h]))
								}
							}
							var dot float64
							for d := 0; d < p.DK; d++ {
								dot += float64(q[((b*p.T+tt)*p.HQ+hq)*p.DK+d]) * float64(k[((b*p.T+s)*p.HKV+h)*p.DK+d])
							}
							o += w * dot * float64(v[((b*p.T+s)*p.HKV+h)*p.DV+m])
						}
						want[((b*p.T+tt)*p.HQ+hq)*p.DV+m] = float32(float64(p.Scale) * o)
					}
				}
			}
		}
		requireClose(t, "closed form", got, want, 1e-5)
	}
}

func TestLinearAttentionDeltaHandComputed(t *testing.T) {
	// One head, d_k = d_v = 1, β = 0.5: step 1 writes u = 0.5·(2 − 0) = 1,
	// S = k·u = 1; step 2 (k = 1, v = 4) writes u = 0.5·(4 − S·k) = 1.5,
	// S = 2.5. Outputs scale·q·S with scale 1 and q = 1, 2: 1, 5.
	p := &LinearAttentionParams{B: 1, T: 2, HQ: 1, HKV: 1, DK: 1, DV: 1, Scale: 1, Delta: true}
	state := []float32{0}
	out := make([]float32, 2)
	LinearAttention(p, []float32{1, 2}, []float32{1, 1}, []float32{2, 4}, nil, []float32{0.5, 0.5}, state, out)
	requireClose(t, "delta", out, []float32{1, 5}, 1e-6)
	requireClose(t, "state", state, []float32{2.5}, 1e-6)
}
