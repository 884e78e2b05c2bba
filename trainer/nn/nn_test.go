package nn

import (
	"math"
	"math/rand/v2"
	"testing"

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

// gradCheck compares a layer's analytic gradients of L = Σ dy·f(x) with
// central finite differences on every input element and parameter element
// (sampled when large).
func gradCheck(t *testing.T, l Layer, n int, pass *Pass, tol float64) {
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
	loss := func() float64 { return dot(l.Forward(x, n, pass), dy) }
	loss()
	grads := make([][]float32, len(l.Params()))
	for i, p := range l.Params() {
		grads[i] = make([]float32, len(p.Data))
	}
	dx := append([]float32(nil), l.Backward(dy, grads, true)...)
	const h = 1e-2
	check := func(what string, v []float32, g []float32) {
		step := max(1, len(v)/40)
		for i := 0; i < len(v); i += step {
			old := v[i]
			v[i] = old + h
			a := loss()
			v[i] = old - h
			b := loss()
			v[i] = old
			want := (a - b) / (2 * h)
			if math.Abs(float64(g[i])-want) > tol*(1+math.Abs(want)) {
				t.Errorf("%s %s[%d]: analytic %.5f, finite difference %.5f", l.Op(), what, i, g[i], want)
			}
		}
	}
	check("input", x, dx)
	for i, p := range l.Params() {
		check(p.Name, p.Data, grads[i])
	}
}

func TestLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	train := &Pass{Train: true}
	mustConv := func(c *Conv2D, err error) *Conv2D {
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	mustT := func(c *ConvTranspose2D, err error) *ConvTranspose2D {
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tanh := Act{Fn: ops.ActTanh}
	cases := []struct {
		name string
		l    Layer
	}{
		{"dense tanh", NewDense("d", 5, 4, tanh, rng)},
		{"dense sigmoid", NewDense("d", 5, 4, Act{Fn: ops.ActSigmoid}, rng)},
		{"conv s1 p1", mustConv(NewConv2D("c", 2, 5, 5, 3, ConvSpec{Kernel: 3, Stride: 1, Pad: 1}, tanh, rng))},
		{"conv s2 p1", mustConv(NewConv2D("c", 1, 6, 6, 2, ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, Act{}, rng))},
		{"conv dilated", mustConv(NewConv2D("c", 2, 7, 7, 2, ConvSpec{Kernel: 3, Stride: 1, Pad: 2, Dilation: 2}, tanh, rng))},
		{"convT s2 outpad", mustT(NewConvTranspose2D("t", 2, 3, 3, 2, ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 0}}, tanh, rng))},
		{"convT s1", mustT(NewConvTranspose2D("t", 3, 4, 4, 1, ConvSpec{Kernel: 2, Stride: 1}, Act{}, rng))},
	}
	if p, err := NewPool2D(2, 6, 5, true, 2, 2, 0); err == nil {
		cases = append(cases, struct {
			name string
			l    Layer
		}{"maxpool", p})
	}
	if p, err := NewPool2D(2, 7, 6, false, 3, 2, 1); err == nil {
		cases = append(cases, struct {
			name string
			l    Layer
		}{"avgpool pad", p})
	}
	for _, bil := range []bool{false, true} {
		u, _ := NewUpsample(2, 3, 4, 2, bil)
		cases = append(cases, struct {
			name string
			l    Layer
		}{"upsample", u})
	}
	cases = append(cases, struct {
		name string
		l    Layer
	}{"batchnorm conv", NewBatchNorm("bn", []int{2, 3, 3})}, struct {
		name string
		l    Layer
	}{"batchnorm dense", NewBatchNorm("bn", []int{4})})
	for _, a := range []Act{{Fn: ops.ActSoftplus}, {Fn: ops.ActElu, Alpha: 0.7}, {Fn: ops.ActLeakyRelu, Alpha: 0.1}} {
		l, err := NewActivation([]int{5}, a)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			l    Layer
		}{"activation", l})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if bn, ok := tc.l.(*BatchNorm); ok {
				for i := range bn.Scale.Data {
					bn.Scale.Data[i] = 0.5 + float32(i)
					bn.Bias.Data[i] = float32(i) * 0.1
				}
			}
			gradCheck(t, tc.l, 3, train, 2e-2)
		})
	}
}

func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	bn := NewBatchNorm("bn", []int{1, 2})
	x := []float32{1, 3, 5, 7} // two samples, one channel, two positions
	bn.Momentum = 1
	bn.Forward(x, 2, &Pass{Train: true})
	// Batch mean 4, population variance 5, unbiased 20/3.
	if math.Abs(float64(bn.Mean.Data[0])-4) > 1e-6 || math.Abs(float64(bn.Var.Data[0])-20.0/3) > 1e-5 {
		t.Fatalf("running stats %v %v, want 4 and 6.667", bn.Mean.Data, bn.Var.Data)
	}
	y := bn.Forward([]float32{4, 4 + float32(math.Sqrt(20.0/3+1e-5))}, 1, &Pass{})
	if math.Abs(float64(y[0])) > 1e-6 || math.Abs(float64(y[1])-1) > 1e-5 {
		t.Fatalf("eval output %v, want [0 1]", y)
	}
}

func TestReparameterisationAndKL(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	const n, d = 3, 4
	mu, lv, eps := randn(r, n*d, 1), randn(r, n*d, 0.5), randn(r, n*d, 1)
	dz := randn(r, n*d, 1)
	z := make([]float32, n*d)
	const w = 0.7
	L := func() float64 {
		Reparameterise(mu, lv, eps, z)
		return dot(z, dz) + w*GaussianKL(mu, lv, n, 0, nil, nil)
	}
	dmu, dlv := make([]float32, n*d), make([]float32, n*d)
	ReparameteriseBackward(dz, lv, eps, dmu, dlv)
	GaussianKL(mu, lv, n, w, dmu, dlv)
	const h = 1e-3
	for _, v := range []struct {
		name string
		x, g []float32
	}{{"mu", mu, dmu}, {"logvar", lv, dlv}} {
		for i := range v.x {
			old := v.x[i]
			v.x[i] = old + h
			a := L()
			v.x[i] = old - h
			b := L()
			v.x[i] = old
			if want := (a - b) / (2 * h); math.Abs(float64(v.g[i])-want) > 1e-2*(1+math.Abs(want)) {
				t.Errorf("d%s[%d] = %g, finite difference %g", v.name, i, v.g[i], want)
			}
		}
	}
	// Hand-computed KL: one row, mu = [1, 0], logvar = [0, ln 2]:
	// -0.5·[(1+0-1-1) + (1+ln2-0-2)] = 0.5·(2 - ln 2).
	got := GaussianKL([]float32{1, 0}, []float32{0, float32(math.Ln2)}, 1, 0, nil, nil)
	if want := 0.5 * (2 - math.Ln2); math.Abs(got-want) > 1e-6 {
		t.Errorf("KL = %g, want %g", got, want)
	}
	if kl := GaussianKL(make([]float32, 4), make([]float32, 4), 2, 0, nil, nil); kl != 0 {
		t.Errorf("KL of the prior itself = %g, want 0", kl)
	}
}

func TestSeqShapesAndErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c, err := NewConv2D("c", 1, 28, 28, 4, ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, Act{Fn: ops.ActRelu}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.OutShape(); got[1] != 14 || got[2] != 14 {
		t.Fatalf("stride-2 conv of 28x28 gives %v, want 4x14x14", got)
	}
	ct, err := NewConvTranspose2D("t", 4, 14, 14, 1, ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 1}}, Act{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if got := ct.OutShape(); got[1] != 28 || got[2] != 28 {
		t.Fatalf("stride-2 transposed conv of 14x14 gives %v, want 1x28x28", got)
	}
	if _, err := NewSeq(c, NewDense("d", 100, 2, Act{}, rng)); err == nil {
		t.Error("NewSeq accepted a 784-value output feeding a 100-input dense layer")
	}
	if _, err := NewConv2D("c", 1, 2, 2, 1, ConvSpec{Kernel: 5, Stride: 1}, Act{}, rng); err == nil {
		t.Error("a 5x5 kernel on a 2x2 image was accepted")
	}
	if _, err := NewReshape([]int{2, 3}, []int{7}); err == nil {
		t.Error("reshape of 6 values to 7 accepted")
	}
	if _, err := NewDropout([]int{3}, 1); err == nil {
		t.Error("dropout probability 1 accepted")
	}
}

func TestDropout(t *testing.T) {
	d, _ := NewDropout([]int{1000}, 0.25)
	x := make([]float32, 1000)
	for i := range x {
		x[i] = 1
	}
	y := d.Forward(x, 1, &Pass{Train: true, RNG: rand.New(rand.NewPCG(1, 1))})
	zeros := 0
	for _, v := range y {
		switch v {
		case 0:
			zeros++
		case float32(1 / 0.75):
		default:
			t.Fatalf("dropout output %g is neither 0 nor 1/(1-p)", v)
		}
	}
	if zeros < 200 || zeros > 300 {
		t.Errorf("%d of 1000 dropped, want about 250", zeros)
	}
	if y := d.Forward(x, 1, &Pass{}); &y[0] != &x[0] {
		t.Error("dropout in evaluation is not the identity")
	}
}

// Batches split into chunks give the same gradients as per-sample passes
// summed (the chunked reduction is only a reordering of the same sums).
func TestChunkedConvGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	c, _ := NewConv2D("c", 2, 6, 6, 3, ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, Act{Fn: ops.ActTanh}, rng)
	ct, _ := NewConvTranspose2D("t", 2, 3, 3, 3, ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 1}}, Act{Fn: ops.ActTanh}, rng)
	for _, l := range []Layer{c, ct} {
		const n = 37
		if len(chunks(n)) < 2 {
			t.Fatalf("%d rows make %d chunks; the test needs several", n, len(chunks(n)))
		}
		in, out := size(l.InShape()), size(l.OutShape())
		x, dy := randn(rng, n*in, 1), randn(rng, n*out, 1)
		mk := func() [][]float32 {
			g := make([][]float32, 2)
			for i, p := range l.Params() {
				g[i] = make([]float32, len(p.Data))
			}
			return g
		}
		whole := mk()
		y := append([]float32(nil), l.Forward(x, n, nil)...)
		dx := append([]float32(nil), l.Backward(dy, whole, true)...)
		single := mk()
		for r := 0; r < n; r++ {
			yr := l.Forward(x[r*in:(r+1)*in], 1, nil)
			for i, v := range yr {
				if v != y[r*out+i] {
					t.Fatalf("%s row %d: chunked forward differs", l.Op(), r)
				}
			}
			dxr := l.Backward(dy[r*out:(r+1)*out], single, true)
			for i, v := range dxr {
				if math.Abs(float64(v-dx[r*in+i])) > 1e-6 {
					t.Fatalf("%s row %d: input gradient %g vs %g", l.Op(), r, dx[r*in+i], v)
				}
			}
		}
		for pi := range whole {
			for i := range whole[pi] {
				if d := math.Abs(float64(whole[pi][i] - single[pi][i])); d > 1e-4*(1+math.Abs(float64(single[pi][i]))) {
					t.Fatalf("%s param %d[%d]: chunked %g, per-row sum %g", l.Op(), pi, i, whole[pi][i], single[pi][i])
				}
			}
		}
	}
}
