package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
)

func TestTopKHandComputed(t *testing.T) {
	// Ties (3 and 3, 1 and 1) must come out lower index first.
	x := floats([]int{2, 4}, 1, 3, 3, 2, 5, 1, 1, 7)
	k := ops.FromInt64([]int{1}, []int64{3})
	out := mustRunNode(t, newNodeKV("TopK", 2, 2), 11, x, k)
	checkFloats(t, "largest values", out[0], []int{2, 3}, 3, 3, 2, 7, 5, 1)
	got := out[1].I64()
	assert.Equal(t, []int64{1, 2, 3, 3, 0, 1}, got, "largest indices = %v, want [1 2 3 3 0 1]", got)
	out = mustRunNode(t, newNodeKV("TopK", 2, 2, "largest", 0), 11, x, k)
	checkFloats(t, "smallest values", out[0], []int{2, 3}, 1, 2, 3, 1, 1, 5)
	got = out[1].I64()
	assert.Equal(t, []int64{0, 3, 1, 1, 2, 0}, got, "smallest indices = %v, want [0 3 1 1 2 0]", got)
	// Axis 0 of a [3,2] tensor, k as an attribute (opset 1).
	y := floats([]int{3, 2}, 1, 6, 4, 2, 4, 9)
	out = mustRunNode(t, newNodeKV("TopK", 1, 2, "axis", 0, "k", 2), 1, y)
	checkFloats(t, "axis 0 values", out[0], []int{2, 2}, 4, 9, 4, 6)
	got = out[1].I64()
	assert.Equal(t, []int64{1, 2, 2, 0}, got, "axis 0 indices = %v, want [1 2 2 0]", got)
}

// naiveTopK selects by repeated scans: the best unused element, the first
// one on ties.
func naiveTopK(x []float32, shape []int, axis, k int, largest bool) ([]float32, []int64) {
	outer := ops.NumElements(shape[:axis])
	dim := shape[axis]
	inner := ops.NumElements(shape[axis+1:])
	vals := make([]float32, outer*k*inner)
	idx := make([]int64, outer*k*inner)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			used := make([]bool, dim)
			for j := 0; j < k; j++ {
				best := -1
				for d := 0; d < dim; d++ {
					v := x[(o*dim+d)*inner+in]
					if used[d] {
						continue
					}
					if best < 0 {
						best = d
						continue
					}
					b := x[(o*dim+best)*inner+in]
					if (largest && v > b) || (!largest && v < b) {
						best = d
					}
				}
				used[best] = true
				p := (o*k+j)*inner + in
				vals[p], idx[p] = x[(o*dim+best)*inner+in], int64(best)
			}
		}
	}
	return vals, idx
}

func TestTopKAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shape := []int{3, 5, 4}
	x := make([]float32, ops.NumElements(shape))
	for i := range x {
		x[i] = float32(rng.IntN(6)) // few distinct values: many ties
	}
	xt := ops.FromFloat32(shape, x)
	for axis := -3; axis < 3; axis++ {
		a := axis
		if a < 0 {
			a += 3
		}
		for k := 0; k <= shape[a]; k++ {
			for _, largest := range []bool{true, false} {
				l := 0
				if largest {
					l = 1
				}
				n := newNodeKV("TopK", 2, 2, "axis", axis, "largest", l, "sorted", 1)
				out := mustRunNode(t, n, 11, xt, ops.FromInt64([]int{1}, []int64{int64(k)}))
				wv, wi := naiveTopK(x, shape, a, k, largest)
				assert.Equal(t, wv, out[0].F32(), "axis %d k %d largest %v: values", axis, k, largest)
				assert.Equal(t, wi, out[1].I64(), "axis %d k %d largest %v: indices", axis, k, largest)
				want := slices.Clone(shape)
				want[a] = k
				assert.Equal(t, want, out[0].Shape, "axis %d k %d: values shape", axis, k)
				assert.Equal(t, want, out[1].Shape, "axis %d k %d: indices shape", axis, k)
			}
		}
	}
	// Other dtypes select the same indices.
	f64 := mustRunNode(t, newNodeKV("TopK", 2, 2), 11, toFloat64(xt), ops.FromInt64([]int{1}, []int64{2}))
	i64 := make([]int64, len(x))
	for i, v := range x {
		i64[i] = int64(v)
	}
	ints := mustRunNode(t, newNodeKV("TopK", 2, 2), 11, ops.FromInt64(shape, i64), ops.FromInt64([]int{1}, []int64{2}))
	half := mustRunNode(t, newNodeKV("TopK", 2, 2), 11, toFloat16(xt), ops.FromInt64([]int{1}, []int64{2}))
	_, wi := naiveTopK(x, shape, 2, 2, true)
	for name, got := range map[string][]int64{"float64": f64[1].I64(), "int64": ints[1].I64(), "float16": half[1].I64()} {
		assert.True(t, slices.Equal(got, wi), "%s indices = %v, want %v", name, got, wi)
	}
}

func TestTopKErrors(t *testing.T) {
	x := floats([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	wantNodeError(t, newNodeKV("TopK", 2, 2), 11, "k=4 out of range", x, ops.FromInt64([]int{1}, []int64{4}))
	wantNodeError(t, newNodeKV("TopK", 2, 2), 11, "k=-1 out of range", x, ops.FromInt64([]int{1}, []int64{-1}))
	wantNodeError(t, newNodeKV("TopK", 2, 2), 11, "input K must be one int64", x, ops.FromInt64([]int{2}, []int64{1, 2}))
	wantNodeError(t, newNodeKV("TopK", 2, 2, "axis", 2), 11, "axis 2 out of range", x, ops.FromInt64([]int{1}, []int64{1}))
	_, err := buildTopK(newNodeKV("TopK", 1, 2), 1)
	assert.Error(t, err, "opset 1 without k: no error")
	_, err = buildTopK(newNodeKV("TopK", 2, 2, "largest", 0), 10)
	assert.Error(t, err, "largest=0 at opset 10: no error")
}
