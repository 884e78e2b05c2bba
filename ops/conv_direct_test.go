package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConvTapsKernels runs every tap kernel the CPU has against the Go twin
// on lengths that take each block size (8, 4 and 1 vectors) and on tap
// lists with repeated and descending offsets.
func TestConvTapsKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	defer func(u int) { moveUse = u }(moveUse)
	for _, n := range []int{16, 48, 64, 80, 128, 144, 192, 256 + 48, 1024 + 16} {
		for _, taps := range []int{1, 2, 9, 25, 49} {
			offs := make([]int, taps)
			for i := range offs {
				offs[i] = rng.IntN(300)
			}
			src := uniform(rng, 300+n)
			w := uniform(rng, taps)
			want := make([]float32, n)
			convTapsGo(want, src, offs, w)
			for _, impl := range moveImpls() {
				moveUse = impl
				got := make([]float32, n)
				convTaps(got, src, offs, w)
				requireClose(t, fmt.Sprintf("n=%d taps=%d %s", n, taps, moveNames[impl]), got, want, 1e-6)
			}
		}
	}
}

// TestConvDirectAgainstNaive runs depthwise and grouped convolutions of
// every kernel size MobileNet/EfficientNet/ConvNeXt use and odd ones
// (1-D and 2-D, strides 1-3, dilation, asymmetric padding, channel
// multipliers, odd sizes) against the definition, on every row mover.
func TestConvDirectAgainstNaive(t *testing.T) {
	type geo struct {
		c, m, g    int
		in, k, out []int
		s, d, pb   []int
		act        Act
	}
	var cases []geo
	for _, k := range []int{1, 3, 5, 7, 4} {
		for _, s := range []int{1, 2, 3} {
			for _, hw := range [][2]int{{7, 7}, {14, 14}, {9, 13}, {1, 5}, {23, 2}} {
				pad := k / 2
				oh := ConvOutSize(hw[0], k, s, 1, pad, pad)
				ow := ConvOutSize(hw[1], k, s, 1, pad, pad)
				if oh < 1 || ow < 1 {
					continue
				}
				cases = append(cases, geo{c: 3, m: 3, g: 3, in: hw[:], k: []int{k, k}, out: []int{oh, ow},
					s: []int{s, s}, d: []int{1, 1}, pb: []int{pad, pad}})
			}
		}
	}
	cases = append(cases,
		geo{c: 4, m: 8, g: 4, in: []int{10, 11}, k: []int{3, 3}, out: []int{10, 11}, s: []int{1, 1}, d: []int{1, 1}, pb: []int{1, 1}, act: ActRelu},
		geo{c: 8, m: 8, g: 2, in: []int{9, 9}, k: []int{3, 3}, out: []int{5, 5}, s: []int{2, 2}, d: []int{1, 1}, pb: []int{1, 1}, act: ActSigmoid},
		geo{c: 6, m: 6, g: 6, in: []int{12, 12}, k: []int{3, 3}, out: []int{8, 8}, s: []int{1, 1}, d: []int{2, 2}, pb: []int{0, 0}},
		geo{c: 5, m: 5, g: 5, in: []int{8, 9}, k: []int{2, 3}, out: []int{8, 4}, s: []int{1, 2}, d: []int{1, 1}, pb: []int{1, 0}},
		geo{c: 16, m: 16, g: 16, in: []int{37}, k: []int{7}, out: []int{37}, s: []int{1}, d: []int{1}, pb: []int{3}},
		geo{c: 4, m: 8, g: 2, in: []int{20}, k: []int{5}, out: []int{8}, s: []int{2}, d: []int{1}, pb: []int{0}, act: ActRelu},
		geo{c: 6, m: 6, g: 6, in: []int{11, 10}, k: []int{3, 3}, out: []int{11, 10}, s: []int{1, 1}, d: []int{1, 1}, pb: []int{1, 1}, act: ActGelu},
		geo{c: 32, m: 3, g: 1, in: []int{13, 12}, k: []int{3, 3}, out: []int{13, 12}, s: []int{1, 1}, d: []int{1, 1}, pb: []int{1, 1}, act: ActSigmoid},
		geo{c: 3, m: 8, g: 1, in: []int{23, 21}, k: []int{7, 7}, out: []int{12, 11}, s: []int{2, 2}, d: []int{1, 1}, pb: []int{3, 3}, act: ActRelu},
		geo{c: 5, m: 1, g: 1, in: []int{40}, k: []int{4}, out: []int{19}, s: []int{2}, d: []int{1}, pb: []int{0}},
		geo{c: 4, m: 8, g: 4, in: []int{9, 9}, k: []int{5, 5}, out: []int{5, 5}, s: []int{2, 2}, d: []int{1, 1}, pb: []int{2, 2}, act: ActGeluTanh},
	)
	rng := rand.New(rand.NewPCG(7, 8))
	defer func(u int) { moveUse = u }(moveUse)
	for _, c := range cases {
		p := &ConvParams{Batch: 2, InC: c.c, OutC: c.m, Group: c.g, In: c.in, Kernel: c.k, Out: c.out,
			Strides: c.s, Dilations: c.d, PadBegin: c.pb, Act: c.act}
		require.NoError(t, p.Check())
		require.True(t, convDirectOK(p), "%+v takes the direct path", *p)
		x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
		w := uniform(rng, p.OutC*p.InC/p.Group*NumElements(p.Kernel))
		bias := uniform(rng, p.OutC)
		want := naiveConv(p, x, w, bias)
		switch p.Act {
		case ActSigmoid:
			SigmoidSlice(want, want)
		case ActGelu:
			GeluSlice(want, want)
		case ActGeluTanh:
			GeluTanhSlice(want, want)
		}
		for _, impl := range moveImpls() {
			moveUse = impl
			y := make([]float32, len(want))
			Conv(p, x, w, bias, y, nil)
			requireClose(t, fmt.Sprintf("%+v %s", *p, moveNames[impl]), y, want, 1e-5)
		}
	}
}

// TestConvDirectRoute checks which convolutions take the direct path:
// small groups do, large ones (a Gemm per group) do not; ungrouped ones
// only with at most eight output channels and a spatial kernel.
func TestConvDirectRoute(t *testing.T) {
	mk := func(c, m, g int) *ConvParams {
		return &ConvParams{Batch: 1, InC: c, OutC: m, Group: g, In: []int{8, 8}, Kernel: []int{3, 3}, Out: []int{8, 8},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}}
	}
	assert.True(t, convDirectOK(mk(576, 576, 576)), "depthwise")
	assert.True(t, convDirectOK(mk(64, 128, 32)), "2→4 channels per group")
	assert.False(t, convDirectOK(mk(64, 64, 1)), "group 1, 64 output channels")
	assert.True(t, convDirectOK(mk(32, 3, 1)), "group 1, 3 output channels")
	assert.True(t, convDirectOK(mk(3, 8, 1)), "group 1, 8 output channels")
	assert.False(t, convDirectOK(mk(512, 8, 1)), "group 1, 512×8 weights per tap")
	pw := mk(32, 3, 1)
	pw.Kernel, pw.PadBegin = []int{1, 1}, []int{0, 0}
	assert.False(t, convDirectOK(pw), "pointwise")
	assert.False(t, convDirectOK(mk(128, 128, 2)), "64×64 per group")
}

// TestConvPointwiseBlocks runs pointwise convolutions whose outputs span
// several column blocks (a partial one last), with and without bias, with
// each fused activation, against the definition on every row mover.
func TestConvPointwiseBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	defer func(u int) { moveUse = u }(moveUse)
	for _, c := range []struct {
		inC, outC, h, w int
		act             Act
		bias            bool
	}{
		{16, 70, 33, 31, ActSiLU, true}, {3, 200, 20, 20, ActHardSwish, false}, {5, 9, 3, 3, ActRelu, true},
		{24, 40, 45, 45, ActNone, true}, {7, 64, 64, 64, ActRelu, false}, {0, 4, 5, 5, ActNone, true},
		{12, 33, 9, 11, ActGelu, true}, {4, 17, 6, 7, ActGeluTanh, false},
	} {
		p := &ConvParams{Batch: 3, InC: c.inC, OutC: c.outC, Group: 1, In: []int{c.h, c.w}, Kernel: []int{1, 1}, Out: []int{c.h, c.w},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}, Act: c.act}
		x := uniform(rng, p.Batch*p.InC*c.h*c.w)
		w := uniform(rng, p.OutC*p.InC)
		var bias []float32
		if c.bias {
			bias = uniform(rng, p.OutC)
		}
		q := *p
		q.Act = ActNone
		want := naiveConv(&q, x, w, bias)
		ApplyActivation(want, want, c.act, 0, 0)
		for _, impl := range moveImpls() {
			moveUse = impl
			y := make([]float32, len(want))
			Conv(p, x, w, bias, y, nil)
			requireClose(t, fmt.Sprintf("%+v %s", *p, moveNames[impl]), y, want, 1e-5)
		}
	}
}

// TestConvScratchSize checks that only the im2col/col2im routes ask the
// runtime for column scratch, and that they run with exactly that much.
func TestConvScratchSize(t *testing.T) {
	mk := func(c, m, g int, in, k, s []int) *ConvParams {
		p := &ConvParams{Batch: 2, InC: c, OutC: m, Group: g, In: in, Kernel: k, Strides: s}
		for i := range in {
			p.Dilations = append(p.Dilations, 1)
			p.PadBegin = append(p.PadBegin, 0)
			p.Out = append(p.Out, ConvOutSize(in[i], k[i], s[i], 1, 0, 0))
		}
		return p
	}
	assert.Zero(t, mk(8, 8, 8, []int{9, 9}, []int{3, 3}, []int{1, 1}).ScratchSize(false), "depthwise")
	assert.Zero(t, mk(8, 16, 1, []int{9, 9}, []int{1, 1}, []int{1, 1}).ScratchSize(false), "pointwise")
	assert.Zero(t, mk(8, 16, 1, []int{9, 9}, []int{3, 3}, []int{2, 2}).ScratchSize(false), "phase split")
	assert.Zero(t, mk(8, 16, 1, []int{40}, []int{5}, []int{2}).ScratchSize(false), "1-D on the phase split")
	p3 := mk(2, 3, 1, []int{4, 5, 6}, []int{2, 2, 2}, []int{1, 1, 1})
	require.Equal(t, p3.ColSize(false), p3.ScratchSize(false), "3-D takes im2col")
	rng := rand.New(rand.NewPCG(1, 1))
	x, w := uniform(rng, 2*2*4*5*6), uniform(rng, 3*2*8)
	y := make([]float32, 2*3*NumElements(p3.Out))
	Conv(p3, x, w, nil, y, make([]float32, p3.ScratchSize(false)))
	requireClose(t, "3-D", y, naiveConv(p3, x, w, nil), 1e-5)
}

// TestConvChannelScaled checks conv(x·s) with per-image channel scales
// against scaling x first, for pointwise, 3×3 and grouped convolutions.
func TestConvChannelScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, p := range []*ConvParams{
		{Batch: 3, InC: 12, OutC: 7, Group: 1, In: []int{5, 6}, Kernel: []int{1, 1}, Out: []int{5, 6}, Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}, Act: ActRelu},
		{Batch: 2, InC: 4, OutC: 6, Group: 1, In: []int{7, 7}, Kernel: []int{3, 3}, Out: []int{7, 7}, Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}},
		{Batch: 2, InC: 6, OutC: 6, Group: 3, In: []int{9}, Kernel: []int{3}, Out: []int{4}, Strides: []int{2}, Dilations: []int{1}, PadBegin: []int{0}},
	} {
		x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
		s := uniform(rng, p.Batch*p.InC)
		w := uniform(rng, p.OutC*p.InC/p.Group*NumElements(p.Kernel))
		bias := uniform(rng, p.OutC)
		xs := append([]float32(nil), x...)
		in := NumElements(p.In)
		for i := range xs {
			xs[i] *= s[i/in]
		}
		want := naiveConv(p, xs, w, bias)
		y := make([]float32, len(want))
		ConvChannelScaled(p, x, s, w, bias, y, make([]float32, p.ScratchSize(false)), nil)
		requireClose(t, fmt.Sprintf("%+v", *p), y, want, 1e-5)
	}
}
