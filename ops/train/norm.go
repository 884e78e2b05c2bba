package train

import "math"

// BatchNormTrainingBackward is the backward pass of BatchNormTraining over
// x (n×c×spatial) given the batch statistics it produced: with
// x̂ = (x−μ)/√(σ²+eps), it adds Σ dy·x̂ into dscale and Σ dy into dbias (per
// channel) and overwrites dx with
// scale/√(σ²+eps) · (dy − mean(dy) − x̂·mean(dy·x̂)).
func BatchNormTrainingBackward(n, c, spatial int, x, scale, mean, variance []float32, eps float32, dy, dx, dscale, dbias []float32) {
	cnt := float64(n * spatial)
	for ch := 0; ch < c; ch++ {
		mu := float64(mean[ch])
		inv := 1 / math.Sqrt(float64(variance[ch])+float64(eps))
		var sg, sgx float64
		for i := 0; i < n; i++ {
			off := (i*c + ch) * spatial
			xs, gs := x[off:off+spatial], dy[off:off+spatial]
			for j, g := range gs {
				sg += float64(g)
				sgx += float64(g) * (float64(xs[j]) - mu) * inv
			}
		}
		dscale[ch] += float32(sgx)
		dbias[ch] += float32(sg)
		mg, mgx := sg/cnt, sgx/cnt
		k := float64(scale[ch]) * inv
		for i := 0; i < n; i++ {
			off := (i*c + ch) * spatial
			xs, gs, ds := x[off:off+spatial], dy[off:off+spatial], dx[off:off+spatial]
			for j, g := range gs {
				xh := (float64(xs[j]) - mu) * inv
				ds[j] = float32(k * (float64(g) - mg - xh*mgx))
			}
		}
	}
}
