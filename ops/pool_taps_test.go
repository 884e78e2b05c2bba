package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkMaxPoolTaps runs maxPool2DTaps on every row mover against the
// window walk (maxPool2D) on one geometry, with NaNs and -Inf in the input.
func checkMaxPoolTaps(t *testing.T, rng *rand.Rand, p *PoolParams) {
	t.Helper()
	require.NoError(t, p.Check())
	x := uniform(rng, p.Planes*NumElements(p.In))
	for i := range x {
		switch rng.IntN(40) {
		case 0:
			x[i] = float32(math.NaN())
		case 1:
			x[i] = float32(math.Inf(-1))
		}
	}
	want := make([]float32, p.Planes*NumElements(p.Out))
	maxPool2D(p, x, want, nil, false, float32(math.Inf(-1)))
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls() {
		moveUse = impl
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		maxPool2DTaps(p, x, got)
		requireClose(t, fmt.Sprintf("%+v %s", *p, moveNames[impl]), got, want, 0)
	}
}

// poolGeom builds 2-D pool parameters from small fuzzed numbers: kernel
// 1-4, stride 1-3, dilation 1-2, padding below the kernel extent, ceil mode.
func poolGeom(planes, h, w, k0, k1, s0, s1, d0, d1, pb0, pb1 int, ceil bool) *PoolParams {
	p := &PoolParams{Planes: planes, In: []int{h, w}, Kernel: []int{k0, k1}, Strides: []int{s0, s1}, Dilations: []int{d0, d1}}
	for ax, pb := range []int{pb0, pb1} {
		ek := (p.Kernel[ax]-1)*p.Dilations[ax] + 1
		pb = min(pb, ek-1, p.Kernel[ax]-1)
		p.PadBegin = append(p.PadBegin, pb)
		p.PadEnd = append(p.PadEnd, pb)
		p.Out = append(p.Out, PoolOutSize(p.In[ax], p.Kernel[ax], p.Strides[ax], p.Dilations[ax], pb, pb, ceil))
	}
	return p
}

// TestMaxPoolTaps covers SqueezeNet's and ResNet's 3×3/2 pools (ceil and
// floor, padded) and random windows.
func TestMaxPoolTaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, p := range []*PoolParams{
		poolGeom(3, 111, 111, 3, 3, 2, 2, 1, 1, 0, 0, true),
		poolGeom(2, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, false),
		poolGeom(2, 27, 27, 3, 3, 2, 2, 1, 1, 0, 0, true),
		poolGeom(1, 20, 9, 2, 4, 1, 3, 2, 1, 1, 2, true),
	} {
		require.True(t, maxPoolTapsOK(p), "%+v", *p)
		checkMaxPoolTaps(t, rng, p)
	}
	for it := 0; it < 200; it++ {
		p := poolGeom(1+rng.IntN(3), 1+rng.IntN(30), 1+rng.IntN(30), 1+rng.IntN(4), 1+rng.IntN(4), 1+rng.IntN(3), 1+rng.IntN(3),
			1+rng.IntN(2), 1+rng.IntN(2), rng.IntN(3), rng.IntN(3), rng.IntN(2) == 0)
		if p.Out[0] < 1 || p.Out[1] < 1 || !maxPoolTapsOK(p) {
			continue
		}
		checkMaxPoolTaps(t, rng, p)
	}
}

// FuzzMaxPoolTaps fuzzes the geometry of the tap max pool:
//
//	go test ./ops -run '^$' -fuzz FuzzMaxPoolTaps -fuzztime 60s
func FuzzMaxPoolTaps(f *testing.F) {
	f.Add(uint64(1), uint8(111), uint8(111), uint8(0x22), uint8(0x11), uint8(0x00), true)
	f.Add(uint64(2), uint8(9), uint8(14), uint8(0x31), uint8(0x20), uint8(0x12), false)
	f.Fuzz(func(t *testing.T, seed uint64, h, w, kernel, stride, pad uint8, ceil bool) {
		p := poolGeom(1+int(seed%3), 1+int(h)%40, 1+int(w)%40, 1+int(kernel&15)%4, 1+int(kernel>>4)%4,
			1+int(stride&3)%3, 1+int(stride>>2&3)%3, 1+int(stride>>4)%2, 1+int(stride>>5)%2, int(pad&15)%3, int(pad>>4)%3, ceil)
		if p.Out[0] < 1 || p.Out[1] < 1 || !maxPoolTapsOK(p) {
			t.Skip("no vector-sized output")
		}
		checkMaxPoolTaps(t, rand.New(rand.NewPCG(seed, 3)), p)
	})
}
