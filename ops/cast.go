package ops

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CastOptions are ONNX Cast's attributes for the 8-bit float targets.
type CastOptions struct {
	// Saturate clamps values beyond a float8 type's range (and
	// infinities) to ±max instead of NaN or ±inf (ONNX's default: true).
	Saturate bool
	// E8M0 is how a value between two powers of two becomes FLOAT8E8M0.
	E8M0 E8M0Rounding
}

// Cast converts src into dst (same shape, any pair of numeric or bool
// element types), following ONNX Cast with saturation on (see CastWith):
//
//   - float to integer truncates toward zero. Values the target cannot hold,
//     ±Inf and NaN are undefined in ONNX; here they give what x86 hardware
//     (and so numpy and ONNX Runtime) gives: the minimum of int64 or int32,
//     and the narrower integers (int16 … int2, uint32 … uint2) take the low
//     bits of that int32 (int64 for uint32 and uint64) conversion, as
//     numpy and ml_dtypes do.
//   - integer to integer wraps (two's complement), as C, numpy and ml_dtypes.
//   - to a float type rounds to nearest even once, from the exact source
//     value (see Float64ToNarrow for the 8- and 4-bit ones).
//   - to bool is x != 0 (NaN is true); from bool is 1 or 0.
//   - to string: integers in decimal, bool as True/False, floats in the
//     shortest form that reads back to the same value, as Python prints
//     floats (positional with at least one decimal for exponents -4 to
//     15, scientific otherwise; inf, -inf, nan); from string: parsed as a
//     number (leading and trailing spaces allowed; "inf", "INF", "NaN" …),
//     an error for text that is not one.
func Cast(dst, src *Tensor) error { return CastWith(dst, src, CastOptions{Saturate: true}) }

// CastWith is Cast with ONNX Cast's saturate and round_mode attributes.
func CastWith(dst, src *Tensor, o CastOptions) error {
	if !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("Cast: output shape %s differs from input shape %s", ShapeString(dst.Shape), ShapeString(src.Shape))
	}
	if n := SliceLen(dst.Data); n != dst.Len() || !dataMatches(dst.DType, dst.Data) {
		return fmt.Errorf("Cast: output %v holds %T of length %d", dst, dst.Data, n)
	}
	if n := SliceLen(src.Data); n != src.Len() || !dataMatches(src.DType, src.Data) {
		return fmt.Errorf("Cast: input %v holds %T of length %d", src, src.Data, n)
	}
	if dst.DType == src.DType {
		CopyData(dst.Data, src.Data)
		return nil
	}
	if dst.DType == String || src.DType == String {
		return castString(dst, src)
	}
	if !legacyType(src.DType) || !legacyType(dst.DType) {
		return castGeneral(dst, src, o)
	}
	switch s := src.Data.(type) {
	case []float32:
		return castFrom(dst, s)
	case []float64:
		return castFrom(dst, s)
	case []int64:
		return castFrom(dst, s)
	case []int32:
		return castFrom(dst, s)
	case []int8:
		return castFrom(dst, s)
	case []uint8:
		return castFrom(dst, s)
	case []uint16: // float16
		f := make([]float32, len(s))
		Float16sToFloat32s(f, s)
		return castFrom(dst, f)
	case []bool:
		return castFromBool(dst, s)
	}
	return fmt.Errorf("Cast: unsupported input type %v", src.DType)
}

func castFrom[S Numeric](dst *Tensor, s []S) error {
	fromFloat := isFloat[S]()
	switch d := dst.Data.(type) {
	case []float32:
		convert(d, s)
	case []float64:
		convert(d, s)
	case []uint16:
		toFloat16(d, s)
	case []bool:
		for i, v := range s {
			d[i] = v != 0
		}
	case []int64:
		if fromFloat {
			for i, v := range s {
				d[i] = FloatToInt64(float64(v))
			}
		} else {
			convert(d, s)
		}
	case []int32:
		if fromFloat {
			for i, v := range s {
				d[i] = FloatToInt32(float64(v))
			}
		} else {
			convert(d, s)
		}
	case []int8:
		if fromFloat {
			for i, v := range s {
				d[i] = int8(FloatToInt32(float64(v)))
			}
		} else {
			convert(d, s)
		}
	case []uint8:
		if fromFloat {
			for i, v := range s {
				d[i] = uint8(FloatToInt32(float64(v)))
			}
		} else {
			convert(d, s)
		}
	default:
		return fmt.Errorf("Cast: unsupported output type %v", dst.DType)
	}
	return nil
}

// convert is a plain Go conversion: integer wrap-around, int→float and
// float→float rounding to nearest even. Not for float→int (see FloatToInt64).
func convert[D, S Numeric](d []D, s []S) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = D(v)
	}
}

func toFloat16[S Numeric](d []uint16, s []S) {
	s = s[:len(d)]
	if f, ok := any(s).([]float32); ok {
		Float32sToFloat16s(d, f)
		return
	}
	for i, v := range s {
		d[i] = Float64ToFloat16(float64(v))
	}
}

func castFromBool(dst *Tensor, s []bool) error {
	switch d := dst.Data.(type) {
	case []float32:
		fromBool(d, s)
	case []float64:
		fromBool(d, s)
	case []int64:
		fromBool(d, s)
	case []int32:
		fromBool(d, s)
	case []int8:
		fromBool(d, s)
	case []uint8:
		fromBool(d, s)
	case []uint16:
		for i, v := range s {
			d[i] = 0
			if v {
				d[i] = 0x3c00 // 1.0
			}
		}
	default:
		return fmt.Errorf("Cast: unsupported output type %v", dst.DType)
	}
	return nil
}

func fromBool[D Numeric](d []D, s []bool) {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = 0
		if v {
			d[i] = 1
		}
	}
}

// FloatToInt64 truncates v toward zero; NaN and values outside the int64
// range give math.MinInt64 (the x86 "integer indefinite" value).
func FloatToInt64(v float64) int64 {
	if v >= -9.223372036854775808e18 && v < 9.223372036854775808e18 {
		return int64(v)
	}
	return math.MinInt64
}

// FloatToInt32 truncates v toward zero; NaN and values outside the int32
// range give math.MinInt32 (the x86 "integer indefinite" value).
func FloatToInt32(v float64) int32 {
	if v > -2147483649 && v < 2147483648 {
		return int32(v)
	}
	return math.MinInt32
}

// legacyType reports whether dt is one of the eight types the typed fast
// paths above handle (their slice types name them unambiguously).
func legacyType(dt DType) bool {
	switch dt {
	case Float32, Float64, Float16, Int64, Int32, Int8, Uint8, Bool:
		return true
	}
	return false
}

// castGeneral converts between any numeric or bool types through a wide
// intermediate: float64 for float sources (exact), int64 or uint64 for
// integer and bool sources.
func castGeneral(dst, src *Tensor, o CastOptions) error {
	n := src.Len()
	switch {
	case src.DType == Bool || src.DType.IsSigned():
		v := make([]int64, n)
		if err := readInts(v, src); err != nil {
			return err
		}
		return writeFrom(dst, n, o, func(i int) float64 { return float64(v[i]) }, func(i int) (int64, bool) { return v[i], false })
	case src.DType.IsUnsigned():
		v := make([]uint64, n)
		readUints(v, src)
		return writeFrom(dst, n, o, func(i int) float64 { return float64(v[i]) }, func(i int) (int64, bool) { return int64(v[i]), true })
	case src.DType.IsFloat() || src.DType.IsNarrowFloat():
		v := make([]float64, n)
		if err := readFloats(v, src); err != nil {
			return err
		}
		return writeFrom(dst, n, o, func(i int) float64 { return v[i] }, nil)
	}
	return fmt.Errorf("Cast: unsupported input type %v", src.DType)
}

func readInts(v []int64, t *Tensor) error {
	switch d := t.Data.(type) {
	case []int64:
		copy(v, d)
	case []int32:
		widen(v, d)
	case []int16:
		widen(v, d)
	case []int8: // Int8, Int4, Int2
		widen(v, d)
	case []bool:
		for i, b := range d {
			if b {
				v[i] = 1
			}
		}
	default:
		return fmt.Errorf("Cast: unsupported input type %v", t.DType)
	}
	return nil
}

func readUints(v []uint64, t *Tensor) {
	switch d := t.Data.(type) {
	case []uint64:
		copy(v, d)
	case []uint32:
		widen(v, d)
	case []uint16:
		widen(v, d)
	case []uint8: // Uint8, Uint4, Uint2
		widen(v, d)
	}
}

func widen[D, S int64 | uint64 | int32 | uint32 | int16 | uint16 | int8 | uint8](d []D, s []S) {
	for i, x := range s {
		d[i] = D(x)
	}
}

func readFloats(v []float64, t *Tensor) error {
	switch t.DType {
	case Float64:
		copy(v, t.F64())
	case Float32:
		for i, x := range t.F32() {
			v[i] = float64(x)
		}
	default:
		f := make([]float32, len(v))
		if err := WidenToFloat32(f, t); err != nil {
			return fmt.Errorf("Cast: %w", err)
		}
		for i, x := range f {
			v[i] = float64(x)
		}
	}
	return nil
}

// writeFrom writes n values into dst. fl gives element i as a float64;
// in, when non-nil (integer sources), gives it exactly as an int64 (u: the
// bits of a uint64), so integer targets wrap instead of going through a
// float.
func writeFrom(dst *Tensor, n int, o CastOptions, fl func(int) float64, in func(int) (int64, bool)) error {
	dt := dst.DType
	// toInt is the value truncated (float sources, x86 semantics) or as is.
	toInt := func(i int, wide bool) int64 {
		if in != nil {
			v, _ := in(i)
			return v
		}
		if wide {
			return FloatToInt64(fl(i))
		}
		return int64(FloatToInt32(fl(i)))
	}
	switch d := dst.Data.(type) {
	case []bool:
		for i := range d[:n] {
			if in != nil {
				v, _ := in(i)
				d[i] = v != 0
			} else {
				d[i] = fl(i) != 0
			}
		}
	case []float32:
		for i := range d[:n] {
			if in != nil {
				if v, u := in(i); u {
					d[i] = float32(uint64(v))
				} else {
					d[i] = float32(v)
				}
				continue
			}
			d[i] = float32(fl(i))
		}
	case []float64:
		for i := range d[:n] {
			d[i] = fl(i)
		}
	case []int64:
		for i := range d[:n] {
			d[i] = toInt(i, true)
		}
	case []int32:
		for i := range d[:n] {
			d[i] = int32(toInt(i, false))
		}
	case []int16:
		for i := range d[:n] {
			d[i] = int16(toInt(i, false))
		}
	case []uint64:
		for i := range d[:n] {
			d[i] = uint64(toInt(i, true))
		}
	case []uint32:
		for i := range d[:n] {
			d[i] = uint32(toInt(i, true))
		}
	case []int8: // Int8, Int4, Int2: wrap to the width, sign-extended
		shift := 8 - dt.Bits()
		for i := range d[:n] {
			d[i] = int8(uint8(toInt(i, false))<<shift) >> shift
		}
	case []uint16:
		if dt == Uint16 {
			for i := range d[:n] {
				d[i] = uint16(toInt(i, false))
			}
			break
		}
		for i := range d[:n] { // Float16, BFloat16
			d[i] = Float64ToNarrow(dt, fl(i), o.Saturate)
		}
	case []uint8:
		switch {
		case dt.IsUnsigned(): // Uint8, Uint4, Uint2: wrap to the width
			mask := uint8(1)<<dt.Bits() - 1
			for i := range d[:n] {
				d[i] = uint8(toInt(i, false)) & mask
			}
		case dt == Float8E8M0:
			for i := range d[:n] {
				d[i] = Float32ToFloat8E8M0(float32(fl(i)), o.Saturate, o.E8M0)
			}
		default: // the 8- and 4-bit floats
			for i := range d[:n] {
				d[i] = uint8(Float64ToNarrow(dt, fl(i), o.Saturate))
			}
		}
	default:
		return fmt.Errorf("Cast: unsupported output type %v", dt)
	}
	return nil
}

// castString converts to or from strings.
func castString(dst, src *Tensor) error {
	n := src.Len()
	if dst.DType == String {
		d := dst.Str()
		switch {
		case src.DType == Bool:
			for i, b := range src.B() {
				d[i] = "False"
				if b {
					d[i] = "True"
				}
			}
		case src.DType.IsFloat() || src.DType.IsNarrowFloat():
			v := make([]float64, n)
			if err := readFloats(v, src); err != nil {
				return err
			}
			bits := 32
			switch src.DType {
			case Float64:
				bits = 64
			case Float32:
			default:
				bits = 0 // shortest that reads back to the narrow value
			}
			for i, x := range v {
				d[i] = formatFloat(x, bits, src.DType)
			}
		case src.DType.IsUnsigned():
			u := make([]uint64, n)
			readUints(u, src)
			for i, x := range u {
				d[i] = strconv.FormatUint(x, 10)
			}
		default:
			v := make([]int64, n)
			if err := readInts(v, src); err != nil {
				return err
			}
			for i, x := range v {
				d[i] = strconv.FormatInt(x, 10)
			}
		}
		return nil
	}
	s := src.Str()
	v := make([]float64, n)
	ints := make([]int64, n)
	isInt := dst.DType.IsInteger()
	for i, x := range s {
		t := strings.TrimSpace(x)
		if isInt {
			if k, err := strconv.ParseInt(t, 10, 64); err == nil {
				ints[i], v[i] = k, float64(k)
				continue
			}
		}
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return fmt.Errorf("Cast: string %q at index %d is not a number", x, i)
		}
		v[i], ints[i] = f, FloatToInt64(f)
	}
	if dst.DType == Bool {
		d := dst.B()
		for i := range d {
			d[i] = v[i] != 0
		}
		return nil
	}
	if isInt {
		return writeFrom(dst, n, CastOptions{Saturate: true}, func(i int) float64 { return v[i] }, func(i int) (int64, bool) { return ints[i], false })
	}
	return writeFrom(dst, n, CastOptions{Saturate: true}, func(i int) float64 { return v[i] }, nil)
}

// formatFloat prints x as Python prints a float: the shortest digits that
// read back to the same value in a float of the given bits (0: of type dt,
// found by trying more digits), positional for decimal exponents -4 to 15
// (with ".0" when integral), scientific otherwise.
func formatFloat(x float64, bits int, dt DType) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	var digits string // mantissa digits in 'e' form, e.g. "1.5e-07"
	if bits != 0 {
		digits = strconv.FormatFloat(x, 'e', -1, bits)
	} else {
		for p := 0; p < 17; p++ {
			digits = strconv.FormatFloat(x, 'e', p, 64)
			back, _ := strconv.ParseFloat(digits, 64)
			if Float64ToNarrow(dt, back, true) == Float64ToNarrow(dt, x, true) {
				break
			}
		}
	}
	mant, expStr, _ := strings.Cut(digits, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		mant = strings.TrimSuffix(strings.TrimRight(mant, "0"), ".")
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(mustParse(digits), 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func mustParse(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
