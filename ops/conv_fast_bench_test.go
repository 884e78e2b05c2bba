package ops

import (
	"math/rand/v2"
	"testing"
)

// convAELayers are the four convolutions of the benchmark conv AE
// (tools/bench-gorgonnx/models.sh: filters 16,32, 3×3, stride 2, pad 1) at
// batch 64, after BatchNormalization folding (bias + Relu fused).
func convAELayers(batch int) []struct {
	name      string
	transpose bool
	p         ConvParams
} {
	mk := func(inC, outC, in, out int) ConvParams {
		return ConvParams{Batch: batch, InC: inC, OutC: outC, Group: 1, In: []int{in, in}, Kernel: []int{3, 3}, Out: []int{out, out},
			Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}, Act: ActRelu}
	}
	return []struct {
		name      string
		transpose bool
		p         ConvParams
	}{
		{"conv1x28-16x14", false, mk(1, 16, 28, 14)},
		{"conv16x14-32x7", false, mk(16, 32, 14, 7)},
		{"convT32x7-16x14", true, mk(32, 16, 7, 14)},
		{"convT16x14-1x28", true, mk(16, 1, 14, 28)},
	}
}

// BenchmarkConvAE times each convolution of the conv AE at batch 64 on one
// thread (the shapes `latent bench` runs through the native plan), on the
// per-image im2col/col2im path and on the phase-split path Conv and
// ConvTranspose now take, with each row mover (Go loops, AVX2, AVX-512).
func BenchmarkConvAE(b *testing.B) {
	defer SetThreads(0)
	SetThreads(1)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range convAELayers(64) {
		p := l.p
		x := uniform(rng, p.Batch*p.InC*NumElements(p.In))
		w := uniform(rng, p.InC*p.OutC*9)
		bias := uniform(rng, p.OutC)
		y := make([]float32, p.Batch*p.OutC*NumElements(p.Out))
		col := make([]float32, p.ColSize(l.transpose))
		b.Run(l.name+"/im2col", func(b *testing.B) {
			for b.Loop() {
				if l.transpose {
					convTransposeCol2Im(&p, x, w, bias, y, col)
				} else {
					convIm2Col(&p, x, w, bias, y, col)
				}
			}
		})
		for _, impl := range moveImpls() {
			// The phase path with each row mover this CPU runs (the
			// fastest is the default).
			b.Run(l.name+"/phase-"+moveNames[impl], func(b *testing.B) {
				defer func(u int) { moveUse = u }(moveUse)
				moveUse = impl
				for b.Loop() {
					if l.transpose {
						ConvTranspose(&p, x, w, bias, y, col)
					} else {
						Conv(&p, x, w, bias, y, col)
					}
				}
			})
		}
	}
}
