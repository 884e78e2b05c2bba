package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamUpdateMatchesLoop runs AdamUpdate (vectorised for the
// multiple-of-8 prefix on AVX2) and adamGo, the element loop, on the same
// state for lengths around the 8-lane steps, with and without coupled and
// decoupled decay, and wants the same bits in w, m and v. It also checks
// one step by hand on a single weight.
func TestAdamUpdateMatchesLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{1, 7, 8, 9, 64, 1001} {
		for _, p := range []AdamParams{
			{Scale: 1.0 / 128, Beta1: 0.9, Beta2: 0.999, BC1: 0.1, BC2: 0.001, LR: 1e-3, Eps: 1e-8},
			{Scale: 0.5, L2: 1e-4, Beta1: 0.8, Beta2: 0.99, BC1: 0.488, BC2: 0.0297, LR: 3e-2, Eps: 1e-7},
			{Scale: 1, Beta1: 0.9, Beta2: 0.999, BC1: 0.65, BC2: 0.01, LR: 1e-2, Eps: 1e-8, Decay: 0.01},
		} {
			w, g, m, v := trRand(rng, n), trRand(rng, n), trRand(rng, n), make([]float32, n)
			for i := range v {
				v[i] = rng.Float32()
			}
			w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			AdamUpdate(w, g, m, v, p)
			adamGo(w2, g, m2, v2, &p)
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) || math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
					t.Fatalf("n=%d %+v: weight %d: w, m, v = %v %v %v, loop gives %v %v %v", n, p, i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
				}
			}
		}
	}
	// By hand: g' = 2·0.5 = 1, m = 0.1, v = 0.001, m̂ = 1, v̂ = 1,
	// w = 1 − 0.1·(1/(1+0)) = 0.9 (1−β2 is 0.00099998713 in float32).
	w, m, v := []float32{1}, []float32{0}, []float32{0}
	AdamUpdate(w, []float32{2}, m, v, AdamParams{Scale: 0.5, Beta1: 0.9, Beta2: 0.999, BC1: 0.1, BC2: 0.001, LR: 0.1})
	if math.Abs(float64(w[0])-0.9) > 1e-6 || math.Abs(float64(m[0])-0.1) > 1e-7 || math.Abs(float64(v[0])-0.001) > 2e-8 {
		t.Errorf("one step by hand: w, m, v = %v %v %v, want 0.9 0.1 0.001", w[0], m[0], v[0])
	}
}
