package models_test

import (
	"fmt"

	"github.com/latent-ml/latent/models"
)

func ExampleNewDeep() {
	s := models.NewDeep(784, []int{256, 64}, 32)
	fmt.Println(s.Sizes(), s.EncoderActivations(), s.DecoderActivations())
	fmt.Println(s.Validate())
	// Output:
	// [784 256 64 32] [relu relu identity] [relu relu sigmoid]
	// <nil>
}

func ExampleParse() {
	s, err := models.Parse([]byte(`{"kind": "k-sparse", "input": 100, "code": 40, "k": 5,
		"activation": "relu", "code_activation": "identity", "output_activation": "sigmoid",
		"init": "xavier", "loss": "mse"}`))
	fmt.Println(s.Kind, s.K, err)
	_, err = models.Parse([]byte(`{"kind": "k-sparse", "input": 100, "code": 40, "k": 50,
		"activation": "relu", "code_activation": "identity", "output_activation": "sigmoid",
		"init": "xavier", "loss": "mse"}`))
	fmt.Println(err)
	// Output:
	// k-sparse 5 <nil>
	// invalid model spec: k-sparse k must be in [1, code=40], got 50
}
