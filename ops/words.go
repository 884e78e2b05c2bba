package ops

import "unsafe"

// Words returns a storage slice (a Tensor's Data) viewed as unsigned
// integers of its element size — []uint8 for int8, uint8 and bool,
// []uint16, []uint32 (float32, int32, uint32) or []uint64 (float64, int64,
// uint64) — sharing its memory, or the []string itself; nil for anything
// else. An empty slice gives an empty slice of the word type.
//
// Kernels that only move elements (slice, transpose, tile, gather,
// reverse) dispatch on Words instead of on the element type, so each is
// instantiated for five storage sizes rather than twelve types: the same
// bits move, and the static binary carries less than half the code.
func Words(data any) any {
	switch s := data.(type) {
	case []uint8, []uint16, []uint32, []uint64, []string:
		return s
	case []int8:
		return reinterpret[uint8](s)
	case []bool:
		return reinterpret[uint8](s)
	case []int16:
		return reinterpret[uint16](s)
	case []int32:
		return reinterpret[uint32](s)
	case []float32:
		return reinterpret[uint32](s)
	case []int64:
		return reinterpret[uint64](s)
	case []float64:
		return reinterpret[uint64](s)
	}
	return nil
}

// reinterpret views s as a slice of To, which must have From's size and
// no pointers (both are plain numbers or bool here).
func reinterpret[To, From any](s []From) []To {
	if cap(s) == 0 {
		return make([]To, 0) // typed and empty, never nil (no allocation)
	}
	return unsafe.Slice((*To)(unsafe.Pointer(unsafe.SliceData(s))), cap(s))[:len(s)]
}
