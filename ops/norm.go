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

// affineRows applies affine to channel ch of each of the n samples of x
// (n×c×spatial).
func affineRows(n, c, spatial, ch int, a, b float32, x, y []float32) {
	for i := 0; i < n; i++ {
		off := (i*c + ch) * spatial
		affine(x[off:off+spatial], y[off:off+spatial], a, b)
	}
}

// affine writes x·a + b for each x of xs into ys (which may alias xs): the
// per-channel multiply-add every normalisation here ends with.
func affine(xs, ys []float32, a, b float32) {
	ys = ys[:len(xs)]
	for j, v := range xs {
		ys[j] = v*a + b
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
			affine(x[off:off+spatial], y[off:off+spatial], float32(a), float32(b))
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
// need. Each row runs LayerNormRow's vector kernels (float32 sums in vector
// lanes, mean first, then the squared deviations). y may alias x.
func LayerNorm(rows, cols int, x, scale, bias []float32, eps float32, y, mean, invStd []float32) {
	for r := 0; r < rows; r++ {
		var b []float32
		if bias != nil {
			b = bias[:cols]
		}
		mu, inv := LayerNormRow(y[r*cols:(r+1)*cols], x[r*cols:(r+1)*cols], scale[:cols], b, eps)
		if mean != nil {
			mean[r] = mu
		}
		if invStd != nil {
			invStd[r] = inv
		}
	}
}

// RMSNorm divides each of rows rows of cols elements of x by the row's
// root mean square and multiplies by scale (cols values): y = x /
// √(mean(x²) + eps) · scale. The sum of squares accumulates in float64. y
// may alias x.
func RMSNorm(rows, cols int, x, scale []float32, eps float32, y []float32) {
	for r := 0; r < rows; r++ {
		xs, ys := x[r*cols:(r+1)*cols], y[r*cols:(r+1)*cols]
		var ss float64
		for _, v := range xs {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(cols)+float64(eps)))
		for j, v := range xs {
			ys[j] = v * inv * scale[j]
		}
	}
}

// LRN is local response normalisation across channels of x (n×c×spatial):
// y = x / (bias + alpha/size · Σ x²)^beta, the sum running over the
// channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ that exist.
func LRN(n, c, spatial, size int, alpha, beta, bias float32, x, y []float32) {
	lo, hi := (size-1)/2, size-1-(size-1)/2
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			c0, c1 := max(0, ch-lo), min(c-1, ch+hi)
			off := (i*c + ch) * spatial
			for j := 0; j < spatial; j++ {
				var s float64
				for q := c0; q <= c1; q++ {
					v := float64(x[(i*c+q)*spatial+j])
					s += v * v
				}
				d := math.Pow(float64(bias)+float64(alpha)/float64(size)*s, float64(beta))
				y[off+j] = float32(float64(x[off+j]) / d)
			}
		}
	}
}

// MeanVarianceNorm normalises x (of the given shape) to zero mean and unit
// variance over the axes marked in reduce: y = (x − μ)/(σ + 1e-9), with
// the population standard deviation σ, as the ONNX function body does.
// y may alias x.
func MeanVarianceNorm(shape []int, reduce []bool, x, y []float32) {
	total := NumElements(shape)
	if total == 0 {
		return
	}
	// Map every element to its group (its coordinates on kept axes).
	groups, gsize := 1, 1
	for d, r := range reduce {
		if r {
			gsize *= shape[d]
		} else {
			groups *= shape[d]
		}
	}
	gidx := make([]int, total)
	idx := make([]int, len(shape))
	for i := 0; i < total; i++ {
		g := 0
		for d, r := range reduce {
			if !r {
				g = g*shape[d] + idx[d]
			}
		}
		gidx[i] = g
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	sum, sq := make([]float64, groups), make([]float64, groups)
	for i, v := range x[:total] {
		sum[gidx[i]] += float64(v)
		sq[gidx[i]] += float64(v) * float64(v)
	}
	for g := range sum {
		mu := sum[g] / float64(gsize)
		sum[g] = mu
		sq[g] = math.Sqrt(max(0, sq[g]/float64(gsize)-mu*mu)) + 1e-9
	}
	for i, v := range x[:total] {
		g := gidx[i]
		y[i] = float32((float64(v) - sum[g]) / sq[g])
	}
}

// GroupNorm normalises x (n×c×spatial) over groups of c/groups consecutive
// channels (with their spatial positions) by the group's mean and
// population variance, then applies the per-channel scale and bias:
// y = scale[ch]·(x − μ)/√(σ² + eps) + bias[ch]. groups must divide c.
// y may alias x.
func GroupNorm(n, c, spatial, groups int, x, scale, bias []float32, eps float32, y []float32) {
	cg := c / groups
	for i := 0; i < n; i++ {
		for g := 0; g < groups; g++ {
			off := (i*c + g*cg) * spatial
			mu, inv := meanInvStd(x[off:off+cg*spatial], eps)
			for k := 0; k < cg; k++ {
				ch := g*cg + k
				a := float64(scale[ch]) * inv
				b := float64(bias[ch]) - mu*a
				o := off + k*spatial
				affine(x[o:o+spatial], y[o:o+spatial], float32(a), float32(b))
			}
		}
	}
}

// LpNormalize divides each vector along the middle axis of x (outer×n×
// inner) by its L1 (p = 1) or L2 (p = 2) norm; zero vectors stay zero.
// y may alias x.
func LpNormalize(outer, n, inner, p int, x, y []float32) {
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			var s float64
			for k := 0; k < n; k++ {
				v := float64(x[(o*n+k)*inner+j])
				if p == 1 {
					s += math.Abs(v)
				} else {
					s += v * v
				}
			}
			if p != 1 {
				s = math.Sqrt(s)
			}
			for k := 0; k < n; k++ {
				i := (o*n+k)*inner + j
				if s == 0 {
					y[i] = 0
				} else {
					y[i] = float32(float64(x[i]) / s)
				}
			}
		}
	}
}
