package ops

// Vectorised piecewise-linear activations (HardSigmoid, HardSwish, Clip and
// Relu6, LeakyRelu) and SiLU. The assembly (vec_hard_amd64.s, AVX-512 and
// AVX2) does in every lane exactly the float32 operations of the Go twins
// below, without FMA and with the compare-and-select the twins spell out
// (so NaN propagates and -0 stays -0 the same way), hence the two agree bit
// for bit and the slice tails can go through the twins.

// clampAffine32 is the twin of one lane of clampAffine: t = a·x + b (a
// product, then a sum), clamped to [lo, hi], times x when mulx is set.
func clampAffine32(x, a, b, lo, hi float32, mulx bool) float32 {
	t := float32(x * a)
	t += b
	if lo > t {
		t = lo
	}
	if hi < t {
		t = hi
	}
	if mulx {
		t *= x
	}
	return t
}

// clampAffine writes clampAffine32 of every element of src into dst.
func clampAffine(dst, src []float32, a, b, lo, hi float32, mulx bool) {
	dst = dst[:len(src)]
	done := clampAffineVec(dst, src, a, b, lo, hi, mulx)
	d := dst[done:]
	for i, x := range src[done:] {
		d[i] = clampAffine32(x, a, b, lo, hi, mulx)
	}
}

// HardSigmoidSlice writes max(0, min(1, alpha·x + beta)) of src into dst
// (which may alias src; len(dst) ≥ len(src)). ONNX's HardSigmoid defaults
// are alpha 0.2, beta 0.5; PyTorch's Hardsigmoid exports 1/6 and 0.5.
func HardSigmoidSlice(dst, src []float32, alpha, beta float32) {
	clampAffine(dst, src, alpha, beta, 0, 1, false)
}

// HardSwishSlice writes x·max(0, min(1, x/6 + 1/2)) of src into dst (which
// may alias src).
func HardSwishSlice(dst, src []float32) {
	clampAffine(dst, src, 1.0/6, 0.5, 0, 1, true)
}

// ClipSlice writes min(max(x, lo), hi) of src into dst (which may alias
// src); NaN stays NaN. Relu6 is ClipSlice(dst, src, 0, 6).
func ClipSlice(dst, src []float32, lo, hi float32) {
	// x·1 + (-0) is x for every x, -0 included: the same bits as Clip.
	clampAffine(dst, src, 1, negZero, lo, hi, false)
}

// leakyRelu32 is the twin of one lane of LeakyReluSlice.
func leakyRelu32(x, alpha float32) float32 {
	if x < 0 {
		x *= alpha
	}
	return x
}

// LeakyReluSlice writes x < 0 ? alpha·x : x of src into dst (which may alias
// src).
func LeakyReluSlice(dst, src []float32, alpha float32) {
	dst = dst[:len(src)]
	done := leakyReluVec(dst, src, alpha)
	d := dst[done:]
	for i, x := range src[done:] {
		d[i] = leakyRelu32(x, alpha)
	}
}

// MulSlice writes a[i]·b[i] into dst[i] (dst may alias a or b; b and dst
// at least as long as a).
func MulSlice(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	done := mulVec(dst, a, b)
	d, bb := dst[done:], b[done:]
	for i, x := range a[done:] {
		d[i] = x * bb[i]
	}
}

// siluChunk is how many elements SiLUSlice takes through its stack buffer
// at a time.
const siluChunk = 256

// SiLUSlice writes x·sigmoid(x) (SiLU, Swish) of src into dst (which may
// alias src): the sigmoid of SigmoidSlice times x, so it gives exactly what
// an exporter's Sigmoid followed by Mul gives on the native kernels.
func SiLUSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := siluVec(dst, src)
	dst, src = dst[done:], src[done:]
	var buf [siluChunk]float32
	for lo := 0; lo < len(src); lo += siluChunk {
		x := src[lo:min(lo+siluChunk, len(src))]
		s := buf[:len(x)]
		SigmoidSlice(s, x)
		MulSlice(dst[lo:lo+len(x)], x, s)
	}
}
