package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
					require.NoError(t, ArgReduce(dst, src, axis, max, last))
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
						got := dst.I64()[o]
						if int64(best) != got {
							require.Equalf(t, int64(best), got, "%v %v axis %d max=%v last=%v out %d: got %d want %d", dt, shape, axis, max, last, o, got, best)
						}
					}
				}
			}
		}
	}
	assert.Error(t, ArgReduce(New(Int64, 1), New(Float32, 2, 3), 2, true, false), "axis out of range: no error")
	assert.Error(t, ArgReduce(New(Int64, 2), New(Float32, 2, 0), 1, true, false), "empty axis: no error")
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
		require.NoError(t, CumSum(d, x, c.axis, c.exclusive, c.rev))
		got := fmt.Sprint(d.F32())
		assert.Equalf(t, c.want, got, "CumSum axis %d exclusive=%v reverse=%v = %s, want %s", c.axis, c.exclusive, c.rev, got, c.want)
	}
	di := New(Int32, 3)
	require.NoError(t, CumSum(di, FromInt32([]int{3}, []int32{5, -2, 7}), 0, false, false), "CumSum int32")
	assert.Equal(t, "[5 3 10]", fmt.Sprint(di.I32()), "CumSum int32")
	assert.Error(t, CumSum(New(Bool, 2), New(Bool, 2), 0, false, false), "bool CumSum: no error")
}

func TestCumProd(t *testing.T) {
	x := FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	d := New(Float32, 2, 3)
	require.NoError(t, CumProd(d, x, 1, false, false))
	assert.Equal(t, []float32{1, 2, 6, 4, 20, 120}, d.F32(), "inclusive")
	require.NoError(t, CumProd(d, x, 1, true, false))
	assert.Equal(t, []float32{1, 1, 2, 1, 4, 20}, d.F32(), "exclusive starts at 1")
	require.NoError(t, CumProd(d, x, 0, true, true))
	assert.Equal(t, []float32{4, 5, 6, 1, 1, 1}, d.F32(), "exclusive reverse along axis 0")
	u := New(Uint16, 3)
	require.NoError(t, CumProd(u, &Tensor{DType: Uint16, Shape: []int{3}, Data: []uint16{300, 300, 2}}, 0, false, false))
	assert.Equal(t, []uint16{300, 90000 % 65536, 90000 % 65536 * 2 % 65536}, u.U16(), "uint16 wraps")
	assert.Error(t, CumProd(New(Bool, 2), New(Bool, 2), 0, false, false), "bool CumProd: no error")
}

func TestBitwise(t *testing.T) {
	a := &Tensor{DType: Int16, Shape: []int{2, 2}, Data: []int16{0x0F0F, -1, 6, 0}}
	b := &Tensor{DType: Int16, Shape: []int{2}, Data: []int16{0x00FF, 3}}
	d := New(Int16, 2, 2)
	for _, c := range []struct {
		op   BinOp
		want []int16
	}{{OpBitAnd, []int16{0x000F, 3, 6, 0}}, {OpBitOr, []int16{0x0FFF, -1, 0x00FF, 3}}, {OpBitXor, []int16{0x0FF0, -4, 0x00F9, 3}}} {
		require.NoError(t, Binary(c.op, d, a, b), "%v", c.op)
		assert.Equal(t, c.want, d.I16(), "%v (b broadcast over rows)", c.op)
		plan, err := NewBinaryPlan(c.op)
		require.NoError(t, err)
		require.NoError(t, plan.Run(d, a, b))
		assert.Equal(t, c.want, d.I16(), "plan %v", c.op)
	}
	f := FromFloat32([]int{1}, []float32{1})
	assert.Error(t, Binary(OpBitAnd, New(Float32, 1), f, f), "float BitwiseAnd: no error")
	n := New(Uint64, 2)
	require.NoError(t, BitwiseNotTensor(n, &Tensor{DType: Uint64, Shape: []int{2}, Data: []uint64{0, 1 << 63}}))
	assert.Equal(t, []uint64{math.MaxUint64, 1<<63 - 1}, n.U64())
	assert.Error(t, BitwiseNotTensor(New(Float32, 1), f), "float BitwiseNot: no error")
}

func TestModAndShift(t *testing.T) {
	a := FromInt64([]int{4}, []int64{7, -7, 7, -7})
	b := FromInt64([]int{4}, []int64{3, 3, -3, -3})
	d := New(Int64, 4)
	require.NoError(t, Binary(OpMod, d, a, b), "Mod (sign of divisor)")
	assert.Equal(t, "[1 2 -2 -1]", fmt.Sprint(d.I64()), "Mod (sign of divisor)")
	require.NoError(t, Binary(OpFmod, d, a, b), "Fmod (sign of dividend)")
	assert.Equal(t, "[1 -1 1 -1]", fmt.Sprint(d.I64()), "Fmod (sign of dividend)")
	assert.Error(t, Binary(OpMod, d, a, FromInt64([]int{4}, []int64{1, 0, 1, 1})), "Mod by zero: no error")
	fa := FromFloat32([]int{3}, []float32{5.5, -5.5, 5.5})
	fb := FromFloat32([]int{3}, []float32{2, 2, -2})
	fd := New(Float32, 3)
	require.NoError(t, Binary(OpFmod, fd, fa, fb), "float Fmod")
	assert.Equal(t, "[1.5 -1.5 1.5]", fmt.Sprint(fd.F32()), "float Fmod")
	require.NoError(t, Binary(OpMod, fd, fa, fb), "float Mod")
	assert.Equal(t, "[1.5 0.5 -0.5]", fmt.Sprint(fd.F32()), "float Mod")
	// Mod-28's special cases of floored float division.
	inf := math.Inf(1)
	ea := FromFloat64([]int{7}, []float64{0, math.Copysign(0, -1), 4, inf, 3, -3, 3})
	eb := FromFloat64([]int{7}, []float64{-2, 2, -2, 2, 0, inf, -inf})
	ed := New(Float64, 7)
	require.NoError(t, Binary(OpMod, ed, ea, eb), "float Mod edge cases")
	e := ed.F64()
	assert.True(t, e[0] == 0 && math.Signbit(e[0]), "0 mod -2 is -0, got %v", e[0])
	assert.True(t, e[1] == 0 && !math.Signbit(e[1]), "-0 mod 2 is +0, got %v", e[1])
	assert.True(t, e[2] == 0 && math.Signbit(e[2]), "4 mod -2 is -0, got %v", e[2])
	assert.True(t, math.IsNaN(e[3]) && math.IsNaN(e[4]), "inf mod 2 and 3 mod 0 are NaN, got %v %v", e[3], e[4])
	assert.Equal(t, []float64{inf, -inf}, e[5:], "a finite x mod ±inf of the other sign is y")
	u := &Tensor{DType: Uint8, Shape: []int{4}, Data: []uint8{1, 16, 255, 3}}
	s := &Tensor{DType: Uint8, Shape: []int{4}, Data: []uint8{1, 2, 4, 8}}
	ud := New(Uint8, 4)
	require.NoError(t, Binary(OpShiftLeft, ud, u, s), "shift left")
	assert.Equal(t, "[2 64 240 0]", fmt.Sprint(ud.U8()), "shift left")
	require.NoError(t, Binary(OpShiftRight, ud, u, s), "shift right")
	assert.Equal(t, "[0 4 15 0]", fmt.Sprint(ud.U8()), "shift right")
	// Signed and wider types, with the reference's cases: arithmetic right
	// shifts, counts of the width or more, negative counts, left overflow.
	x := &Tensor{DType: Int8, Shape: []int{6}, Data: []int8{-8, 4, -1, 64, -64, 5}}
	c := &Tensor{DType: Int8, Shape: []int{6}, Data: []int8{1, 9, 127, 1, 1, -1}}
	xd := New(Int8, 6)
	require.NoError(t, Binary(OpShiftRight, xd, x, c))
	assert.Equal(t, []int8{-4, 0, -1, 32, -32, 0}, xd.I8(), "int8 right")
	require.NoError(t, Binary(OpShiftLeft, xd, x, c))
	assert.Equal(t, []int8{-16, 0, 0, -128, -128, 0}, xd.I8(), "int8 left")
	w := &Tensor{DType: Uint16, Shape: []int{2}, Data: []uint16{0x8001, 3}}
	wc := &Tensor{DType: Uint16, Shape: []int{2}, Data: []uint16{1, 16}}
	wd := New(Uint16, 2)
	require.NoError(t, Binary(OpShiftLeft, wd, w, wc))
	assert.Equal(t, []uint16{2, 0}, wd.U16(), "uint16 left")
	fs := New(Float32, 3)
	assert.Error(t, Binary(OpShiftLeft, fs, fa, fb), "float BitShift: no error")
	plan, err := NewBinaryPlan(OpShiftRight)
	require.NoError(t, err)
	require.NoError(t, plan.Run(xd, x, c))
	assert.Equal(t, []int8{-4, 0, -1, 32, -32, 0}, xd.I8(), "plan: int8 right")
	assert.Error(t, plan.Run(fs, fa, fb), "plan: float BitShift: no error")
}

func TestIsNaNIsInf(t *testing.T) {
	x := FromFloat64([]int{4}, []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1})
	d := New(Bool, 4)
	require.NoError(t, IsNaNTensor(d, x), "IsNaN")
	assert.Equal(t, "[true false false false]", fmt.Sprint(d.B()), "IsNaN")
	for _, c := range []struct {
		neg, pos bool
		want     string
	}{{true, true, "[false true true false]"}, {false, true, "[false true false false]"}, {true, false, "[false false true false]"}} {
		require.NoError(t, IsInfTensor(d, x, c.neg, c.pos), "IsInf(neg=%v, pos=%v)")
		assert.Equal(t, c.want, fmt.Sprint(d.B()), "IsInf(neg=%v, pos=%v)")
	}
	h := New(Float16, 2)
	h.F16()[0], h.F16()[1] = 0x7e00, 0xfc00
	require.NoError(t, IsNaNTensor(d.Reshaped(4), x))
	d2 := New(Bool, 2)
	require.NoError(t, IsInfTensor(d2, h, true, true), "IsInf float16")
	assert.Equal(t, "[false true]", fmt.Sprint(d2.B()), "IsInf float16")
	assert.Error(t, IsNaNTensor(d, New(Int32, 4)), "IsNaN on int32: no error")
}

// The wider integer types compute as integers: uint16 shares float16's
// storage but adds as an integer; uint64 compares beyond int64's range;
// integer division by zero is an error, not a panic.
func TestWiderIntegerTypes(t *testing.T) {
	a := &Tensor{DType: Uint16, Shape: []int{2}, Data: []uint16{0x3C00, 65535}}
	b := &Tensor{DType: Uint16, Shape: []int{2}, Data: []uint16{0x3C00, 1}}
	d := New(Uint16, 2)
	require.NoError(t, Binary(OpAdd, d, a, b))
	assert.Equal(t, []uint16{0x7800, 0}, d.U16(), "integer add, wrapping")
	require.NoError(t, Binary(OpMax, d, a, b))
	assert.Equal(t, []uint16{0x3C00, 65535}, d.U16())
	assert.Error(t, Binary(OpDiv, d, a, &Tensor{DType: Uint16, Shape: []int{2}, Data: []uint16{1, 0}}), "division by zero")

	u := &Tensor{DType: Uint64, Shape: []int{2}, Data: []uint64{1 << 63, 5}}
	v := &Tensor{DType: Uint64, Shape: []int{2}, Data: []uint64{1, 1 << 63}}
	c := New(Bool, 2)
	require.NoError(t, Compare(CmpGreater, c, u, v))
	assert.Equal(t, []bool{true, false}, c.B())

	s := &Tensor{DType: Int16, Shape: []int{2, 2}, Data: []int16{-32768, 7, 3, -2}}
	r := New(Int16, 2)
	require.NoError(t, Reduce(RedMax, r, s, []int{1}))
	assert.Equal(t, []int16{7, 3}, r.I16())
	require.NoError(t, Reduce(RedMin, r, s, []int{1}))
	assert.Equal(t, []int16{-32768, -2}, r.I16())

	w := &Tensor{DType: Uint32, Shape: []int{3}, Data: []uint32{4000000000, 1, 7}}
	idx := New(Int64, 1)
	require.NoError(t, ArgReduce(idx, w, 0, true, false))
	assert.Equal(t, []int64{0}, idx.I64())
}
