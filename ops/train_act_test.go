package ops

import (
	"math"
	"testing"
)

// actRef is a float64 reference of each activation, written from its
// definition, independent of ApplyAct.
func actRef(act Act, alpha, z float64) float64 {
	switch act {
	case ActRelu:
		return math.Max(z, 0)
	case ActLeakyRelu:
		if z < 0 {
			return alpha * z
		}
		return z
	case ActSigmoid:
		return 1 / (1 + math.Exp(-z))
	case ActTanh:
		return math.Tanh(z)
	case ActElu:
		if z < 0 {
			return alpha * (math.Exp(z) - 1)
		}
		return z
	case ActSelu:
		if z <= 0 {
			return SeluGamma * SeluAlpha * (math.Exp(z) - 1)
		}
		return SeluGamma * z
	case ActSoftplus:
		return math.Log1p(math.Exp(z))
	}
	return z
}

// TestActBackwardFiniteDifferences checks f' (ActBackward, ActDerivs) and f”
// (ActDerivs) from the output against central differences of the definition,
// away from the kinks at zero.
func TestActBackwardFiniteDifferences(t *testing.T) {
	acts := []Act{ActNone, ActRelu, ActLeakyRelu, ActSigmoid, ActTanh, ActElu, ActSelu, ActSoftplus}
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
			if got, want := float64(dz[i]), float64(dy[i])*want1; math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
				t.Errorf("act %d z=%g: ActBackward dz = %g, want dy·f' = %g", act, z, got, want)
			}
			d1, d2 := ActDerivs(y[i], act, alpha)
			if math.Abs(float64(d1)-want1) > 1e-3*(1+math.Abs(want1)) {
				t.Errorf("act %d z=%g: ActDerivs f' = %g, want %g", act, z, d1, want1)
			}
			if math.Abs(float64(d2)-want2) > 2e-2*(1+math.Abs(want2)) {
				t.Errorf("act %d z=%g: ActDerivs f'' = %g, want %g", act, z, d2, want2)
			}
		}
	}
}

// TestActBackwardAliased checks dz may alias dy.
func TestActBackwardAliased(t *testing.T) {
	y := []float32{0.25, 0.5}
	g := []float32{2, 4}
	ActBackward(g, g, y, ActSigmoid, 0)
	if want := []float32{2 * 0.25 * 0.75, 4 * 0.5 * 0.5}; g[0] != want[0] || g[1] != want[1] {
		t.Fatalf("aliased sigmoid backward = %v, want %v", g, want)
	}
}
