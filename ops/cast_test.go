package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var castTypes = []DType{Float32, Float64, Float16, Int64, Int32, Int8, Uint8, Bool}

// fill writes float64 values into a fresh tensor of dt exactly (callers
// choose values representable in dt).
func fill(dt DType, v []float64) *Tensor {
	t := New(dt, len(v))
	for i, x := range v {
		switch d := t.Data.(type) {
		case []float32:
			d[i] = float32(x)
		case []float64:
			d[i] = x
		case []uint16:
			d[i] = Float64ToFloat16(x)
		case []int64:
			d[i] = int64(x)
		case []int32:
			d[i] = int32(x)
		case []int8:
			d[i] = int8(x)
		case []uint8:
			d[i] = uint8(x)
		case []bool:
			d[i] = x != 0
		}
	}
	return t
}

func TestCastAllPairsSmallValues(t *testing.T) {
	// Values every type holds exactly (uint8 and bool get their own sets).
	for _, from := range castTypes {
		for _, to := range castTypes {
			vals := []float64{0, 1, 2, 7, 100, -1, -3}
			if from == Uint8 || to == Uint8 {
				vals = vals[:5]
			}
			if from == Bool || to == Bool {
				vals = []float64{0, 1, 1, 0}
			}
			src := fill(from, vals)
			dst := New(to, len(vals))
			require.NoErrorf(t, Cast(dst, src), "%v -> %v", from, to)
			got := valuesOf(dst)
			for i, w := range vals {
				if w != got[i] {
					assert.Equalf(t, w, got[i], "%v -> %v: %v became %v", from, to, w, got[i])
				}
			}
		}
	}
}

func TestCastEdgeCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		from, to DType
		in       []float64
		want     string
	}{
		{Float32, Int32, []float64{2.7, -2.7, nan, 3e9, -inf}, "[2 -2 -2147483648 -2147483648 -2147483648]"},
		{Float64, Int64, []float64{-0.5, 1e300, nan, 9.2e18}, "[0 -9223372036854775808 -9223372036854775808 9200000000000000000]"},
		{Float32, Uint8, []float64{300, -1, 255.9}, "[44 255 255]"},
		{Float32, Int8, []float64{200, -129.5, 127.9}, "[-56 127 127]"},
		{Int64, Int8, []float64{200, -129, 127}, "[-56 127 127]"},
		{Int32, Uint8, []float64{-1, 256, 511}, "[255 0 255]"},
		{Int64, Float32, []float64{16777217, -16777219}, "[1.6777216e+07 -1.677722e+07]"},
		{Float64, Float32, []float64{1e300, -1e-300, 0.1}, "[+Inf -0 0.1]"},
		{Float32, Bool, []float64{nan, math.Copysign(0, -1), -2}, "[true false true]"},
		{Float16, Int32, []float64{-65504, 2.5, inf}, "[-65504 2 -2147483648]"},
	}
	for _, c := range cases {
		src := New(c.from, len(c.in))
		for i, x := range c.in {
			switch d := src.Data.(type) {
			case []float32:
				d[i] = float32(x)
			case []float64:
				d[i] = x
			case []uint16:
				d[i] = Float64ToFloat16(x)
			case []int64:
				d[i] = int64(x)
			case []int32:
				d[i] = int32(x)
			}
		}
		dst := New(c.to, len(c.in))
		require.NoError(t, Cast(dst, src))
		got := fmt.Sprint(dst.Data)
		assert.Equalf(t, c.want, got, "%v %v -> %v: got %s, want %s", c.from, c.in, c.to, got, c.want)
	}
}

func TestCastToFloat16Rounding(t *testing.T) {
	// 2049 lies halfway between halves 2048 and 2050: ties to even (2048);
	// 2051 is halfway between 2050 and 2052: even is 2052.
	src := FromInt64([]int{4}, []int64{2049, 2051, 70000, -3})
	dst := New(Float16, 4)
	require.NoError(t, Cast(dst, src))
	got := make([]float32, 4)
	Float16sToFloat32s(got, dst.F16())
	assert.Equalf(t, "[2048 2052 +Inf -3]", fmt.Sprint(got), "int64 -> float16 = %v", got)
	// 1 + 2^-11 + 2^-30 in float64 is just above a tie: rounds up, whereas
	// rounding through float32 first would land on the tie and go down.
	f := FromFloat64([]int{2}, []float64{1 + math.Ldexp(1, -11) + math.Ldexp(1, -30), 65519.999})
	dst = New(Float16, 2)
	require.NoError(t, Cast(dst, f))
	assert.Falsef(t, dst.F16()[0] != 0x3c01 || dst.F16()[1] != 0x7bff, "float64 -> float16 = %#04x %#04x, want 0x3c01 0x7bff", dst.F16()[0], dst.F16()[1])
	b := FromBool([]int{2}, []bool{true, false})
	require.NoError(t, Cast(dst, b))
	assert.Falsef(t, dst.F16()[0] != 0x3c00 || dst.F16()[1] != 0, "bool -> float16 = %#04x", dst.F16()[:2])
}

func TestCastErrors(t *testing.T) {
	assert.Error(t, Cast(New(Float32, 3), New(Int64, 2)), "shape mismatch: no error")
	bad := &Tensor{DType: Float32, Shape: []int{2}, Data: []int64{1, 2}}
	assert.Error(t, Cast(New(Int64, 2), bad), "data type not matching DType: no error")
	assert.Error(t, Cast(&Tensor{DType: Invalid, Shape: []int{1}, Data: []string{"x"}}, New(Float32, 1)), "invalid output type: no error")
}

// numericTypes are every element type but String.
func numericTypes() []DType {
	var out []DType
	for _, dt := range DTypes() {
		if dt != String {
			out = append(out, dt)
		}
	}
	return out
}

// holds reports whether dt represents x exactly.
func holds(dt DType, x float64) bool {
	if lo, hi, ok := dt.IntRange(); ok {
		return x == math.Trunc(x) && x >= float64(lo) && x <= float64(hi)
	}
	switch dt {
	case Bool:
		return x == 0 || x == 1
	case Float32, Float64:
		return true
	}
	return float64(NarrowToFloat32(dt, Float64ToNarrow(dt, x, false))) == x
}

// setExact writes values dt holds exactly, by storage, without Cast.
func setExact(dt DType, vals []float64) *Tensor {
	t := New(dt, len(vals))
	for i, x := range vals {
		switch d := t.Data.(type) {
		case []float32:
			d[i] = float32(x)
		case []float64:
			d[i] = x
		case []int64:
			d[i] = int64(x)
		case []int32:
			d[i] = int32(x)
		case []int16:
			d[i] = int16(x)
		case []int8:
			d[i] = int8(x)
		case []uint64:
			d[i] = uint64(x)
		case []uint32:
			d[i] = uint32(x)
		case []bool:
			d[i] = x != 0
		case []uint16:
			if dt == Uint16 {
				d[i] = uint16(x)
			} else {
				d[i] = Float64ToNarrow(dt, x, false)
			}
		case []uint8:
			if dt.IsUnsigned() {
				d[i] = uint8(x)
			} else {
				d[i] = uint8(Float64ToNarrow(dt, x, false))
			}
		}
	}
	return t
}

// readExact reads any numeric tensor as float64, by DType, without Cast.
func readExact(t *Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		switch d := t.Data.(type) {
		case []float32:
			out[i] = float64(d[i])
		case []float64:
			out[i] = d[i]
		case []int64:
			out[i] = float64(d[i])
		case []int32:
			out[i] = float64(d[i])
		case []int16:
			out[i] = float64(d[i])
		case []int8:
			out[i] = float64(d[i])
		case []uint64:
			out[i] = float64(d[i])
		case []uint32:
			out[i] = float64(d[i])
		case []bool:
			if d[i] {
				out[i] = 1
			}
		case []uint16:
			if t.DType == Uint16 {
				out[i] = float64(d[i])
			} else {
				out[i] = float64(NarrowToFloat32(t.DType, d[i]))
			}
		case []uint8:
			if t.DType.IsUnsigned() {
				out[i] = float64(d[i])
			} else {
				out[i] = float64(NarrowToFloat32(t.DType, uint16(d[i])))
			}
		}
	}
	return out
}

// Every pair of numeric types converts the values both hold exactly, in
// particular the pairs involving the types beyond the original eight,
// which take the general path.
func TestCastEveryPairExactValues(t *testing.T) {
	candidates := []float64{0, 1, 2, 3, -1, -2, 0.5, 4, 6}
	for _, from := range numericTypes() {
		for _, to := range numericTypes() {
			var vals []float64
			for _, x := range candidates {
				if holds(from, x) && holds(to, x) {
					vals = append(vals, x)
				}
			}
			if len(vals) == 0 {
				continue
			}
			dst := New(to, len(vals))
			require.NoError(t, Cast(dst, setExact(from, vals)), "%v -> %v", from, to)
			assert.Equal(t, vals, readExact(dst), "%v -> %v", from, to)
		}
	}
}

// The values ONNX's reference (numpy and ml_dtypes astype) gives where
// types wrap or round; checked with onnx 1.23.2's venv.
func TestCastNarrowIntegersLikeMLDtypes(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	floats := FromFloat32([]int{12}, []float32{1.7, -1.7, -9, 20, 7.5, 8, -8.5, float32(nan), float32(inf), float32(-inf), 2.5, 3.5})
	ints := FromInt32([]int{5}, []int32{20, -9, 7, 300, -1})
	cases := []struct {
		src  *Tensor
		to   DType
		want []float64
	}{
		{floats, Int4, []float64{1, -1, 7, 4, 7, -8, -8, 0, 0, 0, 2, 3}},
		{floats, Uint4, []float64{1, 15, 7, 4, 7, 8, 8, 0, 0, 0, 2, 3}},
		{floats, Int2, []float64{1, -1, -1, 0, -1, 0, 0, 0, 0, 0, -2, -1}},
		{floats, Uint2, []float64{1, 3, 3, 0, 3, 0, 0, 0, 0, 0, 2, 3}},
		{floats, Int16, []float64{1, -1, -9, 20, 7, 8, -8, 0, 0, 0, 2, 3}},
		{floats, Uint16, []float64{1, 65535, 65527, 20, 7, 8, 65528, 0, 0, 0, 2, 3}},
		{ints, Int4, []float64{4, 7, 7, -4, -1}},
		{ints, Uint4, []float64{4, 7, 7, 12, 15}},
		{ints, Int2, []float64{0, -1, -1, 0, -1}},
		{ints, Uint2, []float64{0, 3, 3, 0, 3}},
		{FromFloat32([]int{3}, []float32{1e5, -1e5, 70000.5}), Int16, []float64{-31072, 31072, 4464}},
		{FromFloat32([]int{4}, []float32{-1.7, 1e10, 7.9, -9}), Uint32, []float64{4294967295, 1410065408, 7, 4294967287}},
		{FromFloat32([]int{2}, []float32{-1.7, 20}), Uint64, []float64{18446744073709551615, 20}},
	}
	for _, c := range cases {
		dst := New(c.to, c.src.Len())
		require.NoError(t, Cast(dst, c.src))
		assert.Equal(t, c.want, readExact(dst), "%v -> %v", c.src.DType, c.to)
	}
}

func TestCastFloat8Saturation(t *testing.T) {
	src := FromFloat32([]int{4}, []float32{500, -1e9, float32(math.Inf(1)), 1})
	sat, plain := New(Float8E4M3FN, 4), New(Float8E4M3FN, 4)
	require.NoError(t, CastWith(sat, src, CastOptions{Saturate: true}))
	require.NoError(t, CastWith(plain, src, CastOptions{Saturate: false}))
	assert.Equal(t, []uint8{0x7E, 0xFE, 0x7E, 0x38}, sat.U8(), "±448")
	assert.Equal(t, []uint8{0x7F, 0xFF, 0x7F, 0x38}, plain.U8(), "NaN")
	e8 := New(Float8E8M0, 2)
	require.NoError(t, CastWith(e8, FromFloat32([]int{2}, []float32{1.5, 3}), CastOptions{Saturate: true, E8M0: E8M0Down}))
	assert.Equal(t, []uint8{127, 128}, e8.U8())
}

// Strings as the ONNX reference (numpy astype) writes and reads them.
func TestCastStrings(t *testing.T) {
	f := FromFloat32([]int{8}, []float32{0.9767611, 0.039187793, 100, 1e16, 1.5e-7, float32(math.Copysign(0, -1)), float32(math.Inf(-1)), float32(math.NaN())})
	s := New(String, 8)
	require.NoError(t, Cast(s, f))
	assert.Equal(t, []string{"0.9767611", "0.039187793", "100.0", "1e+16", "1.5e-07", "-0.0", "-inf", "nan"}, s.Str())
	h := &Tensor{DType: Float16, Shape: []int{2}, Data: []uint16{Float32ToFloat16(0.1), Float32ToFloat16(100)}}
	hs := New(String, 2)
	require.NoError(t, Cast(hs, h))
	assert.Equal(t, []string{"0.1", "100.0"}, hs.Str(), "the shortest digits that read back as the same float16")
	is := New(String, 3)
	require.NoError(t, Cast(is, &Tensor{DType: Uint64, Shape: []int{3}, Data: []uint64{0, 1 << 63, 7}}))
	assert.Equal(t, []string{"0", "9223372036854775808", "7"}, is.Str())
	bs := New(String, 2)
	require.NoError(t, Cast(bs, FromBool([]int{2}, []bool{true, false})))
	assert.Equal(t, []string{"True", "False"}, bs.Str())

	in := &Tensor{DType: String, Shape: []int{6}, Data: []string{"0.47892547", "NaN", "INF", "+INF", "-INF", " 7 "}}
	back := New(Float32, 6)
	require.NoError(t, Cast(back, in))
	assert.Equal(t, float32(0.47892547), back.F32()[0])
	assert.True(t, math.IsNaN(float64(back.F32()[1])))
	assert.Equal(t, []float32{float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(-1)), 7}, back.F32()[2:])
	n := New(Int64, 2)
	require.NoError(t, Cast(n, &Tensor{DType: String, Shape: []int{2}, Data: []string{"9007199254740993", "-3"}}))
	assert.Equal(t, []int64{9007199254740993, -3}, n.I64(), "integers parse exactly")
	assert.Error(t, Cast(New(Float32, 1), &Tensor{DType: String, Shape: []int{1}, Data: []string{"seven"}}))
}
