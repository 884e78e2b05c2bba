package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPool2x2AgainstLoops runs 2×2 stride-2 max and average pooling on the
// 2×2 paths (the vector one where the CPU has it, and pool2x2Go) and on the
// generic 2-D loops (maxPool2D, avgPool2D, which the
// conformance suite checks against ONNX Runtime) over widths around the
// 16-output chunk edges, odd input sizes (a last row/column no window
// reads) and NaN inputs. It fails if the vector path is not taken where the
// CPU has it.
func TestPool2x2AgainstLoops(t *testing.T) {
	defer func(u int) { moveUse = u }(moveUse)
	for _, impl := range moveImpls() {
		moveUse = impl
		t.Run(moveNames[impl], testPool2x2AgainstLoops)
	}
}

func testPool2x2AgainstLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	vec := 0
	for _, iw := range []int{2, 3, 14, 28, 31, 32, 33, 34, 64, 70} {
		for _, ih := range []int{2, 5, 28} {
			planes := 1 + rng.IntN(4)
			p := &PoolParams{Planes: planes, In: []int{ih, iw}, Kernel: []int{2, 2}, Out: []int{ih / 2, iw / 2},
				Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
			x := make([]float32, planes*ih*iw)
			for i := range x {
				x[i] = rng.Float32()*4 - 2
				if rng.IntN(17) == 0 {
					x[i] = float32(math.NaN())
				}
			}
			if len(x) >= 4 { // a window of NaNs only: -Inf
				x[0], x[1], x[iw], x[iw+1] = float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), float32(math.NaN())
			}
			n := planes * (ih / 2) * (iw / 2)
			for _, avg := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d avg=%v", planes, ih, iw, avg)
				got, want := make([]float32, n), make([]float32, n)
				require.Truef(t, pool2x2(p, x, got, avg), "%s: 2×2 path not taken", name)
				vec++
				if avg {
					avgPool2D(p, x, want, false)
				} else {
					maxPool2D(p, x, want, nil, false, float32(math.Inf(-1)))
				}
				for i := range want {
					g, w := float64(got[i]), float64(want[i])
					if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && math.Abs(g-w) > 1e-6*max(1, math.Abs(w))) {
						require.Failf(t, "math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && math.Abs(g-w) > 1e-6*max(1, math.Abs(w)))", "%s: output %d = %v, want %v", name, i, g, w)
					}
				}
			}
		}
	}
	t.Logf("%d cases", vec)
}

// TestPool2x2Declines checks the shapes the vector path must leave to the
// generic loops: padding, other kernels or strides, dilation, ceil-mode
// partial windows, other ranks.
func TestPool2x2Declines(t *testing.T) {
	base := func() *PoolParams {
		return &PoolParams{Planes: 1, In: []int{8, 8}, Kernel: []int{2, 2}, Out: []int{4, 4},
			Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	}
	cases := map[string]func(p *PoolParams){
		"pad":      func(p *PoolParams) { p.PadBegin[1], p.Out[1] = 1, 5 },
		"kernel 3": func(p *PoolParams) { p.Kernel[0] = 3 },
		"stride 1": func(p *PoolParams) { p.Strides[1], p.Out[1] = 1, 7 },
		"dilation": func(p *PoolParams) { p.Dilations[0] = 2 },
		"ceil":     func(p *PoolParams) { p.In[0] = 7 }, // Out stays 4: a half window
		"1-D": func(p *PoolParams) {
			p.In, p.Kernel, p.Out, p.Strides, p.Dilations, p.PadBegin, p.PadEnd = []int{8}, []int{2}, []int{4}, []int{2}, []int{1}, []int{0}, []int{0}
		},
	}
	for name, edit := range cases {
		p := base()
		edit(p)
		assert.Falsef(t, pool2x2OK(p), "%s: pool2x2OK accepted %+v", name, *p)
	}
	assert.Truef(t, pool2x2OK(base()), "pool2x2OK refused a plain 2×2 stride-2 pooling")
}

// BenchmarkPool2x2 pools a batch of 64 16×28×28 maps (a conv AE encoder's
// first pooling) on the 2×2 path with each implementation the CPU runs and
// on the generic 2-D loops.
func BenchmarkPool2x2(b *testing.B) {
	p := &PoolParams{Planes: 64 * 16, In: []int{28, 28}, Kernel: []int{2, 2}, Out: []int{14, 14},
		Strides: []int{2, 2}, Dilations: []int{1, 1}, PadBegin: []int{0, 0}, PadEnd: []int{0, 0}}
	rng := rand.New(rand.NewPCG(1, 2))
	x := uniform(rng, p.Planes*28*28)
	y := make([]float32, p.Planes*14*14)
	for _, avg := range []bool{false, true} {
		op := map[bool]string{false: "max", true: "avg"}[avg]
		for _, impl := range moveImpls() {
			b.Run(op+"/2x2-"+moveNames[impl], func(b *testing.B) {
				defer func(u int) { moveUse = u }(moveUse)
				moveUse = impl
				for b.Loop() {
					pool2x2(p, x, y, avg)
				}
			})
		}
		b.Run(op+"/loops", func(b *testing.B) {
			for b.Loop() {
				if avg {
					avgPool2D(p, x, y, false)
				} else {
					maxPool2D(p, x, y, nil, false, float32(math.Inf(-1)))
				}
			}
		})
	}
}
