package apps

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Data on a known 2-D plane in 5-D plus tiny noise: PCA-2 must recover the
// plane (reconstruction error ≈ noise), PCA-1 must leave the second
// direction's variance as error.
func TestPCARecoversPlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 2000, 5
	u := []float64{1, 1, 0, 0, 0}
	v := []float64{0, 0, 1, -1, 0}
	for _, w := range [][]float64{u, v} { // unit length
		s := math.Sqrt(w[0]*w[0] + w[1]*w[1] + w[2]*w[2] + w[3]*w[3])
		for j := range w {
			w[j] /= s
		}
	}
	mean := []float64{1, 2, 3, 4, 5}
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		a, b := 3*rng.NormFloat64(), 1*rng.NormFloat64()
		for j := 0; j < d; j++ {
			x[i*d+j] = float32(mean[j] + a*u[j] + b*v[j] + 1e-3*rng.NormFloat64())
		}
	}
	p, err := FitPCA(context.Background(), x, n, d, 2)
	require.NoError(t, err)
	// Leading component ±u, variance ≈ 9; second ±v, variance ≈ 1.
	dot := func(c int, w []float64) float64 {
		var s float64
		for j := 0; j < d; j++ {
			s += float64(p.Components[c*d+j]) * w[j]
		}
		return math.Abs(s)
	}
	assert.GreaterOrEqual(t, dot(0, u), 0.999, "components %v do not match the plane: |<c0,u>|", p.Components)
	assert.GreaterOrEqual(t, dot(1, v), 0.999, "components %v do not match the plane: |<c1,v>|", p.Components)
	require.Len(t, p.Variance, 2)
	assert.InDelta(t, 9, p.Variance[0], 0.9, "variances %v, want ≈ [9 1]", p.Variance)
	assert.InDelta(t, 1, p.Variance[1], 0.15, "variances %v, want ≈ [9 1]", p.Variance)
	rec, err := p.Reconstruct(x, n)
	require.NoError(t, err)
	mse, _ := MSE(rec, x)
	assert.LessOrEqual(t, mse, 1e-5, "PCA-2 reconstruction mse, want ≈ noise (1e-6)")
	p1, err := FitPCA(context.Background(), x, n, d, 1)
	require.NoError(t, err)
	rec1, _ := p1.Reconstruct(x, n)
	mse1, _ := MSE(rec1, x)
	// Leftover variance is that of b (≈1) spread over d features.
	assert.InDelta(t, p.Variance[1]/d, mse1, 0.02, "PCA-1 mse, want ≈ the second variance over d")
	_, err = FitPCA(context.Background(), x, n, d, 6)
	assert.Error(t, err, "k > d accepted")
	_, err = p.Transform(x[:7], 2)
	assert.Error(t, err, "short input accepted")
}
