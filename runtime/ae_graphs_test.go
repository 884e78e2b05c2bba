package runtime_test

// Autoencoder graphs of the shapes exporters produce (a Gemm stack, a
// PyTorch-style MatMul+Add graph with a dynamic flatten chain and two
// outputs, a convolutional encoder/decoder, a VAE with an explicit noise
// input), built in memory with onnxpb, serialised, opened like a file and
// checked against float64 implementations written here.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/stretchr/testify/require"
)

// --- building ONNX graphs ---------------------------------------------------

type builder struct {
	g   *onnxpb.GraphProto
	rng *rand.Rand
}

func newBuilder(name string, seed uint64) *builder {
	return &builder{g: &onnxpb.GraphProto{Name: proto.String(name)}, rng: rand.New(rand.NewPCG(seed, 1))}
}

// dim is an int (fixed) or a string (symbolic).
func valueInfo(name string, elem onnxpb.TensorProto_DataType, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		switch v := d.(type) {
		case int:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}})
		case string:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}})
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem)), Shape: shape}}}}
}

func (b *builder) input(name string, dims ...any) {
	b.g.Input = append(b.g.Input, valueInfo(name, onnxpb.TensorProto_FLOAT, dims...))
}

func (b *builder) output(name string, dims ...any) {
	b.g.Output = append(b.g.Output, valueInfo(name, onnxpb.TensorProto_FLOAT, dims...))
}

// param adds a float initializer with values uniform in [-scale, scale)
// and returns them as float64 for the reference.
func (b *builder) param(name string, scale float64, dims ...int) []float64 {
	n := 1
	d64 := make([]int64, len(dims))
	for i, d := range dims {
		n *= d
		d64[i] = int64(d)
	}
	f := make([]float32, n)
	out := make([]float64, n)
	for i := range f {
		f[i] = float32((2*b.rng.Float64() - 1) * scale)
		out[i] = float64(f[i])
	}
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: d64, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: f})
	return out
}

func (b *builder) ints(name string, v ...int64) {
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(v))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v})
}

func (b *builder) scalarInt(name string, v int64) {
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{v}})
}

func (b *builder) floats(name string, v ...float32) {
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(v))}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: v})
}

func (b *builder) node(op string, ins []string, outs []string, attrs ...*onnxpb.AttributeProto) {
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name: proto.String(fmt.Sprintf("%s_%d", op, len(b.g.Node))), OpType: proto.String(op),
		Input: ins, Output: outs, Attribute: attrs})
}

func aInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func aFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func aInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func aString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func (b *builder) open(t *testing.T, opset int64) *runtime.Session {
	t.Helper()
	m := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(8),
		ProducerName: proto.String("ae_graphs_test"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph:        b.g,
	}
	data, err := proto.Marshal(m)
	require.NoError(t, err)
	s, err := runtime.OpenBytes(data)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// --- float64 reference pieces -----------------------------------------------

// dense computes act(alpha·x·op(W) + beta·bias) for x [rows, in]; W is
// [out, in] when transB, else [in, out].
func dense(x []float64, rows, in, out int, w []float64, transB bool, bias []float64, alpha, beta float64) []float64 {
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			var s float64
			for k := 0; k < in; k++ {
				wv := w[k*out+o]
				if transB {
					wv = w[o*in+k]
				}
				s += x[r*in+k] * wv
			}
			y[r*out+o] = alpha*s + beta*bias[o]
		}
	}
	return y
}

func apply(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

func relu(v float64) float64    { return math.Max(v, 0) }
func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func randInput(rng *rand.Rand, dims ...int) (*ops.Tensor, []float64) {
	t := ops.New(ops.Float32, dims...)
	ref := make([]float64, t.Len())
	for i := range t.F32() {
		t.F32()[i] = float32(rng.Float64()*2 - 1)
		ref[i] = float64(t.F32()[i])
	}
	return t, ref
}

func checkClose(t *testing.T, name string, got *ops.Tensor, wantShape []int, want []float64) {
	t.Helper()
	require.Equal(t, ops.Float32, got.DType, "%s: got %v, want float32%v", name, got, ops.ShapeString(wantShape))
	require.Equal(t, ops.ShapeString(wantShape), ops.ShapeString(got.Shape), "%s: got %v, want float32%v", name, got, ops.ShapeString(wantShape))
	for i, w := range want {
		g := float64(got.F32()[i])
		require.False(t, math.IsNaN(g), "%s[%d] = %v, reference %v", name, i, g, w)
		require.InDelta(t, w, g, 1e-5+1e-4*math.Abs(w), "%s[%d] = %v, reference %v", name, i, g, w)
	}
}

// --- the graphs -------------------------------------------------------------

// A dense Gemm stack with the attribute variants exporters use: transB=1
// (PyTorch Linear), transB=0, alpha/beta scaling, row-vector bias.
func TestDenseGemmAutoencoder(t *testing.T) {
	b := newBuilder("dense_gemm", 1)
	b.input("input", "batch", 6)
	b.output("reconstruction", "batch", 6)
	w1, b1 := b.param("w1", 0.6, 5, 6), b.param("b1", 0.1, 5)
	w2, b2 := b.param("w2", 0.6, 5, 3), b.param("b2", 0.1, 3)
	w3, b3 := b.param("w3", 0.6, 5, 3), b.param("b3", 0.1, 5)
	w4, b4 := b.param("w4", 0.6, 6, 5), b.param("b4", 0.1, 6)
	b.node("Gemm", []string{"input", "w1", "b1"}, []string{"h1"}, aInt("transB", 1))
	b.node("Tanh", []string{"h1"}, []string{"a1"})
	b.node("Gemm", []string{"a1", "w2", "b2"}, []string{"code"})
	b.node("Gemm", []string{"code", "w3", "b3"}, []string{"h3"}, aInt("transB", 1), aFloat("alpha", 0.5), aFloat("beta", 2))
	b.node("LeakyRelu", []string{"h3"}, []string{"a3"}, aFloat("alpha", 0.1))
	b.node("Gemm", []string{"a3", "w4", "b4"}, []string{"h4"}, aInt("transB", 1))
	b.node("Sigmoid", []string{"h4"}, []string{"reconstruction"})
	s := b.open(t, 17)

	rng := rand.New(rand.NewPCG(11, 11))
	for _, rows := range []int{1, 4} {
		x, xr := randInput(rng, rows, 6)
		out, err := s.Run(context.Background(), map[string]*ops.Tensor{"input": x})
		require.NoError(t, err)
		h := apply(dense(xr, rows, 6, 5, w1, true, b1, 1, 1), math.Tanh)
		c := dense(h, rows, 5, 3, w2, false, b2, 1, 1)
		h = apply(dense(c, rows, 3, 5, w3, true, b3, 0.5, 2), func(v float64) float64 {
			if v < 0 {
				return 0.1 * v
			}
			return v
		})
		r := apply(dense(h, rows, 5, 6, w4, true, b4, 1, 1), sigmoid)
		checkClose(t, fmt.Sprintf("reconstruction (batch %d)", rows), out[0], []int{rows, 6}, r)
	}
}

// The graph torch.onnx.export writes for a Linear autoencoder on images:
// a dynamic flatten (Shape→Gather→Unsqueeze→Concat→Reshape), MatMul+Add
// layers, two outputs (code and reconstruction) and a Reshape back to the
// input's shape.
func TestPyTorchStyleTwoOutputs(t *testing.T) {
	b := newBuilder("torch_ae", 2)
	b.input("input", "batch", 1, 4, 4)
	b.output("code", "batch", 3)
	b.output("reconstruction", "batch", 1, 4, 4)
	w1, b1 := b.param("fc1.weight_t", 0.4, 16, 6), b.param("fc1.bias", 0.1, 6)
	w2, b2 := b.param("fc2.weight_t", 0.4, 6, 3), b.param("fc2.bias", 0.1, 3)
	w3, b3 := b.param("fc3.weight_t", 0.4, 3, 16), b.param("fc3.bias", 0.1, 16)
	b.scalarInt("zero", 0)
	b.ints("axes0", 0)
	b.ints("minus1", -1)
	b.node("Shape", []string{"input"}, []string{"shape"})
	b.node("Gather", []string{"shape", "zero"}, []string{"n"}, aInt("axis", 0))
	b.node("Unsqueeze", []string{"n", "axes0"}, []string{"n1"})
	b.node("Concat", []string{"n1", "minus1"}, []string{"flat_shape"}, aInt("axis", 0))
	b.node("Reshape", []string{"input", "flat_shape"}, []string{"flat"})
	b.node("MatMul", []string{"flat", "fc1.weight_t"}, []string{"mm1"})
	b.node("Add", []string{"mm1", "fc1.bias"}, []string{"l1"})
	b.node("Relu", []string{"l1"}, []string{"r1"})
	b.node("MatMul", []string{"r1", "fc2.weight_t"}, []string{"mm2"})
	b.node("Add", []string{"mm2", "fc2.bias"}, []string{"code"})
	b.node("MatMul", []string{"code", "fc3.weight_t"}, []string{"mm3"})
	b.node("Add", []string{"mm3", "fc3.bias"}, []string{"l3"})
	b.node("Sigmoid", []string{"l3"}, []string{"s3"})
	b.node("Reshape", []string{"s3", "shape"}, []string{"reconstruction"})
	s := b.open(t, 13)

	outs := s.Outputs()
	require.Len(t, outs, 2, "outputs %+v", outs)
	require.Equal(t, []string{"code", "reconstruction"}, []string{outs[0].Name, outs[1].Name}, "output names")
	rng := rand.New(rand.NewPCG(22, 22))
	for _, rows := range []int{2, 5, 1} {
		x, xr := randInput(rng, rows, 1, 4, 4)
		out, err := s.RunOrdered(context.Background(), []*ops.Tensor{x})
		require.NoError(t, err)
		h := apply(dense(xr, rows, 16, 6, w1, false, b1, 1, 1), relu)
		c := dense(h, rows, 6, 3, w2, false, b2, 1, 1)
		r := apply(dense(c, rows, 3, 16, w3, false, b3, 1, 1), sigmoid)
		checkClose(t, "code", out[0], []int{rows, 3}, c)
		checkClose(t, "reconstruction", out[1], []int{rows, 1, 4, 4}, r)
	}
}

// --- convolutional reference ------------------------------------------------

// img is an NCHW float64 tensor.
type img struct {
	n, c, h, w int
	d          []float64
}

func (m img) at(n, c, y, x int) float64 { return m.d[((n*m.c+c)*m.h+y)*m.w+x] }

// conv2d: weights [co, ci, k, k], symmetric padding, stride.
func conv2d(in img, w, bias []float64, co, k, pad, stride int) img {
	oh, ow := (in.h+2*pad-k)/stride+1, (in.w+2*pad-k)/stride+1
	out := img{in.n, co, oh, ow, make([]float64, in.n*co*oh*ow)}
	for n := 0; n < in.n; n++ {
		for o := 0; o < co; o++ {
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					s := bias[o]
					for ci := 0; ci < in.c; ci++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := y*stride-pad+ky, x*stride-pad+kx
								if iy < 0 || ix < 0 || iy >= in.h || ix >= in.w {
									continue
								}
								s += in.at(n, ci, iy, ix) * w[((o*in.c+ci)*k+ky)*k+kx]
							}
						}
					}
					out.d[((n*co+o)*oh+y)*ow+x] = s
				}
			}
		}
	}
	return out
}

// pool2d: k×k window, stride k, max or mean.
func pool2d(in img, k int, isMax bool) img {
	oh, ow := in.h/k, in.w/k
	out := img{in.n, in.c, oh, ow, make([]float64, in.n*in.c*oh*ow)}
	for n := 0; n < in.n; n++ {
		for c := 0; c < in.c; c++ {
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					acc := math.Inf(-1)
					if !isMax {
						acc = 0
					}
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							v := in.at(n, c, y*k+ky, x*k+kx)
							if isMax {
								acc = math.Max(acc, v)
							} else {
								acc += v / float64(k*k)
							}
						}
					}
					out.d[((n*in.c+c)*oh+y)*ow+x] = acc
				}
			}
		}
	}
	return out
}

// convTranspose2d: weights [ci, co, k, k], stride, no padding: each input
// pixel scatters k×k weighted copies.
func convTranspose2d(in img, w, bias []float64, co, k, stride int) img {
	oh, ow := (in.h-1)*stride+k, (in.w-1)*stride+k
	out := img{in.n, co, oh, ow, make([]float64, in.n*co*oh*ow)}
	for n := 0; n < in.n; n++ {
		for o := 0; o < co; o++ {
			for i := 0; i < oh*ow; i++ {
				out.d[(n*co+o)*oh*ow+i] = bias[o]
			}
		}
		for ci := 0; ci < in.c; ci++ {
			for y := 0; y < in.h; y++ {
				for x := 0; x < in.w; x++ {
					v := in.at(n, ci, y, x)
					for o := 0; o < co; o++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								out.d[((n*co+o)*oh+y*stride+ky)*ow+x*stride+kx] += v * w[((ci*co+o)*k+ky)*k+kx]
							}
						}
					}
				}
			}
		}
	}
	return out
}

// upsample2 is nearest-neighbour resizing by 2: with half_pixel coordinates
// and round_prefer_floor, output pixel x reads input pixel floor(x/2).
func upsample2(in img) img {
	out := img{in.n, in.c, in.h * 2, in.w * 2, make([]float64, in.n*in.c*in.h*in.w*4)}
	for n := 0; n < in.n; n++ {
		for c := 0; c < in.c; c++ {
			for y := 0; y < out.h; y++ {
				for x := 0; x < out.w; x++ {
					out.d[((n*in.c+c)*out.h+y)*out.w+x] = in.at(n, c, y/2, x/2)
				}
			}
		}
	}
	return out
}

func imgApply(m img, f func(float64) float64) img { m.d = apply(m.d, f); return m }

// A convolutional autoencoder: Conv/MaxPool/Conv/AveragePool down to a
// 2×2×2 code, then ConvTranspose, nearest Resize and a Conv back to the
// 1×8×8 input.
func TestConvAutoencoder(t *testing.T) {
	b := newBuilder("conv_ae", 3)
	b.input("input", "batch", 1, 8, 8)
	b.output("reconstruction", "batch", 1, 8, 8)
	b.output("code", "batch", 2, 2, 2)
	w1, b1 := b.param("c1.w", 0.5, 4, 1, 3, 3), b.param("c1.b", 0.1, 4)
	w2, b2 := b.param("c2.w", 0.3, 2, 4, 3, 3), b.param("c2.b", 0.1, 2)
	wt, bt := b.param("t1.w", 0.5, 2, 4, 2, 2), b.param("t1.b", 0.1, 4)
	w3, b3 := b.param("c3.w", 0.3, 1, 4, 3, 3), b.param("c3.b", 0.1, 1)
	b.floats("scales", 1, 1, 2, 2)
	b.node("Conv", []string{"input", "c1.w", "c1.b"}, []string{"e1"}, aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1))
	b.node("Relu", []string{"e1"}, []string{"e1r"})
	b.node("MaxPool", []string{"e1r"}, []string{"p1"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	b.node("Conv", []string{"p1", "c2.w", "c2.b"}, []string{"e2"}, aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1))
	b.node("Relu", []string{"e2"}, []string{"e2r"})
	b.node("AveragePool", []string{"e2r"}, []string{"code"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	b.node("ConvTranspose", []string{"code", "t1.w", "t1.b"}, []string{"d1"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	b.node("Relu", []string{"d1"}, []string{"d1r"})
	b.node("Resize", []string{"d1r", "", "scales"}, []string{"up"}, aString("mode", "nearest"))
	b.node("Conv", []string{"up", "c3.w", "c3.b"}, []string{"d2"}, aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1))
	b.node("Sigmoid", []string{"d2"}, []string{"reconstruction"})
	s := b.open(t, 13)

	rng := rand.New(rand.NewPCG(33, 33))
	for _, rows := range []int{1, 3} {
		x, xr := randInput(rng, rows, 1, 8, 8)
		out, err := s.Run(context.Background(), map[string]*ops.Tensor{"input": x})
		require.NoError(t, err)
		e := imgApply(conv2d(img{rows, 1, 8, 8, xr}, w1, b1, 4, 3, 1, 1), relu)
		e = pool2d(e, 2, true)
		e = imgApply(conv2d(e, w2, b2, 2, 3, 1, 1), relu)
		code := pool2d(e, 2, false)
		d := imgApply(convTranspose2d(code, wt, bt, 4, 2, 2), relu)
		d = upsample2(d)
		r := imgApply(conv2d(d, w3, b3, 1, 3, 1, 1), sigmoid)
		checkClose(t, "code", out[1], []int{rows, 2, 2, 2}, code.d)
		checkClose(t, "reconstruction", out[0], []int{rows, 1, 8, 8}, r.d)
	}
}

// A VAE with the reparameterisation noise as an explicit input:
// z = mu + exp(0.5·logvar)·eps, outputs reconstruction, mu and logvar.
func TestVAEWithNoiseInput(t *testing.T) {
	b := newBuilder("vae", 4)
	b.input("input", "batch", 8)
	b.input("eps", "batch", 2)
	b.output("reconstruction", "batch", 8)
	b.output("mu", "batch", 2)
	b.output("logvar", "batch", 2)
	we, be := b.param("enc.w", 0.5, 4, 8), b.param("enc.b", 0.1, 4)
	wm, bm := b.param("mu.w", 0.5, 2, 4), b.param("mu.b", 0.1, 2)
	wl, bl := b.param("lv.w", 0.5, 2, 4), b.param("lv.b", 0.1, 2)
	wd, bd := b.param("dec.w", 0.5, 8, 2), b.param("dec.b", 0.1, 8)
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{Name: proto.String("half"),
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: []float32{0.5}})
	b.node("Gemm", []string{"input", "enc.w", "enc.b"}, []string{"h"}, aInt("transB", 1))
	b.node("Relu", []string{"h"}, []string{"hr"})
	b.node("Gemm", []string{"hr", "mu.w", "mu.b"}, []string{"mu"}, aInt("transB", 1))
	b.node("Gemm", []string{"hr", "lv.w", "lv.b"}, []string{"logvar"}, aInt("transB", 1))
	b.node("Mul", []string{"logvar", "half"}, []string{"hl"})
	b.node("Exp", []string{"hl"}, []string{"std"})
	b.node("Mul", []string{"std", "eps"}, []string{"noise"})
	b.node("Add", []string{"mu", "noise"}, []string{"z"})
	b.node("Gemm", []string{"z", "dec.w", "dec.b"}, []string{"d"}, aInt("transB", 1))
	b.node("Sigmoid", []string{"d"}, []string{"reconstruction"})
	s := b.open(t, 17)

	rng := rand.New(rand.NewPCG(44, 44))
	const rows = 3
	x, xr := randInput(rng, rows, 8)
	eps, er := randInput(rng, rows, 2)
	zero := ops.New(ops.Float32, rows, 2)
	h := apply(dense(xr, rows, 8, 4, we, true, be, 1, 1), relu)
	mu := dense(h, rows, 4, 2, wm, true, bm, 1, 1)
	lv := dense(h, rows, 4, 2, wl, true, bl, 1, 1)
	decode := func(noise []float64) []float64 {
		z := make([]float64, len(mu))
		for i := range z {
			z[i] = mu[i] + math.Exp(0.5*lv[i])*noise[i]
		}
		return apply(dense(z, rows, 2, 8, wd, true, bd, 1, 1), sigmoid)
	}
	for _, c := range []struct {
		name  string
		eps   *ops.Tensor
		noise []float64
	}{{"random eps", eps, er}, {"zero eps", zero, make([]float64, rows*2)}} {
		out, err := s.Run(context.Background(), map[string]*ops.Tensor{"input": x, "eps": c.eps})
		require.NoError(t, err)
		checkClose(t, c.name+": reconstruction", out[0], []int{rows, 8}, decode(c.noise))
		checkClose(t, c.name+": mu", out[1], []int{rows, 2}, mu)
		checkClose(t, c.name+": logvar", out[2], []int{rows, 2}, lv)
	}
	// The noise input shares the symbolic batch dimension with the data.
	_, err := s.Run(context.Background(), map[string]*ops.Tensor{"input": x, "eps": ops.New(ops.Float32, rows+1, 2)})
	require.Error(t, err, "eps with a different batch size was accepted")
}

// TestConcurrentRunsMatchSequential runs the example model from several
// goroutines with different batch sizes (so pooled buffers of different
// sizes are recycled while other runs are in flight) and checks every
// result against a sequential run of the same input.
func TestConcurrentRunsMatchSequential(t *testing.T) {
	s, err := runtime.Open("../testdata/models/dense-ae/model.onnx")
	require.NoError(t, err)
	defer s.Close()
	rng := rand.New(rand.NewPCG(55, 55))
	const nInputs = 12
	inputs := make([]*ops.Tensor, nInputs)
	want := make([][]*ops.Tensor, nInputs)
	for i := range inputs {
		inputs[i], _ = randInput(rng, 1+i%5*7, 16)
		want[i], err = s.RunOrdered(context.Background(), []*ops.Tensor{inputs[i]})
		require.NoError(t, err)
	}
	errc := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for r := 0; r < 50; r++ {
				i := (g*7 + r) % nInputs
				got, err := s.RunOrdered(context.Background(), []*ops.Tensor{inputs[i]})
				if err != nil {
					errc <- err
					return
				}
				for o := range got {
					a, b := got[o].F32(), want[i][o].F32()
					for j := range b {
						if a[j] != b[j] {
							errc <- fmt.Errorf("goroutine %d, input %d, output %d [%d]: %v, sequential %v", g, i, o, j, a[j], b[j])
							return
						}
					}
				}
			}
			errc <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		require.NoError(t, <-errc)
	}
}
