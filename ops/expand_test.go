package ops

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandHandWorked(t *testing.T) {
	// [[1] [2] [3]] expanded to [2, 3, 2].
	src := FromFloat32([]int{3, 1}, []float32{1, 2, 3})
	got := New(Float32, 2, 3, 2)
	require.NoError(t, ExpandInto(got, src))
	requireTensorEqual(t, "3x1 to 2x3x2", got, FromFloat32([]int{2, 3, 2}, []float32{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}))
}

func TestExpandAllDTypes(t *testing.T) {
	cases := []struct{ in, out []int }{
		{[]int{}, []int{}},
		{[]int{}, []int{2, 3}},
		{[]int{1}, []int{4}},
		{[]int{3}, []int{2, 3}},
		{[]int{2, 1}, []int{2, 4}},
		{[]int{1, 3, 1}, []int{2, 3, 4}},
		{[]int{2, 1, 3}, []int{5, 2, 2, 3}},
		{[]int{1, 2}, []int{0, 2}},
	}
	for _, dt := range allDTypes {
		for _, c := range cases {
			src := seqTensor(dt, c.in...)
			off := len(c.out) - len(c.in)
			idx := make([]int, NumElements(c.out))
			for o := range idx {
				m := unravel(o, c.out)[off:]
				for a := range m {
					if c.in[a] == 1 {
						m[a] = 0
					}
				}
				idx[o] = ravel(m, c.in)
			}
			got := New(dt, c.out...)
			require.NoError(t, ExpandInto(got, src))
			requireTensorEqual(t, fmt.Sprintf("%v %v to %v", dt, c.in, c.out), got, pickElements(src, c.out, idx))
		}
	}
}

func TestExpandErrors(t *testing.T) {
	assert.Error(t, ExpandInto(New(Float32, 2, 4), seqTensor(Float32, 2, 3)), "3 to 4: no error")
	assert.Error(t, ExpandInto(New(Float32, 3), seqTensor(Float32, 2, 3)), "rank reduction: no error")
}
