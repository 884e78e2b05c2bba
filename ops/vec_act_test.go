package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// actInputs covers the whole float32 range the approximations clamp, the
// reduction boundaries (multiples of ln2/2), signed zeros, infinities and
// NaN, in a length that is not a multiple of the vector width.
func actInputs() []float32 {
	rng := rand.New(rand.NewPCG(7, 11))
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-8, -1e-8,
		88, 88.37, -87, -87.33, 100, -100, 1e10, -1e10,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for k := -200; k <= 200; k++ {
		xs = append(xs, float32(k)*float32(math.Ln2/2))
	}
	for range 3001 {
		xs = append(xs, float32(rng.NormFloat64()*20))
	}
	return xs
}

// vecClose reports whether got is within atol + rtol·|want| of want, NaN
// matching NaN.
func vecClose(got float32, want, atol, rtol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(float64(got))
	}
	return math.Abs(float64(got)-want) <= atol+rtol*math.Abs(want)
}

func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestSigmoidSliceAgainstFloat64(t *testing.T) {
	xs := actInputs()
	for _, impl := range []struct {
		name string
		f    func(dst, src []float32)
	}{{"dispatch", SigmoidSlice}, {"go", sigmoidGo}} {
		got := make([]float32, len(xs))
		impl.f(got, xs)
		bad := 0
		for i, x := range xs {
			// 4e-7 relative is about 3 float32 ulps; below e^-87 the clamp
			// leaves a value under 1.2e-38.
			if !vecClose(got[i], refSigmoid(float64(x)), 1.2e-38, 4e-7) {
				bad++
				if bad < 10 {
					assert.Failf(t, "bad < 10", "%s: sigmoid(%g) = %g, want %g", impl.name, x, got[i], refSigmoid(float64(x)))
				}
			}
		}
	}
}

func TestExpSliceAgainstFloat64(t *testing.T) {
	xs := actInputs()
	for _, impl := range []struct {
		name string
		f    func(dst, src []float32)
	}{{"dispatch", ExpSlice}, {"go", expGo}} {
		got := make([]float32, len(xs))
		impl.f(got, xs)
		bad := 0
		for i, x := range xs {
			want := math.Exp(float64(min(max(x, expLo), expHi))) // the documented clamp
			if math.IsNaN(float64(x)) {
				want = math.NaN()
			}
			if !vecClose(got[i], want, 0, 4e-7) {
				bad++
				if bad < 10 {
					assert.Failf(t, "bad < 10", "%s: exp(%g) = %g, want %g", impl.name, x, got[i], want)
				}
			}
		}
	}
	// Exact points: e^0 = 1, and the clamp bounds stay finite and normal.
	got := make([]float32, 3)
	ExpSlice(got, []float32{0, 1e6, -1e6})
	assert.Falsef(t, got[0] != 1 || math.IsInf(float64(got[1]), 0) || got[1] < 2e38 || got[2] <= 0 || got[2] > 1.2e-38, "ExpSlice(0, 1e6, -1e6) = %v", got)
}

// TestSigmoidVectorMatchesGoTwin runs the assembly path (when this CPU has
// it) and the portable loop on the same inputs: they compute the same
// formula, so they may differ only by FMA rounding (a few ulps).
func TestSigmoidVectorMatchesGoTwin(t *testing.T) {
	xs := actInputs()
	vec := make([]float32, len(xs))
	n := sigmoidVec(vec, xs)
	if n == 0 {
		t.Skip("no vector sigmoid on this build (noasm, other arch or no AVX2+FMA)")
	}
	twin := make([]float32, len(xs))
	sigmoidGo(twin, xs)
	for i := range n {
		if !(vecClose(vec[i], float64(twin[i]), 0, 6e-7)) {
			assert.Failf(t, "!(vecClose(vec[i], float64(twin[i]), 0, 6e-7))", "sigmoid(%g): vector %g, go %g", xs[i], vec[i], twin[i])
		}
	}
	ev := make([]float32, len(xs))
	n = expVec(ev, xs)
	et := make([]float32, len(xs))
	expGo(et, xs)
	for i := range n {
		if !(vecClose(ev[i], float64(et[i]), 0, 6e-7)) {
			assert.Failf(t, "!(vecClose(ev[i], float64(et[i]), 0, 6e-7))", "exp(%g): vector %g, go %g", xs[i], ev[i], et[i])
		}
	}
}

func TestSigmoidSliceInPlaceAndLengths(t *testing.T) {
	for n := range 40 {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i) - 20
		}
		want := make([]float32, n)
		sigmoidGo(want, src)
		SigmoidSlice(src, src) // aliasing
		for i := range src {
			if !(vecClose(src[i], float64(want[i]), 0, 2.5e-7)) {
				require.Failf(t, "!(vecClose(src[i], float64(want[i]), 0, 2.5e-7))", "n=%d: in-place sigmoid[%d] = %g, want %g", n, i, src[i], want[i])
			}
		}
	}
	// dst longer than src: elements past len(src) untouched.
	dst := []float32{9, 9, 9}
	SigmoidSlice(dst, []float32{0})
	assert.Falsef(t, dst[0] != 0.5 || dst[1] != 9 || dst[2] != 9, "SigmoidSlice into a longer dst: %v", dst)
}

func BenchmarkSigmoidSlice(b *testing.B) {
	src := make([]float32, 784*16)
	for i := range src {
		src[i] = float32(i%200)/10 - 10
	}
	dst := make([]float32, len(src))
	for _, c := range []struct {
		name string
		f    func(dst, src []float32)
	}{
		{"vec", SigmoidSlice},
		{"go", sigmoidGo},
		{"math", func(dst, src []float32) {
			for i, v := range src {
				dst[i] = Sigmoid32(v)
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(src)))
			for b.Loop() {
				c.f(dst, src)
			}
		})
	}
}

func TestReluSlice(t *testing.T) {
	xs := actInputs()
	got := make([]float32, len(xs))
	ReluSlice(got, xs)
	for i, x := range xs {
		want := x
		if x < 0 {
			want = 0
		}
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(x)) && math.IsNaN(float64(got[i]))) {
			assert.Failf(t, "math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(x)) && math.IsNaN(float64(got[i])))", "relu(%g) = %g, want %g", x, got[i], want)
		}
	}
	// -0 keeps its sign, as the scalar loop does.
	neg := float32(math.Copysign(0, -1))
	in := []float32{neg, neg, neg, neg, neg, neg, neg, neg, neg}
	ReluSlice(in, in)
	for i, v := range in {
		if math.Float32bits(neg) != math.Float32bits(v) {
			assert.Equalf(t, math.Float32bits(neg), math.Float32bits(v), "relu(-0)[%d] = %g (bits %x)", i, v, math.Float32bits(v))
		}
	}
}

func TestTanhSliceAgainstFloat64(t *testing.T) {
	xs := actInputs()
	for k := -2000; k <= 2000; k++ { // both sides of the 0.625 switch
		xs = append(xs, float32(k)/1000)
	}
	for _, impl := range []struct {
		name string
		f    func(dst, src []float32)
	}{{"dispatch", TanhSlice}, {"go", tanhGo}} {
		got := make([]float32, len(xs))
		impl.f(got, xs)
		bad := 0
		for i, x := range xs {
			want := math.Tanh(float64(x))
			if !vecClose(got[i], want, 1e-37, 4e-7) {
				bad++
				if bad < 10 {
					assert.Failf(t, "bad < 10", "%s: tanh(%g) = %g, want %g", impl.name, x, got[i], want)
				}
			}
		}
	}
	vec := make([]float32, len(xs))
	if n := tanhVec(vec, xs); n > 0 {
		twin := make([]float32, len(xs))
		tanhGo(twin, xs)
		for i := range n {
			if !(vecClose(vec[i], float64(twin[i]), 1e-37, 6e-7)) {
				assert.Failf(t, "!(vecClose(vec[i], float64(twin[i]), 1e-37, 6e-7))", "tanh(%g): vector %g, go %g", xs[i], vec[i], twin[i])
			}
		}
	}
	// Odd symmetry and saturation are exact.
	in := []float32{0.3, -0.3, 2, -2, 50, -50, 1e-20, -1e-20, 0.625}
	out := make([]float32, len(in))
	TanhSlice(out, in)
	assert.Falsef(t, out[0] != -out[1] || out[2] != -out[3] || out[4] != 1 || out[5] != -1 || out[6] != 1e-20 || out[7] != -1e-20, "TanhSlice(%v) = %v", in, out)
}

// TestActSlicesCutInvariant wants Sigmoid, Tanh and Exp of a value to be
// the same bits whether it is computed in a long slice or alone: the
// vector kernels (where the CPU has them) handle the tails too, so a
// batch's outputs do not depend on how it is cut into calls. No call may
// allocate.
func TestActSlicesCutInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float32, 37)
	for i := range x {
		x[i] = rng.Float32()*16 - 8
	}
	for name, f := range map[string]func(dst, src []float32){"sigmoid": SigmoidSlice, "tanh": TanhSlice, "exp": ExpSlice} {
		whole := make([]float32, len(x))
		f(whole, x)
		for lo := 0; lo < len(x); lo++ {
			for _, hi := range []int{lo + 1, min(lo+5, len(x)), len(x)} {
				part := make([]float32, hi-lo)
				f(part, x[lo:hi])
				for i, v := range part {
					if math.Float32bits(whole[lo+i]) != math.Float32bits(v) {
						require.Equalf(t, math.Float32bits(whole[lo+i]), math.Float32bits(v), "%s(x[%d]) = %v in x[%d:%d], %v in the whole slice", name, lo+i, v, lo, hi, whole[lo+i])
					}
				}
			}
		}
		dst := make([]float32, 13)
		assert.Zerof(t, testing.AllocsPerRun(100, func() { f(dst, x[:13]) }), "%s allocates allocations per call", name)
	}
}

// TestAddTo checks addTo (vectorised for the multiple-of-8 prefix) against
// element-wise sums, leaving dst past len(src) alone.
func TestAddTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, n := range []int{0, 1, 7, 8, 9, 17, 100} {
		src, dst := uniform(rng, n), uniform(rng, n+3)
		want := append([]float32(nil), dst...)
		for i, v := range src {
			want[i] += v
		}
		addTo(dst, src)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(dst[i]) {
				require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(dst[i]), "n=%d: dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}
