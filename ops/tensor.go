package ops

import (
	"fmt"
	"strings"
)

// Tensor is a dense, row-major n-dimensional array.
//
// Data holds the elements in the slice type DType.Storage names:
// []float32, []float64, []int64, []int32, []int16, []int8, []uint64,
// []uint32, []uint16, []uint8, []bool or []string. Types that share a
// storage type (Float16, BFloat16 and Uint16 in []uint16; the 8-bit and
// smaller floats and unsigned integers in []uint8; Int4 and Int2 in
// []int8) are told apart by DType only, so code that computes with the
// values dispatches on DType; code that only moves elements may dispatch on
// the slice type. A scalar has an empty Shape and one element.
type Tensor struct {
	DType DType
	Shape []int
	Data  any
}

// New returns a zero-filled tensor of the given type and shape.
func New(dt DType, shape ...int) *Tensor {
	n := NumElements(shape)
	return &Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: MakeSlice(dt, n)}
}

// MakeSlice allocates a zeroed element slice of type dt and length n.
func MakeSlice(dt DType, n int) any {
	switch dt.storage() {
	case Float32:
		return make([]float32, n)
	case Float64:
		return make([]float64, n)
	case Uint16:
		return make([]uint16, n)
	case Int64:
		return make([]int64, n)
	case Int32:
		return make([]int32, n)
	case Int16:
		return make([]int16, n)
	case Int8:
		return make([]int8, n)
	case Uint8:
		return make([]uint8, n)
	case Uint32:
		return make([]uint32, n)
	case Uint64:
		return make([]uint64, n)
	case Bool:
		return make([]bool, n)
	case String:
		return make([]string, n)
	}
	panic(fmt.Sprintf("ops: MakeSlice of %v", dt))
}

// FromFloat32 wraps data (not copied) as a float32 tensor of the given shape.
func FromFloat32(shape []int, data []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), Data: data}
}

// FromFloat64 wraps data (not copied) as a float64 tensor.
func FromFloat64(shape []int, data []float64) *Tensor {
	return &Tensor{DType: Float64, Shape: append([]int(nil), shape...), Data: data}
}

// FromInt64 wraps data (not copied) as an int64 tensor.
func FromInt64(shape []int, data []int64) *Tensor {
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), Data: data}
}

// FromInt32 wraps data (not copied) as an int32 tensor.
func FromInt32(shape []int, data []int32) *Tensor {
	return &Tensor{DType: Int32, Shape: append([]int(nil), shape...), Data: data}
}

// FromBool wraps data (not copied) as a bool tensor.
func FromBool(shape []int, data []bool) *Tensor {
	return &Tensor{DType: Bool, Shape: append([]int(nil), shape...), Data: data}
}

// Scalar returns a rank-0 float32 tensor.
func Scalar(v float32) *Tensor { return FromFloat32(nil, []float32{v}) }

// F32 returns the elements of a Float32 tensor. It panics on another type;
// callers check DType first where the type is not already known.
func (t *Tensor) F32() []float32 { return t.Data.([]float32) }

// F64 returns the elements of a Float64 tensor.
func (t *Tensor) F64() []float64 { return t.Data.([]float64) }

// I64 returns the elements of an Int64 tensor.
func (t *Tensor) I64() []int64 { return t.Data.([]int64) }

// I32 returns the elements of an Int32 tensor.
func (t *Tensor) I32() []int32 { return t.Data.([]int32) }

// I8 returns the elements of an Int8 tensor.
func (t *Tensor) I8() []int8 { return t.Data.([]int8) }

// U8 returns the elements of a Uint8 tensor.
func (t *Tensor) U8() []uint8 { return t.Data.([]uint8) }

// B returns the elements of a Bool tensor.
func (t *Tensor) B() []bool { return t.Data.([]bool) }

// F16 returns the raw half-precision bits of a Float16 tensor.
func (t *Tensor) F16() []uint16 { return t.Data.([]uint16) }

// I16 returns the elements of an Int16 tensor.
func (t *Tensor) I16() []int16 { return t.Data.([]int16) }

// U16 returns the elements of a Uint16 tensor, or the bits of a BFloat16
// or Float16 one.
func (t *Tensor) U16() []uint16 { return t.Data.([]uint16) }

// U32 returns the elements of a Uint32 tensor.
func (t *Tensor) U32() []uint32 { return t.Data.([]uint32) }

// U64 returns the elements of a Uint64 tensor.
func (t *Tensor) U64() []uint64 { return t.Data.([]uint64) }

// Str returns the elements of a String tensor.
func (t *Tensor) Str() []string { return t.Data.([]string) }

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElements(t.Shape) }

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := New(t.DType, t.Shape...)
	CopyData(c.Data, t.Data)
	return c
}

// Reshaped returns a tensor sharing t's data with a new shape of the same
// element count.
func (t *Tensor) Reshaped(shape ...int) *Tensor {
	return &Tensor{DType: t.DType, Shape: append([]int(nil), shape...), Data: t.Data}
}

// String describes the type and shape, e.g. "float32[2 3]".
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	return t.DType.String() + ShapeString(t.Shape)
}

// CopyData copies src into dst; both must be slices of the same element type.
func CopyData(dst, src any) int {
	switch d := dst.(type) {
	case []float32:
		return copy(d, src.([]float32))
	case []float64:
		return copy(d, src.([]float64))
	case []uint16:
		return copy(d, src.([]uint16))
	case []int64:
		return copy(d, src.([]int64))
	case []int32:
		return copy(d, src.([]int32))
	case []int8:
		return copy(d, src.([]int8))
	case []uint8:
		return copy(d, src.([]uint8))
	case []bool:
		return copy(d, src.([]bool))
	case []int16:
		return copy(d, src.([]int16))
	case []uint32:
		return copy(d, src.([]uint32))
	case []uint64:
		return copy(d, src.([]uint64))
	case []string:
		return copy(d, src.([]string))
	}
	panic(fmt.Sprintf("ops: CopyData of %T", dst))
}

// CopyRange copies n elements of src starting at so into dst starting at
// do; both are element slices of one type (a Tensor's Data).
func CopyRange(dst any, do int, src any, so, n int) {
	switch d := dst.(type) {
	case []float32:
		copy(d[do:do+n], src.([]float32)[so:so+n])
	case []float64:
		copy(d[do:do+n], src.([]float64)[so:so+n])
	case []uint16:
		copy(d[do:do+n], src.([]uint16)[so:so+n])
	case []int64:
		copy(d[do:do+n], src.([]int64)[so:so+n])
	case []int32:
		copy(d[do:do+n], src.([]int32)[so:so+n])
	case []int8:
		copy(d[do:do+n], src.([]int8)[so:so+n])
	case []uint8:
		copy(d[do:do+n], src.([]uint8)[so:so+n])
	case []bool:
		copy(d[do:do+n], src.([]bool)[so:so+n])
	case []int16:
		copy(d[do:do+n], src.([]int16)[so:so+n])
	case []uint32:
		copy(d[do:do+n], src.([]uint32)[so:so+n])
	case []uint64:
		copy(d[do:do+n], src.([]uint64)[so:so+n])
	case []string:
		copy(d[do:do+n], src.([]string)[so:so+n])
	default:
		panic(fmt.Sprintf("ops: CopyRange of %T", dst))
	}
}

// Clear sets every element of an element slice (a Tensor's Data) to its
// zero value.
func Clear(data any) {
	switch d := data.(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	case []uint16:
		clear(d)
	case []int64:
		clear(d)
	case []int32:
		clear(d)
	case []int8:
		clear(d)
	case []uint8:
		clear(d)
	case []bool:
		clear(d)
	case []int16:
		clear(d)
	case []uint32:
		clear(d)
	case []uint64:
		clear(d)
	case []string:
		clear(d)
	default:
		panic(fmt.Sprintf("ops: Clear of %T", data))
	}
}

// SliceLen returns the length of an element slice held in a Tensor's Data.
func SliceLen(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []uint16:
		return len(d)
	case []int64:
		return len(d)
	case []int32:
		return len(d)
	case []int8:
		return len(d)
	case []uint8:
		return len(d)
	case []bool:
		return len(d)
	case []int16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []string:
		return len(d)
	}
	return -1
}

// Validate checks that Data's type matches DType and its length the Shape.
func (t *Tensor) Validate() error {
	if t == nil {
		return fmt.Errorf("nil tensor")
	}
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %v: negative dimension %d at axis %d", t, d, i)
		}
	}
	if !dataMatches(t.DType, t.Data) {
		return fmt.Errorf("tensor %v: data is %T", t, t.Data)
	}
	if n := SliceLen(t.Data); n != t.Len() {
		return fmt.Errorf("tensor %v: shape needs %d elements, data has %d", t, t.Len(), n)
	}
	return nil
}

// dataMatches reports whether data is the element slice type of dt. It
// does not allocate, so Validate is cheap enough for kernels' hot paths.
func dataMatches(dt DType, data any) bool {
	switch data.(type) {
	case []float32:
		return dt == Float32
	case []float64:
		return dt == Float64
	case []uint16:
		return dt.storage() == Uint16
	case []int64:
		return dt == Int64
	case []int32:
		return dt == Int32
	case []int16:
		return dt == Int16
	case []int8:
		return dt.storage() == Int8
	case []uint8:
		return dt.storage() == Uint8
	case []uint32:
		return dt == Uint32
	case []uint64:
		return dt == Uint64
	case []bool:
		return dt == Bool
	case []string:
		return dt == String
	}
	return false
}

func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// ShapeString formats a shape as "[2 3 4]".
func ShapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// SameShape reports whether a and b have identical dimensions.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
