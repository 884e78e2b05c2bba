package ops

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDet(t *testing.T) {
	// Hand-computed: ad − bc; a 3×3 by cofactors; a row swap flips the sign.
	assert.InDelta(t, -2.0, Det(2, []float64{1, 2, 3, 4}), 1e-12)
	assert.InDelta(t, 2.0, Det(2, []float64{3, 4, 1, 2}), 1e-12)
	// 2(3·1−0·2) − 0 + 1(1·2−3·4) = 6 − 10 = −4.
	assert.InDelta(t, -4.0, Det(3, []float64{2, 0, 1, 1, 3, 0, 4, 2, 1}), 1e-12)
	// A zero first pivot needs the row exchange.
	assert.InDelta(t, -1.0, Det(2, []float64{0, 1, 1, 0}), 1e-12)
	assert.Equal(t, 0.0, Det(3, []float64{1, 2, 3, 2, 4, 6, 0, 1, 1}), "singular")
	assert.Equal(t, 1.0, Det(0, nil), "empty matrix")
	assert.True(t, math.IsNaN(Det(2, []float64{math.NaN(), 0, 0, 0})), "NaN")
}
