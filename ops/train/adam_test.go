package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			w, g, m, v := normal(rng, n), normal(rng, n), normal(rng, n), make([]float32, n)
			for i := range v {
				v[i] = rng.Float32()
			}
			w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			AdamUpdate(w, g, m, v, p)
			adamGo(w2, g, m2, v2, &p)
			require.Equalf(t, bits(w2), bits(w), "n=%d %+v: weights", n, p)
			require.Equalf(t, bits(m2), bits(m), "n=%d %+v: first moments", n, p)
			require.Equalf(t, bits(v2), bits(v), "n=%d %+v: second moments", n, p)
		}
	}
	// By hand: g' = 2·0.5 = 1, m = 0.1, v = 0.001, m̂ = 1, v̂ = 1,
	// w = 1 − 0.1·(1/(1+0)) = 0.9 (1−β2 is 0.00099998713 in float32).
	w, m, v := []float32{1}, []float32{0}, []float32{0}
	AdamUpdate(w, []float32{2}, m, v, AdamParams{Scale: 0.5, Beta1: 0.9, Beta2: 0.999, BC1: 0.1, BC2: 0.001, LR: 0.1})
	assert.InDelta(t, 0.9, w[0], 1e-6, "one step by hand: w")
	assert.InDelta(t, 0.1, m[0], 1e-7, "one step by hand: m")
	assert.InDelta(t, 0.001, v[0], 2e-8, "one step by hand: v")
}

// bits returns the IEEE 754 bits of each element, for bit-for-bit checks.
func bits(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}
