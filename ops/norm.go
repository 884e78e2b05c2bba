package ops

import "math"

// BatchNormInference normalises x (n×c×spatial, channel-major) with fixed
// per-channel statistics: y = scale·(x − mean)/√(variance + eps) + bias.
// Each channel is folded into one multiply-add. y may alias x.
func BatchNormInference(n, c, spatial int, x, scale, bias, mean, variance []float32, eps float32, y []float32) {
	for ch := 0; ch < c; ch++ {
		a := float64(scale[ch]) / math.Sqrt(float64(variance[ch])+float64(eps))
		b := float64(bias[ch]) - float64(mean[ch])*a
		affineRows(n, c, spatial, ch, float32(a), float32(b), x, y)
	}
}

func affineRows(n, c, spatial, ch int, a, b float32, x, y []float32) {
	for i := 0; i < n; i++ {
		off := (i*c + ch) * spatial
		xs, ys := x[off:off+spatial], y[off:off+spatial]
		for j, v := range xs {
			ys[j] = v*a + b
		}
	}
}

// BatchNormTraining normalises x (n×c×spatial) with the statistics of the
// batch itself, which it writes to batchMean and batchVar (population
// variance, one value per channel), and returns y = scale·(x − μ)/√(σ² +
// eps) + bias. y may alias x.
func BatchNormTraining(n, c, spatial int, x, scale, bias []float32, eps float32, y, batchMean, batchVar []float32) {
	cnt := float64(n * spatial)
	for ch := 0; ch < c; ch++ {
		var s float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * spatial
			for _, v := range x[off : off+spatial] {
				s += float64(v)
			}
		}
		mu := s / cnt
		var ss float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * spatial
			for _, v := range x[off : off+spatial] {
				d := float64(v) - mu
				ss += d * d
			}
		}
		v := ss / cnt
		batchMean[ch], batchVar[ch] = float32(mu), float32(v)
		a := float64(scale[ch]) / math.Sqrt(v+float64(eps))
		affineRows(n, c, spatial, ch, float32(a), float32(float64(bias[ch])-mu*a), x, y)
	}
}

// InstanceNorm normalises each (sample, channel) plane of x (n×c×spatial)
// by its own mean and population variance, then applies the per-channel
// scale and bias: y = scale·(x − μ)/√(σ² + eps) + bias. y may alias x.
func InstanceNorm(n, c, spatial int, x, scale, bias []float32, eps float32, y []float32) {
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			off := (i*c + ch) * spatial
			mu, inv := meanInvStd(x[off:off+spatial], eps)
			a := float64(scale[ch]) * inv
			b := float64(bias[ch]) - mu*a
			xs, ys := x[off:off+spatial], y[off:off+spatial]
			af, bf := float32(a), float32(b)
			for j, v := range xs {
				ys[j] = v*af + bf
			}
		}
	}
}

// meanInvStd returns the mean of xs and 1/√(population variance + eps),
// accumulated in float64 with two passes.
func meanInvStd(xs []float32, eps float32) (mean, invStd float64) {
	if len(xs) == 0 {
		return 0, 1 / math.Sqrt(float64(eps))
	}
	var s float64
	for _, v := range xs {
		s += float64(v)
	}
	mean = s / float64(len(xs))
	var ss float64
	for _, v := range xs {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, 1 / math.Sqrt(ss/float64(len(xs))+float64(eps))
}

// LayerNorm normalises each of rows rows of cols elements of x by the row's
// mean and population variance: y = (x − μ)·invStd·scale + bias, where
// scale and bias hold cols values (bias may be nil). mean and invStd, when
// non-nil, receive one value per row (1/√(σ² + eps) for invStd), as the
// ONNX LayerNormalization optional outputs and the trainer's backward pass
// need. y may alias x.
func LayerNorm(rows, cols int, x, scale, bias []float32, eps float32, y, mean, invStd []float32) {
	for r := 0; r < rows; r++ {
		xs, ys := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		mu, inv := meanInvStd(xs, eps)
		if mean != nil {
			mean[r] = float32(mu)
		}
		if invStd != nil {
			invStd[r] = float32(inv)
		}
		muf, invf := float32(mu), float32(inv)
		if bias == nil {
			for j, v := range xs {
				ys[j] = (v - muf) * invf * scale[j]
			}
			continue
		}
		for j, v := range xs {
			ys[j] = (v-muf)*invf*scale[j] + bias[j]
		}
	}
}
