package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer/nn"
)

// A small image encoder: a stride-2 convolution, flatten and a dense code
// layer. Forward runs a batch; Backward takes the loss gradient with
// respect to the output and fills one gradient slice per parameter.
func ExampleSeq() {
	rng := rand.New(rand.NewPCG(1, 2))
	conv, err := nn.NewConv2D("enc.conv0", 1, 8, 8, 4, nn.ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, nn.Act{Fn: ops.ActRelu}, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	flat := nn.NewFlatten(conv.OutShape())
	code := nn.NewDense("code", flat.OutShape()[0], 3, nn.Act{}, rng)
	enc, err := nn.NewSeq(conv, flat, code)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float32, 2*64) // two 1×8×8 images
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	y := enc.Forward(x, 2, &nn.Pass{Train: true})
	fmt.Println("conv output", conv.OutShape(), "code values", len(y))

	grads := make([][]float32, len(enc.Params()))
	for i, p := range enc.Params() {
		grads[i] = make([]float32, len(p.Data))
	}
	dy := make([]float32, len(y))
	for i := range dy {
		dy[i] = 1 // d(sum of the codes)/d(code)
	}
	dx := enc.Backward(dy, grads, true)
	for i, p := range enc.Params() {
		fmt.Println(p.Name, p.Shape, len(grads[i]))
	}
	fmt.Println("input gradient", len(dx))
	// Output:
	// conv output [4 4 4] code values 6
	// enc.conv0.W [4 1 3 3] 36
	// enc.conv0.b [4] 4
	// code.W [3 64] 192
	// code.b [1 3] 3
	// input gradient 128
}
