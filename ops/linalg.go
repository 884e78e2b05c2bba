package ops

import "math"

// Det returns the determinant of the n×n row-major matrix a (n² values),
// by LU decomposition with partial pivoting in float64. a is overwritten
// with the factors. The determinant of the 0×0 matrix is 1; a NaN element
// makes it NaN.
func Det(n int, a []float64) float64 {
	a = a[:n*n]
	for _, v := range a {
		if math.IsNaN(v) {
			return math.NaN()
		}
	}
	det := 1.0
	for k := 0; k < n; k++ {
		p, best := k, math.Abs(a[k*n+k])
		for i := k + 1; i < n; i++ {
			if v := math.Abs(a[i*n+k]); v > best {
				p, best = i, v
			}
		}
		if best == 0 {
			return 0 // singular
		}
		if p != k {
			rk, rp := a[k*n:k*n+n], a[p*n:p*n+n]
			for j := range rk {
				rk[j], rp[j] = rp[j], rk[j]
			}
			det = -det
		}
		piv := a[k*n+k]
		det *= piv
		for i := k + 1; i < n; i++ {
			f := a[i*n+k] / piv
			if f == 0 {
				continue
			}
			ri, rk := a[i*n:i*n+n], a[k*n:k*n+n]
			for j := k + 1; j < n; j++ {
				ri[j] -= f * rk[j]
			}
		}
	}
	return det
}
