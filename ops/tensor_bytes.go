package ops

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The little-endian byte form of tensor elements: ONNX raw_data and the
// KServe/Triton binary tensor data extension both lay elements out this
// way (Float16 as its bits, Bool one byte each, 0 or 1).

// AppendLE appends the elements of t to b in little-endian byte form.
func AppendLE(b []byte, t *Tensor) ([]byte, error) {
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
	default:
		return b, fmt.Errorf("no byte form for %T elements", t.Data)
	}
	return b, nil
}

// FromLE decodes n elements of type dt from their little-endian byte form
// in raw, which must hold exactly n·dt.Size() bytes (a Bool is true for any
// nonzero byte). The result is the typed slice a Tensor of dt holds.
func FromLE(dt DType, raw []byte, n int) (any, error) {
	if size := dt.Size(); size == 0 || len(raw) != n*size {
		return nil, fmt.Errorf("%d bytes do not hold %d %v elements", len(raw), n, dt)
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
	default:
		return nil, fmt.Errorf("no byte form for %v elements", dt)
	}
	return out, nil
}
