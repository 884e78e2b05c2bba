package ops

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// narrowVectors is testdata/narrowfloat.json, written from ONNX's reference
// conversions (ml_dtypes, onnx.numpy_helper) by
// tools/python/narrowfloat_vectors.py.
type narrowVectors struct {
	Inputs   []uint32 `json:"inputs"`
	BFloat16 struct {
		Plain []uint16 `json:"plain"`
	} `json:"bfloat16"`
}

func loadNarrowVectors(t *testing.T) (*narrowVectors, map[string]json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile("testdata/narrowfloat.json")
	require.NoError(t, err)
	var v narrowVectors
	require.NoError(t, json.Unmarshal(b, &v))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	require.NotEmpty(t, v.Inputs)
	return &v, raw
}

// sameFloat32 compares values, NaN matching any NaN.
func sameFloat32(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestNarrowFloatsAgainstONNXReference(t *testing.T) {
	v, raw := loadNarrowVectors(t)
	types := map[string]DType{
		"float8e4m3fn": Float8E4M3FN, "float8e4m3fnuz": Float8E4M3FNUZ, "float8e5m2": Float8E5M2,
		"float8e5m2fnuz": Float8E5M2FNUZ, "float4e2m1": Float4E2M1,
	}
	for name, dt := range types {
		t.Run(name, func(t *testing.T) {
			var f struct {
				Decode   []uint32 `json:"decode"`
				Plain    []uint8  `json:"plain"`
				Saturate []uint8  `json:"saturate"`
			}
			require.NoError(t, json.Unmarshal(raw[name], &f))
			require.Len(t, f.Plain, len(v.Inputs))
			for b, want := range f.Decode {
				got := NarrowToFloat32(dt, uint16(b))
				assert.True(t, sameFloat32(got, math.Float32frombits(want)), "decode %#02x: got %v, want %v", b, got, math.Float32frombits(want))
			}
			bad := 0
			for i, in := range v.Inputs {
				x := math.Float32frombits(in)
				check := func(saturate bool, want uint8) {
					got := uint8(Float32ToNarrow(dt, x, saturate))
					if got != want && !(isNaNPattern(dt, got) && isNaNPattern(dt, want)) {
						bad++
						if bad <= 10 {
							t.Errorf("%v (saturate %v): got %#02x, want %#02x", x, saturate, got, want)
						}
					}
				}
				check(false, f.Plain[i])
				if f.Saturate != nil {
					check(true, f.Saturate[i])
				}
			}
			assert.Zero(t, bad, "mismatches")
		})
	}
	t.Run("bfloat16", func(t *testing.T) {
		require.Len(t, v.BFloat16.Plain, len(v.Inputs))
		for i, in := range v.Inputs {
			x := math.Float32frombits(in)
			got, want := Float32ToBFloat16(x), v.BFloat16.Plain[i]
			if x != x {
				assert.True(t, BFloat16ToFloat32(got) != BFloat16ToFloat32(got), "NaN stays NaN")
				continue
			}
			require.Equal(t, want, got, "bfloat16(%v)", x)
			assert.Equal(t, math.Float32frombits(uint32(want)<<16), BFloat16ToFloat32(got))
		}
	})
	t.Run("float8e8m0", func(t *testing.T) {
		var e struct {
			Decode []uint32 `json:"decode"`
		}
		var modes map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw["float8e8m0"], &e))
		require.NoError(t, json.Unmarshal(raw["float8e8m0"], &modes))
		for b, want := range e.Decode {
			assert.True(t, sameFloat32(Float8E8M0ToFloat32(uint8(b)), math.Float32frombits(want)), "decode %#02x", b)
		}
		for _, mode := range []string{"up", "down", "nearest"} {
			m, err := ParseE8M0Rounding(mode)
			require.NoError(t, err)
			for _, sat := range []bool{true, false} {
				key := mode + "_plain"
				if sat {
					key = mode + "_saturate"
				}
				var want []uint8
				require.NoError(t, json.Unmarshal(modes[key], &want), key)
				require.Len(t, want, len(v.Inputs))
				for i, in := range v.Inputs {
					x := math.Float32frombits(in)
					require.Equal(t, want[i], Float32ToFloat8E8M0(x, sat, m), "%s: %v", key, x)
				}
			}
		}
		_, err := ParseE8M0Rounding("sideways")
		assert.Error(t, err)
	})
}

func isNaNPattern(dt DType, b uint8) bool {
	v := NarrowToFloat32(dt, uint16(b))
	return v != v
}

// Hand-checked values, independent of the reference files.
func TestNarrowFloatsByHand(t *testing.T) {
	cases := []struct {
		dt   DType
		x    float32
		sat  bool
		want uint8
	}{
		{Float8E4M3FN, 1, false, 0x38},         // 0.0111.000: 2^(7-7)
		{Float8E4M3FN, 448, false, 0x7E},       // the largest finite value
		{Float8E4M3FN, 464, false, 0x7E},       // a tie between 448 and 480 (NaN's place): even wins
		{Float8E4M3FN, 500, false, 0x7F},       // rounds past 448: NaN without saturation
		{Float8E4M3FN, 500, true, 0x7E},        // 448 with it
		{Float8E4M3FN, -1e9, true, 0xFE},       // -448
		{Float8E4M3FN, 1.0 / 512, false, 0x01}, // the smallest subnormal 2^-9
		{Float8E4M3FNUZ, -0.0, false, 0x00},    // no negative zero
		{Float8E4M3FNUZ, 240, false, 0x7F},
		{Float8E5M2, 57344, false, 0x7B},
		{Float8E5M2, 1e9, false, 0x7C}, // +inf
		{Float8E5M2, 1e9, true, 0x7B},
		{Float8E5M2FNUZ, float32(math.Inf(-1)), false, 0x80}, // NaN
		{Float4E2M1, 2.5, false, 0x4},                        // tie between 2 and 3: 2 (even mantissa)
		{Float4E2M1, -5, false, 0xE},                         // tie between -4 (1.110) and -6 (1.111): even wins
		{Float4E2M1, 100, false, 0x7},                        // saturates: no infinity
	}
	// Float4 E2M1 magnitudes by pattern: 0 0.5 1 1.5 2 3 4 6.
	for _, c := range cases {
		assert.Equal(t, c.want, uint8(Float32ToNarrow(c.dt, c.x, c.sat)), "%v(%v, saturate %v)", c.dt, c.x, c.sat)
	}
	for b, want := range []float32{0, 0.5, 1, 1.5, 2, 3, 4, 6} {
		assert.Equal(t, want, NarrowToFloat32(Float4E2M1, uint16(b)))
		assert.Equal(t, -want, NarrowToFloat32(Float4E2M1, uint16(b|8)))
	}
	assert.Equal(t, float32(1), BFloat16ToFloat32(0x3F80))
	assert.Equal(t, uint16(0x3F80), Float32ToBFloat16(1.00390625)) // tie: 1 + 2^-8 rounds to even 1
	assert.Equal(t, uint16(0x3F82), Float32ToBFloat16(1.01171875)) // tie: 1 + 3·2^-8 rounds to even 1 + 2^-6
	assert.Equal(t, float32(0.25), Float8E8M0ToFloat32(125))
	assert.Equal(t, uint8(128), Float32ToFloat8E8M0(1.5, true, E8M0Up))
	assert.Equal(t, uint8(127), Float32ToFloat8E8M0(1.5, true, E8M0Down))
}

func TestWidenToFloat32(t *testing.T) {
	bf := &Tensor{DType: BFloat16, Shape: []int{2}, Data: []uint16{0x3F80, 0xC000}}
	dst := make([]float32, 2)
	require.NoError(t, WidenToFloat32(dst, bf))
	assert.Equal(t, []float32{1, -2}, dst)
	f8 := &Tensor{DType: Float8E4M3FN, Shape: []int{2}, Data: []uint8{0x38, 0x7E}}
	require.NoError(t, WidenToFloat32(dst, f8))
	assert.Equal(t, []float32{1, 448}, dst)
	assert.Error(t, WidenToFloat32(dst, FromInt64([]int{2}, []int64{1, 2})))
	assert.Error(t, WidenToFloat32(dst[:1], bf))
}

func TestDTypeProperties(t *testing.T) {
	for _, dt := range DTypes() {
		n := 3
		if dt == Invalid {
			continue
		}
		tt := New(dt, n)
		require.NoError(t, tt.Validate(), "%v", dt)
		assert.Equal(t, n, SliceLen(tt.Data), "%v", dt)
		assert.NotContains(t, dt.String(), "dtype(", "%v has a name", dt)
		c := tt.Clone()
		assert.Equal(t, tt.Data, c.Data, "%v clone", dt)
	}
	assert.Equal(t, 4, Int4.Bits())
	assert.Equal(t, 2, Uint2.Bits())
	assert.Equal(t, 16, BFloat16.Bits())
	assert.Equal(t, 0, String.Bits())
	assert.True(t, SameStorage(Float16, BFloat16))
	assert.True(t, SameStorage(Uint16, Float16))
	assert.True(t, SameStorage(Int4, Int8))
	assert.False(t, SameStorage(Int8, Uint8))
	// Shared storage: the data type alone does not name the DType.
	bad := &Tensor{DType: Int16, Shape: []int{1}, Data: []uint16{1}}
	assert.Error(t, bad.Validate())
	ok := &Tensor{DType: Uint16, Shape: []int{1}, Data: []uint16{1}}
	assert.NoError(t, ok.Validate())
	lo, hi, isInt := Int4.IntRange()
	assert.True(t, isInt)
	assert.Equal(t, []int64{-8, 7}, []int64{lo, hi})
	_, _, isInt = BFloat16.IntRange()
	assert.False(t, isInt)
	assert.True(t, Float8E5M2.IsNarrowFloat())
	assert.False(t, Float16.IsNarrowFloat())
	assert.False(t, BFloat16.IsFloat(), "IsFloat names the types kernels compute with directly")
}

// From float64 the conversion rounds once: 1 + 2^-8 + 2^-30 lies above the
// tie between bfloat16's 1 and 1 + 2^-7, but float32 rounds it to the tie
// itself, which bfloat16 would then round to even (down).
func TestFloat64ToNarrowRoundsOnce(t *testing.T) {
	v := 1 + math.Ldexp(1, -8) + math.Ldexp(1, -30)
	assert.Equal(t, uint16(0x3F81), Float64ToNarrow(BFloat16, v, false))
	assert.Equal(t, uint16(0x3F80), Float32ToBFloat16(float32(v)), "the double rounding avoided above")
	for _, x := range []float32{0, 1, -2.5, 3e38, float32(math.Inf(-1)), 1e-40} {
		assert.Equal(t, Float32ToBFloat16(x), Float64ToNarrow(BFloat16, float64(x), false), "%v", x)
		assert.Equal(t, Float32ToNarrow(Float8E4M3FN, x, true), Float64ToNarrow(Float8E4M3FN, float64(x), true), "%v", x)
	}
}
