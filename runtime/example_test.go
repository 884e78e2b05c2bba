package runtime_test

import (
	"context"
	"fmt"
	"log"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
)

// Open a model, look at its inputs and run it on a batch of two rows.
func Example() {
	s, err := runtime.Open("../testdata/models/dense-ae/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, in := range s.Inputs() {
		fmt.Printf("input %s %v%v\n", in.Name, in.DType, in.Shape)
	}

	x := ops.New(ops.Float32, 2, 16) // batch of two, all zeros
	out, err := s.Run(context.Background(), map[string]*ops.Tensor{"input": x})
	if err != nil {
		log.Fatal(err)
	}
	for i, o := range s.Outputs() {
		fmt.Printf("output %s %v\n", o.Name, out[i])
	}
	// Output:
	// input input float32[batch,16]
	// output reconstruction float32[2 16]
	// output code float32[2 4]
}

// Inputs are checked against the declared types and shapes before running.
func ExampleSession_Run_badShape() {
	s, err := runtime.Open("../testdata/models/dense-ae/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_, err = s.Run(context.Background(), map[string]*ops.Tensor{"input": ops.New(ops.Float32, 2, 10)})
	fmt.Println(err)
	// Output:
	// input "input": expected shape [batch,16], got [2 10]
}

// RunOrdered takes inputs in graph order; sessions are safe for concurrent
// use, so one session can serve many goroutines.
func ExampleSession_RunOrdered() {
	s, err := runtime.Open("../testdata/models/dense-ae/model.onnx", runtime.WithBackend("native"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	out, err := s.RunOrdered(context.Background(), []*ops.Tensor{ops.New(ops.Float32, 1, 16)})
	if err != nil {
		log.Fatal(err)
	}
	r := out[0].F32()
	fmt.Println(len(r), r[0] > 0 && r[0] < 1) // a sigmoid output
	// Output:
	// 16 true
}
