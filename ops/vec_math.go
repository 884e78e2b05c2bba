package ops

import "math"

// Vectorised Erf, GELU (erf and tanh forms), and the row kernels of
// Softmax and LayerNormalization. Each has an AVX-512 and an AVX2 body in
// vec_math_amd64.s and a portable twin here that computes the same formula
// element by element (the noasm build, other CPUs, and the reference the
// assembly is tested against).
//
// erf(x), |x| < 0.921875: x·P(x²), P of degree 5 fitted to erf(x)/x
// (relative error of the fit 1.6e-8).
// erf(x), |x| ≥ 0.921875: sign(x)·(1 − erfc|x|), erfc a = e^(Q(a−c) − a²)
// with Q of degree 9 fitted to log erfc(a) + a² on [0.921875, 4]
// (absolute error 8e-9) and e^ the range-reduced exponential of
// vec_act.go; Q's argument is clamped to 4, where erf rounds to ±1 in
// float32.
// Measured against float64 (TestErfSliceAgainstFloat64): at most 1.3e-7
// absolute, 2.3 float32 ulps.
//
// GELU, erf form: x/2·(1 + erf(x/√2)); below the threshold 1 + erf is
// taken from the polynomial, above it from erfc directly (2 − erfc for
// positive x, erfc for negative), so the negative tail keeps its relative
// accuracy instead of cancelling in 1 + erf.
// GELU, tanh form: x/2·(1 + tanh(u)) = x·σ(2u), u = √(2/π)·(x + 0.044715x³),
// with σ = 0 where e^−2u passes the exponential's clamp (so very negative x
// give −0, as the tanh form does in float32).
//
// The polynomial coefficients were fitted (weighted least squares iterated
// towards minimax, float64) for this package.
const (
	erfSmall = 0.921875 // below: the odd polynomial
	erfHi    = 4.0      // |x| clamp of the erfc branch
	erfMid   = 2.4609375
	erfZero  = 10.0 // erfc below float32's range from here on

	erfS0 = 1.1283791065216064
	erfS1 = -0.37612494826316833
	erfS2 = 0.1128181591629982
	erfS3 = -0.026766614988446236
	erfS4 = 0.004993179347366095
	erfS5 = -0.000599085062276572

	erfL0 = -1.5429524183273315
	erfL1 = -0.3571142554283142
	erfL2 = 0.05739891529083252
	erfL3 = -0.011203154921531677
	erfL4 = 0.0022490203846246004
	erfL5 = -0.0004389766836538911
	erfL6 = 8.11022546258755e-05
	erfL7 = -1.3667602615896612e-05
	erfL8 = 1.6140946854648064e-06
	erfL9 = -2.732473269873026e-08

	geluRsqrt2 = 0.7071067811865476
	geluTanhK  = 1.5957691216057308 // 2·√(2/π)
	geluTanhC  = 0.044715
)

// erfSmallPoly is P(z), z = x², of the small-|x| branch.
func erfSmallPoly(z float32) float32 {
	p := float32(erfS5)
	p = p*z + erfS4
	p = p*z + erfS3
	p = p*z + erfS2
	p = p*z + erfS1
	p = p*z + erfS0
	return p
}

// erfcLarge is erfc(a) for a ≥ erfSmall: the polynomial is evaluated at
// min(a, erfHi), the −a² term at a itself, so erfc keeps falling towards 0
// beyond the fitted range (GELU's negative tail) instead of levelling off,
// and is 0 from erfZero on (so GELU(−∞) is NaN, like x/2·(1 + erf(x/√2))).
func erfcLarge(a float32) float32 {
	if a >= erfZero {
		return 0
	}
	t := min(a, erfHi) - erfMid
	q := float32(erfL9)
	q = q*t + erfL8
	q = q*t + erfL7
	q = q*t + erfL6
	q = q*t + erfL5
	q = q*t + erfL4
	q = q*t + erfL3
	q = q*t + erfL2
	q = q*t + erfL1
	q = q*t + erfL0
	return exp32(q - a*a)
}

// erf32 is the scalar twin of the vector erf.
func erf32(x float32) float32 {
	if x != x {
		return x
	}
	a := abs32(x)
	if a < erfSmall {
		return x * erfSmallPoly(x*x)
	}
	r := 1 - erfcLarge(a)
	return math.Float32frombits(math.Float32bits(r) | math.Float32bits(x)&(1<<31))
}

// gelu32 is the scalar twin of the vector GELU (erf form).
func gelu32(x float32) float32 {
	if x != x {
		return x
	}
	z := x * geluRsqrt2
	a := abs32(z)
	var q float32 // 1 + erf(z)
	if a < erfSmall {
		q = z*erfSmallPoly(z*z) + 1
	} else {
		e := erfcLarge(a)
		q = e
		if z > 0 {
			q = 2 - e
		}
	}
	return 0.5 * x * q
}

// geluTanh32 is the scalar twin of the vector GELU (tanh form).
func geluTanh32(x float32) float32 {
	if x != x {
		return x
	}
	u := x * geluTanhK * (geluTanhC*(x*x) + 1)
	if -u >= expHi {
		return x * 0 // σ underflows: −0 for x < 0, NaN for −∞
	}
	return x * (1 / (1 + exp32(-u)))
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

func erfGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = erf32(v)
	}
}

func geluGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = gelu32(v)
	}
}

func geluTanhGo(dst, src []float32) {
	for i, v := range src {
		dst[i] = geluTanh32(v)
	}
}

// ErfSlice writes erf(x) of src into dst (which may alias src; len(dst)
// must be at least len(src)). NaN gives NaN; see the accuracy above.
func ErfSlice(dst, src []float32) {
	dst = dst[:len(src)]
	if !erfVec(dst, src) {
		erfGo(dst, src)
	}
}

// GeluSlice writes GELU(x) = x/2·(1 + erf(x/√2)) of src into dst (which
// may alias src; len(dst) must be at least len(src)).
func GeluSlice(dst, src []float32) {
	dst = dst[:len(src)]
	if !geluVec(dst, src) {
		geluGo(dst, src)
	}
}

// GeluTanhSlice writes the tanh approximation of GELU,
// x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))), of src into dst (which may alias
// src; len(dst) must be at least len(src)).
func GeluTanhSlice(dst, src []float32) {
	dst = dst[:len(src)]
	if !geluTanhVec(dst, src) {
		geluTanhGo(dst, src)
	}
}

// Row kernels of Softmax and LayerNorm. Sums run in float32 in vector
// lanes (16 or 8 partial sums, then added up), which for rows of up to
// tens of thousands of elements stays within a few ulps of a float64 sum
// for Softmax's positive terms; LayerNorm takes the mean first and then
// the squared deviations from it (two passes), so offsets do not cancel.

// rowMaxGo returns the largest element of x (NaN elements are skipped
// unless x[0] is NaN; Softmax's result is NaN for such rows either way).
func rowMaxGo(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// expSubSumGo writes e^(x−m) of src into dst and returns their sum; below
// the exponential's range (x − m < −87.34) the result is 0.
func expSubSumGo(dst, src []float32, m float32) float32 {
	var s float32
	for i, v := range src {
		d := v - m
		e := exp32(d)
		if d < expLo {
			e = 0
		}
		dst[i] = e
		s += e
	}
	return s
}

// scaleGo multiplies dst by s; with nanToZero, NaN results become 0.
func scaleGo(dst []float32, s float32, nanToZero bool) {
	for i, v := range dst {
		v *= s
		if nanToZero && v != v {
			v = 0
		}
		dst[i] = v
	}
}

// sumGo returns Σx.
func sumGo(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

// sumSqDevGo returns Σ(x−m)².
func sumSqDevGo(x []float32, m float32) float32 {
	var s float32
	for _, v := range x {
		d := v - m
		s += d * d
	}
	return s
}

// normAffineGo writes (x−m)·(inv·g) + b into dst (b may be nil: no shift).
func normAffineGo(dst, src, g, b []float32, m, inv float32) {
	if b == nil {
		for i, v := range src {
			dst[i] = (v - m) * (inv * g[i])
		}
		return
	}
	for i, v := range src {
		dst[i] = (v-m)*(inv*g[i]) + b[i]
	}
}

// SoftmaxRow writes the softmax of src, e^(x−max)/Σe^(x−max), into dst
// (which may alias src; same length, at least 1). With nanToZero, NaN
// results (a row of −∞, or one holding NaN) become 0, as the masked
// attention pattern Where(IsNaN(Softmax(x)), 0, Softmax(x)) that PyTorch
// exports computes.
func SoftmaxRow(dst, src []float32, nanToZero bool) {
	dst = dst[:len(src)]
	m := rowMax(src)
	s := expSubSum(dst, src, m)
	mulRow(dst, 1/s, nanToZero)
}

// LayerNormRow normalises src by its mean μ and population variance σ²
// and applies the per-element scale g and shift b (b may be nil):
// dst = (x − μ)/√(σ² + eps)·g + b. It returns μ and 1/√(σ² + eps). dst may
// alias src; g and b have len(src) elements.
func LayerNormRow(dst, src, g, b []float32, eps float32) (mean, invStd float32) {
	n := len(src)
	dst = dst[:n]
	if n == 0 {
		return 0, float32(1 / math.Sqrt(float64(eps)))
	}
	g = g[:n]
	if b != nil {
		b = b[:n]
	}
	mu := rowSum(src) / float32(n)
	v := rowSumSqDev(src, mu) / float32(n)
	inv := float32(1 / math.Sqrt(float64(v)+float64(eps)))
	normAffine(dst, src, g, b, mu, inv)
	return mu, inv
}
