package ops

import "math"

// Softmax writes the softmax of each of rows rows of cols elements of x
// into y: exp(x − max)/Σexp(x − max). y may alias x.
func Softmax(rows, cols int, x, y []float32) { SoftmaxAxis(rows, cols, 1, x, y, false) }

// LogSoftmax writes the log-softmax of each row of x into y:
// x − max − log Σexp(x − max). y may alias x.
func LogSoftmax(rows, cols int, x, y []float32) { SoftmaxAxis(rows, cols, 1, x, y, true) }

// SoftmaxAxis applies softmax (or, with log, log-softmax) along the middle
// axis of x viewed as outer×n×inner, i.e. along an axis with stride inner.
// Softmax over the last axis (inner = 1) runs SoftmaxRow's vector kernels;
// the other cases accumulate sums in float64. y may alias x.
func SoftmaxAxis(outer, n, inner int, x, y []float32, log bool) {
	if n == 0 || inner == 0 {
		return
	}
	if inner == 1 && !log {
		SoftmaxRows(outer, n, x, y, false)
		return
	}
	if inner == 1 {
		for o := 0; o < outer; o++ {
			xs, ys := x[o*n:(o+1)*n], y[o*n:(o+1)*n]
			m := xs[0]
			for _, v := range xs {
				if v > m {
					m = v
				}
			}
			var s float64
			if log {
				for _, v := range xs {
					s += math.Exp(float64(v - m))
				}
				ls := float32(math.Log(s))
				for j, v := range xs {
					ys[j] = v - m - ls
				}
				continue
			}
			for j, v := range xs {
				e := math.Exp(float64(v - m))
				s += e
				ys[j] = float32(e)
			}
			inv := 1 / s
			for j := range ys {
				ys[j] = float32(float64(ys[j]) * inv)
			}
		}
		return
	}
	mx := make([]float32, inner)
	sum := make([]float64, inner)
	for o := 0; o < outer; o++ {
		base := o * n * inner
		copy(mx, x[base:base+inner])
		for k := 1; k < n; k++ {
			for j, v := range x[base+k*inner : base+(k+1)*inner] {
				if v > mx[j] {
					mx[j] = v
				}
			}
		}
		clear(sum)
		for k := 0; k < n; k++ {
			xs, ys := x[base+k*inner:base+(k+1)*inner], y[base+k*inner:base+(k+1)*inner]
			for j, v := range xs {
				e := math.Exp(float64(v - mx[j]))
				sum[j] += e
				if !log {
					ys[j] = float32(e)
				}
			}
		}
		if log {
			// One logarithm per column, not one per element.
			for j, s := range sum {
				sum[j] = math.Log(s)
			}
		}
		for k := 0; k < n; k++ {
			xs, ys := x[base+k*inner:base+(k+1)*inner], y[base+k*inner:base+(k+1)*inner]
			if log {
				for j, v := range xs {
					ys[j] = v - mx[j] - float32(sum[j])
				}
			} else {
				for j := range ys {
					ys[j] = float32(float64(ys[j]) / sum[j])
				}
			}
		}
	}
}

// SoftmaxRows writes the softmax of each of rows rows of n elements of x
// into y (which may alias x), with SoftmaxRow's vector kernels; with
// nanToZero, NaN results become 0 (see SoftmaxRow).
func SoftmaxRows(rows, n int, x, y []float32, nanToZero bool) {
	if n == 0 {
		return
	}
	for r := 0; r < rows; r++ {
		SoftmaxRow(y[r*n:(r+1)*n], x[r*n:(r+1)*n], nanToZero)
	}
}

// Hardmax writes 1 at the first maximum along the middle axis of x viewed
// as outer×n×inner, and 0 elsewhere. y must not alias x.
func Hardmax(outer, n, inner int, x, y []float32) {
	clear(y[:outer*n*inner])
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for j := 0; j < inner; j++ {
			best := 0
			for k := 1; k < n; k++ {
				if x[base+k*inner+j] > x[base+best*inner+j] {
					best = k
				}
			}
			if n > 0 {
				y[base+best*inner+j] = 1
			}
		}
	}
}
