package nn

import "math"

// Reparameterise writes z = mu + exp(logvar/2)·eps elementwise (the
// reparameterisation trick: the noise eps ~ N(0, I) is an input, so z is a
// differentiable function of mu and logvar).
func Reparameterise(mu, logvar, eps, z []float32) {
	for i := range z {
		z[i] = mu[i] + float32(math.Exp(0.5*float64(logvar[i])))*eps[i]
	}
}

// ReparameteriseBackward adds the gradients of z = mu + exp(logvar/2)·eps
// into dmu and dlogvar given dz.
func ReparameteriseBackward(dz, logvar, eps, dmu, dlogvar []float32) {
	for i, g := range dz {
		dmu[i] += g
		dlogvar[i] += g * eps[i] * 0.5 * float32(math.Exp(0.5*float64(logvar[i])))
	}
}

// GaussianKL returns the analytic KL(N(mu, exp(logvar)) ‖ N(0, I)) summed
// over the latent dimensions and averaged over the n rows,
// −½·Σ(1 + logvar − mu² − exp(logvar))/n, and, when dmu and dlogvar are
// non-nil, adds weight times its gradient into them.
func GaussianKL(mu, logvar []float32, n int, weight float32, dmu, dlogvar []float32) float64 {
	var s float64
	inv := 1 / float64(n)
	for i, m := range mu {
		lv := float64(logvar[i])
		e := math.Exp(lv)
		s += -0.5 * (1 + lv - float64(m)*float64(m) - e)
		if dmu != nil {
			dmu[i] += weight * float32(float64(m)*inv)
			dlogvar[i] += weight * float32(0.5*(e-1)*inv)
		}
	}
	return s * inv
}
