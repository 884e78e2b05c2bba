package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzConv runs fuzzed 2-D Conv and ConvTranspose geometries (strides,
// dilations, pads, odd sizes, one or many channels, groups) forward on whichever
// path they take (direct grouped taps, phase split, shifted adds, col2im) with each row mover
// the CPU has against the naive definitions (ops/train's FuzzConvBackward
// runs the same geometries backward). Sizes stay small so an input runs in
// well under a millisecond:
//
//	go test ./ops -run '^$' -fuzz FuzzConv -fuzztime 60s
func FuzzConv(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0x21), uint8(0x13), uint8(0x14), uint8(14), uint8(14))
	f.Add(uint64(2), uint8(1), uint8(0x12), uint8(0x13), uint8(0x14), uint8(7), uint8(7))
	f.Add(uint64(3), uint8(1), uint8(0x81), uint8(0x13), uint8(0x14), uint8(14), uint8(14))
	f.Add(uint64(4), uint8(2), uint8(0x33), uint8(0x22), uint8(0x37), uint8(5), uint8(9))
	f.Add(uint64(4)<<32|5, uint8(0x52), uint8(0x01), uint8(0x55), uint8(0x11), uint8(7), uint8(7))
	f.Add(uint64(2)<<32|6, uint8(0x16), uint8(0x32), uint8(0x33), uint8(0x05), uint8(14), uint8(11))
	f.Fuzz(func(t *testing.T, seed uint64, flags, chans, kernel, geo, h, w uint8) {
		transpose := flags&1 != 0
		p := &ConvParams{Batch: 1 + int(flags>>1)%3, InC: 1 + int(chans>>4)%8, OutC: 1 + int(chans&15)%8, Group: 1}
		if flags&8 != 0 {
			p.Act = ActRelu
		}
		if g := 1 + int(seed>>32)%5; g > 1 && !transpose {
			// Grouped and depthwise (the direct path): 1-4 input and 1-3
			// output channels per group.
			p.Group, p.InC, p.OutC = g, g*(1+int(chans>>4)%4), g*(1+int(chans&15)%3)
		}
		for d, in := range []int{1 + int(h)%16, 1 + int(w)%16} {
			k := 1 + int(kernel>>(4*d))%4
			s := 1 + int(geo>>(4*d))%3
			dl := 1 + int(geo>>(4*d+2))%2
			pb := int(flags>>(4+2*d)) % 3
			ek := (k-1)*dl + 1
			out := ConvOutSize(in, k, s, dl, pb, pb)
			if transpose {
				// ConvTranspose from `in` positions; pads at most ek-1, and
				// an output padding of up to 2·s-1 positions (rows past
				// every tap hold the bias only).
				pb = min(pb, ek-1)
				out = s*(in-1) + ek - 2*pb + int(seed>>(8*d))%(2*s)
			}
			if out < 1 {
				t.Skip("no output positions")
			}
			p.In, p.Out = append(p.In, in), append(p.Out, out)
			p.Kernel, p.Strides, p.Dilations, p.PadBegin = append(p.Kernel, k), append(p.Strides, s), append(p.Dilations, dl), append(p.PadBegin, pb)
		}
		if err := p.Check(); err != nil {
			t.Skip(err)
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
		wt := uniform(rng, p.InC/p.Group*p.OutC*NumElements(p.Kernel))
		bias := uniform(rng, p.OutC)
		var want []float32
		if transpose {
			want = naiveConvTranspose(p, x, wt, bias)
			if p.Act == ActRelu {
				for i, v := range want {
					want[i] = max(v, 0)
				}
			}
		} else {
			want = naiveConv(p, x, wt, bias)
		}
		name := fmt.Sprintf("transpose=%v %+v", transpose, *p)
		defer func(u int) { moveUse = u }(moveUse)
		for _, impl := range moveImpls() {
			moveUse = impl
			y := make([]float32, len(want))
			for i := range y {
				y[i] = float32(math.NaN())
			}
			if transpose {
				ConvTranspose(p, x, wt, bias, y, nil)
			} else {
				Conv(p, x, wt, bias, y, nil)
			}
			requireClose(t, name+" movers "+moveNames[impl], y, want, 1e-4)
		}
	})
}
