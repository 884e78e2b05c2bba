package trainer

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer/nn"
)

// objective is what a spec trains a network for: the reconstruction loss,
// read at point lossAt (before the output sigmoid when the loss takes
// logits), plus the penalties.
type objective struct {
	loss      nn.Loss
	lossAt    int
	penalties []nn.Penalty
	// kl is the VAE's KL term (also in penalties), whose weight ramps up
	// over klWarmup epochs to beta.
	kl       *nn.GaussianKL
	beta     float64
	klWarmup int
}

// startEpoch sets the weights that change between epochs: the VAE's KL
// weight is beta·min(1, (epoch+1)/warm-up) during a warm-up of klWarmup
// epochs, beta afterwards.
func (o *objective) startEpoch(epoch int) {
	if o.kl == nil {
		return
	}
	w := 1.0
	if o.klWarmup > 0 {
		w = min(1, float64(epoch+1)/float64(o.klWarmup))
	}
	o.kl.W = float64(float32(o.beta * w))
}

// layerNames are the names of a spec's dense layers. The names are those
// of the tensors in checkpoints and exported graphs, so they stay what
// they were when each family was introduced: enc<i>/dec<j> for the dense
// kinds; enc.fc<j>, code, dec.fc<j>, dec.fc and dec.out for the kinds
// with convolutions or a Gaussian posterior.
type layerNames struct{ legacy bool }

func (n layerNames) hidden(enc bool, j int) string {
	switch {
	case n.legacy && enc:
		return fmt.Sprintf("enc%d", j)
	case n.legacy:
		return fmt.Sprintf("dec%d", j)
	case enc:
		return fmt.Sprintf("enc.fc%d", j)
	}
	return fmt.Sprintf("dec.fc%d", j)
}

// build returns the layer chain of spec (already validated) with weights
// drawn from rng, and its objective. Every kind is one chain:
//
//	[noise] [conv stages → flatten] [dropout] (dense [dropout])… code head [k-sparse]
//	(dense)… [dense → reshape → conv stages] [output sigmoid]
//
// where the code head is a dense code layer or a VAE's posterior and
// sampling layer, the decoder mirrors the encoder (tied dense layers share
// their mirror's weights) and the output activation is fused into the last
// layer unless the loss takes logits (BCE), when it is a layer of its own.
func build(s models.Spec, rng *rand.Rand) (*nn.Net, *objective, error) {
	hid, err := actOf(s, s.Activation)
	if err != nil {
		return nil, nil, err
	}
	codeAct, err := actOf(s, s.CodeActivation)
	if err != nil {
		return nil, nil, err
	}
	outAct, err := actOf(s, s.OutputActivation)
	if err != nil {
		return nil, nil, err
	}
	init := nn.Xavier
	if s.Init == models.He {
		init = nn.He
	}
	conv, vae := models.IsConv(s.Kind), models.IsVAE(s.Kind)
	names := layerNames{legacy: !conv && !vae}
	bce := s.Loss == models.BCE
	obj := &objective{loss: nn.Loss{BCE: bce, Masked: s.Loss == models.MaskedMSE, PerSample: vae}}
	var layers []nn.Layer
	add := func(l nn.Layer, err error) error {
		if err == nil {
			layers = append(layers, l)
		}
		return err
	}
	shape := []int{s.Input}
	if conv {
		shape = s.Image
	}
	switch s.Noise.Type {
	case models.MaskingNoise:
		err = add(nn.NewNoise(shape, s.Noise.Drop, 0))
	case models.GaussianNoise:
		err = add(nn.NewNoise(shape, 0, s.Noise.Sigma))
	}
	if err != nil {
		return nil, nil, err
	}
	dropout := func(w int) error {
		if s.Dropout == 0 {
			return nil
		}
		return add(nn.NewDropout([]int{w}, float32(s.Dropout)))
	}
	// postConv appends batch norm and the activation after a convolution
	// built without one.
	postConv := func(name string, shape []int) error {
		if err := add(nn.NewBatchNorm(name, shape), nil); err != nil {
			return err
		}
		return add(nn.NewActivation(shape, hid))
	}
	width := s.Input
	var ins [][]int
	var last []int
	if conv {
		ins, last = s.ConvStages()
		k := s.Kernel
		for i, f := range s.Filters {
			act, stride := hid, 2
			if s.BatchNorm {
				act = nn.Act{}
			}
			if s.Pooling != models.StridedConv {
				stride = 1
			}
			in := ins[i]
			c, err := nn.NewConv2D(fmt.Sprintf("enc.conv%d", i), in[0], in[1], in[2], f, nn.ConvSpec{Kernel: k, Stride: stride, Pad: k / 2}, act, init, rng)
			if err := add(c, err); err != nil {
				return nil, nil, err
			}
			if s.BatchNorm {
				if err := postConv(fmt.Sprintf("enc.bn%d", i), c.OutShape()); err != nil {
					return nil, nil, err
				}
			}
			if s.Pooling != models.StridedConv {
				o := c.OutShape()
				if err := add(nn.NewPool2D(o[0], o[1], o[2], s.Pooling == models.MaxPooling, 2, 2, 0)); err != nil {
					return nil, nil, err
				}
			}
		}
		layers = append(layers, nn.NewFlatten(last))
		width = last[0] * last[1] * last[2]
		if err := dropout(width); err != nil {
			return nil, nil, err
		}
	}
	var encDense []*nn.Dense
	for j, h := range s.Hidden {
		d := nn.NewDense(names.hidden(true, j), width, h, hid, init, rng)
		layers, encDense, width = append(layers, d), append(encDense, d), h
		if err := dropout(width); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case vae:
		post := nn.NewPosterior(width, s.Code, init, rng)
		layers = append(layers, post)
		obj.kl = &nn.GaussianKL{Point: len(layers), Code: s.Code}
		obj.beta, obj.klWarmup = s.Beta, s.KLWarmup
		obj.penalties = append(obj.penalties, obj.kl)
		if err := add(nn.NewReparameterise(s.Code)); err != nil {
			return nil, nil, err
		}
	default:
		name := "code"
		if names.legacy {
			name = names.hidden(true, len(s.Hidden))
		}
		act := codeAct
		if s.Lambda > 0 {
			act = nn.Act{} // the penalty reads the pre-activation
		}
		d := nn.NewDense(name, width, s.Code, act, init, rng)
		layers, encDense = append(layers, d), append(encDense, d)
		if s.Lambda > 0 {
			p, err := nn.NewContractive(len(layers), d, codeAct, s.Lambda)
			if err != nil {
				return nil, nil, err
			}
			obj.penalties = append(obj.penalties, p)
			if err := add(nn.NewActivation([]int{s.Code}, codeAct)); err != nil {
				return nil, nil, err
			}
		}
		if s.K > 0 {
			if err := add(nn.NewKSparse(s.Code, s.K)); err != nil {
				return nil, nil, err
			}
		}
	}
	code := len(layers)
	if s.L1 > 0 {
		obj.penalties = append(obj.penalties, &nn.L1{Point: code, W: s.L1})
	}
	if !vae && s.Rho > 0 && s.Beta > 0 {
		obj.penalties = append(obj.penalties, &nn.SparsityKL{Point: code, Width: s.Code, Rho: s.Rho, W: s.Beta})
	}
	// The decoder mirrors the dense stack; its last layer carries the
	// output activation (unless the loss takes logits).
	fusedOut := outAct
	if bce {
		fusedOut = nn.Act{}
	}
	sizes := append(append([]int{s.Input}, s.Hidden...), s.Code)
	if conv {
		sizes[0] = last[0] * last[1] * last[2]
	}
	width = s.Code
	nd := len(s.Hidden) + 1
	for j := 0; j < nd; j++ {
		out := sizes[len(sizes)-2-j]
		final := j == nd-1
		act := hid
		if final && !conv {
			act = fusedOut
		}
		name := names.hidden(false, j)
		if !names.legacy {
			switch {
			case !final:
				name = names.hidden(false, len(s.Hidden)-1-j)
			case conv:
				name = "dec.fc"
			default:
				name = "dec.out"
			}
		}
		var d *nn.Dense
		if s.Tied {
			if d, err = nn.NewTiedDense(name, encDense[len(encDense)-1-j], act); err != nil {
				return nil, nil, err
			}
		} else {
			d = nn.NewDense(name, width, out, act, init, rng)
		}
		layers, width = append(layers, d), out
	}
	if conv {
		if err := add(nn.NewReshape([]int{width}, last)); err != nil {
			return nil, nil, err
		}
		k := s.Kernel
		cur := last
		for i := len(s.Filters) - 1; i >= 0; i-- {
			target := ins[i]
			act := hid
			switch {
			case i == 0:
				act = fusedOut
			case s.BatchNorm:
				act = nn.Act{}
			}
			name := fmt.Sprintf("dec.conv%d", i)
			var l nn.Layer
			if s.Upsampling == models.TransposedConv {
				// Output padding makes each axis come back to the encoder
				// stage's input size (odd sizes need 0, even ones 1).
				o := func(in int) int { return (in-1)*2 - 2*(k/2) + k }
				op := [2]int{target[1] - o(cur[1]), target[2] - o(cur[2])}
				l, err = nn.NewConvTranspose2D(name, cur[0], cur[1], cur[2], target[0], nn.ConvSpec{Kernel: k, Stride: 2, Pad: k / 2, OutputPadding: op}, act, init, rng)
			} else {
				if err := add(nn.NewUpsample(cur[0], cur[1], cur[2], 2, s.Upsampling == models.BilinearConv)); err != nil {
					return nil, nil, err
				}
				l, err = nn.NewConv2D(name, cur[0], 2*cur[1], 2*cur[2], target[0], nn.ConvSpec{Kernel: k, Stride: 1, Pad: k / 2}, act, init, rng)
			}
			if err := add(l, err); err != nil {
				return nil, nil, err
			}
			cur = l.OutShape()
			if s.BatchNorm && i > 0 {
				if err := postConv(fmt.Sprintf("dec.bn%d", i), cur); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	obj.lossAt = len(layers)
	if bce && outAct.Fn != ops.ActNone {
		if err := add(nn.NewActivation(layers[len(layers)-1].OutShape(), outAct)); err != nil {
			return nil, nil, err
		}
	}
	net, err := nn.NewNet(code, layers...)
	if err != nil {
		return nil, nil, err
	}
	return net, obj, nil
}
