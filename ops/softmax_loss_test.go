package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNLLLossHandComputed(t *testing.T) {
	// Two samples, three classes, no extra axes: x[0] = [−1 −2 −3], x[1] = [−4 −5 −6].
	x := []float32{-1, -2, -3, -4, -5, -6}
	target := []int64{2, 0}
	out := make([]float32, 2)
	require.NoError(t, NLLLoss(2, 3, 1, x, target, nil, 0, false, ReduceNone, out))
	requireClose(t, "none", out, []float32{3, 4}, 0)
	require.NoError(t, NLLLoss(2, 3, 1, x, target, nil, 0, false, ReduceMean, out))
	requireClose(t, "mean", out[:1], []float32{3.5}, 0)
	// Weighted mean: (0.5·3 + 2·4)/(0.5 + 2).
	w := []float32{2, 1, 0.5}
	require.NoError(t, NLLLoss(2, 3, 1, x, target, w, 0, false, ReduceMean, out))
	requireClose(t, "weighted mean", out[:1], []float32{9.5 / 2.5}, 1e-7)
	// Ignoring class 0 drops the second sample from sum and weight.
	require.NoError(t, NLLLoss(2, 3, 1, x, target, w, 0, true, ReduceMean, out))
	requireClose(t, "ignore", out[:1], []float32{3}, 1e-7)
	require.NoError(t, NLLLoss(2, 3, 1, x, target, nil, 0, true, ReduceSum, out))
	requireClose(t, "ignore sum", out[:1], []float32{3}, 0)
	assert.Error(t, NLLLoss(2, 3, 1, x, []int64{3, 0}, nil, 0, false, ReduceSum, out), "target 3 of 3 classes accepted")
}

func TestSoftmaxCrossEntropyAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	n, c, d := 3, 4, 5
	x := uniform(r, n*c*d)
	target := make([]int64, n*d)
	for i := range target {
		target[i] = int64(r.IntN(c))
	}
	w := []float32{0.5, 1, 2, 0.25}
	var sum, wsum float64
	want := make([]float32, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			var z float64
			for k := 0; k < c; k++ {
				z += math.Exp(float64(x[(i*c+k)*d+j]))
			}
			tt := int(target[i*d+j])
			l := -float64(w[tt]) * (float64(x[(i*c+tt)*d+j]) - math.Log(z))
			want[i*d+j] = float32(l)
			sum += l
			wsum += float64(w[tt])
		}
	}
	lp := make([]float32, len(x))
	out := make([]float32, n*d)
	require.NoError(t, SoftmaxCrossEntropy(n, c, d, x, target, w, 0, false, ReduceNone, lp, out))
	requireClose(t, "none", out, want, 1e-5)
	require.NoError(t, SoftmaxCrossEntropy(n, c, d, x, target, w, 0, false, ReduceMean, lp, out))
	requireClose(t, "weighted mean", out[:1], []float32{float32(sum / wsum)}, 1e-5)
}
