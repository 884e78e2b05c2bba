package apps

import (
	"errors"
	"math"
	"sort"
)

// symmetricEigen returns the eigenvalues of the symmetric n×n matrix a
// (row-major; only read, never modified) in decreasing order, and the
// matching unit eigenvectors as the rows of vecs (n×n, row-major).
//
// It reduces a to tridiagonal form with Householder reflections and then
// diagonalises the tridiagonal matrix with the implicitly shifted QL
// iteration, the textbook pair for dense symmetric problems: about 4n³
// flops with the vectors, a second for the 784×784 covariance of MNIST.
// Both stages keep the eigenvectors as rows, so every rotation and
// reflection walks contiguous memory. It exists so the PCA baseline does
// not pull a general linear-algebra library into the edge binary.
func symmetricEigen(a []float64, n int) (vals, vecs []float64, err error) {
	if n < 1 || len(a) != n*n {
		return nil, nil, errors.New("eigen: matrix is not n×n")
	}
	w := append([]float64(nil), a...)
	d := make([]float64, n)
	e := make([]float64, n)
	z := householderTridiagonal(w, n, d, e)
	if err := tridiagonalQL(d, e, z, n); err != nil {
		return nil, nil, err
	}
	// Sort the pairs by decreasing eigenvalue.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return d[order[i]] > d[order[j]] })
	vals = make([]float64, n)
	vecs = make([]float64, n*n)
	for r, src := range order {
		vals[r] = d[src]
		copy(vecs[r*n:(r+1)*n], z[src*n:(src+1)*n])
	}
	return vals, vecs, nil
}

// householderTridiagonal overwrites w (symmetric, n×n) while reducing it
// to the tridiagonal T = Qᵀ·w·Q, writes T's diagonal to d and its
// off-diagonal to e (e[i] couples i and i+1; e[n-1] = 0), and returns Qᵀ
// (row-major), whose rows the QL stage turns into eigenvectors.
//
// Step k reflects the column below the diagonal, x = w[k+1:, k], onto a
// multiple of the first unit vector with H = I - β·v·vᵀ, v = x - α·e₁,
// α = -sign(x₀)·‖x‖, and applies H on both sides of the trailing block
// as the symmetric rank-2 update w -= v·qᵀ + q·vᵀ with p = β·w·v and
// q = p - (β/2)(vᵀp)·v.
func householderTridiagonal(w []float64, n int, d, e []float64) []float64 {
	vs := make([][]float64, n)  // reflection vectors, nil when H = I
	betas := make([]float64, n) // their β
	p := make([]float64, n)
	for k := 0; k+2 < n; k++ {
		m := n - k - 1
		v := make([]float64, m) // x, then x - α·e₁
		var norm2 float64
		for i := range v {
			v[i] = w[(k+1+i)*n+k]
			norm2 += v[i] * v[i]
		}
		if norm2-v[0]*v[0] == 0 {
			continue // already tridiagonal in this column (or all zero)
		}
		alpha := -math.Copysign(math.Sqrt(norm2), v[0])
		v[0] -= alpha
		beta := 2 / dot(v, v)
		var vp float64
		for i := 0; i < m; i++ {
			row := w[(k+1+i)*n+k+1 : (k+1+i)*n+n]
			p[i] = beta * dot(row, v)
			vp += v[i] * p[i]
		}
		half := beta / 2 * vp
		for i := 0; i < m; i++ {
			p[i] -= half * v[i] // p now holds q
		}
		for i := 0; i < m; i++ {
			row := w[(k+1+i)*n+k+1 : (k+1+i)*n+n]
			vi, qi := v[i], p[i]
			for j := range row {
				row[j] -= vi*p[j] + qi*v[j]
			}
		}
		// Only the diagonal and the coupling above it are read from here
		// on (the trailing block is updated whole, the reflected column
		// is never read again), so only that coupling is written.
		w[k*n+k+1] = alpha
		vs[k], betas[k] = v, beta
	}
	for i := 0; i < n; i++ {
		d[i] = w[i*n+i]
		if i+1 < n {
			e[i] = w[i*n+i+1]
		}
	}
	e[n-1] = 0
	// Qᵀ = H_{n-3}···H_0 = I·H_{n-3}···H_0, built right to left: while
	// H_k is applied, the product so far is the identity outside its
	// trailing (k+1..n-1) block, so only that block's rows change.
	z := make([]float64, n*n)
	for i := 0; i < n; i++ {
		z[i*n+i] = 1
	}
	for k := n - 3; k >= 0; k-- {
		v := vs[k]
		if v == nil {
			continue
		}
		for r := k + 1; r < n; r++ {
			row := z[r*n+k+1 : r*n+n]
			s := betas[k] * dot(row, v)
			if s == 0 {
				continue
			}
			for j := range row {
				row[j] -= s * v[j]
			}
		}
	}
	return z
}

// tridiagonalQL diagonalises the symmetric tridiagonal matrix (d, e) in
// place with QL sweeps using Wilkinson-style implicit shifts, leaving the
// eigenvalues in d and applying every plane rotation to the rows i and
// i+1 of z (row-major n×n), so z's rows become the eigenvectors.
//
// A coupling is negligible when it is below machine epsilon relative to
// its two diagonal entries or to the norm of the whole matrix. The second,
// absolute test matters for covariances of images: their constant pixels
// leave a large cluster of eigenvalues at rounding-noise level (1e-15
// against a norm of 10), where the relative test alone never deflates and
// the sweeps stall; the eigenvalues are only accurate to eps·‖T‖ anyway.
func tridiagonalQL(d, e, z []float64, n int) error {
	const maxSweeps = 60
	const eps = 2.220446049250313e-16
	var norm float64
	for i := 0; i < n; i++ {
		norm = max(norm, math.Abs(d[i])+math.Abs(e[i]))
	}
	floor := eps * norm
	for l := 0; l < n; l++ {
		for sweep := 0; ; sweep++ {
			// The first negligible coupling at or after l splits the matrix.
			m := l
			for ; m < n-1; m++ {
				dd := math.Abs(d[m]) + math.Abs(d[m+1])
				if a := math.Abs(e[m]); a <= eps*dd || a <= floor {
					break
				}
			}
			if m == l {
				break
			}
			if sweep == maxSweeps {
				return errors.New("eigen: QL iteration did not converge")
			}
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			underflow := false
			for i := m - 1; i >= l; i-- {
				f := s * e[i]
				b := c * e[i]
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 {
					// A coupling vanished mid-sweep: deflate and restart.
					d[i+1] -= p
					e[m] = 0
					underflow = true
					break
				}
				s, c = f/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				zi := z[i*n : (i+1)*n]
				zj := z[(i+1)*n : (i+2)*n]
				for k := range zi {
					a, bb := zi[k], zj[k]
					zj[k] = s*a + c*bb
					zi[k] = c*a - s*bb
				}
			}
			if underflow {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
