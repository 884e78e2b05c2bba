package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/latent-ml/latent/ops"
)

func randn(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// fdCheck compares analytic gradients g of f with central finite
// differences on (a sample of) the elements of v.
func fdCheck(t *testing.T, what string, v, g []float32, f func() float64, h, tol float64) {
	t.Helper()
	require.Len(t, g, len(v), "%s: gradient length", what)
	step := max(1, len(v)/40)
	for i := 0; i < len(v); i += step {
		old := v[i]
		v[i] = old + float32(h)
		a := f()
		v[i] = old - float32(h)
		b := f()
		v[i] = old
		want := (a - b) / (2 * h)
		assert.InDelta(t, want, g[i], tol*(1+math.Abs(want)), "%s[%d]: analytic vs finite difference", what, i)
	}
}

// gradCheck compares a layer's analytic gradients of L = Σ dy·f(x) with
// central finite differences on every input element and parameter element
// (sampled when large). pass returns the pass of each forward run (a fresh
// one, so stochastic layers draw the same values every time).
func gradCheck(t *testing.T, l Layer, n int, pass func() *Pass, tol float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	x := randn(r, n*size(l.InShape()), 1)
	dy := randn(r, n*size(l.OutShape()), 1)
	if _, ok := l.(*Activation); ok {
		// Keep finite differences off the kink at 0 (relu-like functions).
		for i, v := range x {
			if math.Abs(float64(v)) < 0.05 {
				x[i] = 0.1
			}
		}
	}
	loss := func() float64 { return dot(l.Forward(x, n, pass()), dy) }
	loss()
	grads := make([][]float32, len(l.Params()))
	for i, p := range l.Params() {
		grads[i] = make([]float32, len(p.Data))
	}
	dx := append([]float32(nil), l.Backward(dy, grads, true)...)
	fdCheck(t, l.Op()+" input", x, dx, loss, 1e-2, tol)
	for i, p := range l.Params() {
		fdCheck(t, l.Op()+" "+p.Name, p.Data, grads[i], loss, 1e-2, tol)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

func TestLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	train := func() *Pass { return &Pass{Train: true, RNG: rand.New(rand.NewPCG(3, 3))} }
	eval := func() *Pass { return &Pass{} }
	tanh := Act{Fn: ops.ActTanh}
	owner := NewDense("enc", 4, 5, tanh, Xavier, rng)
	tied := must[*Dense](t)(NewTiedDense("dec", owner, Act{Fn: ops.ActSigmoid}))
	for i := range tied.B.Data {
		tied.B.Data[i] = float32(i) * 0.1
	}
	cases := []struct {
		name string
		l    Layer
		pass func() *Pass
	}{
		{"dense tanh", NewDense("d", 5, 4, tanh, Xavier, rng), eval},
		{"dense sigmoid he", NewDense("d", 5, 4, Act{Fn: ops.ActSigmoid}, He, rng), eval},
		{"dense tied (transposed)", tied, eval},
		{"conv s1 p1", must[*Conv2D](t)(NewConv2D("c", 2, 5, 5, 3, ConvSpec{Kernel: 3, Stride: 1, Pad: 1}, tanh, He, rng)), eval},
		{"conv s2 p1", must[*Conv2D](t)(NewConv2D("c", 1, 6, 6, 2, ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, Act{}, He, rng)), eval},
		{"conv dilated", must[*Conv2D](t)(NewConv2D("c", 2, 7, 7, 2, ConvSpec{Kernel: 3, Stride: 1, Pad: 2, Dilation: 2}, tanh, Xavier, rng)), eval},
		{"convT s2 outpad", must[*ConvTranspose2D](t)(NewConvTranspose2D("t", 2, 3, 3, 2, ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 0}}, tanh, He, rng)), eval},
		{"convT s1", must[*ConvTranspose2D](t)(NewConvTranspose2D("t", 3, 4, 4, 1, ConvSpec{Kernel: 2, Stride: 1}, Act{}, Xavier, rng)), eval},
		{"maxpool", must[*Pool2D](t)(NewPool2D(2, 6, 5, true, 2, 2, 0)), eval},
		{"avgpool pad", must[*Pool2D](t)(NewPool2D(2, 7, 6, false, 3, 2, 1)), eval},
		{"upsample nearest", must[*Upsample](t)(NewUpsample(2, 3, 4, 2, false)), eval},
		{"upsample bilinear", must[*Upsample](t)(NewUpsample(2, 3, 4, 2, true)), eval},
		{"batchnorm conv train", NewBatchNorm("bn", []int{2, 3, 3}), train},
		{"batchnorm dense train", NewBatchNorm("bn", []int{4}), train},
		{"batchnorm eval", NewBatchNorm("bn", []int{2, 2}), eval},
		{"reshape", must[*Reshape](t)(NewReshape([]int{2, 3}, []int{6})), eval},
		{"dropout train", must[*Dropout](t)(NewDropout([]int{7}, 0.3)), train},
		{"dropout eval", must[*Dropout](t)(NewDropout([]int{7}, 0.3)), eval},
		{"masking noise", must[*Noise](t)(NewNoise([]int{9}, 0.3, 0)), train},
		{"gaussian noise", must[*Noise](t)(NewNoise([]int{9}, 0, 0.5)), train},
		{"k-sparse", must[*KSparse](t)(NewKSparse(6, 2)), eval},
		{"posterior", NewPosterior(5, 3, Xavier, rng), eval},
		{"reparameterise train", must[*Reparameterise](t)(NewReparameterise(3)), train},
		{"reparameterise eval", must[*Reparameterise](t)(NewReparameterise(3)), eval},
	}
	for _, a := range []Act{{Fn: ops.ActRelu}, {Fn: ops.ActLeakyRelu, Alpha: 0.1}, {Fn: ops.ActSigmoid}, {Fn: ops.ActTanh},
		{Fn: ops.ActElu, Alpha: 0.7}, {Fn: ops.ActSelu}, {Fn: ops.ActSoftplus}, {}} {
		cases = append(cases, struct {
			name string
			l    Layer
			pass func() *Pass
		}{"activation", must[*Activation](t)(NewActivation([]int{5}, a)), eval})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if bn, ok := tc.l.(*BatchNorm); ok {
				for i := range bn.Scale.Data {
					bn.Scale.Data[i] = 0.5 + float32(i)
					bn.Bias.Data[i] = float32(i) * 0.1
					bn.Mean.Data[i] = 0.2 * float32(i)
					bn.Var.Data[i] = 1 + float32(i)
				}
			}
			// k-sparse: the gradient reaches exactly the kept values, so
			// finite differences hold away from ties (random inputs).
			gradCheck(t, tc.l, 3, tc.pass, 2e-2)
		})
	}
}

// Tied layers share one weight tensor: Net.Params lists it once and
// GradViews lets both layers add their gradients into one slice, which
// is the gradient of the loss with respect to the shared tensor.
func TestTiedWeightsShareOneGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	enc := NewDense("enc0", 5, 3, Act{Fn: ops.ActTanh}, Xavier, rng)
	dec := must[*Dense](t)(NewTiedDense("dec0", enc, Act{Fn: ops.ActSigmoid}))
	net := must[*Net](t)(NewNet(1, enc, dec))
	ps := net.Params()
	require.Len(t, ps, 3)
	assert.Equal(t, []string{"enc0.W", "enc0.b", "dec0.b"}, []string{ps[0].Name, ps[1].Name, ps[2].Name})
	const n = 4
	x, dy := randn(rng, n*5, 1), randn(rng, n*5, 1)
	loss := func() float64 { return dot(net.Forward(0, 2, x, n, nil), dy) }
	loss()
	grads := [][]float32{make([]float32, 15), make([]float32, 3), make([]float32, 5)}
	net.Backward(0, 2, dy, net.GradViews(grads), false)
	for i, p := range ps {
		fdCheck(t, p.Name, p.Data, grads[i], loss, 1e-2, 2e-2)
	}
	w := dec.WeightsOutIn()
	for o := 0; o < 5; o++ {
		for i := 0; i < 3; i++ {
			assert.Equal(t, enc.W.Data[i*5+o], w[o*3+i], "tied [%d,%d]", o, i)
		}
	}
	_, err := NewTiedDense("x", dec, Act{})
	assert.ErrorContains(t, err, "itself tied")
}

// Replicas share parameters and state but not buffers: running two
// replicas on different rows leaves each one's output intact.
func TestReplicasShareParamsNotBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	c := must[*Conv2D](t)(NewConv2D("c", 1, 4, 4, 2, ConvSpec{Kernel: 3, Stride: 1, Pad: 1}, Act{Fn: ops.ActRelu}, He, rng))
	bn := NewBatchNorm("bn", []int{2, 4, 4})
	net := must[*Net](t)(NewNet(2, c, bn, NewFlatten([]int{2, 4, 4}), NewDense("d", 32, 3, Act{}, Xavier, rng)))
	rep := net.Replica()
	for i := range net.Layers {
		assert.NotSame(t, net.Layers[i], rep.Layers[i], "layer %d", i)
	}
	assert.Equal(t, net.Params(), rep.Params(), "replica params are the same tensors")
	assert.Equal(t, net.State(), rep.State(), "replica state is the same tensors")
	a, b := randn(rng, 16, 1), randn(rng, 16, 1)
	ya := net.Forward(0, 4, a, 1, nil)
	want := append([]float32(nil), ya...)
	yb := rep.Forward(0, 4, b, 1, nil)
	assert.Equal(t, want, ya, "the replica's run left the original's output alone")
	assert.NotEqual(t, want, yb)
	assert.Equal(t, yb, net.Forward(0, 4, b, 1, nil), "replica and original compute the same function")
}

// Batch norm over a batch split into chunks (ForwardBatch, BackwardBatch)
// gives exactly the whole batch's outputs, input gradients, parameter
// gradients and running statistics.
func TestBatchNormCoupledChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	shape := []int{3, 2, 2}
	const n = 7
	x, dy := randn(rng, n*12, 1), randn(rng, n*12, 1)
	whole := NewBatchNorm("bn", shape)
	y := append([]float32(nil), whole.Forward(x, n, &Pass{Train: true})...)
	g := [][]float32{make([]float32, 3), make([]float32, 3)}
	dx := append([]float32(nil), whole.Backward(dy, g, true)...)

	split := NewBatchNorm("bn", shape)
	ns := []int{3, 3, 1}
	var xs, dys [][]float32
	off := 0
	for _, k := range ns {
		xs, dys = append(xs, x[off*12:(off+k)*12]), append(dys, dy[off*12:(off+k)*12])
		off += k
	}
	var lead Coupled = split.Replica().(*BatchNorm) // a replica leads; the state is shared
	ys := lead.ForwardBatch(xs, ns, &Pass{Train: true})
	g2 := [][]float32{make([]float32, 3), make([]float32, 3)}
	dxs := lead.BackwardBatch(dys, g2, true)
	off = 0
	for c, k := range ns {
		assert.Equal(t, y[off*12:(off+k)*12], ys[c], "chunk %d output", c)
		assert.Equal(t, dx[off*12:(off+k)*12], dxs[c], "chunk %d input gradient", c)
		off += k
	}
	assert.Equal(t, g, g2, "parameter gradients")
	assert.Equal(t, whole.Mean.Data, split.Mean.Data, "running mean")
	assert.Equal(t, whole.Var.Data, split.Var.Data, "running variance")
}

func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	bn := NewBatchNorm("bn", []int{1, 2})
	x := []float32{1, 3, 5, 7} // two samples, one channel, two positions
	bn.Momentum = 1
	bn.Forward(x, 2, &Pass{Train: true})
	// Batch mean 4, population variance 5, unbiased 20/3.
	assert.InDelta(t, 4, bn.Mean.Data[0], 1e-6)
	assert.InDelta(t, 20.0/3, bn.Var.Data[0], 1e-5)
	y := bn.Forward([]float32{4, 4 + float32(math.Sqrt(20.0/3+1e-5))}, 1, &Pass{})
	assert.InDelta(t, 0, y[0], 1e-6)
	assert.InDelta(t, 1, y[1], 1e-5)
}

func TestNetShapesAndErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := must[*Conv2D](t)(NewConv2D("c", 1, 28, 28, 4, ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, Act{Fn: ops.ActRelu}, He, rng))
	assert.Equal(t, []int{4, 14, 14}, c.OutShape(), "stride-2 conv of 28x28")
	ct := must[*ConvTranspose2D](t)(NewConvTranspose2D("t", 4, 14, 14, 1, ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 1}}, Act{}, He, rng))
	assert.Equal(t, []int{1, 28, 28}, ct.OutShape(), "stride-2 transposed conv of 14x14")
	_, err := NewNet(1, c, NewDense("d", 100, 2, Act{}, Xavier, rng))
	assert.ErrorContains(t, err, "outputs [4 14 14]")
	_, err = NewNet(3, c)
	assert.ErrorContains(t, err, "code point 3")
	_, err = NewConv2D("c", 1, 2, 2, 1, ConvSpec{Kernel: 5, Stride: 1}, Act{}, He, rng)
	assert.ErrorContains(t, err, "too small")
	_, err = NewReshape([]int{2, 3}, []int{7})
	assert.ErrorContains(t, err, "cannot become")
	_, err = NewDropout([]int{3}, 1)
	assert.ErrorContains(t, err, "probability")
	_, err = NewNoise([]int{3}, 0.2, 0.1)
	assert.ErrorContains(t, err, "not both", "noise takes one kind")
	_, err = NewNoise([]int{3}, 0, 0)
	assert.Error(t, err)
	_, err = NewKSparse(4, 5)
	assert.ErrorContains(t, err, "k must be in [1, 4]")
	_, err = NewActivation([]int{2}, Act{Fn: ops.Act(99)})
	assert.ErrorContains(t, err, "no derivative")
}

func TestDropout(t *testing.T) {
	d := must[*Dropout](t)(NewDropout([]int{1000}, 0.25))
	x := make([]float32, 1000)
	for i := range x {
		x[i] = 1
	}
	y := d.Forward(x, 1, &Pass{Train: true, RNG: rand.New(rand.NewPCG(1, 1))})
	zeros := 0
	for _, v := range y {
		if v == 0 {
			zeros++
			continue
		}
		require.Equal(t, float32(1/0.75), v, "dropout output is neither 0 nor 1/(1-p)")
	}
	assert.InDelta(t, 250, zeros, 50, "dropped of 1000")
	assert.Same(t, &x[0], &d.Forward(x, 1, &Pass{})[0], "dropout in evaluation is the identity")
}

// Noise corrupts only in training: masking noise zeroes about Drop of
// the values and keeps the rest unscaled; Gaussian noise has the
// requested spread.
func TestNoise(t *testing.T) {
	x := make([]float32, 4000)
	for i := range x {
		x[i] = 2
	}
	mask := must[*Noise](t)(NewNoise([]int{4000}, 0.2, 0))
	y := mask.Forward(x, 1, &Pass{Train: true, RNG: rand.New(rand.NewPCG(5, 5))})
	zeros := 0
	for _, v := range y {
		if v == 0 {
			zeros++
		} else {
			require.Equal(t, float32(2), v)
		}
	}
	assert.InDelta(t, 800, zeros, 100)
	gauss := must[*Noise](t)(NewNoise([]int{4000}, 0, 0.5))
	y = gauss.Forward(x, 1, &Pass{Train: true, RNG: rand.New(rand.NewPCG(5, 5))})
	var s, ss float64
	for _, v := range y {
		s += float64(v - 2)
		ss += float64(v-2) * float64(v-2)
	}
	assert.InDelta(t, 0, s/4000, 0.05, "mean of the added noise")
	assert.InDelta(t, 0.5, math.Sqrt(ss/4000), 0.05, "spread of the added noise")
	assert.Same(t, &x[0], &gauss.Forward(x, 1, &Pass{})[0], "noise in evaluation is the identity")
}

// KSparse keeps the k largest values per sample, ties to the lower index.
func TestKSparseSelection(t *testing.T) {
	k := must[*KSparse](t)(NewKSparse(4, 2))
	y := k.Forward([]float32{0.5, -1, 3, 0.5, 1, 1, 1, 0}, 2, nil)
	assert.Equal(t, []float32{0.5, 0, 3, 0, 1, 1, 0, 0}, y)
}

// The VAE's sampling layer is z = mu + exp(logvar/2)·eps in training and
// mu in evaluation (hand-computed values).
func TestReparameterise(t *testing.T) {
	s := must[*Reparameterise](t)(NewReparameterise(2))
	x := []float32{1, -1, 0, float32(2 * math.Ln2)} // mu = [1 -1], logvar = [0, 2 ln 2]
	assert.Equal(t, []float32{1, -1}, s.Forward(x, 1, &Pass{}))
	r := rand.New(rand.NewPCG(9, 9))
	e0, e1 := r.NormFloat64(), r.NormFloat64()
	z := s.Forward(x, 1, &Pass{Train: true, RNG: rand.New(rand.NewPCG(9, 9))})
	assert.InDelta(t, 1+e0, z[0], 1e-6)
	assert.InDelta(t, -1+2*e1, z[1], 1e-5)
}

func TestLosses(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	const rows, cols = 3, 4
	y, tg := randn(r, rows*cols, 1), make([]float32, rows*cols)
	m := make([]float32, rows*cols)
	for i := range tg {
		tg[i] = r.Float32()
		if r.Float64() < 0.6 {
			m[i] = 1
		}
	}
	// Hand-computed values on one entry each.
	assert.InDelta(t, 0.25, Loss{}.Eval([]float32{1.5}, []float32{1}, nil, nil, 1), 1e-9, "squared error")
	assert.InDelta(t, math.Log(2), Loss{BCE: true}.Eval([]float32{0}, []float32{1}, nil, nil, 1), 1e-9, "BCE at logit 0")
	assert.InDelta(t, math.Log1p(math.Exp(-3))+3, Loss{BCE: true}.Eval([]float32{-3}, []float32{1}, nil, nil, 1), 1e-9, "BCE of a wrong logit")
	assert.InDelta(t, 40, Loss{BCE: true}.Eval([]float32{40}, []float32{0}, nil, nil, 1), 1e-9, "BCE stays finite at large logits")
	assert.Equal(t, 12.0, Loss{}.Norm(rows, cols, m))
	assert.Equal(t, 3.0, Loss{PerSample: true}.Norm(rows, cols, m))
	var obs float64
	for _, v := range m {
		obs += float64(v)
	}
	assert.Equal(t, obs, Loss{Masked: true}.Norm(rows, cols, m))
	assert.Equal(t, 1.0, Loss{Masked: true}.Norm(1, 2, []float32{0, 0}), "an all-missing batch divides by 1")
	for name, l := range map[string]Loss{"mse": {}, "bce": {BCE: true}, "masked-mse": {Masked: true}, "masked-bce": {BCE: true, Masked: true}, "per-sample-bce": {BCE: true, PerSample: true}} {
		t.Run(name, func(t *testing.T) {
			norm := l.Norm(rows, cols, m)
			g := make([]float32, len(y))
			l.Eval(y, tg, m, g, norm)
			fdCheck(t, name, y, g, func() float64 { return l.Eval(y, tg, m, nil, norm) / norm }, 1e-3, 1e-2)
			if l.Masked {
				for i, v := range m {
					if v == 0 {
						assert.Zero(t, g[i], "gradient of a missing entry")
					}
				}
			}
		})
	}
}

// penaltyValue runs a penalty over a batch split in chunks of the given
// rows and returns the weighted value and the gradient at its point
// (points holds the whole batch's activations at every point).
func penaltyValue(p Penalty, points [][]float32, rows []int, params map[*Param][]float32) (float64, []float32) {
	h := points[p.At()]
	batch := 0
	for _, r := range rows {
		batch += r
	}
	width := len(h) / batch
	stats := make([]float64, p.StatSize())
	off := 0
	for _, r := range rows {
		p.AddStats(stats, h[off*width:(off+r)*width], r)
		off += r
	}
	grad := make([]float32, len(h))
	var v float64
	off = 0
	for _, r := range rows {
		chunk := make([][]float32, len(points))
		for i, pt := range points {
			w := len(pt) / batch
			chunk[i] = pt[off*w : (off+r)*w]
		}
		v += p.Backward(&PenaltyChunk{Rows: r, BatchRows: batch, Points: chunk, Grad: grad[off*width : (off+r)*width], Stats: stats,
			ParamGrad: func(q *Param) []float32 { return params[q] }})
		off += r
	}
	return p.Weight() * v, grad
}

// Every penalty's gradient (with respect to its point and, for the
// contractive one, the weights) matches finite differences of its value,
// over a batch split into uneven chunks.
func TestPenaltyGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const batch = 7
	chunks := []int{3, 3, 1}
	code := randn(r, batch*4, 1)
	sig := make([]float32, len(code))
	ops.ApplyAct(sig, code, ops.ActSigmoid, 0)
	t.Run("l1", func(t *testing.T) {
		p := &L1{Point: 0, W: 0.3}
		pts := [][]float32{code}
		_, g := penaltyValue(p, pts, chunks, nil)
		fdCheck(t, "l1", code, g, func() float64 { v, _ := penaltyValue(p, pts, chunks, nil); return v }, 1e-3, 1e-2)
		v, _ := penaltyValue(p, [][]float32{{1, -2, 0, 0.5}}, []int{1}, nil)
		assert.InDelta(t, 0.3*3.5, v, 1e-6, "hand-computed")
	})
	t.Run("kl-sparsity", func(t *testing.T) {
		p := &SparsityKL{Point: 0, Width: 4, Rho: 0.2, W: 0.5}
		pts := [][]float32{sig}
		_, g := penaltyValue(p, pts, chunks, nil)
		fdCheck(t, "kl", sig, g, func() float64 { v, _ := penaltyValue(p, pts, chunks, nil); return v }, 1e-4, 1e-2)
		// One unit, two samples with mean 0.5 against rho 0.2:
		// 0.2·ln(0.4) + 0.8·ln(1.6).
		one := &SparsityKL{Point: 0, Width: 1, Rho: 0.2, W: 1}
		v, _ := penaltyValue(one, [][]float32{{0.25, 0.75}}, []int{1, 1}, nil)
		assert.InDelta(t, 0.2*math.Log(0.4)+0.8*math.Log(1.6), v, 1e-9, "hand-computed")
	})
	for _, a := range []Act{{Fn: ops.ActSigmoid}, {Fn: ops.ActTanh}, {Fn: ops.ActSoftplus}, {Fn: ops.ActElu, Alpha: 0.7}, {Fn: ops.ActSelu}, {}} {
		t.Run("contractive", func(t *testing.T) {
			lin := NewDense("enc0", 5, 4, Act{}, Xavier, r)
			p := must[*Contractive](t)(NewContractive(1, lin, a, 0.4))
			x := randn(r, batch*5, 1)
			params := map[*Param][]float32{}
			value := func() (float64, []float32) {
				z := append([]float32(nil), lin.Forward(x, batch, nil)...)
				h := make([]float32, len(z))
				ops.ApplyAct(h, z, a.Fn, a.Alpha)
				params[lin.W] = make([]float32, len(lin.W.Data))
				return penaltyValue(p, [][]float32{x, z, h}, chunks, params)
			}
			_, gz := value()
			gw := params[lin.W]
			// Chain the point gradient back to W and x through z = x·Wᵀ + b.
			grads := [][]float32{append([]float32(nil), gw...), make([]float32, 4)}
			lin.Forward(x, batch, nil)
			dx := lin.Backward(gz, grads, true)
			f := func() float64 { v, _ := value(); return v }
			fdCheck(t, "contractive W", lin.W.Data, grads[0], f, 1e-3, 2e-2)
			fdCheck(t, "contractive b", lin.B.Data, grads[1], f, 1e-3, 2e-2)
			fdCheck(t, "contractive x", x, dx, f, 1e-3, 2e-2)
		})
	}
	t.Run("gaussian-kl", func(t *testing.T) {
		p := &GaussianKL{Point: 0, Code: 2, W: 0.7}
		post := randn(r, batch*4, 0.7)
		pts := [][]float32{post}
		_, g := penaltyValue(p, pts, chunks, nil)
		fdCheck(t, "kl", post, g, func() float64 { v, _ := penaltyValue(p, pts, chunks, nil); return v }, 1e-3, 1e-2)
		// One row, mu = [1, 0], logvar = [0, ln 2]:
		// -0.5·[(1+0-1-1) + (1+ln2-0-2)] = 0.5·(2 - ln 2).
		one := &GaussianKL{Point: 0, Code: 2, W: 1}
		v, _ := penaltyValue(one, [][]float32{{1, 0, 0, float32(math.Ln2)}}, []int{1}, nil)
		assert.InDelta(t, 0.5*(2-math.Ln2), v, 1e-6, "hand-computed")
		v, _ = penaltyValue(one, [][]float32{make([]float32, 8)}, []int{2}, nil)
		assert.Zero(t, v, "KL of the prior itself")
	})
	_, err := NewContractive(1, NewDense("d", 2, 2, Act{Fn: ops.ActTanh}, Xavier, r), Act{}, 1)
	assert.ErrorContains(t, err, "must be linear")
}
