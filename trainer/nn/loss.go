package nn

import "math"

// Loss is a reconstruction loss between a network's outputs y and targets
// t: mean squared error, or binary cross-entropy computed from logits (y
// are the pre-sigmoid values; the stable form softplus(y) − t·y, whose
// gradient is sigmoid(y) − t), optionally over observed entries only.
type Loss struct {
	// BCE selects binary cross-entropy from logits (else squared error).
	BCE bool
	// Masked counts only entries whose mask is non-zero (ratings: the
	// mean over observed entries).
	Masked bool
	// PerSample sums over features and averages over samples (a VAE's
	// ELBO term); otherwise the loss is the mean over (observed) entries.
	PerSample bool
}

// Norm is the divisor of a batch of rows×cols entries: the number of
// samples (PerSample), of observed entries (Masked, at least 1) or of all
// entries.
func (l Loss) Norm(rows, cols int, mask []float32) float64 {
	switch {
	case l.PerSample:
		return float64(rows)
	case l.Masked && mask != nil:
		var s float64
		for _, v := range mask[:rows*cols] {
			s += float64(v)
		}
		return math.Max(s, 1)
	}
	return float64(rows * cols)
}

// Eval returns the summed loss of y against t (mask m ignored unless
// Masked; nil means every entry) and, when g is non-nil, writes the
// gradient of sum/norm with respect to y into g.
func (l Loss) Eval(y, t, m, g []float32, norm float64) float64 {
	if !l.Masked {
		m = nil
	}
	inv := float32(1 / norm)
	var sum float64
	if l.BCE {
		for i, z := range y {
			mv := float32(1)
			if m != nil {
				mv = m[i]
			}
			// One exponential serves the loss and the sigmoid:
			// e = exp(-|z|), sigmoid(z) = 1/(1+e) for z >= 0, e/(1+e) below.
			zv := float64(z)
			e := math.Exp(-math.Abs(zv))
			sum += float64(mv) * (math.Max(zv, 0) - float64(t[i])*zv + math.Log1p(e))
			if g != nil {
				s := 1 / (1 + e)
				if zv < 0 {
					s = e / (1 + e)
				}
				g[i] = mv * (float32(s) - t[i]) * inv
			}
		}
		return sum
	}
	for i, v := range y {
		e := v - t[i]
		if m != nil {
			e *= m[i]
		}
		sum += float64(e) * float64(e)
		if g != nil {
			g[i] = 2 * e * inv
		}
	}
	return sum
}
