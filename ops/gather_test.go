package ops

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGatherHandWorked(t *testing.T) {
	// data [[1 2] [3 4] [5 6]], axis 0, indices [[0 1] [1 2]]
	// -> [[[1 2] [3 4]] [[3 4] [5 6]]] (the ONNX spec's first example).
	data := FromFloat32([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6})
	shape := GatherShape(data.Shape, []int{2, 2}, 0)
	got := New(Float32, shape...)
	require.NoError(t, GatherInto(got, data, 0, []int{0, 1, 1, 2}))
	requireTensorEqual(t, "axis 0", got, FromFloat32([]int{2, 2, 2}, []float32{1, 2, 3, 4, 3, 4, 5, 6}))

	// axis 1, indices [[0 2]] on [[1 2 3] [4 5 6]] -> [[[1 3]] [[4 6]]].
	data = FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	got = New(Float32, GatherShape(data.Shape, []int{1, 2}, 1)...)
	require.NoError(t, GatherInto(got, data, 1, []int{0, 2}))
	requireTensorEqual(t, "axis 1", got, FromFloat32([]int{2, 1, 2}, []float32{1, 3, 4, 6}))
}

func TestGatherAllDTypesAxes(t *testing.T) {
	dshape := []int{3, 4, 2}
	for _, dt := range allDTypes {
		for axis := range dshape {
			for _, ishape := range [][]int{{}, {0}, {5}, {2, 3}} {
				data := seqTensor(dt, dshape...)
				idx := make([]int, NumElements(ishape))
				for i := range idx {
					idx[i] = (i*5 + 1) % dshape[axis]
				}
				oshape := GatherShape(dshape, ishape, axis)
				require.Equalf(t, len(dshape)-1+len(ishape), len(oshape), "GatherShape(%v, %v, %d) = %v", dshape, ishape, axis, oshape)
				// Naive: output multi-index = (pre…, ind…, post…).
				want := make([]int, NumElements(oshape))
				for o := range want {
					m := unravel(o, oshape)
					pre, ind, post := m[:axis], m[axis:axis+len(ishape)], m[axis+len(ishape):]
					k := idx[ravel(ind, ishape)]
					im := append(append(append([]int{}, pre...), k), post...)
					want[o] = ravel(im, dshape)
				}
				got := New(dt, oshape...)
				require.NoError(t, GatherInto(got, data, axis, idx))
				requireTensorEqual(t, fmt.Sprintf("%v axis %d indices %v", dt, axis, ishape), got, pickElements(data, oshape, want))
			}
		}
	}
}

func TestGatherErrors(t *testing.T) {
	data := seqTensor(Int64, 3, 2)
	assert.Error(t, GatherInto(New(Int64, 1, 2), data, 0, []int{3}), "index 3 of 3: no error")
	assert.Error(t, GatherInto(New(Int64, 1, 2), data, 0, []int{-1}), "unnormalised index -1: no error")
	assert.Error(t, GatherInto(New(Int64, 1, 2), data, 2, []int{0}), "axis 2 of rank 2: no error")
	assert.Error(t, GatherInto(New(Int64, 2, 2), data, 0, []int{0}), "wrong output size: no error")
}

func BenchmarkGatherRows(b *testing.B) {
	// Embedding lookup: 256 rows of 128 floats from a 10000-row table.
	src := make([]float32, 10000*128)
	dst := make([]float32, 256*128)
	idx := make([]int, 256)
	for i := range idx {
		idx[i] = i * 37 % 10000
	}
	b.SetBytes(int64(4 * len(dst)))
	for b.Loop() {
		Gather(dst, src, 1, 10000, 128, idx)
	}
}
