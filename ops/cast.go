package ops

import (
	"fmt"
	"math"
)

// Cast converts src into dst (same shape, any pair of element types among
// float32, float64, float16, int64, int32, int8, uint8 and bool), following
// ONNX Cast:
//
//   - float to integer truncates toward zero. Values the target cannot hold,
//     ±Inf and NaN are undefined in ONNX; here they give what x86 hardware
//     (and so numpy and ONNX Runtime) gives: the minimum of int64 or int32,
//     and int8/uint8 take the low bits of that int32 conversion.
//   - integer to integer wraps (two's complement), as C and numpy.
//   - to float16 rounds to nearest even once, from the exact source value.
//   - to bool is x != 0 (NaN is true); from bool is 1 or 0.
func Cast(dst, src *Tensor) error {
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
