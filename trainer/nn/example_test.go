package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer/nn"
)

// A small image autoencoder as one chain: a stride-2 convolution, flatten
// and a dense code layer, then a dense layer and a transposed convolution
// back to the image. Forward runs a batch; Backward takes the loss
// gradient at the output and adds one gradient per parameter.
func ExampleNet() {
	rng := rand.New(rand.NewPCG(1, 2))
	conv, err := nn.NewConv2D("enc.conv0", 1, 8, 8, 4, nn.ConvSpec{Kernel: 3, Stride: 2, Pad: 1}, nn.Act{Fn: ops.ActRelu}, nn.He, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	flat := nn.NewFlatten(conv.OutShape())
	code := nn.NewDense("code", flat.OutShape()[0], 3, nn.Act{}, nn.Xavier, rng)
	up := nn.NewDense("dec.fc", 3, 64, nn.Act{Fn: ops.ActRelu}, nn.He, rng)
	back, err := nn.NewReshape([]int{64}, []int{4, 4, 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	deconv, err := nn.NewConvTranspose2D("dec.conv0", 4, 4, 4, 1, nn.ConvSpec{Kernel: 3, Stride: 2, Pad: 1, OutputPadding: [2]int{1, 1}}, nn.Act{Fn: ops.ActSigmoid}, nn.Xavier, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	net, err := nn.NewNet(3, conv, flat, code, up, back, deconv)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float32, 2*64) // two 1×8×8 images
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	y := net.Forward(0, len(net.Layers), x, 2, &nn.Pass{Train: true})
	fmt.Println("code", net.PointSize(net.Code), "values per image; output", net.OutShape(), len(y))

	params := net.Params()
	grads := make([][]float32, len(params))
	for i, p := range params {
		grads[i] = make([]float32, len(p.Data))
	}
	dy := make([]float32, len(y))
	for i := range dy {
		dy[i] = 1 // d(sum of the outputs)/d(output)
	}
	net.Backward(0, len(net.Layers), dy, net.GradViews(grads), false)
	for i, p := range params {
		fmt.Println(p.Name, p.Shape, len(grads[i]))
	}
	// Output:
	// code 3 values per image; output [1 8 8] 128
	// enc.conv0.W [4 1 3 3] 36
	// enc.conv0.b [4] 4
	// code.W [3 64] 192
	// code.b [1 3] 3
	// dec.fc.W [64 3] 192
	// dec.fc.b [1 64] 64
	// dec.conv0.W [4 1 3 3] 36
	// dec.conv0.b [1] 1
}
