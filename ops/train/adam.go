package train

import "math"

// AdamParams are the per-step constants of an Adam (or AdamW) update.
// Scale multiplies the raw gradient (e.g. 1/batch), L2 adds L2·w to it
// (coupled weight decay), Decay subtracts LR·Decay·w from the weight
// (AdamW's decoupled decay); BC1 and BC2 are the bias corrections
// 1−β1ᵗ and 1−β2ᵗ.
type AdamParams struct {
	Scale, L2, Beta1, Beta2, BC1, BC2, LR, Eps, Decay float32
}

// AdamUpdate applies one Adam step to the weights w with gradient g and
// moment estimates m and v (all the same length), in float32:
//
//	gᵢ' = gᵢ·Scale + L2·wᵢ
//	mᵢ = β1·mᵢ + (1−β1)·gᵢ';  vᵢ = β2·vᵢ + (1−β2)·gᵢ'·gᵢ'
//	wᵢ -= LR·((mᵢ/BC1) / (√(vᵢ/BC2) + Eps) + Decay·wᵢ)
//
// On amd64 with AVX2 eight weights go per step with the same operations in
// the same order (IEEE division and square root), so the result is
// bit-identical to the loop on every CPU.
func AdamUpdate(w, g, m, v []float32, p AdamParams) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	done := adamVec(w, g, m, v, &p)
	adamGo(w[done:], g[done:], m[done:], v[done:], &p)
}

func adamGo(w, g, m, v []float32, p *AdamParams) {
	c1, c2 := 1-p.Beta1, 1-p.Beta2
	for i := range w {
		gi := g[i]*p.Scale + p.L2*w[i]
		m[i] = p.Beta1*m[i] + c1*gi
		v[i] = p.Beta2*v[i] + c2*gi*gi
		mh, vh := m[i]/p.BC1, v[i]/p.BC2
		w[i] -= p.LR * (mh/(sqrt32(vh)+p.Eps) + p.Decay*w[i])
	}
}

// sqrt32 is the correctly rounded float32 square root (the float64 root
// rounds to the same value), as VSQRTPS computes it.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
