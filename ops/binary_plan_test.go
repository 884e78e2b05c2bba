package ops

import "testing"

// TestBinaryPlanMatchesBinary runs every planned operator against Binary
// (the reference entry point) over broadcasting shapes and element types,
// including a shape mismatch that both must reject, and checks the planned
// float32 path allocates nothing.
func TestBinaryPlanMatchesBinary(t *testing.T) {
	shapes := [][2][]int{{{2, 3}, {2, 3}}, {{1, 784}, {784}}, {{2, 3, 4}, {3, 1}}, {{4}, {}}, {{1}, {2, 2}}}
	for _, op := range []BinOp{OpAdd, OpSub, OpMul, OpDiv, OpMax, OpMin, OpPow} {
		p, err := NewBinaryPlan(op)
		if err != nil {
			t.Fatal(err)
		}
		for _, dt := range []DType{Float32, Float64, Int32, Float16} {
			for _, sh := range shapes {
				a, b := New(dt, sh[0]...), New(dt, sh[1]...)
				for i := range a.Len() {
					setFloatT(a, i, float64(i%7)+1)
				}
				for i := range b.Len() {
					setFloatT(b, i, float64(i%3)+1)
				}
				out, _ := BroadcastShape(a.Shape, b.Shape)
				want, got := New(dt, out...), New(dt, out...)
				if err := Binary(op, want, a, b); err != nil {
					t.Fatal(err)
				}
				if err := p.Run(got, a, b); err != nil {
					t.Fatalf("%v %v %v: %v", op, dt, sh, err)
				}
				for i := range want.Len() {
					if floatT(got, i) != floatT(want, i) {
						t.Fatalf("%v %v %v: [%d] = %v, want %v", op, dt, sh, i, floatT(got, i), floatT(want, i))
					}
				}
			}
		}
	}
	p, _ := NewBinaryPlan(OpAdd)
	bad := New(Float32, 2, 4)
	if err := p.Run(bad, New(Float32, 2, 3), New(Float32, 3)); err == nil {
		t.Error("output [2 4] for inputs [2 3], [3]: want a shape error")
	}
	if _, err := NewBinaryPlan(BinOp(200)); err == nil {
		t.Error("NewBinaryPlan(BinOp(200)): want an error")
	}
	sh, _ := NewBinaryPlan(OpShiftLeft)
	x, y, z := &Tensor{DType: Uint8, Shape: []int{3}, Data: []uint8{1, 3, 255}}, &Tensor{DType: Uint8, Shape: []int{3}, Data: []uint8{1, 8, 1}}, New(Uint8, 3)
	if err := sh.Run(z, x, y); err != nil || z.U8()[0] != 2 || z.U8()[1] != 0 || z.U8()[2] != 254 {
		t.Errorf("planned BitShift left [1 3 255] << [1 8 1] = %v (%v), want [2 0 254]", z.U8(), err)
	}
	if err := sh.Run(New(Int32, 3), New(Int32, 3), New(Int32, 3)); err == nil {
		t.Error("planned BitShift on int32: want a type error")
	}
	a, b, d := New(Float32, 1, 784), New(Float32, 784), New(Float32, 1, 784)
	if n := testing.AllocsPerRun(100, func() { _ = p.Run(d, a, b) }); n != 0 {
		t.Errorf("planned float32 Add: %.1f allocations per call, want 0", n)
	}
}

// setFloatT and Float are test-only element accessors over the types above.
func setFloatT(t *Tensor, i int, v float64) {
	switch d := t.Data.(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	case []int32:
		d[i] = int32(v)
	case []uint16:
		h := []uint16{0}
		Float32sToFloat16s(h, []float32{float32(v)})
		d[i] = h[0]
	}
}

func floatT(t *Tensor, i int) float64 {
	switch d := t.Data.(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case []int32:
		return float64(d[i])
	case []uint16:
		f := []float32{0}
		Float16sToFloat32s(f, d[i:i+1])
		return float64(f[0])
	}
	return 0
}
