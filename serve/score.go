package serve

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
)

// ReconstructionError returns the per-sample anomaly score of an
// autoencoder: the mean squared error between each sample of in and its
// reconstruction rec along axis 0, in the units both are given in (latent
// models take and return raw data units). This is the error that
// latent.threshold is calibrated on.
func ReconstructionError(in, rec *ops.Tensor) ([]float64, error) {
	if in == nil || rec == nil {
		return nil, fmt.Errorf("reconstruction error: missing tensor")
	}
	if !ops.SameShape(in.Shape, rec.Shape) {
		return nil, fmt.Errorf("reconstruction error: input shape %s and reconstruction shape %s differ", ops.ShapeString(in.Shape), ops.ShapeString(rec.Shape))
	}
	if len(in.Shape) == 0 {
		return nil, fmt.Errorf("reconstruction error: input is a scalar, want a batch of samples")
	}
	a, err := floats(in)
	if err != nil {
		return nil, fmt.Errorf("reconstruction error: input: %w", err)
	}
	b, err := floats(rec)
	if err != nil {
		return nil, fmt.Errorf("reconstruction error: reconstruction: %w", err)
	}
	n := in.Shape[0]
	out := make([]float64, n)
	if n == 0 {
		return out, nil
	}
	d := len(a) / n
	if d == 0 {
		return out, nil
	}
	for i := range out {
		var s float64
		ra, rb := a[i*d:(i+1)*d], b[i*d:(i+1)*d]
		for j := range ra {
			e := ra[j] - rb[j]
			s += e * e
		}
		out[i] = s / float64(d)
	}
	return out, nil
}

// NegativeELBO returns a VAE's per-sample negative evidence lower bound
// under a unit-variance Gaussian likelihood (up to constants): half the sum
// of squared reconstruction errors plus KL(N(mu, exp(logvar)) ‖ N(0, I)) =
// −½ Σ (1 + logvar − mu² − exp(logvar)).
func NegativeELBO(in, rec, mu, logvar *ops.Tensor) ([]float64, error) {
	mse, err := ReconstructionError(in, rec)
	if err != nil {
		return nil, err
	}
	if mu == nil || logvar == nil || !ops.SameShape(mu.Shape, logvar.Shape) || len(mu.Shape) == 0 || mu.Shape[0] != len(mse) {
		return nil, fmt.Errorf("negative ELBO: mu and logvar must share a shape whose first dimension is the batch (%d)", len(mse))
	}
	m, err := floats(mu)
	if err != nil {
		return nil, fmt.Errorf("negative ELBO: mu: %w", err)
	}
	lv, err := floats(logvar)
	if err != nil {
		return nil, fmt.Errorf("negative ELBO: logvar: %w", err)
	}
	d := 1
	if len(mse) > 0 {
		d = in.Len() / len(mse)
	}
	k := 0
	if len(mse) > 0 {
		k = len(m) / len(mse)
	}
	out := make([]float64, len(mse))
	for i := range out {
		var kl float64
		for j := i * k; j < (i+1)*k; j++ {
			kl += 1 + lv[j] - m[j]*m[j] - math.Exp(lv[j])
		}
		out[i] = 0.5*mse[i]*float64(d) - 0.5*kl
	}
	return out, nil
}

// floats returns t's elements as float64 (float32, float64 and float16),
// widened by ops.Cast.
func floats(t *ops.Tensor) ([]float64, error) {
	switch t.DType {
	case ops.Float32, ops.Float64, ops.Float16:
	default:
		return nil, fmt.Errorf("element type %v is not floating point", t.DType)
	}
	out := ops.New(ops.Float64, t.Shape...)
	if err := ops.Cast(out, t); err != nil {
		return nil, err
	}
	return out.F64(), nil
}
