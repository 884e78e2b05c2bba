package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
)

// FuzzConvBackward runs fuzzed 2-D Conv and ConvTranspose geometries (the
// ones ops' FuzzConv runs forward, decoded the same way) backward on the
// phase-split paths and on the per-image im2col loops, which
// TestConvBackwardLinear checks against the forward pass, and wants dx, dw
// and db to agree within float32 rounding of reordered sums:
//
//	go test ./ops/train -run '^$' -fuzz FuzzConvBackward -fuzztime 60s
func FuzzConvBackward(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0x21), uint8(0x13), uint8(0x14), uint8(14), uint8(14))
	f.Add(uint64(2), uint8(1), uint8(0x12), uint8(0x13), uint8(0x14), uint8(7), uint8(7))
	f.Add(uint64(3), uint8(1), uint8(0x81), uint8(0x13), uint8(0x14), uint8(14), uint8(14))
	f.Add(uint64(4), uint8(2), uint8(0x33), uint8(0x22), uint8(0x37), uint8(5), uint8(9))
	f.Fuzz(func(t *testing.T, seed uint64, flags, chans, kernel, geo, h, w uint8) {
		transpose := flags&1 != 0
		p := &ops.ConvParams{Batch: 1 + int(flags>>1)%3, InC: 1 + int(chans>>4)%8, OutC: 1 + int(chans&15)%8, Group: 1}
		for d, in := range []int{1 + int(h)%16, 1 + int(w)%16} {
			k := 1 + int(kernel>>(4*d))%4
			s := 1 + int(geo>>(4*d))%3
			dl := 1 + int(geo>>(4*d+2))%2
			pb := int(flags>>(4+2*d)) % 3
			ek := (k-1)*dl + 1
			out := ops.ConvOutSize(in, k, s, dl, pb, pb)
			if transpose {
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
		x := uniform(rng, p.Batch*p.InC*ops.NumElements(p.In))
		wt := uniform(rng, p.InC*p.OutC*ops.NumElements(p.Kernel))
		dy := uniform(rng, p.Batch*p.OutC*ops.NumElements(p.Out))
		name := fmt.Sprintf("transpose=%v %+v", transpose, *p)
		fdx, fdw, fdb, ok := convBackwardPath(p, transpose, true, x, wt, dy, nil)
		if !ok {
			return // p does not take the phase-split path
		}
		dx, dw, db, _ := convBackwardPath(p, transpose, false, x, wt, dy, nil)
		assertClose(t, name+" backward dx", dx, fdx, 1e-4)
		assertClose(t, name+" backward dw", dw, fdw, 1e-4)
		assertClose(t, name+" backward db", db, fdb, 1e-4)
	})
}
