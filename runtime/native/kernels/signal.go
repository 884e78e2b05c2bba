package kernels

// Signal processing: DFT (opset 17 with the axis attribute, 20 with the
// axis input; forward, inverse, one-sided RFFT and IRFFT), STFT, the Hann,
// Hamming and Blackman windows and MelWeightMatrix. The transforms run on
// ops.FFT in complex128; complex values are the trailing [real, imag] pair
// ONNX uses.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	intTypes := operators.TypeSet{ops.Int32, ops.Int64}
	operators.Register(operators.Op{Type: "DFT", Inputs: []operators.TypeSet{anyFloatTypes, intTypes, {ops.Int64}}, Infer: inferDFT, Build: buildDFT}, 17, 20)
	operators.Register(operators.Op{Type: "STFT", Inputs: []operators.TypeSet{anyFloatTypes, intTypes, anyFloatTypes, intTypes}, Infer: inferSTFT, Build: buildSTFT}, 17)
	for name, w := range map[string]func(n, n1 float64) float64{
		"HannWindow": func(n, n1 float64) float64 { s := math.Sin(math.Pi * n / n1); return s * s },
		"HammingWindow": func(n, n1 float64) float64 {
			const alpha = 25.0 / 46
			return alpha - (1-alpha)*math.Cos(2*math.Pi*n/n1)
		},
		"BlackmanWindow": func(n, n1 float64) float64 {
			return 0.42 - 0.5*math.Cos(2*math.Pi*n/n1) + 0.08*math.Cos(4*math.Pi*n/n1)
		},
	} {
		operators.Register(operators.Op{Type: name, Inputs: []operators.TypeSet{intTypes}, Infer: inferWindow, Build: buildWindow(w)}, 17)
	}
	operators.Register(operators.Op{Type: "MelWeightMatrix", Inputs: []operators.TypeSet{intTypes, intTypes, intTypes, anyFloatTypes, anyFloatTypes},
		Infer: inferMelWeightMatrix, Build: buildMelWeightMatrix}, 17)
}

// maxSignalLength bounds the lengths the signal operators take as data
// (dft_length, a window's size, num_mel_bins): 2^27 samples, 2 GiB of
// complex128 per transformed line, so a corrupt length is an error rather
// than an out-of-memory crash.
const maxSignalLength = 1 << 27

// scalarInt reads a scalar (or one-element) int32/int64 input.
func scalarInt(n *graph.Node, t *ops.Tensor, name string) (int64, error) {
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("node %s: %s must be a scalar, got shape %s", n.Label(), name, ops.ShapeString(t.Shape))
	}
	v, err := intListInput(n, viewAs(t, []int{1}), name)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// scalarFloat reads a scalar (or one-element) float input.
func scalarFloat(n *graph.Node, t *ops.Tensor, name string) (float64, error) {
	if t.Len() != 1 || t.Rank() > 1 {
		return 0, fmt.Errorf("node %s: %s must be a scalar, got shape %s", n.Label(), name, ops.ShapeString(t.Shape))
	}
	if err := checkAnyFloat(n, t, name); err != nil {
		return 0, err
	}
	return float64s(t)[0], nil
}

// float64s returns the elements of a float tensor as float64: float64 data
// as-is (callers must not write it), other float types widened.
func float64s(t *ops.Tensor) []float64 {
	if d, ok := t.Data.([]float64); ok {
		return d
	}
	f32 := float32s(t)
	f := make([]float64, len(f32))
	for i, v := range f32 {
		f[i] = float64(v)
	}
	return f
}

// complexInput reads a [..., 1] (real) or [..., 2] (complex) float tensor
// as complex128 values of the leading shape.
func complexInput(n *graph.Node, t *ops.Tensor, name string) ([]complex128, error) {
	r := t.Rank()
	if r < 2 || (t.Shape[r-1] != 1 && t.Shape[r-1] != 2) {
		return nil, fmt.Errorf("node %s: %s must end in a dimension of 1 (real) or 2 (complex), got shape %s", n.Label(), name, ops.ShapeString(t.Shape))
	}
	f := float64s(t)
	out := make([]complex128, t.Len()/t.Shape[r-1])
	if t.Shape[r-1] == 1 {
		for i, v := range f {
			out[i] = complex(v, 0)
		}
		return out, nil
	}
	for i := range out {
		out[i] = complex(f[2*i], f[2*i+1])
	}
	return out, nil
}

// complexOutput writes complex values as a [..., 2] tensor (or their real
// parts as [..., 1] when realOnly) of type dt.
func complexOutput(env *operators.Env, dt ops.DType, shape []int, c []complex128, realOnly bool) *ops.Tensor {
	last := 2
	if realOnly {
		last = 1
	}
	full := append(append([]int(nil), shape...), last)
	if dt == ops.Float64 {
		out := env.New(dt, full...)
		d := out.F64()
		for i, v := range c {
			if realOnly {
				d[i] = real(v)
			} else {
				d[2*i], d[2*i+1] = real(v), imag(v)
			}
		}
		return out
	}
	o := newFloatOutput(env, dt, full)
	for i, v := range c {
		if realOnly {
			o.f[i] = float32(real(v))
		} else {
			o.f[2*i], o.f[2*i+1] = float32(real(v)), float32(imag(v))
		}
	}
	return o.done()
}

// dft transforms the lines of x ([outer, in, inner] complex values) along
// the middle axis with length l (truncating or zero-padding each line),
// keeping outLen = l or l/2+1 bins; irfft rebuilds each line's full
// spectrum from its first l/2+1 bins by conjugate symmetry first.
func dft(x []complex128, outer, in, inner, l, outLen int, inverse, irfft bool) []complex128 {
	out := make([]complex128, outer*outLen*inner)
	line := make([]complex128, l)
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			clear(line)
			if irfft {
				bins := min(in, l/2+1)
				for k := 0; k < bins; k++ {
					line[k] = x[(o*in+k)*inner+j]
				}
				line[0] = complex(real(line[0]), 0)
				if l%2 == 0 && l/2 < bins {
					line[l/2] = complex(real(line[l/2]), 0)
				}
				for k := 1; k < (l+1)/2; k++ {
					line[l-k] = complex(real(line[k]), -imag(line[k]))
				}
			} else {
				for k := 0; k < min(in, l); k++ {
					line[k] = x[(o*in+k)*inner+j]
				}
			}
			ops.FFT(line, inverse)
			scale := 1.0
			if inverse {
				scale = 1 / float64(l)
			}
			for k := 0; k < outLen; k++ {
				out[(o*outLen+k)*inner+j] = line[k] * complex(scale, 0)
			}
		}
	}
	return out
}

// buildDFT: the axis is an attribute (default 1) before opset 20, an input
// (default -2) from 20; dft_length defaults to the axis length, or to
// 2·(length−1) for the IRFFT (inverse one-sided).
func buildDFT(n *graph.Node, opset int64) (operators.Kernel, error) {
	inverse, err := n.Int("inverse", 0)
	if err != nil {
		return nil, err
	}
	onesided, err := n.Int("onesided", 0)
	if err != nil {
		return nil, err
	}
	if (inverse != 0 && inverse != 1) || (onesided != 0 && onesided != 1) {
		return nil, fmt.Errorf("node %s: inverse and onesided must be 0 or 1, got %d and %d", n.Label(), inverse, onesided)
	}
	axisAttr := int64(1)
	if opset < 20 {
		if axisAttr, err = n.Int("axis", 1); err != nil {
			return nil, err
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		axis := axisAttr
		if opset >= 20 {
			axis = -2
			if t := optionalInput(in, 2); t != nil {
				if axis, err = scalarInt(n, t, "axis"); err != nil {
					return nil, err
				}
			}
		}
		if axis < 0 {
			axis += int64(r)
		}
		if r < 2 || axis < 0 || axis > int64(r-2) {
			return nil, fmt.Errorf("node %s: axis out of range for input shape %s (the last axis holds the real and imaginary parts)", n.Label(), ops.ShapeString(x.Shape))
		}
		c, err := complexInput(n, x, "input")
		if err != nil {
			return nil, err
		}
		sig := x.Shape[:r-1]
		a := int(axis)
		dim := sig[a]
		irfft := inverse == 1 && onesided == 1
		l := int64(dim)
		if irfft {
			l = 2 * int64(dim-1)
		}
		if t := optionalInput(in, 1); t != nil {
			if l, err = scalarInt(n, t, "dft_length"); err != nil {
				return nil, err
			}
		}
		if l < 1 || l > maxSignalLength {
			return nil, fmt.Errorf("node %s: dft_length %d must be in [1, %d]", n.Label(), l, maxSignalLength)
		}
		if onesided == 1 && inverse == 0 && x.Shape[r-1] != 1 {
			return nil, fmt.Errorf("node %s: a one-sided forward DFT takes real input ([..., 1]), got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		outLen := int(l)
		if onesided == 1 && inverse == 0 {
			outLen = int(l)/2 + 1
		}
		shape := append([]int(nil), sig...)
		shape[a] = outLen
		if err := checkElementCount(n, "output", append(shape, 2)); err != nil {
			return nil, err
		}
		res := dft(c, ops.NumElements(sig[:a]), dim, ops.NumElements(sig[a+1:]), int(l), outLen, inverse == 1, irfft)
		return []*ops.Tensor{complexOutput(env, x.DType, shape, res, irfft)}, nil
	}, nil
}

// buildSTFT: frames of frame_length samples every frame_step, each
// multiplied by the window and transformed; one-sided (the default) keeps
// frame_length/2+1 bins.
func buildSTFT(n *graph.Node, opset int64) (operators.Kernel, error) {
	onesided, err := n.Int("onesided", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "signal")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 3 {
			return nil, fmt.Errorf("node %s: signal must be [batch, length, 1 or 2], got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		c, err := complexInput(n, x, "signal")
		if err != nil {
			return nil, err
		}
		st, err := requiredInput(n, in, 1, "frame_step")
		if err != nil {
			return nil, err
		}
		step, err := scalarInt(n, st, "frame_step")
		if err != nil {
			return nil, err
		}
		batch, length := x.Shape[0], x.Shape[1]
		frameLen := int64(-1)
		var window []float64
		if w := optionalInput(in, 2); w != nil {
			if err := checkAnyFloat(n, w, "window"); err != nil {
				return nil, err
			}
			if w.Rank() != 1 {
				return nil, fmt.Errorf("node %s: window must be 1-D, got shape %s", n.Label(), ops.ShapeString(w.Shape))
			}
			window = float64s(w)
			frameLen = int64(len(window))
		}
		if t := optionalInput(in, 3); t != nil {
			fl, err := scalarInt(n, t, "frame_length")
			if err != nil {
				return nil, err
			}
			if window != nil && fl != frameLen {
				return nil, fmt.Errorf("node %s: frame_length %d differs from the window's length %d", n.Label(), fl, frameLen)
			}
			frameLen = fl
		}
		if frameLen < 0 {
			return nil, fmt.Errorf("node %s: STFT needs a window or a frame_length input", n.Label())
		}
		if step < 1 || frameLen < 1 || frameLen > int64(length) {
			return nil, fmt.Errorf("node %s: frame_step %d and frame_length %d must be positive, the frame at most the signal length %d", n.Label(), step, frameLen, length)
		}
		if onesided == 1 && x.Shape[2] != 1 {
			return nil, fmt.Errorf("node %s: a one-sided STFT takes a real signal ([batch, length, 1]), got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		fl := int(frameLen)
		frames := (length-fl)/int(step) + 1
		bins := fl
		if onesided == 1 {
			bins = fl/2 + 1
		}
		if err := checkElementCount(n, "output", []int{batch, frames, bins, 2}); err != nil {
			return nil, err
		}
		framed := make([]complex128, batch*frames*fl)
		for b := 0; b < batch; b++ {
			for f := 0; f < frames; f++ {
				for i := 0; i < fl; i++ {
					v := c[b*length+f*int(step)+i]
					if window != nil {
						v *= complex(window[i], 0)
					}
					framed[(b*frames+f)*fl+i] = v
				}
			}
		}
		res := dft(framed, batch*frames, fl, 1, fl, bins, false, false)
		return []*ops.Tensor{complexOutput(env, x.DType, []int{batch, frames, bins}, res, false)}, nil
	}, nil
}

// windowOutput reads output_datatype (default float) for the windows and
// MelWeightMatrix.
func windowOutput(n *graph.Node) (ops.DType, error) {
	code, err := n.Int("output_datatype", 1)
	if err != nil {
		return ops.Invalid, err
	}
	dt := graph.DTypeFromElemType(int32(code))
	if dt == ops.Invalid || dt == ops.String || dt == ops.Bool {
		return ops.Invalid, fmt.Errorf("node %s: output_datatype %d is not a numeric type latent holds", n.Label(), code)
	}
	return dt, nil
}

// castFloat64s writes float64 values into a new tensor of type dt.
func castFloat64s(env *operators.Env, n *graph.Node, dt ops.DType, shape []int, v []float64) (*ops.Tensor, error) {
	if dt == ops.Float64 {
		out := env.New(dt, shape...)
		copy(out.F64(), v)
		return out, nil
	}
	out := env.New(dt, shape...)
	if err := ops.Cast(out, ops.FromFloat64(shape, v)); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return out, nil
}

// buildWindow builds the window operators: w(i, N) for i < size, with N =
// size when periodic (the default) and size−1 when symmetric.
func buildWindow(w func(n, n1 float64) float64) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		dt, err := windowOutput(n)
		if err != nil {
			return nil, err
		}
		periodic, err := n.Int("periodic", 1)
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			t, err := requiredInput(n, in, 0, "size")
			if err != nil {
				return nil, err
			}
			size, err := scalarInt(n, t, "size")
			if err != nil {
				return nil, err
			}
			if size < 0 || size > maxSignalLength {
				return nil, fmt.Errorf("node %s: window size %d is not a valid length (0 to %d)", n.Label(), size, maxSignalLength)
			}
			n1 := float64(size)
			if periodic == 0 {
				n1--
			}
			v := make([]float64, size)
			for i := range v {
				v[i] = w(float64(i), n1)
			}
			out, err := castFloat64s(env, n, dt, []int{int(size)}, v)
			if err != nil {
				return nil, err
			}
			return []*ops.Tensor{out}, nil
		}, nil
	}
}

func inferWindow(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	dt, err := windowOutput(n)
	if err != nil {
		return nil, err
	}
	out := rankOnly(dt, 1)
	if v, ok := c.Ints(n, 0); ok && len(v) == 1 && v[0] >= 0 {
		out.Shape[0] = operators.KnownDim(v[0])
	}
	return one(out), nil
}

// constInt is a scalar int input known at inference time.
func constInt(c *operators.InferContext, n *graph.Node, i int) (int64, bool) {
	v, ok := c.Ints(n, i)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// inferDFT: the input's shape with the transformed axis resized (dft_length,
// or its one-sided length) and a last dimension of 2, or 1 for the IRFFT.
func inferDFT(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: x.DType}), nil
	}
	r := int64(len(x.Shape))
	if r < 2 {
		return nil, fmt.Errorf("input must be [..., 1 or 2], has rank %d", r)
	}
	inverse, err := n.Int("inverse", 0)
	if err != nil {
		return nil, err
	}
	onesided, err := n.Int("onesided", 0)
	if err != nil {
		return nil, err
	}
	out := append(graph.Shape(nil), x.Shape...)
	irfft := inverse == 1 && onesided == 1
	out[r-1] = operators.KnownDim(2)
	if irfft {
		out[r-1] = operators.KnownDim(1)
	}
	var axis int64
	if c.Opset() < 20 {
		if axis, err = n.Int("axis", 1); err != nil {
			return nil, err
		}
	} else if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		var ok bool
		if axis, ok = constInt(c, n, 2); !ok {
			return one(rankOnly(x.DType, r)), nil
		}
	} else {
		axis = -2
	}
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis > r-2 {
		return nil, fmt.Errorf("axis out of range for input rank %d (the last axis holds the real and imaginary parts)", r)
	}
	dim := x.Shape[axis]
	length := operators.UnknownDim
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		if l, ok := constInt(c, n, 1); ok {
			length = operators.KnownDim(l)
		}
	} else if !irfft {
		length = dim
	} else if dim.Known() {
		length = operators.KnownDim(2 * (dim.Value - 1))
	}
	out[axis] = length
	if onesided == 1 && inverse == 0 {
		out[axis] = operators.UnknownDim
		if length.Known() {
			out[axis] = operators.KnownDim(length.Value/2 + 1)
		}
	}
	return one(ranked(x.DType, out)), nil
}

// inferSTFT: [batch, frames, bins, 2], the frame count and bins known when
// frame_step and the window or frame_length are.
func inferSTFT(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	out := rankOnly(x.DType, 4)
	out.Shape[3] = operators.KnownDim(2)
	if !operators.RankKnown(x) {
		return one(out), nil
	}
	if len(x.Shape) != 3 {
		return nil, fmt.Errorf("signal must be [batch, length, 1 or 2], has rank %d", len(x.Shape))
	}
	out.Shape[0] = x.Shape[0]
	onesided, err := n.Int("onesided", 1)
	if err != nil {
		return nil, err
	}
	frameLen, ok := constInt(c, n, 3)
	if w := input(in, 2); !ok && w.Name != "" && len(w.Shape) == 1 && w.Shape[0].Known() {
		frameLen, ok = w.Shape[0].Value, true
	}
	if !ok || frameLen < 1 {
		return one(out), nil
	}
	out.Shape[2] = operators.KnownDim(frameLen)
	if onesided == 1 {
		out.Shape[2] = operators.KnownDim(frameLen/2 + 1)
	}
	if step, ok := constInt(c, n, 1); ok && step > 0 && x.Shape[1].Known() && x.Shape[1].Value >= frameLen {
		out.Shape[1] = operators.KnownDim((x.Shape[1].Value-frameLen)/step + 1)
	}
	return one(out), nil
}

// inferMelWeightMatrix: [dft_length/2+1, num_mel_bins] of output_datatype.
func inferMelWeightMatrix(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	dt, err := windowOutput(n)
	if err != nil {
		return nil, err
	}
	out := rankOnly(dt, 2)
	if v, ok := constInt(c, n, 1); ok && v > 0 {
		out.Shape[0] = operators.KnownDim(v/2 + 1)
	}
	if v, ok := constInt(c, n, 0); ok && v >= 0 {
		out.Shape[1] = operators.KnownDim(v)
	}
	return one(out), nil
}

// buildMelWeightMatrix: num_mel_bins triangular filters over the
// dft_length/2+1 bins of a one-sided spectrum, their edges equally spaced
// on the mel scale mel(f) = 2595·log10(1 + f/700) between the edge
// frequencies and mapped to bins as ⌊(dft_length+1)·f/sample_rate⌋; each
// triangle peaks at 1. The mel step divides the range by num_mel_bins+2,
// as ONNX's reference does.
func buildMelWeightMatrix(n *graph.Node, opset int64) (operators.Kernel, error) {
	dt, err := windowOutput(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		ins, err := requiredInputs(n, in, "num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz")
		if err != nil {
			return nil, err
		}
		var iv [3]int64
		for i, name := range []string{"num_mel_bins", "dft_length", "sample_rate"} {
			if iv[i], err = scalarInt(n, ins[i], name); err != nil {
				return nil, err
			}
		}
		lo, err := scalarFloat(n, ins[3], "lower_edge_hertz")
		if err != nil {
			return nil, err
		}
		hi, err := scalarFloat(n, ins[4], "upper_edge_hertz")
		if err != nil {
			return nil, err
		}
		mels, dftLen, rate := iv[0], iv[1], iv[2]
		if mels < 0 || dftLen < 1 || rate < 1 || mels > maxSignalLength || dftLen > maxSignalLength {
			return nil, fmt.Errorf("node %s: num_mel_bins %d, dft_length %d and sample_rate %d must be positive (lengths at most %d)", n.Label(), mels, dftLen, rate, maxSignalLength)
		}
		specBins := int(dftLen/2 + 1)
		if err := checkElementCount(n, "output", []int{specBins, int(mels)}); err != nil {
			return nil, err
		}
		loMel := 2595 * math.Log10(1+lo/700)
		hiMel := 2595 * math.Log10(1+hi/700)
		step := (hiMel - loMel) / float64(mels+2)
		edges := make([]int, mels+2)
		for i := range edges {
			f := 700 * (math.Pow(10, (float64(i)*step+loMel)/2595) - 1)
			edges[i] = int(math.Floor(float64(dftLen+1) * f / float64(rate)))
		}
		w := make([]float64, specBins*int(mels))
		set := func(j, i int, v float64) error {
			if j < 0 || j >= specBins {
				return fmt.Errorf("node %s: filter %d reaches bin %d, outside the %d spectrum bins (upper_edge_hertz beyond the Nyquist frequency?)", n.Label(), i, j, specBins)
			}
			w[j*int(mels)+i] = v
			return nil
		}
		for i := 0; i < int(mels); i++ {
			l, c, h := edges[i], edges[i+1], edges[i+2]
			if c == l {
				if err := set(c, i, 1); err != nil {
					return nil, err
				}
			} else {
				for j := l; j <= c; j++ {
					if err := set(j, i, float64(j-l)/float64(c-l)); err != nil {
						return nil, err
					}
				}
			}
			for j := c; j < h; j++ {
				if err := set(j, i, float64(h-j)/float64(h-c)); err != nil {
					return nil, err
				}
			}
		}
		out, err := castFloat64s(env, n, dt, []int{specBins, int(mels)}, w)
		if err != nil {
			return nil, err
		}
		return []*ops.Tensor{out}, nil
	}, nil
}
