package ops

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The little-endian byte form of tensor elements: ONNX raw_data and the
// KServe/Triton binary tensor data extension both lay elements out this
// way (Float16, BFloat16 and the 8-bit floats as their bits, Bool one byte
// each, 0 or 1). The 4-bit types are packed two to a byte and the 2-bit
// types four, the first element in the least significant bits, the last
// byte padded with zero bits (ONNX's layout, which ONNX Runtime keeps in
// memory too). Strings have no byte form.

// LEBytes is the length of the byte form of n elements of dt.
func LEBytes(dt DType, n int) int {
	switch bits := dt.Bits(); bits {
	case 4, 2:
		per := 8 / bits
		return (n + per - 1) / per
	}
	return n * dt.Size()
}

// AppendLE appends the elements of t to b in little-endian byte form.
func AppendLE(b []byte, t *Tensor) ([]byte, error) {
	if t.DType.Bits() < 8 && t.DType != String && t.DType != Invalid {
		return appendPacked(b, t), nil
	}
	le := binary.LittleEndian
	switch d := t.Data.(type) {
	case []float32:
		for _, v := range d {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	case []float64:
		for _, v := range d {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	case []uint16:
		for _, v := range d {
			b = le.AppendUint16(b, v)
		}
	case []int64:
		for _, v := range d {
			b = le.AppendUint64(b, uint64(v))
		}
	case []int32:
		for _, v := range d {
			b = le.AppendUint32(b, uint32(v))
		}
	case []int8:
		for _, v := range d {
			b = append(b, byte(v))
		}
	case []uint8:
		b = append(b, d...)
	case []bool:
		for _, v := range d {
			var c byte
			if v {
				c = 1
			}
			b = append(b, c)
		}
	case []int16:
		for _, v := range d {
			b = le.AppendUint16(b, uint16(v))
		}
	case []uint32:
		for _, v := range d {
			b = le.AppendUint32(b, v)
		}
	case []uint64:
		for _, v := range d {
			b = le.AppendUint64(b, v)
		}
	default:
		return b, fmt.Errorf("no byte form for %v elements", t.DType)
	}
	return b, nil
}

// FromLE decodes n elements of type dt from their little-endian byte form
// in raw, which must hold exactly LEBytes(dt, n) bytes (a Bool is true for
// any nonzero byte). The result is the typed slice a Tensor of dt holds.
func FromLE(dt DType, raw []byte, n int) (any, error) {
	if dt == String {
		return nil, fmt.Errorf("no byte form for %v elements", dt)
	}
	if dt.Size() == 0 || len(raw) != LEBytes(dt, n) {
		return nil, fmt.Errorf("%d bytes do not hold %d %v elements", len(raw), n, dt)
	}
	if dt.Bits() < 8 {
		return unpack(dt, raw, n), nil
	}
	le := binary.LittleEndian
	out := MakeSlice(dt, n)
	switch d := out.(type) {
	case []float32:
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case []float64:
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
	case []uint16:
		for i := range d {
			d[i] = le.Uint16(raw[2*i:])
		}
	case []int64:
		for i := range d {
			d[i] = int64(le.Uint64(raw[8*i:]))
		}
	case []int32:
		for i := range d {
			d[i] = int32(le.Uint32(raw[4*i:]))
		}
	case []int8:
		for i := range d {
			d[i] = int8(raw[i])
		}
	case []uint8:
		copy(d, raw)
	case []bool:
		for i := range d {
			d[i] = raw[i] != 0
		}
	case []int16:
		for i := range d {
			d[i] = int16(le.Uint16(raw[2*i:]))
		}
	case []uint32:
		for i := range d {
			d[i] = le.Uint32(raw[4*i:])
		}
	case []uint64:
		for i := range d {
			d[i] = le.Uint64(raw[8*i:])
		}
	default:
		return nil, fmt.Errorf("no byte form for %v elements", dt)
	}
	return out, nil
}

// appendPacked appends the 4- or 2-bit elements of t packed (values are
// masked to their width).
func appendPacked(b []byte, t *Tensor) []byte {
	bits := t.DType.Bits()
	per, mask := 8/bits, byte(1)<<bits-1
	n := t.Len()
	start := len(b)
	b = append(b, make([]byte, LEBytes(t.DType, n))...)
	out := b[start:]
	put := func(i int, v byte) { out[i/per] |= (v & mask) << (bits * (i % per)) }
	switch d := t.Data.(type) {
	case []int8:
		for i, v := range d[:n] {
			put(i, byte(v))
		}
	case []uint8:
		for i, v := range d[:n] {
			put(i, v)
		}
	}
	return b
}

// unpack spreads packed 4- or 2-bit elements to one per byte,
// sign-extending Int4 and Int2.
func unpack(dt DType, packed []byte, n int) any {
	bits := dt.Bits()
	per, mask := 8/bits, byte(1)<<bits-1
	at := func(i int) byte { return packed[i/per] >> (bits * (i % per)) & mask }
	if dt.IsSigned() {
		d := make([]int8, n)
		shift := 8 - bits
		for i := range d {
			d[i] = int8(at(i)<<shift) >> shift
		}
		return d
	}
	d := make([]uint8, n)
	for i := range d {
		d[i] = at(i)
	}
	return d
}
