package apps

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// MSE returns the mean squared difference between a and b over all elements.
func MSE(a, b []float32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("mse: lengths differ (%d vs %d)", len(a), len(b))
	}
	if len(a) == 0 {
		return 0, errors.New("mse: no elements")
	}
	var s float64
	for i, v := range a {
		d := float64(v) - float64(b[i])
		s += d * d
	}
	return s / float64(len(a)), nil
}

// RowMSE returns the mean squared difference of each of the n rows of a and b.
func RowMSE(a, b []float32, n int) ([]float64, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("row mse: lengths differ (%d vs %d)", len(a), len(b))
	}
	if n <= 0 || len(a)%n != 0 {
		return nil, fmt.Errorf("row mse: %d elements do not split into %d rows", len(a), n)
	}
	d := len(a) / n
	out := make([]float64, n)
	for r := range out {
		var s float64
		for i := r * d; i < (r+1)*d; i++ {
			e := float64(a[i]) - float64(b[i])
			s += e * e
		}
		out[r] = s / float64(d)
	}
	return out, nil
}

// PSNR returns the peak signal-to-noise ratio in decibels of got against
// want for signals whose range is peak (1 for pixels in [0,1]):
// 10·log10(peak²/MSE). Identical inputs give +Inf.
func PSNR(got, want []float32, peak float64) (float64, error) {
	if peak <= 0 {
		return 0, fmt.Errorf("psnr: peak must be positive, got %g", peak)
	}
	m, err := MSE(got, want)
	if err != nil {
		return 0, fmt.Errorf("psnr: %w", err)
	}
	if m == 0 {
		return math.Inf(1), nil
	}
	return 10 * math.Log10(peak*peak/m), nil
}

// ROCAUC returns the area under the ROC curve of scores where a higher
// score should mean positive (anomalous): the probability that a random
// positive scores above a random negative, ties counting one half. It is
// computed from ranks (Mann–Whitney U) in O(n log n).
func ROCAUC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("roc auc: %d scores but %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	var np, nn float64
	for i := range idx {
		idx[i] = i
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("roc auc: score %d is NaN", i)
		}
		if positive[i] {
			np++
		} else {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return 0, fmt.Errorf("roc auc: need both classes, got %v positives and %v negatives", np, nn)
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the (average, 1-based) ranks of the positives.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				rankSum += avg
			}
		}
		i = j
	}
	return (rankSum - np*(np+1)/2) / (np * nn), nil
}

// ROCPoint is one point of a ROC curve: the false and true positive rates
// when samples scoring at or above Threshold are flagged.
type ROCPoint struct {
	FPR, TPR, Threshold float64
}

// ROCCurve returns the ROC curve of scores (higher = positive), one point
// per distinct score from the highest down, starting at (0,0).
func ROCCurve(scores []float64, positive []bool) ([]ROCPoint, error) {
	if _, err := ROCAUC(scores, positive); err != nil {
		return nil, err
	}
	idx := make([]int, len(scores))
	var np, nn float64
	for i := range idx {
		idx[i] = i
		if positive[i] {
			np++
		} else {
			nn++
		}
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	pts := []ROCPoint{{0, 0, math.Inf(1)}}
	var tp, fp float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if positive[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		pts = append(pts, ROCPoint{fp / nn, tp / np, scores[idx[i]]})
		i = j
	}
	return pts, nil
}
