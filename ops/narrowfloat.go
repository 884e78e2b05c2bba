package ops

import (
	"fmt"
	"math"
)

// The narrow float formats (bfloat16, the 8-bit floats of ONNX, float4) are
// stored as their bits and computed with in float32. Conversions to them
// round to the nearest representable value, ties to even, as ONNX's
// reference (ml_dtypes) does; what happens to values beyond the largest
// finite one is the caller's choice for the 8-bit formats (ONNX Cast's
// saturate attribute), see Float32ToNarrow.

// miniFloat describes a sign-exponent-mantissa format of at most 16 bits.
type miniFloat struct {
	expBits, manBits int
	bias             int
	// fn: no infinities; NaN is the all-ones pattern S.1..1.1..1 (E4M3FN).
	// fnuz: no infinities, no -0; NaN is 0x80. Neither: IEEE-like, with
	// infinities (E5M2). noNaN: neither infinities nor NaN (float4).
	fn, fnuz, noNaN bool
}

var (
	fmtE4M3FN   = miniFloat{expBits: 4, manBits: 3, bias: 7, fn: true}
	fmtE4M3FNUZ = miniFloat{expBits: 4, manBits: 3, bias: 8, fnuz: true}
	fmtE5M2     = miniFloat{expBits: 5, manBits: 2, bias: 15}
	fmtE5M2FNUZ = miniFloat{expBits: 5, manBits: 2, bias: 16, fnuz: true}
	fmtE2M1     = miniFloat{expBits: 2, manBits: 1, bias: 1, noNaN: true}
	fmtBF16     = miniFloat{expBits: 8, manBits: 7, bias: 127}
)

func (f miniFloat) width() int { return 1 + f.expBits + f.manBits }

func (f miniFloat) signBit() uint16 { return 1 << (f.expBits + f.manBits) }

// maxFinite is the largest finite value's bit pattern (sign clear).
func (f miniFloat) maxFinite() uint16 {
	all := uint16(1)<<(f.expBits+f.manBits) - 1
	switch {
	case f.fn:
		return all - 1 // S.1111.111 is NaN
	case f.fnuz || f.noNaN:
		return all
	}
	return all - (1 << f.manBits) // exponent all ones is inf/NaN
}

// nan is the canonical NaN pattern for a value of the given sign.
func (f miniFloat) nan(neg bool) uint16 {
	switch {
	case f.fnuz:
		return 0x80
	case f.fn:
		return f.sign(neg) | (f.signBit() - 1)
	}
	// IEEE-like: exponent all ones, top mantissa bit (quiet).
	return f.sign(neg) | ((f.signBit() - 1) ^ (1<<(f.manBits-1) - 1))
}

func (f miniFloat) sign(neg bool) uint16 {
	if neg {
		return f.signBit()
	}
	return 0
}

// decode returns the value of bit pattern b (exact).
func (f miniFloat) decode(b uint16) float64 {
	b &= uint16(1)<<f.width() - 1
	neg := b&f.signBit() != 0
	mag := b &^ f.signBit()
	e := int(mag >> f.manBits)
	m := int(mag & (1<<f.manBits - 1))
	switch {
	case f.fnuz && b == f.signBit():
		return math.NaN()
	case f.fn && mag == f.signBit()-1:
		return math.NaN()
	case !f.fn && !f.fnuz && !f.noNaN && e == 1<<f.expBits-1:
		if m == 0 {
			return math.Inf(1 - 2*boolInt(neg))
		}
		return math.NaN()
	}
	var v float64
	if e == 0 {
		v = math.Ldexp(float64(m), 1-f.bias-f.manBits)
	} else {
		v = math.Ldexp(float64(m|1<<f.manBits), e-f.bias-f.manBits)
	}
	if neg {
		v = -v
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode rounds x to the format, ties to even. Beyond the largest finite
// value (after rounding) it saturates to ±max when saturate is set or the
// format has neither infinity nor NaN; otherwise it gives ±inf (E5M2) or
// NaN. Infinite inputs follow the same rule; NaN gives NaN (float4, which
// has none, gives -0 as ml_dtypes does).
func (f miniFloat) encode(x float64, saturate bool) uint16 {
	neg := math.Signbit(x)
	if x != x {
		if f.noNaN {
			return f.signBit()
		}
		return f.nan(neg)
	}
	a := math.Abs(x)
	overflow := func() uint16 {
		switch {
		case saturate || f.noNaN:
			return f.sign(neg) | f.maxFinite()
		case f.fn || f.fnuz:
			return f.nan(neg)
		}
		return f.sign(neg) | ((f.signBit() - 1) ^ (1<<f.manBits - 1)) // ±inf
	}
	if math.IsInf(a, 0) {
		return overflow()
	}
	emin := 1 - f.bias // exponent of the smallest normal value
	e := emin
	if a > 0 {
		if _, exp := math.Frexp(a); exp-1 > emin {
			e = exp - 1 // a in [2^e, 2^(e+1))
		}
	}
	q := math.Ldexp(1, e-f.manBits) // spacing of representable values near a
	m := math.RoundToEven(a / q)    // exact: a/q is a power-of-two scaling of a
	v := m * q
	if v == 0 {
		if f.fnuz {
			return 0 // no negative zero
		}
		return f.sign(neg)
	}
	if v > f.decode(f.maxFinite()) {
		return overflow()
	}
	// Re-derive the exponent: rounding may have carried into the next
	// binade.
	var bits uint16
	if v < math.Ldexp(1, emin) {
		bits = uint16(v / math.Ldexp(1, emin-f.manBits)) // subnormal
	} else {
		_, exp := math.Frexp(v)
		ev := exp - 1
		man := uint16(v/math.Ldexp(1, ev-f.manBits)) - 1<<f.manBits
		bits = uint16(ev+f.bias)<<f.manBits | man
	}
	return f.sign(neg) | bits
}

// BFloat16ToFloat32 widens bfloat16 bits (exact).
func BFloat16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBFloat16 rounds to bfloat16, ties to even; NaN stays a (quiet)
// NaN of the same sign.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x0040
	}
	b += 0x7FFF + (b>>16)&1
	return uint16(b >> 16)
}

// Float8E8M0ToFloat32 is 2^(e-127), NaN for 0xFF.
func Float8E8M0ToFloat32(e uint8) float32 {
	if e == 0xFF {
		return float32(math.NaN())
	}
	return float32(math.Ldexp(1, int(e)-127))
}

// E8M0Rounding says how Float32ToFloat8E8M0 rounds a value between two
// powers of two (ONNX Cast's round_mode).
type E8M0Rounding uint8

// The rounding modes of ONNX Cast to FLOAT8E8M0; Up is ONNX's default.
const (
	E8M0Up E8M0Rounding = iota
	E8M0Down
	E8M0Nearest
)

// ParseE8M0Rounding reads ONNX's round_mode attribute.
func ParseE8M0Rounding(s string) (E8M0Rounding, error) {
	switch s {
	case "up":
		return E8M0Up, nil
	case "down":
		return E8M0Down, nil
	case "nearest":
		return E8M0Nearest, nil
	}
	return 0, fmt.Errorf("round_mode %q (want up, down or nearest)", s)
}

// Float32ToFloat8E8M0 keeps the power of two of |f| (the format has no
// sign or mantissa), rounding by mode as ONNX's reference does: from the
// float32 exponent field, so zero and subnormal inputs give 2^-127 (or
// 2^-126 rounding up), and infinities and NaN give NaN. With saturate a
// value rounding past 2^127 stays at 2^127; without it gives NaN.
func Float32ToFloat8E8M0(f float32, saturate bool, mode E8M0Rounding) uint8 {
	b := math.Float32bits(f)
	e := (b >> 23) & 0xFF
	if e == 0xFF {
		return 0xFF
	}
	up := false
	switch mode {
	case E8M0Up:
		up = b&0x7FFFFF != 0
	case E8M0Nearest:
		g, r, s := b&0x400000 != 0, b&0x200000 != 0, b&0x1FFFFF != 0
		up = g && (r || s || e > 0)
	}
	if up {
		if e == 0xFE && saturate {
			return 0xFE
		}
		e++
	}
	return uint8(e)
}

// narrowFormat returns the format of an 8- or 4-bit float type.
func narrowFormat(dt DType) (miniFloat, bool) {
	switch dt {
	case Float8E4M3FN:
		return fmtE4M3FN, true
	case Float8E4M3FNUZ:
		return fmtE4M3FNUZ, true
	case Float8E5M2:
		return fmtE5M2, true
	case Float8E5M2FNUZ:
		return fmtE5M2FNUZ, true
	case Float4E2M1:
		return fmtE2M1, true
	}
	return miniFloat{}, false
}

// NarrowToFloat32 widens one element of a narrow float type (exact):
// bits is the element as Data stores it.
func NarrowToFloat32(dt DType, bits uint16) float32 {
	switch dt {
	case BFloat16:
		return BFloat16ToFloat32(bits)
	case Float8E8M0:
		return Float8E8M0ToFloat32(uint8(bits))
	case Float16:
		return Float16ToFloat32(bits)
	}
	if f, ok := narrowFormat(dt); ok {
		return float32(f.decode(bits))
	}
	panic(fmt.Sprintf("ops: NarrowToFloat32 of %v", dt))
}

// Float32ToNarrow rounds v to a narrow float type (ties to even; E8M0
// rounds up, see Float32ToFloat8E8M0). saturate applies to the 8-bit
// formats: out-of-range values and infinities become ±max rather than NaN
// (E4M3FN, the FNUZ types) or ±inf (E5M2). bfloat16 and float16 overflow to
// infinity; float4, which has neither, always saturates.
func Float32ToNarrow(dt DType, v float32, saturate bool) uint16 {
	switch dt {
	case BFloat16:
		return Float32ToBFloat16(v)
	case Float16:
		return Float32ToFloat16(v)
	case Float8E8M0:
		return uint16(Float32ToFloat8E8M0(v, saturate, E8M0Up))
	}
	if f, ok := narrowFormat(dt); ok {
		return f.encode(float64(v), saturate)
	}
	panic(fmt.Sprintf("ops: Float32ToNarrow of %v", dt))
}

// Float64ToNarrow is Float32ToNarrow from a float64, rounding once from the
// exact value (Float32ToNarrow(float32(v)) could round twice).
func Float64ToNarrow(dt DType, v float64, saturate bool) uint16 {
	switch dt {
	case BFloat16:
		return fmtBF16.encode(v, false)
	case Float16:
		return Float64ToFloat16(v)
	case Float8E8M0:
		return uint16(Float32ToFloat8E8M0(float32(v), saturate, E8M0Up))
	}
	if f, ok := narrowFormat(dt); ok {
		return f.encode(v, saturate)
	}
	panic(fmt.Sprintf("ops: Float64ToNarrow of %v", dt))
}

// WidenToFloat32 writes the elements of a float tensor of any format
// (float32, float64, float16, bfloat16, the 8- and 4-bit floats) to dst as
// float32 (float64 rounds). It errors for other types.
func WidenToFloat32(dst []float32, t *Tensor) error {
	if !dataMatches(t.DType, t.Data) || SliceLen(t.Data) != t.Len() {
		return fmt.Errorf("widen %v: data is %T of length %d", t, t.Data, SliceLen(t.Data))
	}
	if len(dst) < t.Len() {
		return fmt.Errorf("widen %v: %d values into %d", t, t.Len(), len(dst))
	}
	switch t.DType {
	case Float32:
		copy(dst, t.F32())
	case Float64:
		for i, v := range t.F64() {
			dst[i] = float32(v)
		}
	case Float16:
		Float16sToFloat32s(dst, t.F16())
	case BFloat16:
		for i, v := range t.U16() {
			dst[i] = BFloat16ToFloat32(v)
		}
	default:
		if !t.DType.IsNarrowFloat() {
			return fmt.Errorf("widen %v: not a float type", t)
		}
		// 256 possible patterns: decode each once.
		var table [256]float32
		for b := range table {
			table[b] = NarrowToFloat32(t.DType, uint16(b))
		}
		for i, v := range t.U8() {
			dst[i] = table[v]
		}
	}
	return nil
}
