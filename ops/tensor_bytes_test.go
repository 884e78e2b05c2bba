package ops

import (
	"bytes"
	"math"
	"testing"
)

// TestByteFormRoundTrip checks AppendLE and FromLE against hand-written
// little-endian bytes for every element type, and that they round-trip.
func TestByteFormRoundTrip(t *testing.T) {
	cases := []struct {
		t     *Tensor
		bytes []byte
	}{
		{&Tensor{DType: Float32, Shape: []int{2}, Data: []float32{1, float32(math.Copysign(0, -1))}}, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x80}},
		{&Tensor{DType: Float64, Shape: []int{1}, Data: []float64{-2}}, []byte{0, 0, 0, 0, 0, 0, 0, 0xc0}},
		{&Tensor{DType: Float16, Shape: []int{1}, Data: []uint16{0x3c00}}, []byte{0x00, 0x3c}},
		{&Tensor{DType: Int64, Shape: []int{1}, Data: []int64{-2}}, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{&Tensor{DType: Int32, Shape: []int{1}, Data: []int32{258}}, []byte{2, 1, 0, 0}},
		{&Tensor{DType: Int8, Shape: []int{2}, Data: []int8{-1, 5}}, []byte{0xff, 5}},
		{&Tensor{DType: Uint8, Shape: []int{2}, Data: []uint8{7, 200}}, []byte{7, 200}},
		{&Tensor{DType: Bool, Shape: []int{3}, Data: []bool{true, false, true}}, []byte{1, 0, 1}},
	}
	for _, c := range cases {
		got, err := AppendLE([]byte{9}, c.t)
		if err != nil || !bytes.Equal(got, append([]byte{9}, c.bytes...)) {
			t.Fatalf("%v: AppendLE = % x, %v; want 09 % x", c.t.DType, got, err, c.bytes)
		}
		back, err := FromLE(c.t.DType, c.bytes, c.t.Len())
		if err != nil {
			t.Fatalf("%v: FromLE: %v", c.t.DType, err)
		}
		again, _ := AppendLE(nil, &Tensor{DType: c.t.DType, Shape: c.t.Shape, Data: back})
		if !bytes.Equal(again, c.bytes) {
			t.Fatalf("%v: round trip gives % x, want % x", c.t.DType, again, c.bytes)
		}
	}
	if _, err := FromLE(Float32, make([]byte, 7), 2); err == nil {
		t.Error("FromLE accepted 7 bytes for 2 float32")
	}
	if v, err := FromLE(Bool, []byte{0, 2}, 2); err != nil || !v.([]bool)[1] {
		t.Errorf("FromLE(Bool, 0 2) = %v, %v; want [false true]", v, err)
	}
}
