package apps

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveAUC counts positive/negative pairs directly (ties count 1/2).
func naiveAUC(s []float64, pos []bool) float64 {
	var num, den float64
	for i := range s {
		for j := range s {
			if pos[i] && !pos[j] {
				den++
				switch {
				case s[i] > s[j]:
					num++
				case s[i] == s[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestROCAUCHandComputed(t *testing.T) {
	// Positives score 0.9, 0.4; negatives 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1,
	// 0.4<0.5, 0.4>0.1) → 3/4.
	auc, err := ROCAUC([]float64{0.9, 0.5, 0.4, 0.1}, []bool{true, false, true, false})
	require.NoError(t, err)
	assert.Equal(t, 0.75, auc)
	// One tie between a positive and a negative counts half.
	auc, _ = ROCAUC([]float64{1, 1}, []bool{true, false})
	assert.Equal(t, 0.5, auc, "tied auc")
	_, err = ROCAUC([]float64{1, 2}, []bool{true, true})
	assert.Error(t, err, "single-class labels accepted")
	_, err = ROCAUC([]float64{1}, []bool{true, false})
	assert.Error(t, err, "length mismatch accepted")
	_, err = ROCAUC([]float64{math.NaN(), 1}, []bool{true, false})
	assert.Error(t, err, "NaN score accepted")
}

func TestROCAUCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		n := 5 + rng.IntN(200)
		s := make([]float64, n)
		pos := make([]bool, n)
		for i := range s {
			s[i] = float64(rng.IntN(12)) // many ties
			pos[i] = rng.IntN(3) == 0
		}
		pos[0], pos[1] = true, false
		got, err := ROCAUC(s, pos)
		require.NoError(t, err)
		assert.InDelta(t, naiveAUC(s, pos), got, 1e-12, "trial %d: auc against the pair count", trial)
		// The trapezoid area under ROCCurve is the same number.
		c, err := ROCCurve(s, pos)
		require.NoError(t, err)
		require.NotEmpty(t, c, "trial %d: ROC curve", trial)
		var area float64
		for i := 1; i < len(c); i++ {
			area += (c[i].FPR - c[i-1].FPR) * (c[i].TPR + c[i-1].TPR) / 2
		}
		last := c[len(c)-1]
		assert.Equal(t, 1.0, last.FPR, "trial %d: curve ends at %+v", trial, last)
		assert.Equal(t, 1.0, last.TPR, "trial %d: curve ends at %+v", trial, last)
		assert.InDelta(t, got, area, 1e-12, "trial %d: trapezoid area against the auc", trial)
	}
}

func TestMSEAndPSNR(t *testing.T) {
	a := []float32{0, 0.5, 1, 1}
	b := []float32{0, 0.25, 1, 0.5}
	m, err := MSE(a, b)
	// (0 + 0.0625 + 0 + 0.25)/4 = 0.078125
	require.NoError(t, err)
	assert.Equal(t, 0.078125, m, "mse")
	p, err := PSNR(a, b, 1)
	require.NoError(t, err)
	assert.InDelta(t, 10*math.Log10(1/0.078125), p, 1e-12, "psnr")
	p, _ = PSNR(a, a, 1)
	assert.True(t, math.IsInf(p, 1), "psnr of identical = %v, want +Inf", p)
	rows, err := RowMSE(a, b, 2)
	require.NoError(t, err)
	assert.Equal(t, []float64{0.03125, 0.125}, rows, "row mse")
	_, err = MSE(a, b[:3])
	assert.Error(t, err, "length mismatch accepted")
	_, err = PSNR(a, b, 0)
	assert.Error(t, err, "zero peak accepted")
	_, err = RowMSE(a, b, 3)
	assert.Error(t, err, "uneven rows accepted")
}
