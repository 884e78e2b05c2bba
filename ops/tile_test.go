package ops

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTileHandWorked(t *testing.T) {
	// [[1 2] [3 4]] tiled (2, 3).
	src := FromInt64([]int{2, 2}, []int64{1, 2, 3, 4})
	shape, err := TileShape(src.Shape, []int{2, 3})
	require.NoError(t, err)
	got := New(Int64, shape...)
	require.NoError(t, TileInto(got, src))
	requireTensorEqual(t, "tile 2x3", got, FromInt64([]int{4, 6}, []int64{
		1, 2, 1, 2, 1, 2,
		3, 4, 3, 4, 3, 4,
		1, 2, 1, 2, 1, 2,
		3, 4, 3, 4, 3, 4,
	}))
}

func TestTileAllDTypes(t *testing.T) {
	cases := []struct{ shape, reps []int }{
		{[]int{}, []int{}},
		{[]int{3}, []int{1}},
		{[]int{3}, []int{4}},
		{[]int{2, 3}, []int{1, 1}},
		{[]int{2, 3}, []int{3, 1}},
		{[]int{2, 1, 3}, []int{2, 4, 2}},
		{[]int{2, 3}, []int{0, 2}},
		{[]int{0, 3}, []int{2, 2}},
		{[]int{1, 2, 2, 1}, []int{2, 1, 3, 2}},
	}
	for _, dt := range allDTypes {
		for _, c := range cases {
			src := seqTensor(dt, c.shape...)
			oshape, err := TileShape(c.shape, c.reps)
			require.NoError(t, err)
			idx := make([]int, NumElements(oshape))
			for o := range idx {
				m := unravel(o, oshape)
				for a := range m {
					m[a] %= c.shape[a]
				}
				idx[o] = ravel(m, c.shape)
			}
			got := New(dt, oshape...)
			require.NoError(t, TileInto(got, src))
			requireTensorEqual(t, fmt.Sprintf("%v %v reps %v", dt, c.shape, c.reps), got, pickElements(src, oshape, idx))
		}
	}
}

func TestTileErrors(t *testing.T) {
	_, err := TileShape([]int{2, 3}, []int{2})
	assert.Error(t, err, "repeats of wrong length: no error")
	_, err = TileShape([]int{2, 3}, []int{2, -1})
	assert.Error(t, err, "negative repeat: no error")
	assert.Error(t, TileInto(New(Float32, 5, 3), seqTensor(Float32, 2, 3)), "output dim not a multiple: no error")
}

func BenchmarkRepeatCopyBroadcastRows(b *testing.B) {
	// A [1, 768] bias broadcast to [512, 768] and a [512, 1] column to the
	// same shape.
	row, col := make([]float32, 768), make([]float32, 512)
	dst := make([]float32, 512*768)
	b.SetBytes(int64(2 * 4 * len(dst)))
	for b.Loop() {
		RepeatCopy(dst, row, []int{1, 768}, []int{512, 768})
		RepeatCopy(dst, col, []int{512, 1}, []int{512, 768})
	}
}
