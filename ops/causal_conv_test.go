package ops

import (
	"math/rand/v2"
	"testing"
)

func TestCausalConv1DHandComputed(t *testing.T) {
	// One channel, filter [1 2 3], bias 10, past [4 5], input [6 7]:
	// y0 = 10 + 4 + 10 + 18 = 42, y1 = 10 + 5 + 12 + 21 = 48; the state
	// is the last two padded samples, [6 7].
	y, st := make([]float32, 2), make([]float32, 2)
	CausalConv1D(1, 1, 2, 3, []float32{6, 7}, []float32{1, 2, 3}, []float32{10}, []float32{4, 5}, y, st)
	requireClose(t, "y", y, []float32{42, 48}, 0)
	requireClose(t, "state", st, []float32{6, 7}, 0)
}

// TestCausalConv1DStreams: a sequence convolved at once equals the same
// sequence fed in two chunks with the state carried between them.
func TestCausalConv1DStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	b, c, l, k := 2, 3, 9, 4
	x, w, bias := uniform(r, b*c*l), uniform(r, c*k), uniform(r, c)
	whole, st := make([]float32, b*c*l), make([]float32, b*c*(k-1))
	CausalConv1D(b, c, l, k, x, w, bias, nil, whole, st)
	split := 5
	part := func(lo, hi int) []float32 {
		out := make([]float32, 0, b*c*(hi-lo))
		for row := 0; row < b*c; row++ {
			out = append(out, x[row*l+lo:row*l+hi]...)
		}
		return out
	}
	y1, s1 := make([]float32, b*c*split), make([]float32, b*c*(k-1))
	CausalConv1D(b, c, split, k, part(0, split), w, bias, nil, y1, s1)
	y2, s2 := make([]float32, b*c*(l-split)), make([]float32, b*c*(k-1))
	CausalConv1D(b, c, l-split, k, part(split, l), w, bias, s1, y2, s2)
	for row := 0; row < b*c; row++ {
		requireClose(t, "first chunk", y1[row*split:(row+1)*split], whole[row*l:row*l+split], 1e-6)
		requireClose(t, "second chunk", y2[row*(l-split):(row+1)*(l-split)], whole[row*l+split:(row+1)*l], 1e-6)
	}
	requireClose(t, "final state", s2, st, 0)
}
