package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runOpErr builds and runs a one-output node of op at opset.
func runOpErr(op string, opset int64, in []*ops.Tensor, kv ...any) ([]*ops.Tensor, error) {
	b, err := operators.KernelBuilder("", op, opset)
	if err != nil {
		return nil, err
	}
	k, err := b(newNodeKV(op, len(in), 1, kv...), opset)
	if err != nil {
		return nil, err
	}
	return k(&operators.Env{}, in)
}

func runOp(t *testing.T, op string, opset int64, in []*ops.Tensor, kv ...any) []*ops.Tensor {
	t.Helper()
	out, err := runOpErr(op, opset, in, kv...)
	require.NoError(t, err)
	return out
}

func TestDFTRoundTrips(t *testing.T) {
	// A real signal through the one-sided forward transform and the IRFFT
	// comes back; so does a complex one through DFT and its inverse.
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range []int{6, 7, 8} {
		x := make([]float64, 2*l)
		for i := range x {
			x[i] = r.Float64()*2 - 1
		}
		real := f32Tensor([]int{2, l, 1}, x)
		spec := runOp(t, "DFT", 20, []*ops.Tensor{real}, "onesided", 1)[0]
		require.Equal(t, []int{2, l/2 + 1, 2}, spec.Shape)
		back := runOp(t, "DFT", 20, []*ops.Tensor{spec, ops.FromInt64(nil, []int64{int64(l)})}, "onesided", 1, "inverse", 1)[0]
		require.Equal(t, []int{2, l, 1}, back.Shape)
		assertClose(t, "irfft(rfft(x))", tensorF64(back), x)

		cx := f32Tensor([]int{1, l, 2}, x)
		full := runOp(t, "DFT", 17, []*ops.Tensor{cx}, "axis", 1)[0]
		inv := runOp(t, "DFT", 17, []*ops.Tensor{full}, "axis", 1, "inverse", 1)[0]
		assertClose(t, "idft(dft(x))", tensorF64(inv), x)
	}
}

func TestDFTHandComputed(t *testing.T) {
	// [1, 2, 3, 4] along axis 0 of a [4, 2, 1] input whose second column is
	// all ones: X = [10, −2+2i, −2, −2−2i] and [4, 0, 0, 0]. The opset 20
	// axis input and the opset 17 attribute agree; dft_length 2 truncates to
	// [1+2, 1−2].
	x := ops.FromFloat32([]int{4, 2, 1}, []float32{1, 1, 2, 1, 3, 1, 4, 1})
	want := []float64{10, 0, 4, 0, -2, 2, 0, 0, -2, 0, 0, 0, -2, -2, 0, 0}
	got := runOp(t, "DFT", 20, []*ops.Tensor{x, nil, ops.FromInt64(nil, []int64{0})})[0]
	require.Equal(t, []int{4, 2, 2}, got.Shape)
	assertClose(t, "dft axis input 0", tensorF64(got), want)
	assertClose(t, "dft axis attr 0", tensorF64(runOp(t, "DFT", 17, []*ops.Tensor{x}, "axis", 0)[0]), want)
	short := runOp(t, "DFT", 20, []*ops.Tensor{x, ops.FromInt64(nil, []int64{2}), ops.FromInt64(nil, []int64{-3})})[0]
	require.Equal(t, []int{2, 2, 2}, short.Shape)
	assertClose(t, "dft_length 2", tensorF64(short), []float64{3, 0, 2, 0, -1, 0, 0, 0})
	// float64 stays float64.
	x64 := ops.FromFloat64([]int{1, 3, 1}, []float64{1, 0, 0})
	d := runOp(t, "DFT", 20, []*ops.Tensor{x64})[0]
	require.Equal(t, ops.Float64, d.DType)
	assertClose(t, "dft float64", d.F64(), []float64{1, 0, 1, 0, 1, 0})
}

func TestSTFTAgainstNumpy(t *testing.T) {
	// x[i] = i^1.5/10 − 1, frames of 4 every 3 samples under a periodic Hann
	// window, one-sided; want from numpy.fft.rfft of each windowed frame.
	x := make([]float64, 10)
	for i := range x {
		x[i] = math.Pow(float64(i), 1.5)/10 - 1
	}
	sig := ops.FromFloat64([]int{1, 10, 1}, x)
	win := runOp(t, "HannWindow", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{4})}, "output_datatype", 11)[0]
	got := runOp(t, "STFT", 17, []*ops.Tensor{sig, ops.FromInt64(nil, []int64{3}), win})[0]
	require.Equal(t, []int{1, 3, 3, 2}, got.Shape)
	assertClose(t, "stft", tensorF64(got), []float64{
		-1.40735, 0, 0.717157, 0.209808, -0.026965, 0,
		0.252881, 0, -0.118034, 0.334847, -0.016813, 0,
		2.538755, 0, -1.262742, 0.423987, -0.013271, 0,
	})
	// A complex signal, two-sided, frame_length without a window:
	// z[i] = (i + (7−i)·i)/4, frames of 4 every 2.
	z := make([]float32, 16)
	for i := 0; i < 8; i++ {
		z[2*i], z[2*i+1] = float32(i)/4, float32(7-i)/4
	}
	c := runOp(t, "STFT", 17, []*ops.Tensor{ops.FromFloat32([]int{1, 8, 2}, z), ops.FromInt64(nil, []int64{2}), nil, ops.FromInt64(nil, []int64{4})}, "onesided", 0)[0]
	require.Equal(t, []int{1, 3, 4, 2}, c.Shape)
	assertClose(t, "stft complex", tensorF64(c), []float64{
		1.5, 5.5, 0, 1, -0.5, 0.5, -1, 0,
		3.5, 3.5, 0, 1, -0.5, 0.5, -1, 0,
		5.5, 1.5, 0, 1, -0.5, 0.5, -1, 0,
	})
}

func TestSignalErrors(t *testing.T) {
	sig := ops.New(ops.Float32, 1, 8, 1)
	cplx := ops.New(ops.Float32, 1, 8, 2)
	for name, c := range map[string]struct {
		op    string
		opset int64
		in    []*ops.Tensor
		kv    []any
		want  string
	}{
		"stft without frame length": {"STFT", 17, []*ops.Tensor{sig, ops.FromInt64(nil, []int64{2})}, nil, "needs a window or a frame_length"},
		"stft frame too long":       {"STFT", 17, []*ops.Tensor{sig, ops.FromInt64(nil, []int64{2}), nil, ops.FromInt64(nil, []int64{9})}, nil, "at most the signal length"},
		"stft window mismatch":      {"STFT", 17, []*ops.Tensor{sig, ops.FromInt64(nil, []int64{2}), ops.New(ops.Float32, 4), ops.FromInt64(nil, []int64{3})}, nil, "differs from the window"},
		"stft onesided complex":     {"STFT", 17, []*ops.Tensor{cplx, ops.FromInt64(nil, []int64{2}), nil, ops.FromInt64(nil, []int64{4})}, nil, "real signal"},
		"dft axis on the pair":      {"DFT", 20, []*ops.Tensor{sig, nil, ops.FromInt64(nil, []int64{-1})}, nil, "axis out of range"},
		"dft opset 17 axis":         {"DFT", 17, []*ops.Tensor{sig}, []any{"axis", 2}, "axis out of range"},
		"dft bad last dim":          {"DFT", 20, []*ops.Tensor{ops.New(ops.Float32, 2, 3)}, nil, "must end in a dimension of 1 (real) or 2"},
		"rfft of complex":           {"DFT", 20, []*ops.Tensor{cplx}, []any{"onesided", 1}, "takes real input"},
		"dft zero length":           {"DFT", 20, []*ops.Tensor{sig, ops.FromInt64(nil, []int64{0})}, nil, "must be in [1, "},
		"negative window":           {"HannWindow", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{-1})}, nil, "not a valid length"},
		"mel above nyquist": {"MelWeightMatrix", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{4}), ops.FromInt64(nil, []int64{16}),
			ops.FromInt64(nil, []int64{8000}), ops.Scalar(0), ops.Scalar(9000)}, nil, "Nyquist"},
	} {
		_, err := runOpErr(c.op, c.opset, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}

func TestWindows(t *testing.T) {
	size := ops.FromInt64(nil, []int64{4})
	// Periodic Hann of 4: sin²(πn/4) = 0, ½, 1, ½; symmetric: sin²(πn/3).
	assertClose(t, "hann", tensorF64(runOp(t, "HannWindow", 17, []*ops.Tensor{size})[0]), []float64{0, 0.5, 1, 0.5})
	assertClose(t, "hann symmetric", tensorF64(runOp(t, "HannWindow", 17, []*ops.Tensor{size}, "periodic", 0)[0]), []float64{0, 0.75, 0.75, 0})
	// Blackman of 4 (periodic): 0.42 − 0.5cos(πn/2) + 0.08cos(πn).
	assertClose(t, "blackman", tensorF64(runOp(t, "BlackmanWindow", 17, []*ops.Tensor{size})[0]), []float64{0, 0.34, 1, 0.34})
	// Hamming (periodic) of 4: 25/46 − 21/46·cos(πn/2); symmetric of 3: 25/46 ∓ 21/46.
	assertClose(t, "hamming", tensorF64(runOp(t, "HammingWindow", 17, []*ops.Tensor{size})[0]), []float64{4.0 / 46, 25.0 / 46, 1, 25.0 / 46})
	assertClose(t, "hamming symmetric", tensorF64(runOp(t, "HammingWindow", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{3})}, "periodic", 0)[0]),
		[]float64{4.0 / 46, 1, 4.0 / 46})
	// In int32 the values truncate as Cast does.
	h := runOp(t, "HammingWindow", 17, []*ops.Tensor{size}, "output_datatype", 6)[0]
	require.Equal(t, ops.Int32, h.DType)
	assert.Equal(t, []int32{0, 0, 1, 0}, h.Data)
	assert.Empty(t, tensorF64(runOp(t, "HannWindow", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{0})})[0]))
}

func TestMelWeightMatrixHandComputed(t *testing.T) {
	// 3 filters over the 17 bins of a 32-point spectrum at 8 kHz, 0–4 kHz:
	// the mel step is mel(4000)/5 ≈ 429.2, so the edges fall at 0, 324,
	// 799, 1494 and 2510 Hz, bins ⌊33f/8000⌋ = 0, 1, 3, 6, 10; each filter
	// rises linearly to 1 at its centre and falls to its right edge.
	got := runOp(t, "MelWeightMatrix", 17, []*ops.Tensor{ops.FromInt64(nil, []int64{3}), ops.FromInt64(nil, []int64{32}),
		ops.FromInt64(nil, []int64{8000}), ops.Scalar(0), ops.Scalar(4000)})[0]
	require.Equal(t, []int{17, 3}, got.Shape)
	want := make([]float64, 17*3)
	for bin, row := range [][3]float64{{0, 0, 0}, {1, 0, 0}, {0.5, 0.5, 0}, {0, 1, 0}, {0, 2.0 / 3, 1.0 / 3}, {0, 1.0 / 3, 2.0 / 3},
		{0, 0, 1}, {0, 0, 0.75}, {0, 0, 0.5}, {0, 0, 0.25}} {
		copy(want[3*bin:], row[:])
	}
	assertClose(t, "mel", tensorF64(got), want)
}

// runOpN builds and runs a node of op with nOut outputs.
func runOpN(t *testing.T, op string, opset int64, nOut int, in []*ops.Tensor, kv ...any) []*ops.Tensor {
	t.Helper()
	b, err := operators.KernelBuilder("", op, opset)
	require.NoError(t, err)
	k, err := b(newNodeKV(op, len(in), nOut, kv...), opset)
	require.NoError(t, err)
	out, err := k(&operators.Env{}, in)
	require.NoError(t, err)
	return out
}
