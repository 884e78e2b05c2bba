package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vecPaths runs f once for every implementation of the vector kernels this
// machine has (AVX-512, AVX2, Go), switching the dispatch flags for the
// duration of each call.
func vecPaths(t *testing.T, f func(t *testing.T, path string)) {
	t.Helper()
	save512, save2 := vecAVX512, vecAVX2
	defer func() { vecAVX512, vecAVX2 = save512, save2 }()
	if save512 {
		vecAVX512, vecAVX2 = true, save2
		t.Run("avx512", func(t *testing.T) { f(t, "avx512") })
	}
	if save2 {
		vecAVX512, vecAVX2 = false, true
		t.Run("avx2", func(t *testing.T) { f(t, "avx2") })
	}
	vecAVX512, vecAVX2 = false, false
	t.Run("go", func(t *testing.T) { f(t, "go") })
}

// erfInputs adds to actInputs a dense grid over the range where erf is not
// ±1 in float32, both branch boundaries and tiny values.
func erfInputs() []float32 {
	xs := actInputs()
	for v := -6.0; v <= 6; v += 1.0 / 1024 {
		xs = append(xs, float32(v))
	}
	for _, b := range []float32{erfSmall, erfHi, erfMid} {
		for _, s := range []float32{-1, 1} {
			xs = append(xs, s*b, s*math.Nextafter32(b, 0), s*math.Nextafter32(b, 10))
		}
	}
	for e := -38; e <= 0; e++ {
		xs = append(xs, float32(math.Pow(10, float64(e))), -float32(math.Pow(10, float64(e))))
	}
	return xs
}

// checkUnary runs f on xs and compares with the float64 reference within
// atol + rtol·|want|, returning the largest absolute error and the largest
// error in float32 ulps of the reference.
func checkUnary(t *testing.T, name string, f func(dst, src []float32), ref func(float64) float64, xs []float32, atol, rtol float64) (maxAbs, maxUlp float64) {
	t.Helper()
	got := make([]float32, len(xs))
	f(got, xs)
	bad := 0
	for i, x := range xs {
		want := ref(float64(x))
		if float64(got[i]) != want && !vecClose(got[i], want, atol, rtol) {
			bad++
			if bad < 10 {
				assert.Failf(t, "accuracy", "%s(%g) = %g, want %g", name, x, got[i], want)
			}
		}
		if math.IsNaN(want) || math.IsInf(want, 0) {
			continue
		}
		d := math.Abs(float64(got[i]) - want)
		maxAbs = max(maxAbs, d)
		if ulp := float64(ulp32(float32(want))); ulp > 0 {
			maxUlp = max(maxUlp, d/ulp)
		}
	}
	return maxAbs, maxUlp
}

// ulp32 is the spacing of float32 values at |v|.
func ulp32(v float32) float32 {
	a := abs32(v)
	if math.IsInf(float64(a), 0) {
		return 0
	}
	return math.Nextafter32(a, float32(math.Inf(1))) - a
}

func refGelu(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }

// refGeluTanh is x/2·(1 + tanh u) written as x·σ(2u), which does not cancel
// for negative x.
func refGeluTanh(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return x / (1 + math.Exp(-2*u))
}

func TestErfSliceAgainstFloat64(t *testing.T) {
	xs := erfInputs()
	vecPaths(t, func(t *testing.T, path string) {
		// The documented bound: 1.3e-7 absolute (about 2.3 ulps near ±1),
		// and relative accuracy near 0 (the odd polynomial).
		abs, ulps := checkUnary(t, "erf", ErfSlice, math.Erf, xs, 1.3e-7, 2.5e-7)
		t.Logf("%s: erf max abs error %.3g, %.2f ulps", path, abs, ulps)
		assert.LessOrEqual(t, ulps, 3.0)
	})
}

func TestGeluSliceAgainstFloat64(t *testing.T) {
	xs := erfInputs()
	vecPaths(t, func(t *testing.T, path string) {
		// The negative tail x/2·erfc(|x|/√2) carries the rounding of
		// |x|/√2 squared (about 1e-6 relative) and, below x = −4√2 where
		// the fit ends, is accurate only absolutely; in float32 1 + erf
		// would round it to 0 (PyTorch's float32 GELU does).
		// Near x = −1.3, 1 + x/√2·P cancels to 0.2 (1e-6 relative).
		abs, _ := checkUnary(t, "gelu", GeluSlice, refGelu, xs, 1e-8, 1e-6)
		t.Logf("%s: gelu max abs error %.3g", path, abs)
	})
}

func TestGeluTanhSliceAgainstFloat64(t *testing.T) {
	var xs []float32
	for _, x := range erfInputs() {
		// At −∞ the tanh form is −∞·0 = NaN and x·σ(2u) is −∞/∞ clamped
		// to −∞ (the limit is 0): neither is meaningful, so leave it out.
		if !math.IsInf(float64(x), -1) {
			xs = append(xs, x)
		}
	}
	vecPaths(t, func(t *testing.T, path string) {
		// In the negative tail e^−2u magnifies the rounding of u (relative
		// error about 1e-7·|2u|, on values under 1e-8); below x ≈ −9.5 it
		// passes the exponential's clamp (e^88.4) and the result is −0.
		abs, _ := checkUnary(t, "gelu_tanh", GeluTanhSlice, refGeluTanh, xs, 1e-9, 2e-6)
		t.Logf("%s: gelu (tanh) max abs error %.3g", path, abs)
	})
}

// TestUnaryVecMatchesGo compares each assembly kernel with its Go twin and
// checks that an element's value does not depend on where a call's slice
// starts or ends (tails go through the vector code too).
func TestUnaryVecMatchesGo(t *testing.T) {
	xs := erfInputs()
	for _, k := range []struct {
		name    string
		f, twin func(dst, src []float32)
	}{{"erf", ErfSlice, erfGo}, {"gelu", GeluSlice, geluGo}, {"gelu_tanh", GeluTanhSlice, geluTanhGo}} {
		want := make([]float32, len(xs))
		k.twin(want, xs)
		vecPaths(t, func(t *testing.T, path string) {
			got := make([]float32, len(xs))
			k.f(got, xs)
			for i := range xs {
				// FMA against separate rounding; the negative tails of
				// GELU magnify it (see the accuracy tests).
				if got[i] != want[i] && !vecClose(got[i], float64(want[i]), 1e-12, 4e-6) {
					assert.Failf(t, "twin", "%s %s(%g) = %g, Go twin %g", path, k.name, xs[i], got[i], want[i])
					break
				}
			}
			for _, off := range []int{0, 1, 5, 13, 17} {
				for n := 0; n <= 40; n++ {
					part := make([]float32, n)
					k.f(part, xs[off:off+n])
					for i := range part {
						if math.Float32bits(part[i]) != math.Float32bits(got[off+i]) && !(part[i] != part[i] && got[off+i] != got[off+i]) {
							require.Failf(t, "tail", "%s %s: element %d of a %d-element call at %d is %g, %g in the whole slice", path, k.name, i, n, off, part[i], got[off+i])
						}
					}
				}
			}
		})
	}
}

// refSoftmax is the float64 softmax of a row (NaN for a row of −∞).
func refSoftmax(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestSoftmaxRowAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	vecPaths(t, func(t *testing.T, path string) {
		for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 197, 512, 1000} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 8)
				if i%5 == 3 {
					x[i] = float32(math.Inf(-1)) // a masked key
				}
			}
			if n > 1 {
				x[0] = 3 // at least one finite key
			}
			want := refSoftmax(x)
			for _, nanToZero := range []bool{false, true} {
				y := make([]float32, n)
				SoftmaxRow(y, x, nanToZero)
				for i := range y {
					// x − max rounds in float32 (6e-8·|x − max| relative
					// after e^); a masked key gives exactly 0.
					if want[i] == 0 {
						require.Zerof(t, y[i], "n=%d: softmax[%d] of a masked key", n, i)
					}
					require.Truef(t, vecClose(y[i], want[i], 1e-9, 1e-6), "n=%d: softmax[%d] = %g, want %g", n, i, y[i], want[i])
				}
				// In place gives the same bits.
				z := append([]float32(nil), x...)
				SoftmaxRow(z, z, nanToZero)
				assert.Equal(t, y, z, "in place, n=%d", n)
			}
		}
		// A fully masked row is NaN, or 0 with nanToZero; NaN spreads to the row.
		for _, row := range [][]float32{{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}, {1, float32(math.NaN()), 2}} {
			for n := range []int{3, 19} {
				x := make([]float32, 0, n)
				for len(x) < max(n, 3) {
					x = append(x, row...)
				}
				y := make([]float32, len(x))
				SoftmaxRow(y, x, false)
				for i, v := range y {
					assert.Truef(t, math.IsNaN(float64(v)), "softmax(%v)[%d] = %g, want NaN", row, i, v)
				}
				SoftmaxRow(y, x, true)
				for i, v := range y {
					assert.Zerof(t, v, "softmax(%v) with nanToZero [%d]", row, i)
				}
			}
		}
	})
}

func TestLayerNormRowAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	vecPaths(t, func(t *testing.T, path string) {
		for _, n := range []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 64, 128, 200, 768} {
			x, g, b := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				// An offset of 100 checks that the two-pass variance does
				// not cancel.
				x[i] = float32(100 + rng.NormFloat64()*2)
				g[i] = float32(rng.NormFloat64())
				b[i] = float32(rng.NormFloat64())
			}
			var mu, ss float64
			for _, v := range x {
				mu += float64(v)
			}
			mu /= float64(n)
			for _, v := range x {
				ss += (float64(v) - mu) * (float64(v) - mu)
			}
			inv := 1 / math.Sqrt(ss/float64(n)+1e-5)
			for _, shift := range [][]float32{b, nil} {
				y := make([]float32, n)
				m, is := LayerNormRow(y, x, g, shift, 1e-5)
				assert.InDelta(t, mu, float64(m), 1e-4*mu, "mean n=%d", n)
				assert.InEpsilon(t, inv, float64(is), 1e-4, "invStd n=%d", n)
				for i := range y {
					want := (float64(x[i]) - mu) * inv * float64(g[i])
					if shift != nil {
						want += float64(shift[i])
					}
					// Inputs near 100 carry float32 rounding of 4e-6,
					// which the normalisation scales by inv ≈ 0.5.
					require.InDeltaf(t, want, float64(y[i]), 2e-5*math.Abs(float64(g[i]))+1e-6, "%s n=%d: y[%d]", path, n, i)
				}
			}
		}
	})
}

// benchInputs are 4096 normally distributed values (the activations of a
// network, no subnormals).
func benchInputs() []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float32, 4096)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64() * 2)
	}
	return xs
}

func BenchmarkErfSlice(b *testing.B) {
	xs := benchInputs()
	dst := make([]float32, len(xs))
	b.SetBytes(int64(4 * len(xs)))
	for b.Loop() {
		ErfSlice(dst, xs)
	}
}

func BenchmarkGeluSlice(b *testing.B) {
	xs := benchInputs()
	dst := make([]float32, len(xs))
	b.SetBytes(int64(4 * len(xs)))
	for b.Loop() {
		GeluSlice(dst, xs)
	}
}

func BenchmarkSoftmaxRow197(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 197)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, len(x))
	for b.Loop() {
		SoftmaxRow(y, x, true)
	}
}
