package apps

import (
	"context"
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// PCA is a fitted principal component analysis: x ≈ Mean + (x-Mean)·Vᵀ·V
// with the K leading components as the rows of V.
type PCA struct {
	D, K int
	Mean []float32
	// Components holds K rows of D (unit length, decreasing variance).
	Components []float32
	// Variance holds the variance along each component (the covariance
	// eigenvalues), and TotalVariance the trace of the covariance.
	Variance      []float64
	TotalVariance float64
}

// FitPCA fits k principal components to the n rows of x (n×d). The
// covariance is accumulated with ops.Gemm in float32 on centred rows and
// decomposed by symmetricEigen in float64, which costs
// O(n·d²) + O(d³): seconds for 60k×784 images.
func FitPCA(ctx context.Context, x []float32, n, d, k int) (*PCA, error) {
	if n < 2 || d < 1 || len(x) != n*d {
		return nil, fmt.Errorf("pca: need at least 2 rows of %d features, got %d values for %d rows", d, len(x), n)
	}
	if k < 1 || k > d {
		return nil, fmt.Errorf("pca: components must be in [1, %d], got %d", d, k)
	}
	mean := make([]float64, d)
	for r := 0; r < n; r++ {
		row := x[r*d : (r+1)*d]
		for j, v := range row {
			mean[j] += float64(v)
		}
	}
	p := &PCA{D: d, K: k, Mean: make([]float32, d)}
	for j := range mean {
		mean[j] /= float64(n)
		p.Mean[j] = float32(mean[j])
	}
	// Covariance in blocks of rows so the centred copy stays small.
	cov := make([]float32, d*d)
	const block = 4096
	buf := make([]float32, block*d)
	for lo := 0; lo < n; lo += block {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pca: %w", err)
		}
		rows := min(block, n-lo)
		c := buf[:rows*d]
		for i := range c {
			c[i] = x[lo*d+i] - p.Mean[i%d]
		}
		ops.Gemm(true, false, d, d, rows, 1, c, d, c, d, 1, cov, d)
	}
	sym := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := float64(cov[i*d+j]) / float64(n-1)
			sym[i*d+j], sym[j*d+i] = v, v
		}
		p.TotalVariance += float64(cov[i*d+i]) / float64(n-1)
	}
	vals, vecs, err := symmetricEigen(sym, d) // decreasing
	if err != nil {
		return nil, fmt.Errorf("pca: %w", err)
	}
	p.Components = make([]float32, k*d)
	p.Variance = append([]float64(nil), vals[:k]...)
	for i, v := range vecs[:k*d] {
		p.Components[i] = float32(v)
	}
	return p, nil
}

// Transform returns the n×K codes of the rows of x: (x-Mean)·Vᵀ.
func (p *PCA) Transform(x []float32, n int) ([]float32, error) {
	if len(x) != n*p.D {
		return nil, fmt.Errorf("pca transform: want %d×%d values, got %d", n, p.D, len(x))
	}
	c := make([]float32, len(x))
	for i := range c {
		c[i] = x[i] - p.Mean[i%p.D]
	}
	z := make([]float32, n*p.K)
	if n > 0 {
		ops.Gemm(false, true, n, p.K, p.D, 1, c, p.D, p.Components, p.D, 0, z, p.K)
	}
	return z, nil
}

// Inverse maps n×K codes back to data space: Mean + z·V.
func (p *PCA) Inverse(z []float32, n int) ([]float32, error) {
	if len(z) != n*p.K {
		return nil, fmt.Errorf("pca inverse: want %d×%d codes, got %d", n, p.K, len(z))
	}
	y := make([]float32, n*p.D)
	for i := range y {
		y[i] = p.Mean[i%p.D]
	}
	if n > 0 {
		ops.Gemm(false, false, n, p.D, p.K, 1, z, p.K, p.Components, p.D, 1, y, p.D)
	}
	return y, nil
}

// Reconstruct projects the rows of x onto the components and back.
func (p *PCA) Reconstruct(x []float32, n int) ([]float32, error) {
	z, err := p.Transform(x, n)
	if err != nil {
		return nil, err
	}
	return p.Inverse(z, n)
}
