package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/latent-ml/latent/ops"
)

// actRef is a float64 reference of each activation, written from its
// definition, independent of ApplyAct.
func actRef(act ops.Act, alpha, z float64) float64 {
	switch act {
	case ops.ActRelu:
		return math.Max(z, 0)
	case ops.ActLeakyRelu:
		if z < 0 {
			return alpha * z
		}
		return z
	case ops.ActSigmoid:
		return 1 / (1 + math.Exp(-z))
	case ops.ActTanh:
		return math.Tanh(z)
	case ops.ActElu:
		if z < 0 {
			return alpha * (math.Exp(z) - 1)
		}
		return z
	case ops.ActSelu:
		if z <= 0 {
			return ops.SeluGamma * ops.SeluAlpha * (math.Exp(z) - 1)
		}
		return ops.SeluGamma * z
	case ops.ActSoftplus:
		return math.Log1p(math.Exp(z))
	}
	return z
}

// TestActBackwardFiniteDifferences checks f' (ActBackward, ActDerivs) and f”
// (ActDerivs) from the output against central differences of the definition,
// away from the kinks at zero.
func TestActBackwardFiniteDifferences(t *testing.T) {
	acts := []ops.Act{ops.ActNone, ops.ActRelu, ops.ActLeakyRelu, ops.ActSigmoid, ops.ActTanh, ops.ActElu, ops.ActSelu, ops.ActSoftplus}
	zs := []float64{-2.5, -0.7, -0.1, 0.2, 0.9, 1.8}
	const alpha, h = 0.3, 1e-4
	for _, act := range acts {
		y := make([]float32, len(zs))
		dy := make([]float32, len(zs))
		for i, z := range zs {
			y[i] = float32(actRef(act, alpha, z))
			dy[i] = float32(i) - 1.5
		}
		dz := make([]float32, len(zs))
		ActBackward(dz, dy, y, act, alpha)
		for i, z := range zs {
			f := func(z float64) float64 { return actRef(act, alpha, z) }
			want1 := (f(z+h) - f(z-h)) / (2 * h)
			want2 := (f(z+h) - 2*f(z) + f(z-h)) / (h * h)
			want := float64(dy[i]) * want1
			assert.InDeltaf(t, want, float64(dz[i]), 1e-3*(1+math.Abs(want)), "act %d z=%g: ActBackward dz, want dy·f'", act, z)
			d1, d2 := ActDerivs(y[i], act, alpha)
			assert.InDeltaf(t, want1, float64(d1), 1e-3*(1+math.Abs(want1)), "act %d z=%g: ActDerivs f'", act, z)
			assert.InDeltaf(t, want2, float64(d2), 2e-2*(1+math.Abs(want2)), "act %d z=%g: ActDerivs f''", act, z)
		}
	}
}

// TestActBackwardAliased checks dz may alias dy.
func TestActBackwardAliased(t *testing.T) {
	y := []float32{0.25, 0.5}
	g := []float32{2, 4}
	ActBackward(g, g, y, ops.ActSigmoid, 0)
	assert.Equal(t, []float32{2 * 0.25 * 0.75, 4 * 0.5 * 0.5}, g, "aliased sigmoid backward")
}

// TestActBackwardVector checks ActBackward's Relu and Sigmoid (vectorised
// on AVX2 for the multiple-of-8 prefix) bit for bit against the
// element-wise definitions, on lengths around the 8-lane steps, with y
// holding NaN, ±0 and values on both sides of zero, and with dz aliasing
// dy as the trainers call it.
func TestActBackwardVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	defs := map[ops.Act]func(dy, y float32) float32{
		ops.ActRelu: func(dy, y float32) float32 {
			if y > 0 {
				return dy
			}
			return 0
		},
		ops.ActSigmoid: func(dy, y float32) float32 { return dy * y * (1 - y) },
	}
	for act, def := range defs {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 100} {
			for _, alias := range []bool{false, true} {
				y, dy := make([]float32, n), make([]float32, n)
				for i := range y {
					y[i], dy[i] = rng.Float32()*2-1, rng.Float32()*4-2
				}
				for i, v := range []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0} {
					if i < n {
						y[(i*5)%n] = v
					}
				}
				want := make([]float32, n)
				for i := range want {
					want[i] = def(dy[i], y[i])
				}
				dz := make([]float32, n)
				if alias {
					dz = dy
				}
				ActBackward(dz, dy, y, act, 0)
				for i := range want {
					same := math.Float32bits(dz[i]) == math.Float32bits(want[i]) || (dz[i] != dz[i] && want[i] != want[i])
					if !assert.Truef(t, same, "%v n=%d alias=%v: dz[%d] = %v, want %v (y %v)", act, n, alias, i, dz[i], want[i], y[i]) {
						return
					}
				}
			}
		}
	}
}
