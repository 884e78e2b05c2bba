package ops

import (
	"fmt"
	"math"
)

// QuantParams places the scale and zero point of a linear (de)quantization
// on the data: one value for the whole tensor, one per index along Axis
// (a 1-D parameter), or, with BlockSize > 0, one per block of BlockSize
// consecutive indices along Axis (a parameter of the data's rank whose
// Axis dimension is ceil(n/BlockSize), the others equal to the data's).
type QuantParams struct {
	Axis      int
	BlockSize int
}

// quantIndex maps a flat data index to a flat parameter index.
type quantIndex struct {
	inner, dim, pdim, bs int
	scalar               bool
}

func (q quantIndex) at(i int) int {
	if q.scalar {
		return 0
	}
	a := (i / q.inner) % q.dim
	if q.bs == 0 {
		return a
	}
	o, in := i/(q.inner*q.dim), i%q.inner
	return (o*q.pdim+a/q.bs)*q.inner + in
}

// index checks the parameter shape against the data shape.
func (p QuantParams) index(what string, data, param []int) (quantIndex, error) {
	if NumElements(param) == 1 && (p.BlockSize == 0 || len(param) <= 1) {
		return quantIndex{scalar: true}, nil
	}
	if p.Axis < 0 || p.Axis >= len(data) {
		return quantIndex{}, fmt.Errorf("%s: axis %d is out of range for rank %d", what, p.Axis, len(data))
	}
	q := quantIndex{inner: NumElements(data[p.Axis+1:]), dim: data[p.Axis], bs: p.BlockSize}
	if p.BlockSize == 0 {
		if len(param) != 1 || param[0] != q.dim {
			return q, fmt.Errorf("%s: per-axis parameter has shape %s, want [%d] (axis %d of %s)", what, ShapeString(param), q.dim, p.Axis, ShapeString(data))
		}
		return q, nil
	}
	if p.BlockSize < 0 {
		return q, fmt.Errorf("%s: block_size %d is negative", what, p.BlockSize)
	}
	q.pdim = (q.dim + p.BlockSize - 1) / p.BlockSize
	want := append([]int(nil), data...)
	want[p.Axis] = q.pdim
	if !SameShape(param, want) {
		return q, fmt.Errorf("%s: blocked parameter has shape %s, want %s (blocks of %d along axis %d of %s)", what, ShapeString(param), ShapeString(want), p.BlockSize, p.Axis, ShapeString(data))
	}
	return q, nil
}

// floatValues reads a float tensor of any format, an integer or a bool
// tensor as float64 (exact for all but the largest 64-bit integers).
func floatValues(t *Tensor) ([]float64, error) {
	v := make([]float64, t.Len())
	switch {
	case t.DType.IsFloat() || t.DType.IsNarrowFloat():
		return v, readFloats(v, t)
	case t.DType.IsUnsigned():
		u := make([]uint64, len(v))
		readUints(u, t)
		for i, x := range u {
			v[i] = float64(x)
		}
	default:
		s := make([]int64, len(v))
		if err := readInts(s, t); err != nil {
			return nil, err
		}
		for i, x := range s {
			v[i] = float64(x)
		}
	}
	return v, nil
}

// roundTo rounds v to the precision of float type dt (float64: exact).
func roundTo(dt DType, v float64) float64 {
	switch dt {
	case Float32:
		return float64(float32(v))
	case Float64, Invalid:
		return v
	case BFloat16:
		// ml_dtypes computes in float32 and rounds the result.
		return float64(BFloat16ToFloat32(Float32ToBFloat16(float32(v))))
	}
	if dt.IsFloat() || dt.IsNarrowFloat() {
		return float64(NarrowToFloat32(dt, Float64ToNarrow(dt, v, true)))
	}
	return v
}

// IsQuantizedType reports whether dt can hold QuantizeLinear's output: the
// 16-, 8-, 4- and 2-bit integers and the 8- and 4-bit floats.
func IsQuantizedType(dt DType) bool {
	switch dt {
	case Uint8, Int8, Uint16, Int16, Uint4, Int4, Uint2, Int2,
		Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1:
		return true
	}
	return false
}

// Quantize computes ONNX QuantizeLinear into dst (whose DType is the
// quantized type): x / scale, rounded to the precision of the type named
// precision (Invalid: x's type, as the reference divides in x's type);
// for integer types then rounded half to even, shifted by the zero point and
// saturated to the type's range; for the 8-bit floats converted with
// saturate (the zero point is not added, as in the reference); for float4
// shifted by the zero point and converted. zp may be nil.
func Quantize(dst, x, scale, zp *Tensor, p QuantParams, saturate bool, precision DType) error {
	if !IsQuantizedType(dst.DType) {
		return fmt.Errorf("QuantizeLinear: %v is not a quantized type", dst.DType)
	}
	if !SameShape(dst.Shape, x.Shape) {
		return fmt.Errorf("QuantizeLinear: output shape %s, input %s", ShapeString(dst.Shape), ShapeString(x.Shape))
	}
	if zp != nil && zp.DType != dst.DType {
		return fmt.Errorf("QuantizeLinear: zero point is %v, output %v", zp.DType, dst.DType)
	}
	si, err := p.index("QuantizeLinear: scale", x.Shape, scale.Shape)
	if err != nil {
		return err
	}
	var zpv []float64
	if zp != nil {
		if !SameShape(zp.Shape, scale.Shape) && !(zp.Len() == 1 && scale.Len() == 1) {
			return fmt.Errorf("QuantizeLinear: zero point shape %s differs from scale shape %s", ShapeString(zp.Shape), ShapeString(scale.Shape))
		}
		if zpv, err = floatValues(zp); err != nil {
			return err
		}
	}
	xv, err := floatValues(x)
	if err != nil {
		return fmt.Errorf("QuantizeLinear: input: %w", err)
	}
	sv, err := floatValues(scale)
	if err != nil {
		return fmt.Errorf("QuantizeLinear: scale: %w", err)
	}
	if precision == Invalid {
		precision = x.DType
	}
	q := make([]float64, len(xv))
	for i, v := range xv {
		k := si.at(i)
		q[i] = roundTo(precision, v/sv[k])
	}
	dt := dst.DType
	if lo, hi, ok := dt.IntRange(); ok {
		vals := make([]int64, len(q))
		for i, v := range q {
			r := math.RoundToEven(v)
			if zpv != nil {
				r += zpv[si.at(i)]
			}
			vals[i] = int64(math.Min(math.Max(r, float64(lo)), float64(hi))) // NaN: lo below
			if r != r {
				vals[i] = 0
			}
		}
		return writeFrom(dst, len(vals), CastOptions{}, func(i int) float64 { return float64(vals[i]) }, func(i int) (int64, bool) { return vals[i], false })
	}
	if dt == Float4E2M1 && zpv != nil {
		for i := range q {
			q[i] += zpv[si.at(i)]
		}
	}
	return writeFrom(dst, len(q), CastOptions{Saturate: saturate}, func(i int) float64 { return q[i] }, nil)
}

// Dequantize computes ONNX DequantizeLinear into dst (a float type): (x -
// zero point) in float32, times scale, converted to dst's type. For the
// 8-bit float inputs a zero point must be all zeros. zp may be nil.
func Dequantize(dst, x, scale, zp *Tensor, p QuantParams) error {
	if !dst.DType.IsFloat() && !dst.DType.IsNarrowFloat() {
		return fmt.Errorf("DequantizeLinear: output type %v is not a float type", dst.DType)
	}
	if !SameShape(dst.Shape, x.Shape) {
		return fmt.Errorf("DequantizeLinear: output shape %s, input %s", ShapeString(dst.Shape), ShapeString(x.Shape))
	}
	si, err := p.index("DequantizeLinear: scale", x.Shape, scale.Shape)
	if err != nil {
		return err
	}
	xv, err := floatValues(x)
	if err != nil {
		return fmt.Errorf("DequantizeLinear: input: %w", err)
	}
	sv, err := floatValues(scale)
	if err != nil {
		return fmt.Errorf("DequantizeLinear: scale: %w", err)
	}
	var zpv []float64
	if zp != nil {
		if zpv, err = floatValues(zp); err != nil {
			return err
		}
		switch {
		case x.DType.IsNarrowFloat() && x.DType != Float4E2M1:
			for _, z := range zpv {
				if z != 0 {
					return fmt.Errorf("DequantizeLinear: a %v zero point must be zero", zp.DType)
				}
			}
			zpv = nil
		case zp.DType != x.DType:
			return fmt.Errorf("DequantizeLinear: zero point is %v, input %v", zp.DType, x.DType)
		case !SameShape(zp.Shape, scale.Shape) && !(zp.Len() == 1 && scale.Len() == 1):
			return fmt.Errorf("DequantizeLinear: zero point shape %s differs from scale shape %s", ShapeString(zp.Shape), ShapeString(scale.Shape))
		}
	}
	y := make([]float64, len(xv))
	for i, v := range xv {
		k := si.at(i)
		d := float32(v)
		if zpv != nil {
			d -= float32(zpv[k])
		}
		y[i] = float64(d * float32(sv[k]))
		if scale.DType == Float64 {
			y[i] = float64(d) * sv[k]
		}
	}
	return writeFrom(dst, len(y), CastOptions{Saturate: true}, func(i int) float64 { return y[i] }, nil)
}
