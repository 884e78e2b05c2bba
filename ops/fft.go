package ops

import (
	"math"
	"math/bits"
	"math/cmplx"
)

// FFT replaces x by its discrete Fourier transform X[k] = Σ x[n]·e^(∓2πi·kn/N)
// (the minus sign forward, plus with inverse; no 1/N scaling either way),
// for any length: iterative radix-2 for powers of two, Bluestein's
// chirp-z algorithm (three power-of-two transforms) otherwise, all in
// complex128.
func FFT(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	if n&(n-1) == 0 {
		fftRadix2(x, inverse)
		return
	}
	bluestein(x, inverse)
}

// fftRadix2 is the in-place Cooley–Tukey transform of a power-of-two
// length: bit-reversal permutation, then log2(n) butterfly passes with
// twiddles computed once per pass length.
func fftRadix2(x []complex128, inverse bool) {
	n := len(x)
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range x {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	tw := make([]complex128, n/2)
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		for k := 0; k < half; k++ {
			tw[k] = cmplx.Rect(1, sign*2*math.Pi*float64(k)/float64(size))
		}
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				a, b := x[start+k], x[start+k+half]*tw[k]
				x[start+k], x[start+k+half] = a+b, a-b
			}
		}
	}
}

// bluestein computes a DFT of any length n as a convolution with the chirp
// e^(∓πi·k²/n), evaluated by power-of-two FFTs of length m ≥ 2n−1.
func bluestein(x []complex128, inverse bool) {
	n := len(x)
	m := 1 << bits.Len(uint(2*n-2))
	sign := -1.0
	if inverse {
		sign = 1
	}
	w := make([]complex128, n)
	for k := range w {
		// k² mod 2n keeps the angle small, so it stays accurate for large k.
		kk := (k * k) % (2 * n)
		w[k] = cmplx.Rect(1, sign*math.Pi*float64(kk)/float64(n))
	}
	a := make([]complex128, m)
	b := make([]complex128, m)
	for k := 0; k < n; k++ {
		a[k] = x[k] * w[k]
		b[k] = cmplx.Conj(w[k])
		if k > 0 {
			b[m-k] = b[k]
		}
	}
	fftRadix2(a, false)
	fftRadix2(b, false)
	for i := range a {
		a[i] *= b[i]
	}
	fftRadix2(a, true)
	scale := complex(1/float64(m), 0)
	for k := 0; k < n; k++ {
		x[k] = a[k] * scale * w[k]
	}
}
