package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refUnary is each operator written from its textbook definition in
// float64, independently of the kernels.
func refUnary(op UnaryOp, p UnaryParams, x float64) float64 {
	a, b, g := float64(p.Alpha), float64(p.Beta), float64(p.Gamma)
	switch op {
	case UnAbs:
		return math.Abs(x)
	case UnNeg:
		return -x
	case UnExp:
		return math.Exp(x)
	case UnLog:
		return math.Log(x)
	case UnSqrt:
		return math.Sqrt(x)
	case UnReciprocal:
		return 1 / x
	case UnRelu:
		return math.Max(x, 0)
	case UnLeakyRelu:
		if x < 0 {
			return a * x
		}
		return x
	case UnElu:
		if x < 0 {
			return a * (math.Exp(x) - 1)
		}
		return x
	case UnSelu:
		if x <= 0 {
			return g * (a*math.Exp(x) - a)
		}
		return g * x
	case UnSigmoid:
		return 1 / (1 + math.Exp(-x))
	case UnHardSigmoid:
		return math.Max(0, math.Min(1, a*x+b))
	case UnTanh:
		return math.Tanh(x)
	case UnSoftplus:
		return math.Log(1 + math.Exp(x))
	case UnSoftsign:
		return x / (1 + math.Abs(x))
	case UnErf:
		return math.Erf(x)
	case UnFloor:
		return math.Floor(x)
	case UnCeil:
		return math.Ceil(x)
	case UnSign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x
	case UnCos:
		return math.Cos(x)
	case UnSin:
		return math.Sin(x)
	case UnTan:
		return math.Sin(x) / math.Cos(x)
	case UnAcos:
		return math.Pi/2 - math.Asin(x)
	case UnAsin:
		return math.Asin(x)
	case UnAtan:
		return math.Atan(x)
	case UnCosh:
		return (math.Exp(x) + math.Exp(-x)) / 2
	case UnSinh:
		return (math.Exp(x) - math.Exp(-x)) / 2
	case UnAcosh:
		return math.Log(x + math.Sqrt(x*x-1))
	case UnAsinh:
		return math.Asinh(x)
	case UnAtanh:
		return 0.5 * math.Log((1+x)/(1-x))
	case UnRound:
		r := math.Floor(x)
		switch d := x - r; {
		case d > 0.5:
			r++
		case d == 0.5 && math.Mod(r, 2) != 0:
			r++
		}
		if r == 0 {
			return math.Copysign(0, x)
		}
		return r
	case UnCelu:
		if x > 0 {
			return x
		}
		return a * (math.Exp(x/a) - 1)
	case UnThresholdedRelu:
		if x > a {
			return x
		}
		return 0
	case UnShrink:
		if x < -a {
			return x + b
		}
		if x > a {
			return x - b
		}
		return 0
	case UnHardSwish:
		return x * math.Max(0, math.Min(1, (x+3)/6))
	case UnMish:
		return x * math.Tanh(math.Log(1+math.Exp(x)))
	case UnGelu:
		return x * 0.5 * math.Erfc(-x/math.Sqrt2)
	case UnGeluTanh:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*math.Pow(x, 3))))
	}
	panic(op)
}

func TestUnaryAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	p := UnaryParams{Alpha: 0.3, Beta: 0.4, Gamma: 1.7}
	edge := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1e-30, -1e-30, 30, -30, 88, -100}
	for op := UnAbs; op <= UnGeluTanh; op++ {
		for _, dt := range []DType{Float32, Float64, Float16} {
			n := 200
			vals := make([]float64, 0, n+len(edge))
			for i := 0; i < n; i++ {
				vals = append(vals, rng.NormFloat64()*4)
			}
			vals = append(vals, edge...)
			x := New(dt, len(vals))
			for i, v := range vals {
				switch d := x.Data.(type) {
				case []float32:
					d[i] = float32(v)
				case []float64:
					d[i] = v
				case []uint16:
					d[i] = Float64ToFloat16(v)
				}
			}
			dst := New(dt, len(vals))
			require.NoErrorf(t, Unary(op, p, dst, x), "%v %v", op, dt)
			in, got := valuesOf(x), valuesOf(dst)
			for i := range got {
				want := refUnary(op, p, in[i])
				if (op == UnSoftplus || op == UnMish) && in[i] > 30 {
					want = in[i] // log(1+e^x) == x in float64 beyond this
				}
				if (op == UnCosh || op == UnSinh) && math.IsInf(in[i], 0) {
					want = math.Inf(1) // inf-inf in the textbook form
					if op == UnSinh && in[i] < 0 {
						want = math.Inf(-1)
					}
				}
				if op == UnAcosh && math.IsInf(in[i], 1) {
					want = in[i]
				}
				if op == UnTan && math.IsInf(in[i], 0) {
					want = math.NaN()
				}
				tol := tolFor(dt) * 4
				switch dt {
				case Float16:
					want = float64(Float16ToFloat32(Float64ToFloat16(want)))
				case Float32:
					want = float64(float32(want))
				}
				if !closeTo(got[i], want, tol) && !(math.Abs(want) < 1e-30 && math.Abs(got[i]) < 1e-30) {
					require.Failf(t, "!closeTo(got[i], want, tol) && !(math.Abs(want) < 1e-30 && math.Abs(got[i]) < 1e-30)", "%v %v(%v) = %v, want %v", op, dt, in[i], got[i], want)
				}
			}
		}
	}
}

func TestUnarySignedZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := FromFloat32([]int{1}, []float32{negZero})
	d := New(Float32, 1)
	require.NoError(t, Unary(UnAbs, UnaryParams{}, d, x))
	assert.False(t, math.Signbit(float64(d.F32()[0])), "Abs(-0) kept the sign bit")
	require.NoError(t, Unary(UnRelu, UnaryParams{}, d, x))
	assert.Equal(t, float32(0), d.F32()[0], "Relu(-0)")
	require.NoError(t, Unary(UnNeg, UnaryParams{}, d, FromFloat32([]int{1}, []float32{0})))
	assert.True(t, math.Signbit(float64(d.F32()[0])), "Neg(0) is not -0")
}

func TestUnaryIntegers(t *testing.T) {
	src := []int64{-5, 0, 7, math.MinInt64}
	cases := map[UnaryOp][]int64{
		UnAbs:  {5, 0, 7, math.MinInt64}, // two's complement wrap, as C
		UnNeg:  {5, 0, -7, math.MinInt64},
		UnRelu: {0, 0, 7, 0},
		UnSign: {-1, 0, 1, -1},
	}
	for op, want := range cases {
		d := New(Int64, 4)
		require.NoError(t, Unary(op, UnaryParams{}, d, FromInt64([]int{4}, src)))
		assert.Equalf(t, want, d.I64(), "%v int64", op)
	}
	i8 := &Tensor{DType: Int8, Shape: []int{3}, Data: []int8{-3, 0, 4}}
	d8 := New(Int8, 3)
	require.NoError(t, Unary(UnRelu, UnaryParams{}, d8, i8))
	assert.Equal(t, []int8{0, 0, 4}, d8.I8(), "Relu int8")
	assert.Error(t, Unary(UnExp, UnaryParams{}, New(Int32, 1), New(Int32, 1)), "Exp on int32: no error")
	assert.Error(t, Unary(UnNeg, UnaryParams{}, New(Uint8, 1), New(Uint8, 1)), "Neg on uint8: no error")
	assert.Error(t, Unary(UnAbs, UnaryParams{}, New(Float32, 2), New(Float32, 3)), "shape mismatch: no error")
}

func TestClip(t *testing.T) {
	nan := float32(math.NaN())
	x := FromFloat32([]int{5}, []float32{-3, 0.5, 9, nan, 2})
	d := New(Float32, 5)
	require.NoError(t, ClipTensor(d, x, Scalar(-1), Scalar(2)))
	want := []float32{-1, 0.5, 2, nan, 2}
	for i, w := range want {
		g := d.F32()[i]
		if g != w && !(w != w && g != g) {
			assert.Failf(t, "g != w && !(w != w && g != g)", "Clip[%d] = %v, want %v", i, g, w)
		}
	}
	// Only a lower bound.
	require.NoError(t, ClipTensor(d, x, Scalar(1), nil))
	require.EqualValues(t, 1, d.F32()[0], "Clip(min=1) = %v", d.F32())
	assert.EqualValues(t, 9, d.F32()[2], "Clip(min=1) = %v", d.F32())
	// min > max: everything becomes max.
	require.NoError(t, ClipTensor(d, x, Scalar(5), Scalar(1)))
	require.EqualValues(t, 1, d.F32()[0], "Clip(min>max) = %v", d.F32())
	require.EqualValues(t, 1, d.F32()[1], "Clip(min>max) = %v", d.F32())
	assert.EqualValues(t, 1, d.F32()[2], "Clip(min>max) = %v", d.F32())
	xi := &Tensor{DType: Int8, Shape: []int{3}, Data: []int8{-128, 5, 127}}
	di := New(Int8, 3)
	require.NoError(t, ClipTensor(di, xi, nil, &Tensor{DType: Int8, Data: []int8{6}}))
	require.EqualValues(t, -128, di.I8()[0], "Clip int8 = %v", di.I8())
	require.EqualValues(t, 5, di.I8()[1], "Clip int8 = %v", di.I8())
	assert.EqualValues(t, 6, di.I8()[2], "Clip int8 = %v", di.I8())
	h := New(Float16, 2)
	xh := New(Float16, 2)
	Float32sToFloat16s(xh.F16(), []float32{-10, 10})
	lo, hi := New(Float16), New(Float16)
	lo.F16()[0], hi.F16()[0] = Float32ToFloat16(-1), Float32ToFloat16(1.5)
	require.NoError(t, ClipTensor(h, xh, lo, hi))
	require.EqualValues(t, -1, Float16ToFloat32(h.F16()[0]), "Clip float16 = %v", h.F16())
	assert.EqualValues(t, 1.5, Float16ToFloat32(h.F16()[1]), "Clip float16 = %v", h.F16())
	assert.Error(t, ClipTensor(d, x, FromFloat64(nil, []float64{1}), nil), "float64 bound for float32 input: no error")
	assert.Error(t, ClipTensor(d, x, FromFloat32([]int{2}, []float32{1, 2}), nil), "non-scalar bound: no error")
}

func BenchmarkUnarySigmoid(b *testing.B) {
	x := New(Float32, 1<<16)
	d := New(Float32, 1<<16)
	b.SetBytes(4 << 16)
	for b.Loop() {
		UnaryF32(UnSigmoid, UnaryParams{}, d.F32(), x.F32())
	}
}
