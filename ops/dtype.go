package ops

import (
	"fmt"
	"unsafe"
)

// DType is the element type of a Tensor.
type DType uint8

// The element types a Tensor can hold. The zero value is Invalid. The
// comment after each says how Data stores it (see Tensor).
const (
	Invalid DType = iota
	Float32
	Float64
	Float16 // IEEE 754 half bits in a []uint16
	Int64
	Int32
	Int8
	Uint8
	Bool
	Int16  // []int16
	Uint16 // []uint16
	Uint32 // []uint32
	Uint64 // []uint64
	// BFloat16 is the upper half of a float32: bits in a []uint16.
	BFloat16
	// The 8-bit floats of ONNX, bits in a []uint8: E4M3FN (no infinity,
	// NaN S.1111.111, largest 448), E4M3FNUZ (no infinity or -0, NaN 0x80,
	// largest 240), E5M2 (IEEE-like, with infinities; largest 57344),
	// E5M2FNUZ (no infinity or -0, NaN 0x80) and E8M0 (an unsigned power of
	// two 2^(e-127), NaN 0xFF, no zero).
	Float8E4M3FN
	Float8E4M3FNUZ
	Float8E5M2
	Float8E5M2FNUZ
	Float8E8M0
	// Float4E2M1 is a 4-bit float (values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no
	// infinity or NaN): its bits in the low nibble of one byte per element
	// of a []uint8.
	Float4E2M1
	// Int4 and Int2 hold one value per element of a []int8 (Int4 in
	// [-8, 7], Int2 in [-2, 1]); Uint4 and Uint2 one per element of a
	// []uint8 ([0, 15], [0, 3]). ONNX files pack them two (four) to a byte;
	// in memory they are unpacked.
	Int4
	Uint4
	Int2
	Uint2
	String // []string
	numDTypes
)

var dtypeNames = [...]string{
	Invalid: "invalid", Float32: "float32", Float64: "float64", Float16: "float16",
	Int64: "int64", Int32: "int32", Int8: "int8", Uint8: "uint8", Bool: "bool",
	Int16: "int16", Uint16: "uint16", Uint32: "uint32", Uint64: "uint64", BFloat16: "bfloat16",
	Float8E4M3FN: "float8e4m3fn", Float8E4M3FNUZ: "float8e4m3fnuz", Float8E5M2: "float8e5m2",
	Float8E5M2FNUZ: "float8e5m2fnuz", Float8E8M0: "float8e8m0", Float4E2M1: "float4e2m1",
	Int4: "int4", Uint4: "uint4", Int2: "int2", Uint2: "uint2", String: "string",
}

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// DTypes lists every element type, Invalid excluded.
func DTypes() []DType {
	out := make([]DType, 0, numDTypes-1)
	for d := Invalid + 1; d < numDTypes; d++ {
		out = append(out, d)
	}
	return out
}

// storage is the DType whose slice type holds d's elements: Uint16 for
// Float16, BFloat16 and Uint16; Uint8 for the 8- and 4-bit floats and the
// small unsigned integers; Int8 for Int4 and Int2; d itself otherwise.
func (d DType) storage() DType {
	switch d {
	case Float16, BFloat16:
		return Uint16
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1, Uint4, Uint2:
		return Uint8
	case Int4, Int2:
		return Int8
	}
	return d
}

// SameStorage reports whether a and b keep their elements in the same
// slice type, so elements can be moved between them bit for bit.
func SameStorage(a, b DType) bool { return a.storage() == b.storage() }

// Size is the number of bytes one element occupies in memory (the 4- and
// 2-bit types take a byte each; a String element counts its header only).
func (d DType) Size() int {
	switch d.storage() {
	case Float64, Int64, Uint64:
		return 8
	case Float32, Int32, Uint32:
		return 4
	case Uint16, Int16:
		return 2
	case Int8, Uint8, Bool:
		return 1
	case String:
		return int(unsafe.Sizeof(""))
	}
	return 0
}

// Bits is the width of one element in the ONNX file form (raw_data): 4 for
// Int4, Uint4 and Float4E2M1, 2 for Int2 and Uint2, 8·Size for the other
// fixed-size types, 0 for String and Invalid.
func (d DType) Bits() int {
	switch d {
	case Int4, Uint4, Float4E2M1:
		return 4
	case Int2, Uint2:
		return 2
	case String, Invalid:
		return 0
	}
	return 8 * d.Size()
}

// IsFloat reports whether d is one of the floating-point types the
// arithmetic kernels compute with directly: float32, float64 and float16.
// The narrower float formats (IsNarrowFloat) are computed with by widening
// to float32.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 || d == Float16 }

// IsNarrowFloat reports whether d is bfloat16 or one of the 8- and 4-bit
// float formats: stored as bits, computed with through float32
// (NarrowToFloat32, Float32ToNarrow).
func (d DType) IsNarrowFloat() bool {
	switch d {
	case BFloat16, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float8E8M0, Float4E2M1:
		return true
	}
	return false
}

// IsInteger reports whether d is a signed or unsigned integer type (bool
// is not).
func (d DType) IsInteger() bool { return d.IsSigned() || d.IsUnsigned() }

// IsSigned reports whether d is a signed integer type.
func (d DType) IsSigned() bool {
	switch d {
	case Int64, Int32, Int16, Int8, Int4, Int2:
		return true
	}
	return false
}

// IsUnsigned reports whether d is an unsigned integer type.
func (d DType) IsUnsigned() bool {
	switch d {
	case Uint64, Uint32, Uint16, Uint8, Uint4, Uint2:
		return true
	}
	return false
}

// IntRange returns the smallest and largest value of an integer type (the
// 4- and 2-bit ones included); ok is false for other types. Uint64's
// largest value does not fit an int64 and is reported as MaxInt64: use
// IsUnsigned to tell.
func (d DType) IntRange() (lo, hi int64, ok bool) {
	switch d {
	case Int64:
		return -1 << 63, 1<<63 - 1, true
	case Int32:
		return -1 << 31, 1<<31 - 1, true
	case Int16:
		return -1 << 15, 1<<15 - 1, true
	case Int8:
		return -1 << 7, 1<<7 - 1, true
	case Int4:
		return -8, 7, true
	case Int2:
		return -2, 1, true
	case Uint64:
		return 0, 1<<63 - 1, true
	case Uint32:
		return 0, 1<<32 - 1, true
	case Uint16:
		return 0, 1<<16 - 1, true
	case Uint8:
		return 0, 1<<8 - 1, true
	case Uint4:
		return 0, 15, true
	case Uint2:
		return 0, 3, true
	}
	return 0, 0, false
}
