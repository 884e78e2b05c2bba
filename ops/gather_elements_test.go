package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGatherElementsHandWorked(t *testing.T) {
	// The ONNX spec example: data [[1 2] [3 4]], axis 1, indices
	// [[0 0] [1 0]] -> [[1 1] [4 3]].
	data := []float32{1, 2, 3, 4}
	dst := make([]float32, 4)
	GatherElements(dst, data, []int{2, 2}, []int{2, 2}, 1, []int{0, 0, 1, 0})
	require.Equalf(t, "[1 1 4 3]", fmt.Sprint(dst), "got %v, want [1 1 4 3]", dst)
	// Scatter back with add: x = zeros, updates [[1 2] [3 4]] at the same
	// indices -> [[1+2 0] [4 3]].
	acc := make([]float32, 4)
	ScatterElements(acc, []float32{1, 2, 3, 4}, []int{2, 2}, []int{2, 2}, 1, []int{0, 0, 1, 0}, func(a, b float32) float32 { return a + b })
	require.Equalf(t, "[3 0 4 3]", fmt.Sprint(acc), "scatter add: got %v, want [3 0 4 3]", acc)
}

func TestGatherScatterElementsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 200; it++ {
		rank := 1 + r.IntN(4)
		dshape, ishape := make([]int, rank), make([]int, rank)
		axis := r.IntN(rank)
		for a := range dshape {
			dshape[a] = 1 + r.IntN(4)
			ishape[a] = r.IntN(dshape[a] + 1)
			if a == axis {
				ishape[a] = r.IntN(6)
			}
		}
		data := seqTensor(Int64, dshape...)
		ni := NumElements(ishape)
		idx := make([]int, ni)
		for i := range idx {
			idx[i] = r.IntN(dshape[axis])
		}
		// Naive: replace the axis coordinate of each output multi-index.
		want := make([]int, ni)
		for o := range want {
			m := unravel(o, ishape)
			m[axis] = idx[o]
			want[o] = ravel(m, dshape)
		}
		got := New(Int64, ishape...)
		GatherElements(got.I64(), data.I64(), dshape, ishape, axis, idx)
		requireTensorEqual(t, fmt.Sprintf("gather %v from %v axis %d", ishape, dshape, axis), got, pickElements(data, ishape, want))

		// Scatter the gathered values into zeros: every touched element gets
		// the data value (duplicates write the same value).
		sc := make([]int64, NumElements(dshape))
		ScatterElements(sc, got.I64(), dshape, ishape, axis, idx, nil)
		exp := make([]int64, len(sc))
		for _, p := range want {
			exp[p] = data.I64()[p]
		}
		if fmt.Sprint(exp) != fmt.Sprint(sc) {
			require.Equalf(t, fmt.Sprint(exp), fmt.Sprint(sc), "scatter %v into %v axis %d: got %v want %v", ishape, dshape, axis, sc, exp)
		}
	}
}

func TestGatherScatterBlocks(t *testing.T) {
	src := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8}
	dst := make([]int32, 6)
	GatherBlocks(dst, src, []int{6, 0, 3}, 2)
	require.Equalf(t, "[6 7 0 1 3 4]", fmt.Sprint(dst), "GatherBlocks: %v", dst)
	one := make([]int32, 3)
	GatherBlocks(one, src, []int{8, 2, 2}, 1)
	require.Equalf(t, "[8 2 2]", fmt.Sprint(one), "GatherBlocks blk 1: %v", one)
	out := append([]int32{}, src...)
	ScatterBlocks(out, []int32{10, 11, 20, 21}, []int{1, 1}, 2, func(a, b int32) int32 { return a * b })
	require.Equalf(t, "[0 200 462 3 4 5 6 7 8]", fmt.Sprint(out), "ScatterBlocks mul: %v", out)
	ScatterBlocks(out, []int32{-1, -2}, []int{7}, 2, nil)
	require.Equalf(t, "[0 200 462 3 4 5 6 -1 -2]", fmt.Sprint(out), "ScatterBlocks: %v", out)
}
