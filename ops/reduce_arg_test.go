package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestArgReduceAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for k := 0; k < 60; k++ {
		rank := 1 + rng.IntN(4)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + rng.IntN(4)
		}
		axis := rng.IntN(rank)
		v := make([]float64, NumElements(shape))
		for i := range v {
			v[i] = float64(rng.IntN(5)) // many ties
		}
		for _, dt := range []DType{Float32, Float64, Float16, Int64, Int32, Int8, Uint8} {
			src := fill(dt, v)
			src.Shape = shape
			for _, max := range []bool{true, false} {
				for _, last := range []bool{false, true} {
					oshape := ReduceShape(shape, []int{axis}, true)
					dst := New(Int64, oshape...)
					if err := ArgReduce(dst, src, axis, max, last); err != nil {
						t.Fatal(err)
					}
					for o := range dst.I64() {
						idx := unravel(o, oshape)
						best := -1
						var bv float64
						for j := 0; j < shape[axis]; j++ {
							idx[axis] = j
							x := v[bcastIndex(idx, shape)]
							if best < 0 || (max && (x > bv || last && x == bv)) || (!max && (x < bv || last && x == bv)) {
								best, bv = j, x
							}
						}
						if got := dst.I64()[o]; got != int64(best) {
							t.Fatalf("%v %v axis %d max=%v last=%v out %d: got %d want %d", dt, shape, axis, max, last, o, got, best)
						}
					}
				}
			}
		}
	}
	if err := ArgReduce(New(Int64, 1), New(Float32, 2, 3), 2, true, false); err == nil {
		t.Error("axis out of range: no error")
	}
	if err := ArgReduce(New(Int64, 2), New(Float32, 2, 0), 1, true, false); err == nil {
		t.Error("empty axis: no error")
	}
}

func TestCumSum(t *testing.T) {
	x := FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	cases := []struct {
		axis           int
		exclusive, rev bool
		want           string
	}{
		{1, false, false, "[1 3 6 4 9 15]"},
		{1, true, false, "[0 1 3 0 4 9]"},
		{1, false, true, "[6 5 3 15 11 6]"},
		{1, true, true, "[5 3 0 11 6 0]"},
		{0, false, false, "[1 2 3 5 7 9]"},
		{0, true, true, "[4 5 6 0 0 0]"},
	}
	for _, c := range cases {
		d := New(Float32, 2, 3)
		if err := CumSum(d, x, c.axis, c.exclusive, c.rev); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(d.F32()); got != c.want {
			t.Errorf("CumSum axis %d exclusive=%v reverse=%v = %s, want %s", c.axis, c.exclusive, c.rev, got, c.want)
		}
	}
	di := New(Int32, 3)
	if err := CumSum(di, FromInt32([]int{3}, []int32{5, -2, 7}), 0, false, false); err != nil || fmt.Sprint(di.I32()) != "[5 3 10]" {
		t.Errorf("CumSum int32 = %v, %v", di.I32(), err)
	}
	if err := CumSum(New(Bool, 2), New(Bool, 2), 0, false, false); err == nil {
		t.Error("bool CumSum: no error")
	}
}

func TestModAndShift(t *testing.T) {
	a := FromInt64([]int{4}, []int64{7, -7, 7, -7})
	b := FromInt64([]int{4}, []int64{3, 3, -3, -3})
	d := New(Int64, 4)
	if err := Binary(OpMod, d, a, b); err != nil || fmt.Sprint(d.I64()) != "[1 2 -2 -1]" {
		t.Errorf("Mod (sign of divisor) = %v, %v", d.I64(), err)
	}
	if err := Binary(OpFmod, d, a, b); err != nil || fmt.Sprint(d.I64()) != "[1 -1 1 -1]" {
		t.Errorf("Fmod (sign of dividend) = %v, %v", d.I64(), err)
	}
	if err := Binary(OpMod, d, a, FromInt64([]int{4}, []int64{1, 0, 1, 1})); err == nil {
		t.Error("Mod by zero: no error")
	}
	fa := FromFloat32([]int{3}, []float32{5.5, -5.5, 5.5})
	fb := FromFloat32([]int{3}, []float32{2, 2, -2})
	fd := New(Float32, 3)
	if err := Binary(OpFmod, fd, fa, fb); err != nil || fmt.Sprint(fd.F32()) != "[1.5 -1.5 1.5]" {
		t.Errorf("float Fmod = %v, %v", fd.F32(), err)
	}
	if err := Binary(OpMod, fd, fa, fb); err != nil || fmt.Sprint(fd.F32()) != "[1.5 0.5 -0.5]" {
		t.Errorf("float Mod = %v, %v", fd.F32(), err)
	}
	u := &Tensor{DType: Uint8, Shape: []int{4}, Data: []uint8{1, 16, 255, 3}}
	s := &Tensor{DType: Uint8, Shape: []int{4}, Data: []uint8{1, 2, 4, 8}}
	ud := New(Uint8, 4)
	if err := Binary(OpShiftLeft, ud, u, s); err != nil || fmt.Sprint(ud.U8()) != "[2 64 240 0]" {
		t.Errorf("shift left = %v, %v", ud.U8(), err)
	}
	if err := Binary(OpShiftRight, ud, u, s); err != nil || fmt.Sprint(ud.U8()) != "[0 4 15 0]" {
		t.Errorf("shift right = %v, %v", ud.U8(), err)
	}
	if err := Binary(OpShiftLeft, d, a, b); err == nil {
		t.Error("int64 BitShift: no error")
	}
}

func TestIsNaNIsInf(t *testing.T) {
	x := FromFloat64([]int{4}, []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1})
	d := New(Bool, 4)
	if err := IsNaNTensor(d, x); err != nil || fmt.Sprint(d.B()) != "[true false false false]" {
		t.Errorf("IsNaN = %v, %v", d.B(), err)
	}
	for _, c := range []struct {
		neg, pos bool
		want     string
	}{{true, true, "[false true true false]"}, {false, true, "[false true false false]"}, {true, false, "[false false true false]"}} {
		if err := IsInfTensor(d, x, c.neg, c.pos); err != nil || fmt.Sprint(d.B()) != c.want {
			t.Errorf("IsInf(neg=%v, pos=%v) = %v, %v", c.neg, c.pos, d.B(), err)
		}
	}
	h := New(Float16, 2)
	h.F16()[0], h.F16()[1] = 0x7e00, 0xfc00
	if err := IsNaNTensor(d.Reshaped(4), x); err != nil {
		t.Fatal(err)
	}
	d2 := New(Bool, 2)
	if err := IsInfTensor(d2, h, true, true); err != nil || fmt.Sprint(d2.B()) != "[false true]" {
		t.Errorf("IsInf float16 = %v, %v", d2.B(), err)
	}
	if err := IsNaNTensor(d, New(Int32, 4)); err == nil {
		t.Error("IsNaN on int32: no error")
	}
}
