package ops

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConcatHandWorked(t *testing.T) {
	a := FromInt64([]int{2, 1}, []int64{1, 2})
	b := FromInt64([]int{2, 2}, []int64{3, 4, 5, 6})
	got := New(Int64, 2, 3)
	require.NoError(t, ConcatInto(got, []*Tensor{a, b}, 1))
	requireTensorEqual(t, "axis 1", got, FromInt64([]int{2, 3}, []int64{1, 3, 4, 2, 5, 6}))

	// Split undoes it.
	pa, pb := New(Int64, 2, 1), New(Int64, 2, 2)
	require.NoError(t, SplitInto([]*Tensor{pa, pb}, got, 1))
	requireTensorEqual(t, "split a", pa, a)
	requireTensorEqual(t, "split b", pb, b)
}

// naiveConcat builds the expected concatenation element by element from
// multi-indices: output index i along axis belongs to the input whose
// running offset range contains i.
func naiveConcat(srcs []*Tensor, axis int, oshape []int) *Tensor {
	out := New(srcs[0].DType, oshape...)
	for o := 0; o < out.Len(); o++ {
		m := unravel(o, oshape)
		k := m[axis]
		for _, s := range srcs {
			if k < s.Shape[axis] {
				mm := append([]int{}, m...)
				mm[axis] = k
				one := pickElements(s, []int{1}, []int{ravel(mm, s.Shape)})
				setAt(out, o, one)
				break
			}
			k -= s.Shape[axis]
		}
	}
	return out
}

// setAt sets out[o] = one[0].
func setAt(out *Tensor, o int, one *Tensor) {
	switch d := out.Data.(type) {
	case []float32:
		d[o] = one.F32()[0]
	case []float64:
		d[o] = one.F64()[0]
	case []uint16:
		d[o] = one.F16()[0]
	case []int64:
		d[o] = one.I64()[0]
	case []int32:
		d[o] = one.I32()[0]
	case []int8:
		d[o] = one.I8()[0]
	case []uint8:
		d[o] = one.U8()[0]
	case []bool:
		d[o] = one.B()[0]
	}
}

func TestConcatSplitAllDTypes(t *testing.T) {
	base := []int{2, 3, 2}
	sizes := []int{1, 0, 3, 2} // includes a zero-size input
	for _, dt := range allDTypes {
		for axis := range base {
			var srcs []*Tensor
			var shapes [][]int
			for i, s := range sizes {
				sh := append([]int{}, base...)
				sh[axis] = s
				src := seqTensor(dt, sh...)
				// Make the inputs differ from one another.
				src = pickElements(src, sh, rotation(src.Len(), i))
				srcs = append(srcs, src)
				shapes = append(shapes, sh)
			}
			oshape, err := ConcatShape(axis, shapes...)
			require.NoError(t, err)
			want := naiveConcat(srcs, axis, oshape)
			got := New(dt, oshape...)
			require.NoError(t, ConcatInto(got, srcs, axis))
			requireTensorEqual(t, fmt.Sprintf("concat %v axis %d", dt, axis), got, want)

			parts := make([]*Tensor, len(srcs))
			for i, s := range srcs {
				parts[i] = New(dt, s.Shape...)
			}
			require.NoError(t, SplitInto(parts, want, axis))
			for i := range parts {
				requireTensorEqual(t, fmt.Sprintf("split %v axis %d part %d", dt, axis, i), parts[i], srcs[i])
			}
		}
	}
}

// rotation is the index map of a rotation by k.
func rotation(n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = (i + k) % n
	}
	return idx
}

func TestConcatErrors(t *testing.T) {
	a, b := seqTensor(Float32, 2, 3), seqTensor(Float32, 3, 3)
	_, err := ConcatShape(1, a.Shape, b.Shape)
	assert.Error(t, err, "mismatched non-axis dims: no error")
	_, err = ConcatShape(0, a.Shape, []int{2})
	assert.Error(t, err, "rank mismatch: no error")
	_, err = ConcatShape(2, a.Shape)
	assert.Error(t, err, "axis 2 of rank 2: no error")
	assert.Error(t, ConcatInto(New(Float32, 5, 3), []*Tensor{a, seqTensor(Int32, 3, 3)}, 0), "mixed dtypes: no error")
	assert.Error(t, SplitInto([]*Tensor{New(Float32, 1, 3), New(Float32, 1, 3)}, b, 0), "split parts not covering the input: no error")
}

// PutIndex and TakeIndex against the index arithmetic written out: a
// [2 3 4] tensor stacked and unstacked along each axis.
func TestPutTakeIndex(t *testing.T) {
	whole := New(Int64, 2, 3, 4)
	for i := range whole.I64() {
		whole.I64()[i] = int64(i)
	}
	for axis := range 3 {
		partShape := append(append([]int(nil), whole.Shape[:axis]...), whole.Shape[axis+1:]...)
		rebuilt := New(Int64, whole.Shape...)
		for i := range whole.Shape[axis] {
			part := New(Int64, partShape...)
			require.NoError(t, TakeIndex(part, whole, axis, i))
			for k, v := range part.I64() {
				// Element k of the slice, as (a, b) over partShape, is whole at
				// the same position with i inserted at axis.
				idx := []int{k / partShape[1], k % partShape[1]}
				full := append(append(append([]int(nil), idx[:axis]...), i), idx[axis:]...)
				want := int64(full[0]*12 + full[1]*4 + full[2])
				require.Equal(t, want, v, "axis %d index %d element %d: got %d, want %d", axis, i, k, v, want)
			}
			require.NoError(t, PutIndex(rebuilt, axis, i, part))
		}
		assert.Equal(t, whole.I64(), rebuilt.I64(), "axis %d", axis)
	}
	part := New(Int64, 3, 4)
	assert.ErrorContains(t, TakeIndex(part, whole, 0, 2), "index 2 out of range [0, 2)")
	assert.ErrorContains(t, TakeIndex(part, whole, 1, 0), "output shape [3 4], want [2 4]")
	assert.ErrorContains(t, PutIndex(whole, 3, 0, part), "axis 3 out of range")
	assert.ErrorContains(t, PutIndex(New(Float32, 2, 3, 4), 0, 0, part), "is int64")
}
