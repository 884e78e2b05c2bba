package ops

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moments returns the sample mean and standard deviation.
func moments(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

const samples = 100000

func TestRandomNormalStatistics(t *testing.T) {
	for _, dt := range []DType{Float32, Float64, Float16} {
		x := New(dt, samples)
		require.NoError(t, RandomNormalInto(x, NewSeededRand(7), 2.5, 0.5))
		m, s := moments(valuesOf(x))
		// Standard error of the mean is 0.5/sqrt(1e5) ≈ 0.0016; allow 5σ
		// (float16 rounding near 2.5 is 2^-9, far below that).
		assert.InDelta(t, 2.5, m, 0.008, "%v: mean %g, want 2.5", dt, m)
		// The std's standard error is about 0.5/sqrt(2e5) ≈ 0.0011.
		assert.InDelta(t, 0.5, s, 0.006, "%v: std %g, want 0.5", dt, s)
		// About 68.3% within one sigma.
		in := 0
		for _, v := range valuesOf(x) {
			if math.Abs(v-2.5) < 0.5 {
				in++
			}
		}
		f := float64(in) / samples
		assert.InDelta(t, 0.6827, f, 0.01, "%v: %.4f of samples within one sigma, want 0.683", dt, f)
	}
}

func TestRandomUniformStatistics(t *testing.T) {
	for _, dt := range []DType{Float32, Float64, Float16} {
		x := New(dt, samples)
		require.NoError(t, RandomUniformInto(x, NewSeededRand(11), -1, 3))
		v := valuesOf(x)
		m, s := moments(v)
		// U(-1,3): mean 1, std 4/sqrt(12) ≈ 1.1547; SE of mean ≈ 0.0037.
		assert.InDelta(t, 1, m, 0.02, "%v: mean %g, want 1", dt, m)
		assert.InDelta(t, 4/math.Sqrt(12), s, 0.01, "%v: std %g, want %g", dt, s, 4/math.Sqrt(12))
		// Every sample in range, each quarter holds about a quarter.
		var bins [4]int
		for _, x := range v {
			if x < -1 || x > 3 {
				require.Failf(t, "x < -1 || x > 3", "%v: sample %g outside [-1, 3]", dt, x)
			}
			bins[min(int(x+1), 3)]++
		}
		for i, b := range bins {
			f := float64(b) / samples
			if math.Abs(f-0.25) > 0.01 {
				assert.Failf(t, "math.Abs(f-0.25) > 0.01", "%v: bin %d holds %.4f of samples", dt, i, f)
			}
		}
	}
}

func TestRandomDeterminism(t *testing.T) {
	a, b, c := New(Float32, 1000), New(Float32, 1000), New(Float32, 1000)
	require.NoError(t, RandomNormalInto(a, NewSeededRand(3), 0, 1))
	require.NoError(t, RandomNormalInto(b, NewSeededRand(3), 0, 1))
	require.NoError(t, RandomNormalInto(c, NewSeededRand(4), 0, 1))
	assert.True(t, reflect.DeepEqual(a.Data, b.Data), "same seed, different values")
	assert.False(t, reflect.DeepEqual(a.Data, c.Data), "seeds 3 and 4 give identical values")
}

func TestRandomErrors(t *testing.T) {
	assert.Error(t, RandomNormalInto(New(Int32, 3), NewSeededRand(1), 0, 1), "int32 output: no error")
	assert.Error(t, RandomUniformInto(New(Float32, 3), nil, 0, 1), "nil generator: no error")
	var r *rand.Rand
	assert.Error(t, RandomUniformInto(New(Float32, 3), r, 0, 1), "typed nil generator: no error")
}

func TestRandomUniformNeverReachesHigh(t *testing.T) {
	// [1, 1+2^-20): in float32 the range holds 8 values and samples can
	// round up to high; in float16 it holds only 1 itself and most samples
	// round up. All must land in the range.
	high := 1 + math.Ldexp(1, -20)
	for _, dt := range []DType{Float32, Float16} {
		x := New(dt, 10000)
		require.NoError(t, RandomUniformInto(x, NewSeededRand(1), 1, high))
		for _, v := range valuesOf(x) {
			if v >= high || v < 1 {
				require.Failf(t, "v >= high || v < 1", "%v: sample %v outside [1, %v)", dt, v, high)
			}
		}
	}
	// A range just below zero for float16: values must stay below -0.
	x := New(Float16, 1000)
	require.NoError(t, RandomUniformInto(x, NewSeededRand(2), -1e-9, 0))
	for _, v := range valuesOf(x) {
		if v >= 0 {
			require.Failf(t, "v >= 0", "float16 sample %v not below 0", v)
		}
	}
	got := nextHalfDown(0x3c00)
	assert.Equalf(t, uint16(0x3bff), got, "nextHalfDown(1) = %#x, want 0x3bff", got)
	got = nextHalfDown(0xbc00)
	assert.Equalf(t, uint16(0xbc01), got, "nextHalfDown(-1) = %#x, want 0xbc01", got)
}

func TestBernoulliInto(t *testing.T) {
	// Probabilities 0, 0.25 and 1 in blocks: the 0.25 block's mean is
	// within 5 standard errors (sqrt(.25*.75/1e5) ≈ 0.0014) of 0.25.
	const n = 100000
	p := New(Float32, 3*n)
	for i := range p.F32() {
		p.F32()[i] = []float32{0, 0.25, 1}[i/n]
	}
	for _, dt := range allDTypes {
		out := New(dt, 3*n)
		require.NoError(t, BernoulliInto(out, p, NewSeededRand(9)))
		var v []float64
		if dt == Bool {
			for _, b := range out.B() {
				v = append(v, map[bool]float64{false: 0, true: 1}[b])
			}
		} else if dt.IsFloat() {
			v = valuesOf(out)
		} else {
			c := New(Int64, 3*n)
			for i := range c.I64() {
				c.I64()[i] = int64(intAt(out, i))
			}
			for _, x := range c.I64() {
				v = append(v, float64(x))
			}
		}
		var sums [3]float64
		for i, x := range v {
			if x != 0 && x != 1 {
				require.Failf(t, "x != 0 && x != 1", "%v: element %d is %v", dt, i, x)
			}
			sums[i/n] += x
		}
		require.EqualValues(t, 0, sums[0], "%v: block means %v", dt, [3]float64{sums[0] / n, sums[1] / n, sums[2] / n})
		require.EqualValues(t, n, sums[2], "%v: block means %v", dt, [3]float64{sums[0] / n, sums[1] / n, sums[2] / n})
		require.InDelta(t, 0.25, sums[1]/n, 0.007, "%v: block means %v", dt, [3]float64{sums[0] / n, sums[1] / n, sums[2] / n})
	}
	bad := FromFloat64([]int{2}, []float64{0.5, 1.5})
	assert.Error(t, BernoulliInto(New(Float64, 2), bad, NewSeededRand(1)), "probability 1.5: no error")
	assert.Error(t, BernoulliInto(New(Float64, 3), FromFloat64([]int{2}, []float64{0, 1}), NewSeededRand(1)), "shape mismatch: no error")
	assert.Error(t, BernoulliInto(New(Float64, 1), FromInt64([]int{1}, []int64{1}), NewSeededRand(1)), "int probabilities: no error")
}

// intAt reads element i of an integer tensor as int.
func intAt(t *Tensor, i int) int {
	switch d := t.Data.(type) {
	case []int64:
		return int(d[i])
	case []int32:
		return int(d[i])
	case []int8:
		return int(d[i])
	case []uint8:
		return int(d[i])
	}
	panic("not an integer tensor")
}
