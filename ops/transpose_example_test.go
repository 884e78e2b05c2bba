package ops_test

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// Transposing a 2×3 matrix: output axis i is input axis perm[i].
func ExampleTransposeInto() {
	x := ops.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	shape, _ := ops.TransposeShape(x.Shape, []int{1, 0})
	y := ops.New(ops.Float32, shape...)
	if err := ops.TransposeInto(y, x, []int{1, 0}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y, y.F32())
	// Output: float32[3 2] [1 4 2 5 3 6]
}

// Reading every other column of the last two rows, right to left: starts
// and steps per axis, the output shape gives the counts.
func ExampleSliceInto() {
	x := ops.FromInt64([]int{3, 4}, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	y := ops.New(ops.Int64, 2, 2)
	if err := ops.SliceInto(y, x, []int{1, 3}, []int{1, -2}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.I64())
	// Output: [7 5 11 9]
}

// Gathering rows 2 and 0 of a 3×2 matrix.
func ExampleGatherInto() {
	x := ops.FromInt32([]int{3, 2}, []int32{10, 11, 20, 21, 30, 31})
	y := ops.New(ops.Int32, ops.GatherShape(x.Shape, []int{2}, 0)...)
	if err := ops.GatherInto(y, x, 0, []int{2, 0}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y, y.I32())
	// Output: int32[2 2] [30 31 10 11]
}

// A seeded generator gives the same samples every time.
func ExampleNewSeededRand() {
	a, b := ops.New(ops.Float64, 3), ops.New(ops.Float64, 3)
	_ = ops.RandomUniformInto(a, ops.NewSeededRand(42), 0, 1)
	_ = ops.RandomUniformInto(b, ops.NewSeededRand(42), 0, 1)
	fmt.Println(fmt.Sprint(a.F64()) == fmt.Sprint(b.F64()))
	// Output: true
}
