package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAffineKernel checks the Affine node against a naive per-element
// y = x·s + c (or x/s + c) on the one-pass shapes and on shapes that take
// the two-operator path, and that bad inputs are errors naming the node.
func TestAffineKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	cases := []struct {
		x, s, c []int
		out     []int
	}{
		{[]int{2, 5}, []int{5}, []int{5}, []int{2, 5}},
		{[]int{2, 5}, []int{1}, []int{5}, []int{2, 5}},
		{[]int{3, 2, 5}, []int{5}, []int{}, []int{3, 2, 5}},
		{[]int{2, 5}, []int{2, 1}, []int{5}, []int{2, 5}}, // two-operator path
		{[]int{2, 1}, []int{5}, []int{5}, []int{2, 5}},    // s widens x
	}
	for _, div := range []int64{0, 1} {
		nd := &graph.Node{Name: "aff", OpType: "Affine", Domain: operators.FusedDomain, Inputs: []string{"x", "s", "c"}, Outputs: []string{"y"},
			Attrs: map[string]*graph.Attr{"divide": attrInt("divide", div)}}
		k, err := buildAffine(nd, 1)
		require.NoError(t, err)
		for _, c := range cases {
			x, s, off := affineRand(rng, -2, 2, c.x...), affineRand(rng, 0.5, 2, c.s...), affineRand(rng, -1, 1, c.c...)
			got, err := k(&operators.Env{Alloc: dirtyAlloc}, []*ops.Tensor{x, s, off})
			require.NoError(t, err, "divide=%d %v %v %v", div, c.x, c.s, c.c)
			y := got[0]
			require.True(t, ops.SameShape(y.Shape, c.out), "divide=%d %v %v %v: shape %v, want %v", div, c.x, c.s, c.c, y.Shape, c.out)
			xs, ss, cs := ops.BroadcastStrides(c.x, c.out), ops.BroadcastStrides(c.s, c.out), ops.BroadcastStrides(c.c, c.out)
			st := ops.Strides(c.out)
			for i := range y.Len() {
				xi, si, ci, r := 0, 0, 0, i
				for d := range c.out {
					q := r / st[d]
					r %= st[d]
					xi, si, ci = xi+q*xs[d], si+q*ss[d], ci+q*cs[d]
				}
				var want float32
				if div == 1 {
					q := x.F32()[xi] / s.F32()[si]
					want = q + off.F32()[ci]
				} else {
					want = float32(x.F32()[xi]*s.F32()[si]) + off.F32()[ci]
				}
				require.Equal(t, want, y.F32()[i], "divide=%d %v %v %v: y[%d] = %v, want %v", div, c.x, c.s, c.c, i, y.F32()[i], want)
			}
		}
		bad := [][]*ops.Tensor{
			{ops.New(ops.Float32, 2, 5), ops.New(ops.Float32, 5)},
			{ops.New(ops.Float32, 2, 5), nil, ops.New(ops.Float32, 5)},
			{ops.New(ops.Float32, 2, 5), ops.New(ops.Float64, 5), ops.New(ops.Float32, 5)},
			{ops.New(ops.Float32, 2, 5), ops.New(ops.Float32, 3), ops.New(ops.Float32, 5)},
			{ops.New(ops.Bool, 2, 5), ops.New(ops.Float32, 5), ops.New(ops.Float32, 5)},
		}
		for i, in := range bad {
			_, err := k(&operators.Env{}, in)
			if assert.Error(t, err, "divide=%d bad input %d", div, i) {
				assert.Contains(t, err.Error(), "aff", "divide=%d bad input %d: the error names node aff", div, i)
			}
		}
	}
	_, err := buildAffine(&graph.Node{Name: "aff", OpType: "Affine", Attrs: map[string]*graph.Attr{"divide": attrInt("divide", 2)}}, 1)
	assert.Error(t, err, "divide=2")
}

func affineRand(rng *rand.Rand, lo, hi float64, shape ...int) *ops.Tensor {
	t := ops.New(ops.Float32, shape...)
	for i := range t.F32() {
		t.F32()[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}
