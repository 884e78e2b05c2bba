package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hardInputs is random values in [-8, 8) with the special values spread
// over it: ±0, ±Inf, NaN, the HardSwish/HardSigmoid knees ±3 and huge
// magnitudes.
func hardInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*16 - 8
	}
	special := []float32{0, negZero, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3, -3, 2.5, -2.5, 1e30, -1e30, 6, -6}
	for i, v := range special {
		if j := i * 7; j < n {
			x[j] = v
		}
	}
	return x
}

// sameBits fails unless got and want are bit for bit equal (any NaN
// matches any NaN: which operand's payload and sign a product of two NaNs
// keeps depends on the operand order the compiler picks).
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if got[i] != got[i] && want[i] != want[i] {
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			require.Failf(t, "bits differ", "%s: element %d: got %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestHardKernelsMatchTwins runs the AVX-512 and AVX2 loops (whichever the
// CPU has) against the Go twins, bit for bit, on every length up to 70
// (vector body plus every tail) and on special values.
func TestHardKernelsMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type fn struct {
		name string
		run  func(dst, src []float32)
		twin func(x float32) float32
	}
	fns := []fn{
		{"HardSigmoid(0.2,0.5)", func(d, s []float32) { HardSigmoidSlice(d, s, 0.2, 0.5) }, func(x float32) float32 { return clampAffine32(x, 0.2, 0.5, 0, 1, false) }},
		{"HardSigmoid(1/6,0.5)", func(d, s []float32) { HardSigmoidSlice(d, s, 1.0/6, 0.5) }, func(x float32) float32 { return clampAffine32(x, 1.0/6, 0.5, 0, 1, false) }},
		{"HardSwish", HardSwishSlice, func(x float32) float32 { return clampAffine32(x, 1.0/6, 0.5, 0, 1, true) }},
		{"Relu6", func(d, s []float32) { ClipSlice(d, s, 0, 6) }, func(x float32) float32 { return Clip1(x, 0, 6) }},
		{"Clip(-1.5,2)", func(d, s []float32) { ClipSlice(d, s, -1.5, 2) }, func(x float32) float32 { return Clip1(x, -1.5, 2) }},
		{"LeakyRelu(0.01)", func(d, s []float32) { LeakyReluSlice(d, s, 0.01) }, func(x float32) float32 { return leakyRelu32(x, 0.01) }},
		{"LeakyRelu(-0.5)", func(d, s []float32) { LeakyReluSlice(d, s, -0.5) }, func(x float32) float32 { return leakyRelu32(x, -0.5) }},
	}
	defer func(u int) { hardUse = u }(hardUse)
	for n := 0; n <= 70; n++ {
		x := hardInputs(rng, n)
		for _, f := range fns {
			want := make([]float32, n)
			for i, v := range x {
				want[i] = f.twin(v)
			}
			for _, w := range hardWidths() {
				hardUse = w
				got := make([]float32, n)
				f.run(got, x)
				sameBits(t, fmt.Sprintf("%s n=%d width %d", f.name, n, w), got, want)
				inPlace := append([]float32(nil), x...)
				f.run(inPlace, inPlace)
				sameBits(t, fmt.Sprintf("%s n=%d width %d in place", f.name, n, w), inPlace, want)
			}
		}
		// SiLU on every width is SigmoidSlice times x, bit for bit.
		sig := make([]float32, n)
		SigmoidSlice(sig, x)
		for i := range sig {
			sig[i] *= x[i]
		}
		for _, w := range hardWidths() {
			hardUse = w
			got := make([]float32, n)
			SiLUSlice(got, x)
			sameBits(t, fmt.Sprintf("SiLU n=%d width %d", n, w), got, sig)
		}
		a, b := hardInputs(rng, n), hardInputs(rng, n)
		want := make([]float32, n)
		for i := range a {
			want[i] = a[i] * b[i]
		}
		for _, w := range hardWidths() {
			hardUse = w
			got := make([]float32, n)
			MulSlice(got, a, b)
			sameBits(t, fmt.Sprintf("Mul n=%d width %d", n, w), got, want)
		}
	}
}

// Clip1 is the definition of Clip for one value (the generic ops.Clip).
func Clip1(x, lo, hi float32) float32 {
	d := []float32{0}
	Clip(d, []float32{x}, lo, hi)
	return d[0]
}

// TestHardActivationsDefinition checks the activations against their
// float64 definitions (PyTorch's hardswish x·relu6(x+3)/6, SiLU x/(1+e^-x)).
func TestHardActivationsDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float32, 1000)
	for i := range x {
		x[i] = rng.Float32()*20 - 10
	}
	relu6 := func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }
	check := func(name string, got []float32, def func(float64) float64, tol float64) {
		for i, v := range x {
			want := def(float64(v))
			require.InDeltaf(t, want, float64(got[i]), tol*(1+math.Abs(want)), "%s(%v)", name, v)
		}
	}
	y := make([]float32, len(x))
	HardSwishSlice(y, x)
	check("HardSwish", y, func(v float64) float64 { return v * relu6(v+3) / 6 }, 1e-6)
	HardSigmoidSlice(y, x, 0.2, 0.5)
	check("HardSigmoid", y, func(v float64) float64 { return math.Max(0, math.Min(1, 0.2*v+0.5)) }, 1e-6)
	SiLUSlice(y, x)
	check("SiLU", y, func(v float64) float64 { return v / (1 + math.Exp(-v)) }, 2e-6)
	ClipSlice(y, x, 0, 6)
	check("Relu6", y, relu6, 0)
	LeakyReluSlice(y, x, 0.1)
	check("LeakyRelu", y, func(v float64) float64 { return math.Max(v, 0.1*v) }, 1e-7)

	// SiLU is exactly what Sigmoid then Mul give, so fusing the exporters'
	// x·Sigmoid(x) changes no bits.
	s := make([]float32, len(x))
	SigmoidSlice(s, x)
	for i := range s {
		s[i] *= x[i]
	}
	sameBits(t, "SiLU vs Sigmoid·x", y[:0], s[:0])
	SiLUSlice(y, x)
	sameBits(t, "SiLU vs Sigmoid·x", y, s)
	assert.True(t, math.IsNaN(float64(clampAffine32(float32(math.NaN()), 1.0/6, 0.5, 0, 1, true))), "HardSwish(NaN) is NaN")
}
