package ops

import "math"

// LinearAttentionParams describes a linear-attention recurrence: B
// sequences of T steps, HQ query heads sharing HKV key/value heads (HQ a
// multiple of HKV), key width DK and value width DV.
type LinearAttentionParams struct {
	B, T, HQ, HKV, DK, DV int
	Scale                 float32
	// Gated decays the state by exp(decay) before each write: decay holds
	// one value per key head (DecayPerKey false) or per key dimension.
	Gated, DecayPerKey bool
	// Delta writes β·(v − Sᵀk) instead of v (the delta rule); BetaPerHead
	// says whether beta holds one value per key/value head or one per step.
	Delta, BetaPerHead bool
}

// LinearAttention runs the recurrence over q [B, T, HQ·DK], k [B, T,
// HKV·DK], v [B, T, HKV·DV] (decay [B, T, HKV or HKV·DK] and beta [B, T,
// HKV or 1] when gated or delta), updating state [B, HKV, DK, DV] in
// place and writing out [B, T, HQ·DV]: at each step, per key/value head,
//
//	S ← exp(g)·S;  u = β·(v − Sᵀk) (delta) or v;  S ← S + k uᵀ;
//
// and each query head of the group reads o = scale·Sᵀq. Sums are in
// float64.
func LinearAttention(p *LinearAttentionParams, q, k, v, decay, beta, state, out []float32) {
	group := p.HQ / p.HKV
	u := make([]float64, p.DV)
	for b := 0; b < p.B; b++ {
		for t := 0; t < p.T; t++ {
			bt := b*p.T + t
			for h := 0; h < p.HKV; h++ {
				s := state[(b*p.HKV+h)*p.DK*p.DV : (b*p.HKV+h+1)*p.DK*p.DV]
				kt := k[(bt*p.HKV+h)*p.DK : (bt*p.HKV+h+1)*p.DK]
				vt := v[(bt*p.HKV+h)*p.DV : (bt*p.HKV+h+1)*p.DV]
				if p.Gated {
					for d := 0; d < p.DK; d++ {
						var g float32
						if p.DecayPerKey {
							g = decay[(bt*p.HKV+h)*p.DK+d]
						} else {
							g = decay[bt*p.HKV+h]
						}
						e := float32(math.Exp(float64(g)))
						for m := range s[d*p.DV : (d+1)*p.DV] {
							s[d*p.DV+m] *= e
						}
					}
				}
				for m := range u {
					u[m] = float64(vt[m])
				}
				if p.Delta {
					bv := float64(beta[bt])
					if p.BetaPerHead {
						bv = float64(beta[bt*p.HKV+h])
					}
					for m := range u {
						var r float64
						for d := 0; d < p.DK; d++ {
							r += float64(s[d*p.DV+m]) * float64(kt[d])
						}
						u[m] = bv * (u[m] - r)
					}
				}
				for d := 0; d < p.DK; d++ {
					kd := float64(kt[d])
					for m := range u {
						s[d*p.DV+m] = float32(float64(s[d*p.DV+m]) + kd*u[m])
					}
				}
				for hq := h * group; hq < (h+1)*group; hq++ {
					qt := q[(bt*p.HQ+hq)*p.DK : (bt*p.HQ+hq+1)*p.DK]
					o := out[(bt*p.HQ+hq)*p.DV : (bt*p.HQ+hq+1)*p.DV]
					for m := range o {
						var acc float64
						for d, qd := range qt {
							acc += float64(qd) * float64(s[d*p.DV+m])
						}
						o[m] = float32(float64(p.Scale) * acc)
					}
				}
			}
		}
	}
}
