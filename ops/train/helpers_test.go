package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
)

// uniform returns n values drawn uniformly from [-1, 1).
func uniform(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// normal returns n standard normal values.
func normal(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// assertClose checks got against want element by element within
// tol·(1+|want|), reporting the first element that is not.
func assertClose(t *testing.T, what string, want, got []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.Abs(g-w) > tol*(1+math.Abs(w)) {
			assert.InDeltaf(t, w, g, tol*(1+math.Abs(w)), "%s: element %d", what, i)
			return
		}
	}
}

// convBackwardPath runs Conv's (transpose false) or ConvTranspose's
// backward pass for p on the phase-split path (fast) or the per-image
// im2col loops, with dw and db accumulating onto start (zeros when start
// is nil: len(w) weight values then OutC bias values). ok is false when
// fast is asked for and p does not take that path.
func convBackwardPath(p *ops.ConvParams, transpose, fast bool, x, w, dy, start []float32) (dx, dw, db []float32, ok bool) {
	dx, dw, db = make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.OutC)
	if start != nil {
		copy(dw, start[:len(w)])
		copy(db, start[len(w):])
	}
	switch {
	case !transpose && fast:
		ok = convBackwardFast(p, x, w, dy, dx, dw, db, nil)
	case !transpose:
		convBackwardIm2Col(p, x, w, dy, dx, dw, db, nil)
		ok = true
	case fast:
		ok = convTransposeBackwardFast(p, x, w, dy, dx, dw, db, nil)
	default:
		convTransposeBackwardIm2Col(p, x, w, dy, dx, dw, db, nil)
		ok = true
	}
	return dx, dw, db, ok
}
