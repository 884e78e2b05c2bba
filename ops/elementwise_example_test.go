package ops_test

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// A bias row added to every row of a batch: the [2 3] + [3] broadcast runs
// as one contiguous inner loop per row.
func ExampleBinary() {
	x := ops.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	bias := ops.FromFloat32([]int{3}, []float32{10, 20, 30})
	shape, err := ops.BroadcastShape(x.Shape, bias.Shape)
	if err != nil {
		panic(err)
	}
	out := ops.New(ops.Float32, shape...)
	if err := ops.Binary(ops.OpAdd, out, x, bias); err != nil {
		panic(err)
	}
	fmt.Println(out, out.F32())
	// Output: float32[2 3] [11 22 33 14 25 36]
}

// Column means of a matrix, keeping the reduced axis as size 1.
func ExampleReduce() {
	x := ops.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	axes, err := ops.ReduceAxes([]int64{-2}, x.Rank())
	if err != nil {
		panic(err)
	}
	out := ops.New(ops.Float32, ops.ReduceShape(x.Shape, axes, true)...)
	if err := ops.Reduce(ops.RedMean, out, x, axes); err != nil {
		panic(err)
	}
	fmt.Println(out, out.F32())
	// Output: float32[1 3] [2.5 3.5 4.5]
}

// float32 to float16 rounds to the nearest half, ties to even; float to
// integer truncates toward zero.
func ExampleCast() {
	x := ops.FromFloat32([]int{3}, []float32{1.0009766, -2.7, 70000})
	h := ops.New(ops.Float16, 3)
	i := ops.New(ops.Int32, 3)
	if err := ops.Cast(h, x); err != nil {
		panic(err)
	}
	if err := ops.Cast(i, x); err != nil {
		panic(err)
	}
	fmt.Printf("%#04x %v\n", h.F16(), i.I32())
	// Output: [0x3c01 0xc166 0x7c00] [1 -2 70000]
}
