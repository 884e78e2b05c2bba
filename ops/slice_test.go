package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveSliceIdx lists, for each output element, the input element a slice
// with the given starts/steps/counts reads.
func naiveSliceIdx(shape, starts, steps, counts []int) []int {
	n := NumElements(counts)
	idx := make([]int, n)
	for o := range idx {
		m := unravel(o, counts)
		for a := range m {
			m[a] = starts[a] + m[a]*steps[a]
		}
		idx[o] = ravel(m, shape)
	}
	return idx
}

func TestSliceHandWorked(t *testing.T) {
	// x = [[0 1 2 3] [4 5 6 7] [8 9 10 11]]; rows 2,0 (step -2), cols 1,3.
	src := FromInt32([]int{3, 4}, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	dst := New(Int32, 2, 2)
	require.NoError(t, SliceInto(dst, src, []int{2, 1}, []int{-2, 2}))
	requireTensorEqual(t, "rows 2,0 cols 1,3", dst, FromInt32([]int{2, 2}, []int32{9, 11, 1, 3}))

	// Middle row, all columns: a contiguous block.
	dst = New(Int32, 1, 4)
	require.NoError(t, SliceInto(dst, src, []int{1, 0}, []int{1, 1}))
	requireTensorEqual(t, "row 1", dst, FromInt32([]int{1, 4}, []int32{4, 5, 6, 7}))
}

func TestSliceAllDTypesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 300; it++ {
		dt := allDTypes[it%len(allDTypes)]
		rank := r.IntN(5)
		shape := make([]int, rank)
		starts, steps, counts := make([]int, rank), make([]int, rank), make([]int, rank)
		for a := range shape {
			shape[a] = r.IntN(6) + 1
			if r.IntN(10) == 0 {
				shape[a] = 0
			}
			if shape[a] == 0 {
				steps[a] = 1
				continue
			}
			steps[a] = r.IntN(7) - 3
			if steps[a] == 0 || r.IntN(3) == 0 {
				steps[a] = 1
			}
			starts[a] = r.IntN(shape[a])
			// How many elements fit from start with this step.
			fit := 0
			for p := starts[a]; p >= 0 && p < shape[a]; p += steps[a] {
				fit++
			}
			counts[a] = r.IntN(fit + 1)
			if r.IntN(3) == 0 { // whole axis
				starts[a], steps[a], counts[a] = 0, 1, shape[a]
			}
		}
		src := seqTensor(dt, shape...)
		want := pickElements(src, counts, naiveSliceIdx(shape, starts, steps, counts))
		got := New(dt, counts...)
		require.NoError(t, SliceInto(got, src, starts, steps))
		requireTensorEqual(t, fmt.Sprintf("%v %v starts %v steps %v counts %v", dt, shape, starts, steps, counts), got, want)
	}
}

func TestSliceOutOfRange(t *testing.T) {
	src := seqTensor(Float32, 4, 3)
	for _, c := range []struct {
		starts, steps, counts []int
	}{
		{[]int{0, 0}, []int{1, 1}, []int{5, 3}},  // too many rows
		{[]int{3, 0}, []int{-1, 2}, []int{2, 3}}, // columns 0,2,4
		{[]int{-1, 0}, []int{1, 1}, []int{1, 3}}, // negative start
		{[]int{0, 0}, []int{0, 1}, []int{2, 3}},  // zero step
		{[]int{0}, []int{1}, []int{4, 3}},        // rank mismatch
	} {
		assert.Errorf(t, SliceInto(New(Float32, c.counts...), src, c.starts, c.steps), "starts %v steps %v counts %v: no error", c.starts, c.steps, c.counts)
	}
}

func BenchmarkSliceColumns(b *testing.B) {
	// Every other column of a 512×768 float32 matrix.
	src := make([]float32, 512*768)
	dst := make([]float32, 512*384)
	b.SetBytes(int64(4 * len(dst)))
	for b.Loop() {
		SliceCopy(dst, src, []int{512, 768}, []int{0, 0}, []int{1, 2}, []int{512, 384})
	}
}

func BenchmarkSliceRowsReversed(b *testing.B) {
	// All rows in reverse order: whole-row copies.
	src := make([]float32, 512*768)
	dst := make([]float32, len(src))
	b.SetBytes(int64(4 * len(dst)))
	for b.Loop() {
		SliceCopy(dst, src, []int{512, 768}, []int{511, 0}, []int{-1, 1}, []int{512, 768})
	}
}

func TestCopyBox(t *testing.T) {
	src := FromInt32([]int{3, 4}, []int32{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23})
	dst := FromInt32([]int{2, 5}, make([]int32, 10))
	require.NoError(t, CopyBox(dst, src, []int{0, 2}, []int{1, 1}, []int{2, 3}))
	assert.Equal(t, []int32{0, 0, 11, 12, 13, 0, 0, 21, 22, 23}, dst.I32())
	assert.Error(t, CopyBox(dst, src, []int{1, 2}, []int{1, 1}, []int{2, 3}), "box leaves dst: no error")
	assert.Error(t, CopyBox(New(Float32, 2, 5), src, []int{0, 0}, []int{0, 0}, []int{1, 1}), "types differ: no error")
	s := New(String)
	require.NoError(t, CopyBox(s, &Tensor{DType: String, Shape: []int{}, Data: []string{"x"}}, nil, nil, nil), "scalar")
	assert.Equal(t, []string{"x"}, s.Str())
}
