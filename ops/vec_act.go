package ops

import "math"

// Vectorised activations. SigmoidSlice and ExpSlice evaluate e^x with a
// float32 range reduction (x = n·ln2 + r, |r| ≤ ln2/2) and a degree-7
// polynomial for e^r, then scale by 2^n through the exponent bits. Inputs
// are clamped to [-87.34, 88.38], so e^x never overflows or goes
// subnormal; the relative error stays within a few float32 ulps (tests
// check 2e-6 against float64 math.Exp). On amd64 with AVX2+FMA an
// assembly loop does 8 lanes at a time; the portable twin below (also what
// the noasm tag runs) computes the same formula one element at a time.

// Coefficients of the range-reduced e^r (Cephes expf).
const (
	expHi    = 88.3762626647949
	expLo    = -87.3365447505531
	expLog2e = 1.44269504088896341
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// exp32 is the scalar twin of the vector e^x.
func exp32(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, expLo), expHi)
	n := float32(math.RoundToEven(float64(x * expLog2e)))
	r := x - n*expC1
	r -= n * expC2
	y := float32(expP0)
	y = y*r + expP1
	y = y*r + expP2
	y = y*r + expP3
	y = y*r + expP4
	y = y*r + expP5
	y = y*(r*r) + r + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// sigmoidGo writes 1/(1+e^-x) for each x of src into dst.
func sigmoidGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = 1 / (1 + exp32(-v))
	}
}

// expGo writes e^x for each x of src into dst.
func expGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = exp32(v)
	}
}

// SigmoidSlice writes the logistic sigmoid 1/(1+e^-x) of src into dst
// (which may alias src; len(dst) must be at least len(src)). NaN inputs
// give NaN.
func SigmoidSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := sigmoidVec(dst, src)
	if rest := src[done:]; len(rest) > 0 {
		// The last len%8 elements go through the vector kernel too (in
		// an 8-lane buffer), so a value's result does not depend on where
		// a call's slice starts or ends: outputs stay batch-invariant.
		var buf [8]float32
		n := copy(buf[:], rest)
		if sigmoidVec(buf[:], buf[:]) == len(buf) {
			copy(dst[done:], buf[:n])
			return
		}
		sigmoidGo(dst[done:], rest)
	}
}

// ExpSlice writes e^x of src into dst (which may alias src). Inputs above
// 88.38 give e^88.38 (about 2.4e38, not +Inf) and inputs below -87.34 give
// e^-87.34 (about 1.2e-38, not 0), so callers needing IEEE overflow must
// check the range themselves. NaN inputs give NaN.
func ExpSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := expVec(dst, src)
	if rest := src[done:]; len(rest) > 0 {
		// The last len%8 elements go through the vector kernel too (in
		// an 8-lane buffer), so a value's result does not depend on where
		// a call's slice starts or ends: outputs stay batch-invariant.
		var buf [8]float32
		n := copy(buf[:], rest)
		if expVec(buf[:], buf[:]) == len(buf) {
			copy(dst[done:], buf[:n])
			return
		}
		expGo(dst[done:], rest)
	}
}

// reluGo writes max(x, 0) for each x of src into dst (NaN stays NaN, -0
// stays -0).
func reluGo(dst, src []float32) {
	for i, v := range src {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// ReluSlice writes max(x, 0) of src into dst (which may alias src; len(dst)
// must be at least len(src)). NaN inputs stay NaN and -0 stays -0.
func ReluSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := reluVec(dst, src)
	reluGo(dst[done:], src[done:])
}

// Coefficients of tanh on |x| < 0.625: x + x·z·P(z), z = x² (Cephes tanhf).
const (
	tanhP0 = -5.70498872745e-3
	tanhP1 = 2.06390887954e-2
	tanhP2 = -5.37397155531e-2
	tanhP3 = 1.33314422036e-1
	tanhP4 = -3.33332819422e-1
)

// tanh32 is the scalar twin of the vector tanh: the odd polynomial near
// zero, sign(x)·(1 − 2/(e^{2|x|}+1)) elsewhere.
func tanh32(x float32) float32 {
	ax := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	if ax < 0.625 {
		z := x * x
		p := float32(tanhP0)
		p = p*z + tanhP1
		p = p*z + tanhP2
		p = p*z + tanhP3
		p = p*z + tanhP4
		return x*z*p + x
	}
	r := 1 - 2/(exp32(2*ax)+1)
	return math.Float32frombits(math.Float32bits(r) | math.Float32bits(x)&(1<<31))
}

// tanhGo writes tanh(x) for each x of src into dst.
func tanhGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = tanh32(v)
	}
}

// TanhSlice writes tanh(x) of src into dst (which may alias src; len(dst)
// must be at least len(src)). NaN inputs give NaN.
func TanhSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := tanhVec(dst, src)
	if rest := src[done:]; len(rest) > 0 {
		// The last len%8 elements go through the vector kernel too (in
		// an 8-lane buffer), so a value's result does not depend on where
		// a call's slice starts or ends: outputs stay batch-invariant.
		var buf [8]float32
		n := copy(buf[:], rest)
		if tanhVec(buf[:], buf[:]) == len(buf) {
			copy(dst[done:], buf[:n])
			return
		}
		tanhGo(dst[done:], rest)
	}
}

// addTo adds src into dst element by element (len(dst) >= len(src)).
func addTo(dst, src []float32) {
	done := addVec(dst, src)
	d := dst[done:len(src)]
	for i, v := range src[done:] {
		d[i] += v
	}
}
