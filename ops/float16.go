package ops

import "math"

// Float16ToFloat32 widens IEEE 754 half-precision bits to a float32. Every
// half value, including subnormals, infinities and NaN payloads, is exactly
// representable as a float32, so the conversion is exact.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN: keep the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: mant·2^-24; normalise into a float32.
	e := uint32(113) // biased float32 exponent of 2^-14
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// Float32ToFloat16 narrows a float32 to IEEE 754 half-precision bits with
// round-to-nearest-even. Values too large for a half become ±Inf, values too
// small become (signed) subnormals or zero, and NaN stays NaN (keeping the
// top payload bits; a payload that would vanish becomes a quiet NaN).
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant == 0 {
			return sign | 0x7c00
		}
		m := uint16(mant >> 13)
		if m == 0 {
			m = 0x200
		}
		return sign | 0x7c00 | m
	}
	e := exp - 112 // biased half exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal (or zero) half: value = mant24·2^(exp-150), in units of
		// 2^-24 that is mant24 >> (126-exp).
		if exp == 0 {
			return sign // float32 subnormals are far below half's range
		}
		shift := uint(126 - exp)
		if shift > 24 {
			return sign
		}
		m24 := mant | 0x800000
		h := m24 >> shift
		rem := m24 & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint16(e)<<10 | uint16(mant>>13)
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is the correct result (up to Inf)
	}
	return sign | h
}

// Float16sToFloat32s widens len(dst) half values from src into dst.
func Float16sToFloat32s(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = Float16ToFloat32(h)
	}
}

// Float32sToFloat16s narrows len(dst) float32 values from src into dst with
// round-to-nearest-even.
func Float32sToFloat16s(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, f := range src {
		dst[i] = Float32ToFloat16(f)
	}
}

// Float64ToFloat16 narrows a float64 to half bits with a single
// round-to-nearest-even (no double rounding through float32).
func Float64ToFloat16(f float64) uint16 {
	if math.Abs(f) >= 65520 { // at or past the tie between 65504 and 2^16
		if f < 0 {
			return 0xfc00
		}
		return 0x7c00
	}
	f32 := float32(f)
	if math.IsNaN(f) || math.IsInf(f, 0) || float64(f32) == f {
		return Float32ToFloat16(f32)
	}
	// float32(f) rounded once already; if it landed exactly on a half-way
	// point between two halves, the tie must be broken by f's true position.
	h := Float32ToFloat16(f32)
	lo, hi := h, h
	v := float64(Float16ToFloat32(h))
	if v < f {
		hi = nextHalfUp(h)
	} else {
		lo = nextHalfDown(h)
	}
	if lo == hi {
		return h
	}
	dl := math.Abs(f - float64(Float16ToFloat32(lo)))
	dh := math.Abs(float64(Float16ToFloat32(hi)) - f)
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case lo&1 == 0:
		return lo
	}
	return hi
}

// nextHalfUp returns the half adjacent to h in the +∞ direction.
func nextHalfUp(h uint16) uint16 {
	switch {
	case h == 0x8000:
		return 0x0001
	case h&0x8000 != 0:
		return h - 1
	case h >= 0x7c00:
		return h
	}
	return h + 1
}

// nextHalfDown returns the half adjacent to h in the -∞ direction.
func nextHalfDown(h uint16) uint16 {
	switch {
	case h == 0:
		return 0x8001
	case h&0x8000 == 0:
		return h - 1
	case h >= 0xfc00:
		return h
	}
	return h + 1
}
