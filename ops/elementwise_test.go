package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unravel turns a flat row-major index into a multi-index of shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// bcastIndex maps an output multi-index to the flat index of an operand of
// shape in under numpy broadcasting (right-aligned, size-1 dims repeat).
func bcastIndex(out []int, in []int) int {
	off := len(out) - len(in)
	flat := 0
	for k, d := range in {
		i := out[k+off]
		if d == 1 {
			i = 0
		}
		flat = flat*d + i
	}
	return flat
}

func randShapePair(rng *rand.Rand) (a, b []int) {
	rank := rng.IntN(5)
	full := make([]int, rank)
	for i := range full {
		full[i] = 1 + rng.IntN(4)
	}
	pick := func() []int {
		r := rng.IntN(rank + 1)
		s := append([]int(nil), full[rank-r:]...)
		for i := range s {
			if rng.IntN(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	return pick(), pick()
}

func randF64(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*8 - 4
	}
	return v
}

// tensorOf builds a tensor of dtype dt from float64 values (truncated for
// integer types; uint8 values taken modulo 256 after shifting positive).
func tensorOf(dt DType, shape []int, v []float64) *Tensor {
	t := New(dt, shape...)
	for i, x := range v {
		switch d := t.Data.(type) {
		case []float32:
			d[i] = float32(x)
		case []float64:
			d[i] = x
		case []uint16:
			d[i] = Float64ToFloat16(x)
		case []int64:
			d[i] = int64(x * 10)
		case []int32:
			d[i] = int32(x * 10)
		case []int8:
			d[i] = int8(x * 10)
		case []uint8:
			d[i] = uint8(math.Abs(x) * 10)
		case []bool:
			d[i] = x > 0
		}
	}
	return t
}

// valuesOf reads any numeric tensor as float64.
func valuesOf(t *Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		switch d := t.Data.(type) {
		case []float32:
			out[i] = float64(d[i])
		case []float64:
			out[i] = d[i]
		case []uint16:
			out[i] = float64(Float16ToFloat32(d[i]))
		case []int64:
			out[i] = float64(d[i])
		case []int32:
			out[i] = float64(d[i])
		case []int8:
			out[i] = float64(d[i])
		case []uint8:
			out[i] = float64(d[i])
		case []bool:
			if d[i] {
				out[i] = 1
			}
		}
	}
	return out
}

// wrapTo rounds an exact integer result into dt's range by two's
// complement wrap-around, as the kernels' integer arithmetic does.
func wrapTo(dt DType, v float64) float64 {
	switch dt {
	case Int32:
		return float64(int32(int64(v)))
	case Int8:
		return float64(int8(int64(v)))
	case Uint8:
		return float64(uint8(int64(v)))
	}
	return v
}

func closeTo(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func tolFor(dt DType) float64 {
	switch dt {
	case Float32:
		return 1e-6
	case Float64:
		return 1e-12
	case Float16:
		return 2e-3
	}
	return 0
}

func refArith(op BinOp, dt DType, x, y float64) float64 {
	isInt := isIntType(dt)
	switch op {
	case OpAdd:
		x += y
	case OpSub:
		x -= y
	case OpMul:
		x *= y
	case OpDiv:
		if isInt {
			x = math.Trunc(x / y)
		} else {
			x /= y
		}
	case OpMax:
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		x = math.Max(x, y)
	case OpMin:
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		x = math.Min(x, y)
	case OpPRelu:
		if x < 0 {
			x *= y
		}
	case OpPow:
		x = math.Pow(x, y)
		if isInt {
			x = math.Trunc(x)
			if math.IsInf(x, 0) {
				x = 0 // 0^-n: documented as 0 for integers
			}
		}
	}
	if isInt {
		return wrapTo(dt, x)
	}
	return x
}

func TestBinaryBroadcastAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dtypes := []DType{Float32, Float64, Float16, Int64, Int32, Int8, Uint8}
	ops := []BinOp{OpAdd, OpSub, OpMul, OpDiv, OpMax, OpMin, OpPRelu, OpPow}
	shapes := [][2][]int{
		{{2, 3}, {2, 3}}, {{2, 3}, {}}, {{}, {4}}, {{5, 4}, {4}}, {{5, 1}, {1, 6}},
		{{2, 1, 3}, {4, 1}}, {{3, 1, 1, 2}, {1, 4, 5, 1}}, {{1}, {1, 1}}, {{0, 3}, {3}}, {{2, 3, 4}, {2, 1, 4}},
	}
	for i := 0; i < 60; i++ {
		a, b := randShapePair(rng)
		shapes = append(shapes, [2][]int{a, b})
	}
	for _, sh := range shapes {
		out, err := BroadcastShape(sh[0], sh[1])
		require.NoError(t, err)
		for _, dt := range dtypes {
			for _, op := range ops {
				av, bv := randF64(rng, NumElements(sh[0])), randF64(rng, NumElements(sh[1]))
				if op == OpPow {
					for i := range bv {
						bv[i] = math.Round(bv[i]/2) / 10 // small integral exponents for ints
					}
					for i := range av {
						av[i] = math.Abs(av[i])
					}
				}
				at, bt := tensorOf(dt, sh[0], av), tensorOf(dt, sh[1], bv)
				if op == OpDiv && isIntType(dt) {
					bd := valuesOf(bt)
					for i, x := range bd {
						if x == 0 {
							bv[i] = 0.5
						}
					}
					bt = tensorOf(dt, sh[1], bv)
				}
				dst := New(dt, out...)
				require.NoErrorf(t, Binary(op, dst, at, bt), "%v %v %v,%v", op, dt, sh[0], sh[1])
				ga, gb, got := valuesOf(at), valuesOf(bt), valuesOf(dst)
				for i := range got {
					idx := unravel(i, out)
					want := refArith(op, dt, ga[bcastIndex(idx, sh[0])], gb[bcastIndex(idx, sh[1])])
					if dt == Float16 {
						want = float64(Float16ToFloat32(Float64ToFloat16(want)))
					}
					if !(closeTo(got[i], want, tolFor(dt))) {
						require.Failf(t, "!(closeTo(got[i], want, tolFor(dt)))", "%v %v %v,%v at %v: got %v, want %v", op, dt, sh[0], sh[1], idx, got[i], want)
					}
				}
			}
		}
	}
}

func TestBinaryEdgeValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	a := FromFloat32([]int{4}, []float32{nan, 1, inf, -inf})
	b := FromFloat32([]int{4}, []float32{1, nan, 1, 0})
	mx, mn := New(Float32, 4), New(Float32, 4)
	require.NoError(t, Binary(OpMax, mx, a, b))
	require.NoError(t, Binary(OpMin, mn, a, b))
	for i, w := range []float32{nan, nan, inf, 0} {
		g := mx.F32()[i]
		assert.Truef(t, g == w || (w != w && g != g), "Max[%d] = %v, want %v", i, g, w)
	}
	for i, w := range []float32{nan, nan, 1, -inf} {
		g := mn.F32()[i]
		assert.Truef(t, g == w || (w != w && g != g), "Min[%d] = %v, want %v", i, g, w)
	}
	// Integer division truncates toward zero, and by zero is an error.
	q := New(Int32, 4)
	require.NoError(t, Binary(OpDiv, q, FromInt32([]int{4}, []int32{-7, 7, -7, 7}), FromInt32([]int{4}, []int32{2, 2, -2, -2})))
	for i, w := range []int32{-3, 3, 3, -3} {
		assert.Equalf(t, w, q.I32()[i], "int Div[%d] = %d, want %d", i, q.I32()[i], w)
	}
	assert.Error(t, Binary(OpDiv, New(Int64, 2), FromInt64([]int{2}, []int64{1, 2}), FromInt64([]int{2}, []int64{1, 0})), "int64 division by zero: no error")
	// Float division by zero follows IEEE.
	f := New(Float32, 3)
	require.NoError(t, Binary(OpDiv, f, FromFloat32([]int{3}, []float32{1, -1, 0}), Scalar(0)))
	g := f.F32()
	assert.Falsef(t, !math.IsInf(float64(g[0]), 1) || !math.IsInf(float64(g[1]), -1) || g[2] == g[2], "float Div by 0 = %v", g)
	// Mismatched types and shapes are errors, not panics.
	assert.Error(t, Binary(OpAdd, New(Float32, 2), Scalar(1), FromFloat64(nil, []float64{1})), "float32 + float64: no error")
	assert.Error(t, Binary(OpAdd, New(Float32, 2), New(Float32, 3), New(Float32, 2)), "[3] + [2]: no error")
	assert.Error(t, Binary(OpAdd, New(Bool, 1), New(Bool, 1), New(Bool, 1)), "bool + bool: no error")
	bad := &Tensor{DType: Float32, Shape: []int{3}, Data: []float32{1}}
	assert.Error(t, Binary(OpAdd, New(Float32, 3), bad, New(Float32, 3)), "short data: no error")
}

func TestCompareAndLogic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dt := range []DType{Float32, Float64, Float16, Int64, Int32, Int8, Uint8} {
		for _, op := range []CmpOp{CmpEqual, CmpGreater, CmpLess, CmpGreaterOrEqual, CmpLessOrEqual} {
			for k := 0; k < 10; k++ {
				as, bs := randShapePair(rng)
				out, err := BroadcastShape(as, bs)
				require.NoError(t, err)
				av, bv := randF64(rng, NumElements(as)), randF64(rng, NumElements(bs))
				for i := range av { // make ties common
					av[i] = math.Round(av[i])
				}
				for i := range bv {
					bv[i] = math.Round(bv[i])
				}
				at, bt := tensorOf(dt, as, av), tensorOf(dt, bs, bv)
				dst := New(Bool, out...)
				require.NoError(t, Compare(op, dst, at, bt))
				ga, gb := valuesOf(at), valuesOf(bt)
				for i, g := range dst.B() {
					idx := unravel(i, out)
					x, y := ga[bcastIndex(idx, as)], gb[bcastIndex(idx, bs)]
					w := map[CmpOp]bool{CmpEqual: x == y, CmpGreater: x > y, CmpLess: x < y,
						CmpGreaterOrEqual: x >= y, CmpLessOrEqual: x <= y}[op]
					if w != g {
						require.Equalf(t, w, g, "%v %v: %v vs %v = %v", op, dt, x, y, g)
					}
				}
			}
		}
	}
	nan := float32(math.NaN())
	d := New(Bool, 2)
	for _, op := range []CmpOp{CmpEqual, CmpGreater, CmpLess, CmpGreaterOrEqual, CmpLessOrEqual} {
		require.NoError(t, Compare(op, d, FromFloat32([]int{2}, []float32{nan, 1}), FromFloat32([]int{2}, []float32{nan, nan})))
		assert.Falsef(t, d.B()[0] || d.B()[1], "%v with NaN gave true", op)
	}
	bx, by := FromBool([]int{4}, []bool{false, false, true, true}), FromBool([]int{4}, []bool{false, true, false, true})
	d4 := New(Bool, 4)
	require.NoError(t, Compare(CmpEqual, d4, bx, by))
	assert.Equalf(t, "[true false false true]", fmt.Sprint(d4.B()), "Equal on bool = %v", d4.B())
	n := New(Bool, 4)
	require.NoError(t, NotTensor(n, bx), "Not")
	assert.Equal(t, "[true true false false]", fmt.Sprint(n.B()), "Not")
	assert.Error(t, Compare(CmpGreater, d4, bx, by), "Greater on bool: no error")
}

func TestLogicOps(t *testing.T) {
	bx := FromBool([]int{2, 2}, []bool{false, false, true, true})
	by := FromBool([]int{2}, []bool{false, true})
	for op, want := range map[LogicOp]string{LogicAnd: "[false false false true]", LogicOr: "[false true true true]",
		LogicXor: "[false true true false]", LogicEqual: "[true false false true]"} {
		d := New(Bool, 2, 2)
		require.NoError(t, Logic(op, d, bx, by))
		got := fmt.Sprint(d.B())
		if want != got {
			assert.Equalf(t, want, got, "%v: got %s, want %s", logicName(op), got, want)
		}
	}
}

func TestVariadic(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][]int{{3, 1}, {4}, {2, 1, 1}, {1, 3, 4}}
	out := []int{2, 3, 4}
	for _, dt := range []DType{Float32, Float64, Float16, Int32} {
		var ins []*Tensor
		var vals [][]float64
		for _, s := range shapes {
			tt := tensorOf(dt, s, randF64(rng, NumElements(s)))
			ins = append(ins, tt)
			vals = append(vals, valuesOf(tt))
		}
		for _, c := range []struct {
			op   BinOp
			mean bool
		}{{OpAdd, false}, {OpAdd, true}, {OpMax, false}, {OpMin, false}} {
			if c.mean && isIntType(dt) {
				continue
			}
			for n := 1; n <= len(ins); n++ {
				oshape := out
				if n == 1 {
					oshape = shapes[0]
				} else {
					oshape, _ = BroadcastShapes(shapes[:n]...)
				}
				dst := New(dt, oshape...)
				require.NoError(t, Variadic(c.op, c.mean, dst, ins[:n]))
				got := valuesOf(dst)
				for i := range got {
					idx := unravel(i, oshape)
					acc := vals[0][bcastIndex(idx, shapes[0])]
					for k := 1; k < n; k++ {
						v := vals[k][bcastIndex(idx, shapes[k])]
						switch c.op {
						case OpAdd:
							acc += v
						case OpMax:
							acc = math.Max(acc, v)
						case OpMin:
							acc = math.Min(acc, v)
						}
					}
					if c.mean {
						acc /= float64(n)
					}
					tol := tolFor(dt) * 4
					if !(closeTo(got[i], acc, tol)) {
						require.Failf(t, "!(closeTo(got[i], acc, tol))", "%v mean=%v %v n=%d at %v: got %v want %v", c.op, c.mean, dt, n, idx, got[i], acc)
					}
				}
			}
		}
	}
}

func TestPowMixedTypes(t *testing.T) {
	base := FromFloat32([]int{3}, []float32{4, 2, -2})
	cases := []struct {
		exp  *Tensor
		want []float32
	}{
		{FromInt64([]int{3}, []int64{2, 3, 3}), []float32{16, 8, -8}},
		{FromInt32(nil, []int32{2}), []float32{16, 4, 4}},
		{FromFloat64([]int{3}, []float64{0.5, -1, 2}), []float32{2, 0.5, 4}},
	}
	for _, c := range cases {
		d := New(Float32, 3)
		require.NoError(t, PowTensor(d, base, c.exp))
		assert.Equalf(t, c.want, d.F32(), "Pow(%v, %v)", base.F32(), c.exp.Data)
	}
	ib := FromInt64([]int{5}, []int64{3, 4, -3, 1 << 20, 2})
	d := New(Int64, 5)
	require.NoError(t, PowTensor(d, ib, FromFloat32([]int{5}, []float32{2, 0.5, 3, 3, -1})))
	assert.Equalf(t, "[9 2 -27 1152921504606846976 0]", fmt.Sprint(d.I64()), "int64 ^ float32 = %v", d.I64())
	require.NoError(t, PowTensor(d, ib, FromInt32([]int{5}, []int32{2, 3, 3, 3, -1})))
	assert.Equalf(t, "[9 64 -27 1152921504606846976 0]", fmt.Sprint(d.I64()), "int64 ^ int32 = %v", d.I64())
	i32 := New(Int32, 4)
	require.NoError(t, PowTensor(i32, FromInt32([]int{4}, []int32{-1, -1, 1, 0}), FromInt64([]int{4}, []int64{-3, -2, -5, -1})))
	assert.Equalf(t, "[-1 1 1 0]", fmt.Sprint(i32.I32()), "negative int exponents = %v", i32.I32())
}

func TestWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for k := 0; k < 40; k++ {
		cs, xs := randShapePair(rng)
		_, ys := randShapePair(rng)
		out, err := BroadcastShapes(cs, xs, ys)
		if err != nil {
			continue
		}
		for _, dt := range []DType{Float32, Int64, Float16, Bool, Uint8} {
			cond := tensorOf(Bool, cs, randF64(rng, NumElements(cs)))
			x, y := tensorOf(dt, xs, randF64(rng, NumElements(xs))), tensorOf(dt, ys, randF64(rng, NumElements(ys)))
			dst := New(dt, out...)
			require.NoError(t, WhereTensor(dst, cond, x, y))
			gx, gy, got := valuesOf(x), valuesOf(y), valuesOf(dst)
			for i := range got {
				idx := unravel(i, out)
				w := gy[bcastIndex(idx, ys)]
				if cond.B()[bcastIndex(idx, cs)] {
					w = gx[bcastIndex(idx, xs)]
				}
				if w != got[i] {
					require.Equalf(t, w, got[i], "Where %v %v %v %v at %v: got %v want %v", dt, cs, xs, ys, idx, got[i], w)
				}
			}
		}
	}
	assert.Error(t, WhereTensor(New(Float32, 2), New(Float32, 2), New(Float32, 2), New(Float32, 2)), "float condition: no error")
}

func TestFastPathHelpers(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	d := make([]float32, 6)
	AddRowsF32(d, a, []float32{10, 20, 30})
	assert.Equalf(t, "[11 22 33 14 25 36]", fmt.Sprint(d), "AddRowsF32 = %v", d)
	ScaleF32(d, a, 2)
	assert.Equalf(t, "[2 4 6 8 10 12]", fmt.Sprint(d), "ScaleF32 = %v", d)
	MulF32(d, a, a)
	assert.Equalf(t, "[1 4 9 16 25 36]", fmt.Sprint(d), "MulF32 = %v", d)
}

func BenchmarkAddBias(b *testing.B) {
	a := New(Float32, 256, 512)
	bias := New(Float32, 512)
	d := New(Float32, 256, 512)
	b.SetBytes(int64(4 * a.Len()))
	for b.Loop() {
		if err := Binary(OpAdd, d, a, bias); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBroadcastBinaryIntoLargerOutput(t *testing.T) {
	// Operands that are both fixed along the innermost output axis, an
	// output larger than their own broadcast, and a rank beyond the
	// stack-allocated odometer.
	cases := [][3][]int{
		{{2, 1}, {2, 1}, {3, 2, 4}},
		{{1}, {1}, {5}},
		{{2, 1, 3, 1, 2, 1, 2, 1, 2, 3}, {1, 2, 1, 2, 1, 2, 1, 2, 1, 1}, {2, 2, 3, 2, 2, 2, 2, 2, 2, 3}},
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for _, c := range cases {
		as, bs, out := c[0], c[1], c[2]
		a := make([]float64, NumElements(as))
		b := make([]float64, NumElements(bs))
		for i := range a {
			a[i] = rng.Float64()
		}
		for i := range b {
			b[i] = rng.Float64()
		}
		dst := make([]float64, NumElements(out))
		BroadcastBinary(ArithFuncs[float64](OpSub), dst, out, a, as, b, bs)
		for i, g := range dst {
			idx := unravel(i, out)
			w := a[bcastIndex(idx, as)] - b[bcastIndex(idx, bs)]
			if w != g {
				require.Equalf(t, w, g, "%v - %v -> %v at %v: got %v want %v", as, bs, out, idx, g, w)
			}
		}
	}
}

// Where on well-formed operands of the output's shape checks them without
// allocating (the per-operand error prefixes are constants).
func TestWhereTensorNoAllocs(t *testing.T) {
	c := FromBool([]int{4}, []bool{true, false, true, false})
	x, y, d := New(Float32, 4), New(Float32, 4), New(Float32, 4)
	assert.Zerof(t, testing.AllocsPerRun(100, func() { _ = WhereTensor(d, c, x, y) }), "WhereTensor: %.1f allocations per call, want 0")
}
