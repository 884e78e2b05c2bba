package golden

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/trainer"
)

// Image and VAE goldens (kinds conv, vae, conv-vae): tiny models on 1×8×8
// synthetic images, written like the dense ones plus, for VAEs, an
// encoder folder with three outputs (code, mu, logvar) and
// ae-<kind>-generate (noise → sample, with seeded N(0, I) noise as input).
// Conv kinds take NCHW inputs [batch,1,8,8].

// ImageSide is the side of the golden images.
const ImageSide = 8

// ImageSpec returns the tiny spec of an image kind: conv has two
// convolution + max-pooling stages with batch norm and
// transposed-convolution decoding; conv-vae pools by averaging and decodes
// with bilinear upsampling; vae has one hidden layer.
func ImageSpec(kind models.Kind) (models.Spec, error) {
	img := []int{1, ImageSide, ImageSide}
	var s models.Spec
	switch kind {
	case models.Conv:
		s = models.NewConv(img, []int{3, 4}, 3)
		s.BatchNorm = true
		s.Pooling = models.MaxPooling
	case models.VAE:
		s = models.NewVAE(ImageSide*ImageSide, []int{6}, 2)
	case models.ConvVAE:
		s = models.NewConvVAE(img, []int{3, 4}, 2)
		s.Upsampling = models.BilinearConv
		s.Pooling = models.AvgPooling
	default:
		return s, fmt.Errorf("%s is not an image kind", kind)
	}
	return s, s.Validate()
}

// Images returns n deterministic synthetic images (blurred blobs in
// [0,1]), flattened.
func Images(n int, seed uint64) *data.Dataset {
	return data.Blobs(n, ImageSide, seed, 3)
}

// TrainImage trains the tiny model of an image kind (3 epochs, seeded).
func TrainImage(ctx context.Context, kind models.Kind) (*Case, error) {
	spec, err := ImageSpec(kind)
	if err != nil {
		return nil, err
	}
	ds := Images(Rows, Seed)
	cfg := trainer.Config{Epochs: 3, BatchSize: 16, LR: 1e-2, Seed: Seed, Workers: 1}
	m, res, err := trainer.Train(ctx, spec, ds, cfg)
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", kind, err)
	}
	return &Case{Kind: kind, Model: m, Result: res, Train: ds}, nil
}

// ImageShape returns the graph input shape of an image case for rows.
func ImageShape(kind models.Kind, rows int) []int {
	if models.IsConv(kind) {
		return []int{rows, 1, ImageSide, ImageSide}
	}
	return []int{rows, ImageSide * ImageSide}
}

// ImageInputs returns the input images of data set n (not training rows).
func ImageInputs(kind models.Kind, n int) *ops.Tensor {
	ds := Images(Batches[n], uint64(1000+n))
	return ops.FromFloat32(ImageShape(kind, ds.N), ds.X)
}

// Noise returns the seeded N(0, I) draws of generate data set n.
func Noise(code, n int) *ops.Tensor {
	r := rand.New(rand.NewPCG(uint64(2000+n), 5))
	z := make([]float32, Batches[n]*code)
	for i := range z {
		z[i] = float32(r.NormFloat64())
	}
	return ops.FromFloat32([]int{Batches[n], code}, z)
}

// ImageParts lists the golden folders of an image kind.
func ImageParts(kind models.Kind) []string {
	p := []string{export.PartModel, export.PartEncoder, export.PartDecoder}
	if models.IsVAE(kind) {
		p = append(p, export.PartGenerate)
	}
	return p
}

// WriteImage exports c and writes its folders with the trainer's outputs.
func WriteImage(ctx context.Context, golden string, c *Case, opset int64) error {
	note := "written by `go run ./tools/mkexports` (package internal/golden, image.go): expected outputs are latent's trainer forward pass, not ONNX Runtime's; tools/mkgolden leaves this folder alone.\n"
	reason := "tightened: exported image/VAE graphs must reproduce the trainer's forward pass within 1e-5 absolute (issue 6)"
	m := c.Model
	C := m.Spec.Code
	return writeParts(ctx, golden, c, opset, ImageParts(c.Kind), note, reason, func(part string, n int) (*dataSet, error) {
		x := ImageInputs(c.Kind, n)
		rows := x.Shape[0]
		code, err := m.Encode(x.F32(), rows)
		if err != nil {
			return nil, err
		}
		rec, err := m.Reconstruct(x.F32(), rows)
		if err != nil {
			return nil, err
		}
		codeT := ops.FromFloat32([]int{rows, C}, code)
		recT := ops.FromFloat32(ImageShape(c.Kind, rows), rec)
		var ins, outs []*ops.Tensor
		var inNames, outNames []string
		switch part {
		case export.PartModel:
			ins, inNames, outs, outNames = []*ops.Tensor{x}, []string{export.InputName}, []*ops.Tensor{recT}, []string{export.ReconstructionName}
		case export.PartEncoder:
			ins, inNames = []*ops.Tensor{x}, []string{export.InputName}
			outs, outNames = []*ops.Tensor{codeT}, []string{export.CodeName}
			if models.IsVAE(c.Kind) {
				lv, err := LogVar(m, x.F32(), rows)
				if err != nil {
					return nil, err
				}
				outs = append(outs, codeT, ops.FromFloat32([]int{rows, C}, lv))
				outNames = append(outNames, export.MuName, export.LogVarName)
			}
		case export.PartDecoder:
			ins, inNames, outs, outNames = []*ops.Tensor{codeT}, []string{export.CodeName}, []*ops.Tensor{recT}, []string{export.ReconstructionName}
		case export.PartGenerate:
			z := Noise(C, n)
			gen, err := m.Decode(z.F32(), rows)
			if err != nil {
				return nil, err
			}
			ins, inNames = []*ops.Tensor{z}, []string{export.NoiseName}
			outs, outNames = []*ops.Tensor{ops.FromFloat32(ImageShape(c.Kind, rows), gen)}, []string{export.ReconstructionName}
		}
		return &dataSet{inNames, ins, outNames, outs}, nil
	})
}

// LogVar returns a VAE's posterior log-variances for raw rows, computed
// with the trainer's layers.
func LogVar(m *trainer.Model, x []float32, rows int) ([]float32, error) {
	_, lv, err := m.Posterior(x, rows)
	return lv, err
}
