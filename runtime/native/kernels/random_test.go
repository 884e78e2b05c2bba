package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomKernel builds a Random*Like node's kernel at opset 17.
func randomKernel(t *testing.T, op string, attrs ...*graph.Attr) operators.Kernel {
	t.Helper()
	n := newNode(op, 1, 1, attrs...)
	b, err := operators.KernelBuilder("", op, 17)
	require.NoError(t, err)
	k, err := b(n, 17)
	require.NoError(t, err)
	return k
}

func runRandom(t *testing.T, k operators.Kernel, env *operators.Env, x *ops.Tensor) *ops.Tensor {
	t.Helper()
	out, err := k(env, []*ops.Tensor{x})
	require.NoError(t, err)
	return out[0]
}

func meanStd(v []float32) (mean, std float64) {
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		d := float64(x) - mean
		std += d * d
	}
	return mean, math.Sqrt(std / float64(len(v)-1))
}

func TestRandomNormalLikeKernel(t *testing.T) {
	x := ops.New(ops.Float32, 100, 1000)
	k := randomKernel(t, "RandomNormalLike", attrFloat("mean", 1), attrFloat("scale", 2), attrFloat("seed", 5))
	a := runRandom(t, k, &operators.Env{}, x)
	require.Equal(t, ops.Float32, a.DType)
	require.Equal(t, x.Shape, a.Shape)
	m, s := meanStd(a.F32())
	// 1e5 samples: SE of the mean 2/sqrt(1e5) ≈ 0.0063, of the std ≈ 0.0045.
	assert.InDelta(t, 1, m, 0.032, "mean")
	assert.InDelta(t, 2, s, 0.023, "std")
	// The seed fixes the values: again, and from a fresh build.
	b := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(9, 9))}, x)
	c := runRandom(t, randomKernel(t, "RandomNormalLike", attrFloat("mean", 1), attrFloat("scale", 2), attrFloat("seed", 5)), &operators.Env{}, x)
	assert.Equal(t, a.Data, b.Data, "seeded RandomNormalLike ignores env.Rand")
	assert.Equal(t, a.Data, c.Data, "seeded RandomNormalLike from a fresh build")
	d := runRandom(t, randomKernel(t, "RandomNormalLike", attrFloat("mean", 1), attrFloat("scale", 2), attrFloat("seed", 6)), &operators.Env{}, x)
	assert.NotEqual(t, a.Data, d.Data, "seeds 5 and 6 give the same values")
}

func TestRandomUniformLikeKernel(t *testing.T) {
	// dtype attribute overrides the (integer) input type.
	x := ops.New(ops.Int64, 100000)
	k := randomKernel(t, "RandomUniformLike", attrFloat("low", -2), attrFloat("high", 4), attrInt("dtype", 11))
	out := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(1, 2))}, x)
	require.Equal(t, ops.Float64, out.DType)
	require.Equal(t, x.Shape, out.Shape)
	assert.GreaterOrEqual(t, slices.Min(out.F64()), -2.0, "smallest sample")
	assert.Less(t, slices.Max(out.F64()), 4.0, "largest sample")
	v := make([]float32, out.Len())
	for i, f := range out.F64() {
		v[i] = float32(f)
	}
	m, s := meanStd(v)
	// U(-2,4): mean 1, std 6/sqrt(12) ≈ 1.732; SE of the mean ≈ 0.0055.
	assert.InDelta(t, 1, m, 0.03, "mean")
	assert.InDelta(t, 6/math.Sqrt(12), s, 0.02, "std")
	// Without a seed the values come from env.Rand: same source state, same
	// values; a different state, different values.
	again := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(1, 2))}, x)
	other := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(3, 4))}, x)
	assert.Equal(t, out.Data, again.Data, "unseeded RandomUniformLike: same env.Rand state, different values")
	assert.NotEqual(t, out.Data, other.Data, "unseeded RandomUniformLike: another env.Rand state, same values")
	// No env.Rand at all still works.
	got := runRandom(t, k, &operators.Env{}, ops.New(ops.Int64, 3))
	require.Equal(t, 3, got.Len(), "output %v", got)
	// float16 output.
	h := runRandom(t, randomKernel(t, "RandomUniformLike", attrInt("dtype", 10), attrFloat("seed", 1)), &operators.Env{}, ops.New(ops.Bool, 1000))
	require.Equal(t, ops.Float16, h.DType, "dtype 10 gave %v", h.DType)
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, b := range h.F16() {
		f := ops.Float16ToFloat32(b)
		lo, hi = min(lo, f), max(hi, f)
	}
	assert.GreaterOrEqual(t, lo, float32(0), "smallest float16 sample")
	assert.LessOrEqual(t, hi, float32(1), "largest float16 sample")
}

func TestRandomLikeErrors(t *testing.T) {
	for _, op := range []string{"RandomNormalLike", "RandomUniformLike"} {
		k := randomKernel(t, op)
		_, err := k(&operators.Env{}, []*ops.Tensor{ops.New(ops.Int32, 2)})
		assert.Error(t, err, "%s of int32 without dtype", op)
		_, err = k(&operators.Env{}, []*ops.Tensor{nil})
		assert.Error(t, err, "%s without input", op)
		b, err := operators.KernelBuilder("", op, 17)
		require.NoError(t, err)
		_, err = b(newNode(op, 1, 1, attrInt("dtype", 7)), 17)
		assert.Error(t, err, "%s with dtype int64: no error", op)
		_, err = b(newNode(op, 1, 1, attrInt("seed", 1)), 17)
		assert.Error(t, err, "%s with an int seed: no error", op)
	}
}

func TestRandomNormalUniformKernels(t *testing.T) {
	build := func(op string, attrs ...*graph.Attr) operators.Kernel {
		t.Helper()
		b, err := operators.KernelBuilder("", op, 17)
		require.NoError(t, err)
		k, err := b(newNode(op, 0, 1, attrs...), 17)
		require.NoError(t, err)
		return k
	}
	run := func(k operators.Kernel, env *operators.Env) *ops.Tensor {
		t.Helper()
		out, err := k(env, nil)
		require.NoError(t, err)
		return out[0]
	}
	// Default dtype float; shape from the attribute.
	k := build("RandomNormal", attrInts("shape", 250, 400), attrFloat("mean", -3), attrFloat("scale", 0.5), attrFloat("seed", 2))
	a := run(k, &operators.Env{})
	require.Equal(t, ops.Float32, a.DType)
	require.Equal(t, []int{250, 400}, a.Shape)
	m, s := meanStd(a.F32())
	// SE of the mean 0.5/sqrt(1e5) ≈ 0.0016, of the std ≈ 0.0011.
	assert.InDelta(t, -3, m, 0.008, "RandomNormal mean")
	assert.InDelta(t, 0.5, s, 0.006, "RandomNormal std")
	assert.Equal(t, a.Data, run(k, &operators.Env{}).Data, "seeded RandomNormal differs between runs")
	u := run(build("RandomUniform", attrInts("shape", 100000), attrFloat("low", 10), attrFloat("high", 12), attrInt("dtype", 11)), &operators.Env{Rand: rand.New(rand.NewPCG(1, 1))})
	require.Equal(t, ops.Float64, u.DType, "dtype 11 gave %v", u.DType)
	assert.GreaterOrEqual(t, slices.Min(u.F64()), 10.0, "smallest sample")
	assert.Less(t, slices.Max(u.F64()), 12.0, "largest sample")
	v := make([]float32, u.Len())
	for i, f := range u.F64() {
		v[i] = float32(f)
	}
	// U(10,12): mean 11, std 2/sqrt(12) ≈ 0.577; SE of the mean ≈ 0.0018.
	m, s = meanStd(v)
	assert.InDelta(t, 11, m, 0.01, "RandomUniform mean")
	assert.InDelta(t, 2/math.Sqrt(12), s, 0.006, "RandomUniform std")
	for _, attrs := range [][]*graph.Attr{
		nil, // no shape
		{attrInts("shape", 2, -1)},
		{attrInts("shape", 2), attrInt("dtype", 6)},
	} {
		b, err := operators.KernelBuilder("", "RandomUniform", 17)
		require.NoError(t, err)
		_, err = b(newNode("RandomUniform", 0, 1, attrs...), 17)
		assert.Error(t, err, "RandomUniform with %v: no error", attrs)
	}
}

func TestBernoulliKernel(t *testing.T) {
	p := ops.New(ops.Float64, 4, 25000)
	for i := range p.F64() {
		p.F64()[i] = 0.7
	}
	n := newNode("Bernoulli", 1, 1, attrInt("dtype", 9), attrFloat("seed", 3))
	a := mustRunNode(t, n, 15, p)[0]
	require.Equal(t, ops.Bool, a.DType)
	require.Equal(t, p.Shape, a.Shape)
	ones := 0
	for _, b := range a.B() {
		if b {
			ones++
		}
	}
	// SE of the mean sqrt(.7*.3/1e5) ≈ 0.00145.
	f := float64(ones) / 1e5
	assert.InDelta(t, 0.7, f, 0.0075, "fraction of ones")
	b := mustRunNode(t, n, 15, p)[0]
	assert.Equal(t, a.Data, b.Data, "seeded Bernoulli differs between runs")
	// Without dtype the output has the input's type.
	out := mustRunNode(t, newNode("Bernoulli", 1, 1), 15, ops.FromFloat32([]int{2}, []float32{0, 1}))[0]
	checkTensor(t, "certain outcomes", out, ops.FromFloat32([]int{2}, []float32{0, 1}))
	wantNodeError(t, newNode("Bernoulli", 1, 1), 15, "outside [0, 1]", ops.FromFloat32([]int{1}, []float32{-0.5}))
	wantNodeError(t, newNode("Bernoulli", 1, 1), 15, "floating point", int64s(1))
}
