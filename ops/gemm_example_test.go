package ops_test

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// A dense layer y = relu(x·W + b) for a batch of two rows, with W stored
// in×out (row-major, 3×2): the bias and the activation are applied by the
// kernel as it stores each tile of y.
func ExampleGemmEpilogue() {
	x := []float32{
		1, 2, 3,
		-1, 0, 1,
	}
	w := []float32{
		1, -1,
		0, 1,
		1, 0,
	}
	y := make([]float32, 2*2)
	ops.GemmEpilogue(false, false, 2, 2, 3, x, 3, w, 2, y, 2,
		ops.Epilogue{Bias: []float32{0.5, -2}, Act: ops.ActRelu})
	fmt.Println(y)
	// Output: [4.5 0 0.5 0]
}

// C = 2·Aᵀ·B + C with A stored k×m (transA) and B stored k×n.
func ExampleGemm() {
	a := []float32{1, 2, 3, 4} // 2×2, used transposed
	b := []float32{1, 0, 0, 1} // identity
	c := []float32{10, 10, 10, 10}
	ops.Gemm(true, false, 2, 2, 2, 2, a, 2, b, 2, 1, c, 2)
	fmt.Println(c)
	// Output: [12 16 14 18]
}
