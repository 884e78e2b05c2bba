package apps

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomSymmetric returns an n×n symmetric matrix with entries in [-1, 1).
func randomSymmetric(rng *rand.Rand, n int) []float64 {
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := 2*rng.Float64() - 1
			a[i*n+j], a[j*n+i] = v, v
		}
	}
	return a
}

// checkEigen asserts that vals are decreasing, that every row of vecs is a
// unit eigenvector of a (A·v = λ·v) and that the rows are orthogonal.
func checkEigen(t *testing.T, a []float64, n int, vals, vecs []float64, tol float64) {
	t.Helper()
	require.Len(t, vals, n)
	require.Len(t, vecs, n*n)
	for i := 1; i < n; i++ {
		assert.GreaterOrEqual(t, vals[i-1], vals[i], "eigenvalues out of order at %d", i)
	}
	for r := 0; r < n; r++ {
		v := vecs[r*n : (r+1)*n]
		for i := 0; i < n; i++ {
			av := dot(a[i*n:(i+1)*n], v)
			assert.InDelta(t, vals[r]*v[i], av, tol, "(A·v - λ·v)[%d] of pair %d", i, r)
		}
		for s := r; s < n; s++ {
			want := 0.0
			if s == r {
				want = 1
			}
			assert.InDelta(t, want, dot(v, vecs[s*n:(s+1)*n]), tol, "v%d·v%d", r, s)
		}
	}
}

func TestSymmetricEigenHandComputed(t *testing.T) {
	// [[2,1],[1,2]] has eigenvalues 3 and 1 with vectors (1,1)/√2 and (1,-1)/√2.
	vals, vecs, err := symmetricEigen([]float64{2, 1, 1, 2}, 2)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{3, 1}, vals, 1e-14)
	h := 1 / math.Sqrt2
	assert.InDelta(t, 1, math.Abs(vecs[0]*h+vecs[1]*h), 1e-14)
	assert.InDelta(t, 1, math.Abs(vecs[2]*h-vecs[3]*h), 1e-14)

	// A 1×1 matrix and a diagonal one with a repeated eigenvalue.
	vals, vecs, err = symmetricEigen([]float64{-4}, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{-4}, vals)
	assert.Equal(t, []float64{1}, vecs)
	diag := []float64{1, 0, 0, 0, 5, 0, 0, 0, 1}
	vals, vecs, err = symmetricEigen(diag, 3)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{5, 1, 1}, vals, 1e-15)
	checkEigen(t, diag, 3, vals, vecs, 1e-14)

	// The zero matrix: every value 0, vectors still orthonormal.
	zero := make([]float64, 16)
	vals, vecs, err = symmetricEigen(zero, 4)
	require.NoError(t, err)
	assert.Equal(t, make([]float64, 4), vals)
	checkEigen(t, zero, 4, vals, vecs, 0)

	_, _, err = symmetricEigen([]float64{1, 2, 3}, 2)
	assert.Error(t, err)
}

// Random symmetric matrices of several sizes against gonum's LAPACK-based
// solver: the same eigenvalues, and vectors that satisfy A·v = λ·v.
func TestSymmetricEigenMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{2, 3, 5, 17, 64, 130} {
		a := randomSymmetric(rng, n)
		vals, vecs, err := symmetricEigen(a, n)
		require.NoError(t, err, "n=%d", n)
		checkEigen(t, a, n, vals, vecs, 1e-10)

		var eig mat.EigenSym
		require.True(t, eig.Factorize(mat.NewSymDense(n, append([]float64(nil), a...)), false), "gonum n=%d", n)
		want := eig.Values(nil) // ascending
		for i := range want {
			assert.InDelta(t, want[n-1-i], vals[i], 1e-10, "n=%d eigenvalue %d", n, i)
		}
	}
}

// A covariance-like matrix with a wide spread of eigenvalues and many
// nearly equal small ones, as image covariances have.
func TestSymmetricEigenIllConditioned(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, rows = 60, 40 // rank-deficient: 40 samples in 60 dimensions
	x := make([]float64, rows*n)
	for i := range x {
		x[i] = rng.NormFloat64() * math.Pow(10, -float64(i%n)/10)
	}
	a := make([]float64, n*n)
	for r := 0; r < rows; r++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				a[i*n+j] += x[r*n+i] * x[r*n+j]
			}
		}
	}
	vals, vecs, err := symmetricEigen(a, n)
	require.NoError(t, err)
	checkEigen(t, a, n, vals, vecs, 1e-9)
	for _, v := range vals[rows:] {
		assert.InDelta(t, 0, v, 1e-10, "the null space has eigenvalue 0")
	}
}

// BenchmarkSymmetricEigen784 decomposes a 784×784 matrix (the size of the
// Fashion-MNIST covariance the demo's PCA baseline uses), beside gonum.
func BenchmarkSymmetricEigen784(b *testing.B) {
	a := randomSymmetric(rand.New(rand.NewPCG(5, 6)), 784)
	b.Run("latent", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := symmetricEigen(a, 784); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			var eig mat.EigenSym
			if !eig.Factorize(mat.NewSymDense(784, append([]float64(nil), a...)), true) {
				b.Fatal("gonum did not converge")
			}
		}
	})
}

// The covariance of images with constant (always-zero) pixels and fewer
// directions of variation than pixels: hundreds of eigenvalues at rounding
// noise. Fashion-MNIST's sneaker class once stalled the QL sweeps here
// when negligible couplings were only judged relative to their diagonal.
func TestSymmetricEigenNoiseCluster(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, rank, constant = 400, 12, 150
	basis := make([]float64, rank*n)
	for r := 0; r < rank; r++ {
		for j := constant; j < n; j++ {
			basis[r*n+j] = rng.Float64()
		}
	}
	a := make([]float64, n*n)
	for s := 0; s < 3*rank; s++ {
		x := make([]float64, n)
		for r := 0; r < rank; r++ {
			c := rng.NormFloat64()
			for j := range x {
				x[j] += c * basis[r*n+j]
			}
		}
		for i := constant; i < n; i++ {
			for j := constant; j < n; j++ {
				a[i*n+j] += x[i] * x[j] / 100
			}
		}
	}
	vals, vecs, err := symmetricEigen(a, n)
	require.NoError(t, err)
	checkEigen(t, a, n, vals, vecs, 1e-9)
	for _, v := range vals[rank:] {
		assert.InDelta(t, 0, v, 1e-9)
	}
}
