package ops

import "fmt"

// Reduction selects how a loss kernel combines per-element losses.
type Reduction uint8

// Loss reductions, as in the ONNX loss operators.
const (
	ReduceNone Reduction = iota
	ReduceSum
	ReduceMean // weighted mean: Σ w·loss / Σ w
)

// NLLLoss computes the negative log-likelihood loss of x (n×c×d: class
// scores that are log-probabilities, class axis in the middle) against
// target (n×d class indices). For each position, loss = −w[t]·x[i, t, j]
// where t = target[i, j] and w is weight (nil: all 1); a target equal to
// ignore (when hasIgnore) contributes 0 loss and 0 weight.
//
// With ReduceNone, out receives the n·d losses; otherwise out[0] gets their
// sum, or for ReduceMean their sum divided by the sum of the weights (the
// plain mean when neither weight nor ignore is given). A target outside
// [0, c) that is not ignored is an error.
func NLLLoss(n, c, d int, x []float32, target []int64, weight []float32, ignore int64, hasIgnore bool, red Reduction, out []float32) error {
	var sum, wsum float64
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			t := target[i*d+j]
			var l, w float64
			if !hasIgnore || t != ignore {
				if t < 0 || t >= int64(c) {
					return fmt.Errorf("target %d at position %d is outside [0, %d)", t, i*d+j, c)
				}
				w = 1
				if weight != nil {
					w = float64(weight[t])
				}
				l = -w * float64(x[(i*c+int(t))*d+j])
			}
			if red == ReduceNone {
				out[i*d+j] = float32(l)
			}
			sum += l
			wsum += w
		}
	}
	switch red {
	case ReduceSum:
		out[0] = float32(sum)
	case ReduceMean:
		if weight == nil && !hasIgnore {
			wsum = float64(n * d)
		}
		out[0] = float32(sum / wsum) // 0/0 is NaN, as in NumPy
	}
	return nil
}

// SoftmaxCrossEntropy computes log-softmax of scores (n×c×d, classes in
// the middle) into logProb (same size, required as scratch) and then
// NLLLoss of it against target; see NLLLoss for weight, ignore and the
// reduction.
func SoftmaxCrossEntropy(n, c, d int, scores []float32, target []int64, weight []float32, ignore int64, hasIgnore bool, red Reduction, logProb, out []float32) error {
	SoftmaxAxis(n, c, d, scores, logProb, true)
	return NLLLoss(n, c, d, logProb, target, weight, ignore, hasIgnore, red, out)
}
