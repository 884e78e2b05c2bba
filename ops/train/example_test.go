package train_test

import (
	"fmt"

	"github.com/latent-ml/latent/ops/train"
)

// One Adam step on two weights at step t = 1 (bias corrections 1−β1 and
// 1−β2): each weight moves by about the learning rate against the sign of
// its gradient, whatever the gradient's size.
func ExampleAdamUpdate() {
	w := []float32{1, 1}
	grad := []float32{0.5, -20}
	m, v := make([]float32, 2), make([]float32, 2)
	train.AdamUpdate(w, grad, m, v, train.AdamParams{
		Scale: 1, Beta1: 0.9, Beta2: 0.999, BC1: 0.1, BC2: 0.001, LR: 0.01, Eps: 1e-8,
	})
	fmt.Printf("%.4f %.4f\n", w[0], w[1])
	// Output: 0.9900 1.0100
}
