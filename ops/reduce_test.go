package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refReduce reduces v (shape) over axes by visiting every input element and
// accumulating into the output cell its kept coordinates name, in float64.
func refReduce(op ReduceOp, v []float64, shape []int, axes []int) []float64 {
	red := make([]bool, len(shape))
	for _, a := range axes {
		red[a] = true
	}
	oshape := ReduceShape(shape, axes, true)
	n := NumElements(oshape)
	acc := make([]float64, n)
	cnt := make([]int, n)
	for i := range acc {
		switch op {
		case RedProd:
			acc[i] = 1
		case RedMax:
			acc[i] = math.Inf(-1)
		case RedMin:
			acc[i] = math.Inf(1)
		}
	}
	for i, x := range v {
		idx := unravel(i, shape)
		o := 0
		for k, d := range oshape {
			c := idx[k]
			if red[k] {
				c = 0
			}
			o = o*d + c
		}
		cnt[o]++
		switch op {
		case RedSum, RedMean, RedLogSum:
			acc[o] += x
		case RedSumSquare, RedL2:
			acc[o] += x * x
		case RedL1:
			acc[o] += math.Abs(x)
		case RedProd:
			acc[o] *= x
		case RedMax:
			acc[o] = math.Max(acc[o], x)
		case RedMin:
			acc[o] = math.Min(acc[o], x)
		}
	}
	for i := range acc {
		switch op {
		case RedMean:
			acc[i] /= float64(cnt[i])
		case RedL2:
			acc[i] = math.Sqrt(acc[i])
		case RedLogSum:
			acc[i] = math.Log(acc[i])
		}
	}
	return acc
}

func TestReduceAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ops := []ReduceOp{RedSum, RedMean, RedMax, RedMin, RedProd, RedSumSquare, RedL1, RedL2, RedLogSum}
	for k := 0; k < 150; k++ {
		rank := rng.IntN(5)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + rng.IntN(4)
		}
		var axes []int
		for i := 0; i < rank; i++ {
			if rng.IntN(2) == 0 {
				axes = append(axes, i)
			}
		}
		if k%10 == 0 { // all axes
			axes = axes[:0]
			for i := 0; i < rank; i++ {
				axes = append(axes, i)
			}
		}
		for _, dt := range []DType{Float32, Float64, Float16, Int64, Int32, Uint8} {
			for _, op := range ops {
				if isIntType(dt) && (op == RedLogSum || op == RedL2 || op == RedMean || op == RedProd) {
					continue // float-valued results; integer forms tested below
				}
				n := NumElements(shape)
				v := make([]float64, n)
				for i := range v {
					v[i] = math.Round(rng.Float64()*6*10) / 10
					if dt != Uint8 && op != RedLogSum {
						v[i] -= 2
					}
					if isIntType(dt) {
						v[i] = math.Round(v[i])
					}
				}
				src := fill(dt, v)
				src.Shape = append([]int(nil), shape...)
				dst := New(dt, ReduceShape(shape, axes, false)...)
				require.NoErrorf(t, Reduce(op, dst, src, axes), "%v %v %v axes %v", op, dt, shape, axes)
				want := refReduce(op, valuesOf(src), shape, axes)
				got := valuesOf(dst)
				tol := tolFor(dt) * 16
				if dt == Float16 {
					tol = 8e-3
				}
				for i := range want {
					w := want[i]
					switch dt {
					case Uint8:
						w = float64(uint8(int64(w)))
					case Float16:
						w = float64(Float16ToFloat32(Float64ToFloat16(w)))
					}
					if !(closeTo(got[i], w, tol)) {
						require.Failf(t, "!(closeTo(got[i], w, tol))", "%v %v %v axes %v: out[%d] = %v, want %v", op, dt, shape, axes, i, got[i], w)
					}
				}
			}
		}
	}
}

func TestReduceBool(t *testing.T) {
	x := FromBool([]int{2, 3}, []bool{true, false, false, true, true, true})
	d := New(Bool, 2)
	require.NoError(t, Reduce(RedMax, d, x, []int{1}))
	assert.Equal(t, []bool{true, true}, d.B(), "max is any")
	require.NoError(t, Reduce(RedMin, d, x, []int{1}))
	assert.Equal(t, []bool{false, true}, d.B(), "min is all")
	e := New(Bool, 2)
	require.NoError(t, Reduce(RedMax, e, New(Bool, 2, 0), []int{1}))
	assert.Equal(t, []bool{false, false}, e.B(), "empty max is false")
	require.NoError(t, Reduce(RedMin, e, New(Bool, 2, 0), []int{1}))
	assert.Equal(t, []bool{true, true}, e.B(), "empty min is true")
	assert.Error(t, Reduce(RedSum, d, x, []int{1}), "bool sum: no error")
}

func TestReduceSpecialCases(t *testing.T) {
	// Reducing over a zero-length axis gives the identities (and NaN mean).
	src := New(Float32, 2, 0, 3)
	for op, want := range map[ReduceOp]float64{RedSum: 0, RedProd: 1, RedMax: math.Inf(-1), RedMin: math.Inf(1), RedMean: math.NaN()} {
		dst := New(Float32, 2, 3)
		require.NoError(t, Reduce(op, dst, src, []int{1}))
		for _, g := range dst.F32() {
			if !assert.Truef(t, closeTo(float64(g), want, 0), "%v over empty axis = %v, want %v", op, g, want) {
				break
			}
		}
	}
	// NaN propagates through Max and Min.
	x := FromFloat32([]int{3}, []float32{1, float32(math.NaN()), 3})
	for _, op := range []ReduceOp{RedMax, RedMin, RedSum} {
		d := New(Float32)
		require.NoError(t, Reduce(op, d, x, []int{0}))
		g := d.F32()[0]
		assert.Falsef(t, g == g, "%v with NaN = %v", op, g)
	}
	// Integer mean divides with truncation; integer max starts from the
	// type's minimum.
	xi := FromInt32([]int{2, 3}, []int32{-7, -8, -9, 1, 2, 4})
	d := New(Int32, 2)
	require.NoError(t, Reduce(RedMean, d, xi, []int{1}))
	assert.Falsef(t, d.I32()[0] != -8 || d.I32()[1] != 2, "int32 mean = %v, want [-8 2]", d.I32())
	require.NoError(t, Reduce(RedMax, d, xi, []int{1}))
	assert.Falsef(t, d.I32()[0] != -7 || d.I32()[1] != 4, "int32 max = %v, want [-7 4]", d.I32())
	assert.Error(t, Reduce(RedSum, New(Float32, 5), New(Float32, 2, 3), []int{1}), "wrong output size: no error")
	assert.Error(t, Reduce(RedSum, New(Float32, 2), New(Float32, 2, 3), []int{2}), "axis out of range: no error")
	assert.Error(t, Reduce(RedSum, New(Bool, 1), New(Bool, 3), []int{0}), "bool input: no error")
	_, err := ReduceAxes([]int64{0, -2}, 2)
	assert.Error(t, err, "duplicate axis (0 and -2 in rank 2): no error")
	ax, err := ReduceAxes([]int64{-1, 0}, 3)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2}, ax, "ReduceAxes([-1 0], 3)")
}

func BenchmarkReduceSumRows(b *testing.B) {
	x := New(Float32, 512, 256)
	d := New(Float32, 512)
	for b.Loop() {
		if err := Reduce(RedSum, d, x, []int{1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReduceSumCols(b *testing.B) {
	x := New(Float32, 512, 256)
	d := New(Float32, 256)
	for b.Loop() {
		if err := Reduce(RedSum, d, x, []int{0}); err != nil {
			b.Fatal(err)
		}
	}
}
