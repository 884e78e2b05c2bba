package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUniqueKernel(t *testing.T) {
	// x = [2 1 1 3 4 3]: sorted uniques [1 2 3 4], first indices [1 0 3 4],
	// inverse [1 0 0 2 3 2], counts [2 1 2 1]; unsorted keeps first-seen
	// order [2 1 3 4].
	x := ops.FromInt64([]int{6}, []int64{2, 1, 1, 3, 4, 3})
	check := func(what string, outs []*ops.Tensor, y, idx, inv, cnt []int64) {
		t.Helper()
		checkTensor(t, what+" Y", outs[0], ops.FromInt64([]int{len(y)}, y))
		checkTensor(t, what+" indices", outs[1], int64s(idx...))
		checkTensor(t, what+" inverse", outs[2], int64s(inv...))
		checkTensor(t, what+" counts", outs[3], int64s(cnt...))
	}
	check("sorted", mustRunNode(t, newNode("Unique", 1, 4), 11, x), []int64{1, 2, 3, 4}, []int64{1, 0, 3, 4}, []int64{1, 0, 0, 2, 3, 2}, []int64{2, 1, 2, 1})
	check("unsorted", mustRunNode(t, newNode("Unique", 1, 4, attrInt("sorted", 0)), 11, x), []int64{2, 1, 3, 4}, []int64{0, 1, 3, 4}, []int64{0, 1, 1, 2, 3, 2}, []int64{1, 2, 2, 1})

	// Rows of a matrix (axis 0) for every dtype: rows 0 and 2 equal.
	for _, dt := range allDTypes {
		base := sequence(dt, 4)
		m := pick(base, []int{3, 2}, 2, 3, 1, 0, 2, 3) // rows b, a, b
		outs := mustRunNode(t, newNode("Unique", 1, 4, attrInt("axis", -2), attrInt("sorted", 0)), 11, m)
		checkTensor(t, fmt.Sprintf("%v rows", dt), outs[0], pick(base, []int{2, 2}, 2, 3, 1, 0))
		checkTensor(t, fmt.Sprintf("%v row inverse", dt), outs[2], int64s(0, 1, 0))
		checkTensor(t, fmt.Sprintf("%v row counts", dt), outs[3], int64s(2, 1))
	}
	// NaNs group together after the numbers.
	f := ops.FromFloat32([]int{4}, []float32{float32(math.NaN()), 1, float32(math.NaN()), -1})
	outs := mustRunNode(t, newNode("Unique", 1, 4), 11, f)
	got := outs[0].F32()
	require.Len(t, got, 3, "NaN uniques: %v", got)
	assert.Equal(t, []float32{-1, 1}, got[:2], "NaN uniques: the numbers first")
	assert.True(t, math.IsNaN(float64(got[2])), "NaN uniques: one NaN last, got %v", got[2])
	checkTensor(t, "NaN counts", outs[3], int64s(1, 1, 2))
	// Empty input.
	outs = mustRunNode(t, newNode("Unique", 1, 4), 11, ops.New(ops.Int32, 0))
	assert.Zero(t, outs[0].Len(), "empty input: Y %v", outs[0])
	assert.Zero(t, outs[2].Len(), "empty input: inverse_indices %v", outs[2])
	wantNodeError(t, newNode("Unique", 1, 4, attrInt("axis", 1)), 11, "out of range", x)
	wantNodeError(t, newNode("Unique", 1, 4, attrInt("axis", 0)), 11, "scalar", ops.Scalar(1))
}
