package ops_test

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
)

// A tensor's elements as little-endian bytes (ONNX raw_data, the KServe
// binary extension) and back.
func ExampleAppendLE() {
	t := ops.FromFloat32([]int{2}, []float32{1, -2})
	b, err := ops.AppendLE(nil, t)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	back, err := ops.FromLE(ops.Float32, b, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(back)
	// Output:
	// 00 00 80 3f 00 00 00 c0
	// [1 -2]
}
