package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConvWideMaps runs 2-D Conv and ConvTranspose on maps wider than one
// assembly call of the row movers takes (32 outputs, 16 for the stride-2
// split), on every implementation, against the naive definitions.
func TestConvWideMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls() {
		moveUse = impl
		for _, in := range []int{31, 32, 33, 64, 67, 100} {
			for _, transpose := range []bool{false, true} {
				for _, act := range []Act{ActNone, ActRelu} {
					p := &ConvParams{Batch: 3, InC: 3, OutC: 4, Group: 1, Kernel: []int{3, 3}, Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}, Act: act}
					p.In, p.Out = []int{in, in + 1}, []int{ConvOutSize(in, 3, 2, 1, 1, 1), ConvOutSize(in+1, 3, 2, 1, 1, 1)}
					if transpose {
						p.In, p.Out = p.Out, []int{2*(p.Out[0]-1) + 1, 2*(p.Out[1]-1) + 1}
					}
					x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
					w := uniform(rng, p.InC*p.OutC*9)
					b := uniform(rng, p.OutC)
					var want []float32
					y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
					if transpose {
						want = naiveConvTranspose(p, x, w, b)
						if act == ActRelu {
							for i, v := range want {
								want[i] = max(v, 0)
							}
						}
						ConvTranspose(p, x, w, b, y, nil)
					} else {
						want = naiveConv(p, x, w, b)
						Conv(p, x, w, b, y, nil)
					}
					requireClose(t, fmt.Sprintf("impl %d in %d transpose %v", impl, in, transpose), y, want, 1e-4)
				}
			}
		}
	}
}

// BenchmarkConvWide times conv AE layers on 64×64 images (batch 32, one
// thread), whose rows span several row-mover calls, with each mover.
func BenchmarkConvWide(b *testing.B) {
	defer SetThreads(0)
	SetThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(inC, outC, in, out int) ConvParams {
		return ConvParams{Batch: 32, InC: inC, OutC: outC, Group: 1, In: []int{in, in}, Kernel: []int{3, 3}, Out: []int{out, out},
			Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}, Act: ActRelu}
	}
	for _, l := range []struct {
		name string
		tr   bool
		p    ConvParams
	}{{"conv3x64-16x32", false, mk(3, 16, 64, 32)}, {"conv16x32-32x16", false, mk(16, 32, 32, 16)}, {"convT32x16-16x32", true, mk(32, 16, 16, 32)}, {"convT16x32-3x64", true, mk(16, 3, 32, 64)}, {"convT32x16-4x32", true, mk(32, 4, 16, 32)}, {"convT32x16-8x32", true, mk(32, 8, 16, 32)}, {"convT8x14-4x28", true, mk(8, 4, 14, 28)}} {
		p := l.p
		x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
		w := uniform(rng, p.InC*p.OutC*9)
		bias := uniform(rng, p.OutC)
		y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
		for _, impl := range moveImpls() {
			b.Run(l.name+"-"+moveNames[impl], func(b *testing.B) {
				defer func(u int) { moveUse = u }(moveUse)
				moveUse = impl
				for b.Loop() {
					if l.tr {
						ConvTranspose(&p, x, w, bias, y, nil)
					} else {
						Conv(&p, x, w, bias, y, nil)
					}
				}
			})
		}
	}
}
