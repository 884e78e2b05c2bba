package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer/nn"
)

// Network is the layer graph of an image or variational model (kinds conv,
// vae, conv-vae), for exporters and inspection. Data flows
//
//	input → Encoder → code                               (conv)
//	input → Encoder → (Mu, LogVar) → z → Decoder → recon (vae, conv-vae)
//
// where z = Mu at inference (the deterministic model) and
// z = Mu + exp(LogVar/2)·eps, eps ~ N(0, I), in training and generation.
// Encoder may have no layers (a VAE without hidden layers). The decoder's
// last layer is its output activation when the spec has one. Inputs are
// flattened samples (C·H·W, channel-major for images).
type Network struct {
	Encoder *nn.Seq
	// Mu and LogVar are the VAE heads (nil for conv).
	Mu, LogVar *nn.Dense
	Decoder    *nn.Seq
	// Image is the per-sample [C,H,W] of conv kinds (nil for vae).
	Image []int
}

// imageNet is a Network with its flattened parameter list and the
// training-time view of the decoder.
type imageNet struct {
	spec models.Spec
	Network
	// body is the decoder without its trailing output activation when the
	// loss is BCE (it then yields logits; the loss applies the sigmoid).
	body   *nn.Seq
	params []*Param
	state  []*Param
	// Parameter index ranges: encoder, mu, logvar, decoder.
	nEnc, nMu, nLv int
	bce            bool
	// Scratch.
	eps, z, dh, g []float32
	dmu, dlv      []float32
}

func actOf(spec models.Spec, a models.Activation) (nn.Act, error) {
	f, err := opsAct(a)
	if err != nil {
		return nn.Act{}, err
	}
	out := nn.Act{Fn: f, Alpha: float32(spec.ActivationAlpha(a))}
	return out, nn.CheckAct(out)
}

// newImageNet builds the layers of an image/VAE spec (already validated)
// with weights drawn from rng: He uniform for relu-like layers, Xavier
// otherwise (Spec.Init is not used by these kinds).
func newImageNet(s models.Spec, rng *rand.Rand) (*imageNet, error) {
	hid, err := actOf(s, s.Activation)
	if err != nil {
		return nil, err
	}
	codeAct, err := actOf(s, s.CodeActivation)
	if err != nil {
		return nil, err
	}
	outAct, err := actOf(s, s.OutputActivation)
	if err != nil {
		return nil, err
	}
	var enc, dec []nn.Layer
	none := nn.Act{}
	vae := models.IsVAE(s.Kind)
	conv := models.IsConv(s.Kind)
	feat := []int{s.Input}
	var ins [][]int
	var last []int
	// postConv appends batch norm and the activation after a convolution
	// built without one (when batch norm is on).
	postConv := func(layers []nn.Layer, name string, shape []int) ([]nn.Layer, error) {
		bn := nn.NewBatchNorm(name, shape)
		a, err := nn.NewActivation(shape, hid)
		if err != nil {
			return nil, err
		}
		return append(layers, bn, a), nil
	}
	if conv {
		ins, last = s.ConvStages()
		k := s.Kernel
		for i, f := range s.Filters {
			in := ins[i]
			act := hid
			if s.BatchNorm {
				act = none
			}
			stride := 2
			if s.Pooling != models.StridedConv {
				stride = 1
			}
			c, err := nn.NewConv2D(fmt.Sprintf("enc.conv%d", i), in[0], in[1], in[2], f, nn.ConvSpec{Kernel: k, Stride: stride, Pad: k / 2}, act, rng)
			if err != nil {
				return nil, err
			}
			enc = append(enc, c)
			if s.BatchNorm {
				if enc, err = postConv(enc, fmt.Sprintf("enc.bn%d", i), c.OutShape()); err != nil {
					return nil, err
				}
			}
			if s.Pooling != models.StridedConv {
				o := c.OutShape()
				p, err := nn.NewPool2D(o[0], o[1], o[2], s.Pooling == models.MaxPooling, 2, 2, 0)
				if err != nil {
					return nil, err
				}
				enc = append(enc, p)
			}
		}
		enc = append(enc, nn.NewFlatten(last))
		feat = []int{last[0] * last[1] * last[2]}
	}
	width := feat[0]
	dropout := func(w int) error {
		if s.Dropout == 0 {
			return nil
		}
		d, err := nn.NewDropout([]int{w}, float32(s.Dropout))
		if err == nil {
			enc = append(enc, d)
		}
		return err
	}
	if conv {
		if err := dropout(width); err != nil {
			return nil, err
		}
	}
	for j, h := range s.Hidden {
		enc = append(enc, nn.NewDense(fmt.Sprintf("enc.fc%d", j), width, h, hid, rng))
		width = h
		if err := dropout(width); err != nil {
			return nil, err
		}
	}
	n := &imageNet{spec: s, bce: s.Loss == models.BCE}
	if vae {
		n.Mu = nn.NewDense("mu", width, s.Code, none, rng)
		n.LogVar = nn.NewDense("logvar", width, s.Code, none, rng)
	} else {
		enc = append(enc, nn.NewDense("code", width, s.Code, codeAct, rng))
	}
	// Decoder: mirror of the encoder.
	width = s.Code
	for j := len(s.Hidden) - 1; j >= 0; j-- {
		dec = append(dec, nn.NewDense(fmt.Sprintf("dec.fc%d", j), width, s.Hidden[j], hid, rng))
		width = s.Hidden[j]
	}
	if !conv {
		dec = append(dec, nn.NewDense("dec.out", width, s.Input, none, rng))
	} else {
		dec = append(dec, nn.NewDense("dec.fc", width, feat[0], hid, rng))
		r, err := nn.NewReshape(feat, last)
		if err != nil {
			return nil, err
		}
		dec = append(dec, r)
		k := s.Kernel
		cur := last
		for i := len(s.Filters) - 1; i >= 0; i-- {
			target := ins[i]
			act := hid
			if i == 0 || s.BatchNorm {
				act = none
			}
			name := fmt.Sprintf("dec.conv%d", i)
			var l nn.Layer
			if s.Upsampling == models.TransposedConv {
				// Output padding makes each axis come back to the encoder
				// stage's input size (odd sizes need 0, even ones 1).
				o := func(in int) int { return (in-1)*2 - 2*(k/2) + k }
				op := [2]int{target[1] - o(cur[1]), target[2] - o(cur[2])}
				l, err = nn.NewConvTranspose2D(name, cur[0], cur[1], cur[2], target[0], nn.ConvSpec{Kernel: k, Stride: 2, Pad: k / 2, OutputPadding: op}, act, rng)
			} else {
				u, uerr := nn.NewUpsample(cur[0], cur[1], cur[2], 2, s.Upsampling == models.BilinearConv)
				if uerr != nil {
					return nil, uerr
				}
				dec = append(dec, u)
				l, err = nn.NewConv2D(name, cur[0], 2*cur[1], 2*cur[2], target[0], nn.ConvSpec{Kernel: k, Stride: 1, Pad: k / 2}, act, rng)
			}
			if err != nil {
				return nil, err
			}
			dec = append(dec, l)
			cur = l.OutShape()
			if s.BatchNorm && i > 0 {
				if dec, err = postConv(dec, fmt.Sprintf("dec.bn%d", i), cur); err != nil {
					return nil, err
				}
			}
		}
		n.Image = append([]int(nil), s.Image...)
	}
	bodyLen := len(dec)
	if outAct.Fn != ops.ActNone {
		a, err := nn.NewActivation(dec[len(dec)-1].OutShape(), outAct)
		if err != nil {
			return nil, err
		}
		dec = append(dec, a)
		if !n.bce {
			bodyLen = len(dec)
		}
	}
	if n.Encoder, err = nn.NewSeq(enc...); err != nil && len(enc) > 0 {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	if n.Decoder, err = nn.NewSeq(dec...); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	n.body = &nn.Seq{Layers: dec[:bodyLen]}
	n.params = n.Encoder.Params()
	n.nEnc = len(n.params)
	if vae {
		n.params = append(n.params, n.Mu.Params()...)
		n.params = append(n.params, n.LogVar.Params()...)
		n.nMu, n.nLv = 2, 2
	}
	n.params = append(n.params, n.Decoder.Params()...)
	n.state = append(n.Encoder.State(), n.Decoder.State()...)
	return n, nil
}

// encode runs the encoder over rows samples: the code (conv) or the
// (mu, logvar) pair (VAE; logvar nil otherwise).
func (n *imageNet) encode(x []float32, rows int, p *nn.Pass) (code, logvar []float32) {
	h := x
	if len(n.Encoder.Layers) > 0 {
		h = n.Encoder.Forward(x, rows, p)
	}
	if n.Mu == nil {
		return h, nil
	}
	return n.Mu.Forward(h, rows, p), n.LogVar.Forward(h, rows, p)
}

// stepOut is what a training step reports.
type stepOut struct {
	recon, kl float64
}

// trainStep runs forward and backward over b with KL weight beta and adds
// the parameter gradients (overwriting grads). Losses: reconstruction
// summed over features and averaged over rows for VAEs (the ELBO's terms),
// averaged over all elements for conv (as for the dense kinds).
func (n *imageNet) trainStep(b batchIn, grads [][]float32, beta float32, rng *rand.Rand) stepOut {
	for _, g := range grads {
		clear(g)
	}
	rows, D := b.rows, n.spec.Input
	pass := &nn.Pass{Train: true, RNG: rng}
	code, lv := n.encode(b.x, rows, pass)
	vae := n.Mu != nil
	z := code
	if vae {
		m := rows * n.spec.Code
		n.eps = nn.Grow(n.eps, m)
		n.z = nn.Grow(n.z, m)
		for i := range n.eps {
			n.eps[i] = float32(rng.NormFloat64())
		}
		nn.Reparameterise(code, lv, n.eps, n.z)
		z = n.z
	}
	y := n.body.Forward(z, rows, pass)
	norm := float64(rows * D)
	if vae {
		norm = float64(rows)
	}
	n.g = nn.Grow(n.g, rows*D)
	out := stepOut{recon: reconLossGrad(y, b.t[:rows*D], n.g, n.bce, norm)}
	encG := grads[:n.nEnc]
	decG := grads[n.nEnc+n.nMu+n.nLv:]
	dz := n.body.Backward(n.g, decG, true)
	if !vae {
		if len(n.Encoder.Layers) > 0 {
			n.Encoder.Backward(dz, encG, false)
		}
		return out
	}
	m := rows * n.spec.Code
	n.dmu, n.dlv = nn.Grow(n.dmu, m), nn.Grow(n.dlv, m)
	clear(n.dmu)
	clear(n.dlv)
	nn.ReparameteriseBackward(dz, lv, n.eps, n.dmu, n.dlv)
	out.kl = nn.GaussianKL(code, lv, rows, beta, n.dmu, n.dlv)
	needH := len(n.Encoder.Layers) > 0
	dh1 := n.Mu.Backward(n.dmu, grads[n.nEnc:n.nEnc+2], needH)
	dh2 := n.LogVar.Backward(n.dlv, grads[n.nEnc+2:n.nEnc+4], needH)
	if needH {
		n.dh = nn.Grow(n.dh, len(dh1))
		ops.AddF32(n.dh, dh1, dh2)
		n.Encoder.Backward(n.dh, encG, false)
	}
	return out
}

// reconLossGrad returns the summed reconstruction loss of y against t
// divided by norm and writes its gradient into g: MSE on outputs, or BCE
// where y are logits (stable softplus form, gradient sigmoid(y) − t).
func reconLossGrad(y, t, g []float32, bce bool, norm float64) float64 {
	inv := float32(1 / norm)
	var sum float64
	if bce {
		for i, z := range y {
			// One exponential serves the loss and the sigmoid:
			// e = exp(-|z|), sigmoid(z) = 1/(1+e) for z >= 0, e/(1+e) below.
			zv := float64(z)
			e := math.Exp(-math.Abs(zv))
			sum += math.Max(zv, 0) - float64(t[i])*zv + math.Log1p(e)
			s := 1 / (1 + e)
			if zv < 0 {
				s = e / (1 + e)
			}
			g[i] = (float32(s) - t[i]) * inv
		}
	} else {
		for i, v := range y {
			e := v - t[i]
			sum += float64(e) * float64(e)
			g[i] = 2 * e * inv
		}
	}
	return sum / norm
}

// infer returns the code (mu for VAEs) or the deterministic reconstruction
// (z = mu) of rows scaled samples.
func (n *imageNet) infer(x []float32, rows int, wantCode bool) []float32 {
	code, _ := n.encode(x, rows, &nn.Pass{})
	if wantCode {
		return code
	}
	return n.Decoder.Forward(code, rows, &nn.Pass{})
}

// decode maps codes (rows × Code) to reconstructions in the scaled space.
func (n *imageNet) decode(z []float32, rows int) []float32 {
	return n.Decoder.Forward(z, rows, &nn.Pass{})
}
