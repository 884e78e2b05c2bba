package kernels

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// randomKernel builds a Random*Like node's kernel at opset 17.
func randomKernel(t *testing.T, op string, attrs ...*graph.Attr) operators.Kernel {
	t.Helper()
	n := newNode(op, 1, 1, attrs...)
	b, err := operators.KernelBuilder("", op, 17)
	if err != nil {
		t.Fatal(err)
	}
	k, err := b(n, 17)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func runRandom(t *testing.T, k operators.Kernel, env *operators.Env, x *ops.Tensor) *ops.Tensor {
	t.Helper()
	out, err := k(env, []*ops.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
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
	if !ops.SameShape(a.Shape, x.Shape) || a.DType != ops.Float32 {
		t.Fatalf("output %v, want float32[100 1000]", a)
	}
	m, s := meanStd(a.F32())
	// 1e5 samples: SE of the mean 2/sqrt(1e5) ≈ 0.0063, of the std ≈ 0.0045.
	if math.Abs(m-1) > 0.032 || math.Abs(s-2) > 0.023 {
		t.Fatalf("mean %g std %g, want 1 and 2", m, s)
	}
	// The seed fixes the values: again, and from a fresh build.
	b := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(9, 9))}, x)
	c := runRandom(t, randomKernel(t, "RandomNormalLike", attrFloat("mean", 1), attrFloat("scale", 2), attrFloat("seed", 5)), &operators.Env{}, x)
	if !reflect.DeepEqual(a.Data, b.Data) || !reflect.DeepEqual(a.Data, c.Data) {
		t.Fatal("seeded RandomNormalLike is not deterministic")
	}
	d := runRandom(t, randomKernel(t, "RandomNormalLike", attrFloat("mean", 1), attrFloat("scale", 2), attrFloat("seed", 6)), &operators.Env{}, x)
	if reflect.DeepEqual(a.Data, d.Data) {
		t.Fatal("seeds 5 and 6 give the same values")
	}
}

func TestRandomUniformLikeKernel(t *testing.T) {
	// dtype attribute overrides the (integer) input type.
	x := ops.New(ops.Int64, 100000)
	k := randomKernel(t, "RandomUniformLike", attrFloat("low", -2), attrFloat("high", 4), attrInt("dtype", 11))
	out := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(1, 2))}, x)
	if out.DType != ops.Float64 || !ops.SameShape(out.Shape, x.Shape) {
		t.Fatalf("output %v, want float64[100000]", out)
	}
	v := make([]float32, out.Len())
	for i, f := range out.F64() {
		if f < -2 || f >= 4 {
			t.Fatalf("sample %g outside [-2, 4)", f)
		}
		v[i] = float32(f)
	}
	m, s := meanStd(v)
	// U(-2,4): mean 1, std 6/sqrt(12) ≈ 1.732; SE of the mean ≈ 0.0055.
	if math.Abs(m-1) > 0.03 || math.Abs(s-6/math.Sqrt(12)) > 0.02 {
		t.Fatalf("mean %g std %g, want 1 and %g", m, s, 6/math.Sqrt(12))
	}
	// Without a seed the values come from env.Rand: same source state, same
	// values; a different state, different values.
	again := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(1, 2))}, x)
	other := runRandom(t, k, &operators.Env{Rand: rand.New(rand.NewPCG(3, 4))}, x)
	if !reflect.DeepEqual(out.Data, again.Data) || reflect.DeepEqual(out.Data, other.Data) {
		t.Fatal("unseeded RandomUniformLike does not follow env.Rand")
	}
	// No env.Rand at all still works.
	if got := runRandom(t, k, &operators.Env{}, ops.New(ops.Int64, 3)); got.Len() != 3 {
		t.Fatalf("output %v", got)
	}
	// float16 output.
	h := runRandom(t, randomKernel(t, "RandomUniformLike", attrInt("dtype", 10), attrFloat("seed", 1)), &operators.Env{}, ops.New(ops.Bool, 1000))
	if h.DType != ops.Float16 {
		t.Fatalf("dtype 10 gave %v", h.DType)
	}
	for _, b := range h.F16() {
		if f := ops.Float16ToFloat32(b); f < 0 || f > 1 {
			t.Fatalf("float16 sample %g outside [0, 1]", f)
		}
	}
}

func TestRandomLikeErrors(t *testing.T) {
	for _, op := range []string{"RandomNormalLike", "RandomUniformLike"} {
		k := randomKernel(t, op)
		if _, err := k(&operators.Env{}, []*ops.Tensor{ops.New(ops.Int32, 2)}); err == nil {
			t.Errorf("%s of int32 without dtype: no error", op)
		}
		if _, err := k(&operators.Env{}, []*ops.Tensor{nil}); err == nil {
			t.Errorf("%s without input: no error", op)
		}
		b, _ := operators.KernelBuilder("", op, 17)
		if _, err := b(newNode(op, 1, 1, attrInt("dtype", 7)), 17); err == nil {
			t.Errorf("%s with dtype int64: no error", op)
		}
		if _, err := b(newNode(op, 1, 1, attrInt("seed", 1)), 17); err == nil {
			t.Errorf("%s with an int seed: no error", op)
		}
	}
}

func TestRandomNormalUniformKernels(t *testing.T) {
	build := func(op string, attrs ...*graph.Attr) operators.Kernel {
		t.Helper()
		b, err := operators.KernelBuilder("", op, 17)
		if err != nil {
			t.Fatal(err)
		}
		k, err := b(newNode(op, 0, 1, attrs...), 17)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	run := func(k operators.Kernel, env *operators.Env) *ops.Tensor {
		t.Helper()
		out, err := k(env, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	// Default dtype float; shape from the attribute.
	k := build("RandomNormal", attrInts("shape", 250, 400), attrFloat("mean", -3), attrFloat("scale", 0.5), attrFloat("seed", 2))
	a := run(k, &operators.Env{})
	if a.DType != ops.Float32 || !ops.SameShape(a.Shape, []int{250, 400}) {
		t.Fatalf("RandomNormal output %v", a)
	}
	m, s := meanStd(a.F32())
	// SE of the mean 0.5/sqrt(1e5) ≈ 0.0016, of the std ≈ 0.0011.
	if math.Abs(m+3) > 0.008 || math.Abs(s-0.5) > 0.006 {
		t.Fatalf("RandomNormal mean %g std %g, want -3 and 0.5", m, s)
	}
	if b := run(k, &operators.Env{}); !reflect.DeepEqual(a.Data, b.Data) {
		t.Fatal("seeded RandomNormal differs between runs")
	}
	u := run(build("RandomUniform", attrInts("shape", 100000), attrFloat("low", 10), attrFloat("high", 12), attrInt("dtype", 11)), &operators.Env{Rand: rand.New(rand.NewPCG(1, 1))})
	if u.DType != ops.Float64 {
		t.Fatalf("dtype 11 gave %v", u.DType)
	}
	v := make([]float32, u.Len())
	for i, f := range u.F64() {
		if f < 10 || f >= 12 {
			t.Fatalf("sample %g outside [10, 12)", f)
		}
		v[i] = float32(f)
	}
	// U(10,12): mean 11, std 2/sqrt(12) ≈ 0.577; SE of the mean ≈ 0.0018.
	if m, s := meanStd(v); math.Abs(m-11) > 0.01 || math.Abs(s-2/math.Sqrt(12)) > 0.006 {
		t.Fatalf("RandomUniform mean %g std %g", m, s)
	}
	for _, attrs := range [][]*graph.Attr{
		nil, // no shape
		{attrInts("shape", 2, -1)},
		{attrInts("shape", 2), attrInt("dtype", 6)},
	} {
		b, _ := operators.KernelBuilder("", "RandomUniform", 17)
		if _, err := b(newNode("RandomUniform", 0, 1, attrs...), 17); err == nil {
			t.Errorf("RandomUniform with %v: no error", attrs)
		}
	}
}

func TestBernoulliKernel(t *testing.T) {
	p := ops.New(ops.Float64, 4, 25000)
	for i := range p.F64() {
		p.F64()[i] = 0.7
	}
	n := newNode("Bernoulli", 1, 1, attrInt("dtype", 9), attrFloat("seed", 3))
	a := mustRunNode(t, n, 15, p)[0]
	if a.DType != ops.Bool || !ops.SameShape(a.Shape, p.Shape) {
		t.Fatalf("output %v, want bool[4 25000]", a)
	}
	ones := 0
	for _, b := range a.B() {
		if b {
			ones++
		}
	}
	// SE of the mean sqrt(.7*.3/1e5) ≈ 0.00145.
	if f := float64(ones) / 1e5; math.Abs(f-0.7) > 0.0075 {
		t.Fatalf("fraction of ones %g, want 0.7", f)
	}
	if b := mustRunNode(t, n, 15, p)[0]; !reflect.DeepEqual(a.Data, b.Data) {
		t.Fatal("seeded Bernoulli differs between runs")
	}
	// Without dtype the output has the input's type.
	out := mustRunNode(t, newNode("Bernoulli", 1, 1), 15, ops.FromFloat32([]int{2}, []float32{0, 1}))[0]
	checkTensor(t, "certain outcomes", out, ops.FromFloat32([]int{2}, []float32{0, 1}))
	wantNodeError(t, newNode("Bernoulli", 1, 1), 15, "outside [0, 1]", ops.FromFloat32([]int{1}, []float32{-0.5}))
	wantNodeError(t, newNode("Bernoulli", 1, 1), 15, "floating point", int64s(1))
}
