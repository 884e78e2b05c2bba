// Package golden owns latent's exported-autoencoder golden vectors: it
// trains one tiny model of every trainer kind deterministically (seeded,
// few epochs, synthetic data), exports it with package export and writes
// each graph in the ONNX backend-test layout with the TRAINER's forward
// outputs as expected outputs:
//
//	testdata/golden/ae-<kind>/model.onnx           input → reconstruction
//	testdata/golden/ae-<kind>-encoder/model.onnx   input → code (VAEs: code, mu, logvar)
//	testdata/golden/ae-<kind>-decoder/model.onnx   code  → reconstruction
//	testdata/golden/ae-<kind>-generate/model.onnx  noise → sample (VAEs)
//
// each with test_data_set_N/{input_K,output_K}.pb and a tolerance.json.
// The decoder sets take the trainer's codes as input and the trainer's
// reconstructions as output, so decoder(encoder(x)) == model(x) is checked
// against the same numbers. The dense kinds learn 8 features on a 2-D
// manifold (the recommender: ratings with missing entries), the conv kinds
// 1×8×8 blob images (NCHW inputs [batch,1,8,8]) and the vae the same
// images flattened. tools/mkexports is the command; the files it writes
// are what runtime's TestGolden and export's tests run on every backend. A
// GENERATOR file in each folder tells tools/mkgolden (which records ONNX
// Runtime's outputs instead) to leave the folder alone.
package golden

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
)

// Sizes of the tiny models and their data.
const (
	Features  = 8 // dense kinds
	ImageSide = 8 // image kinds: 1×8×8
	Rows      = 96
	Seed      = 7
)

// Batches are the batch sizes of test_data_set_0, _1, ...
var Batches = []int{1, 4}

// Atol is the absolute tolerance between the trainer and either backend.
const Atol = 1e-5

// GeneratorFile marks folders written by this package.
const GeneratorFile = "GENERATOR"

// Case is one trained tiny model.
type Case struct {
	Kind   models.Kind
	Model  *trainer.Model
	Result *trainer.Result
	Train  *data.Dataset
}

// Dir returns the golden folder name of a part of kind's export ("" or
// export.PartModel for the model, else the part).
func Dir(kind models.Kind, part string) string {
	if part == "" || part == export.PartModel {
		return "ae-" + string(kind)
	}
	return "ae-" + string(kind) + "-" + part
}

// Parts lists the exported graphs of kind.
func Parts(kind models.Kind) []string {
	p := []string{export.PartModel, export.PartEncoder, export.PartDecoder}
	if models.IsVAE(kind) {
		p = append(p, export.PartGenerate)
	}
	return p
}

// Spec returns the tiny spec used for kind. Each exercises a feature of
// its family: tied leaky-relu layers (deep), a softplus output
// (undercomplete), two k-sparse survivors, two convolution + max-pooling
// stages with batch norm (conv), average pooling and bilinear upsampling
// (conv-vae).
func Spec(kind models.Kind) (models.Spec, error) {
	img := []int{1, ImageSide, ImageSide}
	var s models.Spec
	var err error
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
		var hidden []int
		code := 3
		switch kind {
		case models.Deep, models.Stacked, models.Recommender:
			hidden = []int{6}
		case models.KSparse:
			code = 4
		}
		if s, err = models.New(kind, Features, hidden, code); err != nil {
			return s, err
		}
		switch kind {
		case models.KSparse:
			s.K = 2
		case models.Stacked:
			s.PretrainEpochs = 2
		case models.Deep:
			s.Activation = models.LeakyRelu
			s.Tied = true // exercise tied weights as real initializers
		case models.Undercomplete:
			s.OutputActivation = models.Softplus
		}
	}
	return s, s.Validate()
}

// Images returns n deterministic synthetic images (blurred blobs in
// [0,1]), flattened.
func Images(n int, seed uint64) *data.Dataset {
	return data.Blobs(n, ImageSide, seed, 3)
}

// Dataset returns deterministic synthetic data for kind: images for the
// conv kinds and the vae; for the recommender, ratings 1..5 with about
// half of the entries observed (0 = missing); for the other kinds rows on
// a 2-D manifold in raw units (values in about [0.5, 3.5], so the min-max
// scaler is not the identity).
func Dataset(kind models.Kind, rows int, seed uint64) *data.Dataset {
	if models.IsConv(kind) || models.IsVAE(kind) {
		return Images(rows, seed)
	}
	prm := rand.New(rand.NewPCG(99, 1))
	a := make([][2]float64, Features)
	c := make([]float64, Features)
	for j := range a {
		a[j] = [2]float64{prm.NormFloat64(), prm.NormFloat64()}
		c[j] = prm.NormFloat64() * 0.5
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	ds := &data.Dataset{N: rows, D: Features, X: make([]float32, rows*Features), Source: "synthetic " + string(kind)}
	if kind == models.Recommender {
		ds.Mask = make([]float32, rows*Features)
		ds.Source = "synthetic ratings"
	}
	for i := 0; i < rows; i++ {
		z1, z2 := 2*rng.Float64()-1, 2*rng.Float64()-1
		for j := 0; j < Features; j++ {
			v := 1 / (1 + math.Exp(-(2*(a[j][0]*z1+a[j][1]*z2) + c[j])))
			if kind == models.Recommender {
				if rng.Float64() < 0.5 {
					ds.X[i*Features+j] = float32(1 + 4*v)
					ds.Mask[i*Features+j] = 1
				}
				continue
			}
			ds.X[i*Features+j] = float32(0.5 + 3*v)
		}
	}
	return ds
}

// Train trains the tiny model of kind (3 epochs, seeded).
func Train(ctx context.Context, kind models.Kind) (*Case, error) {
	spec, err := Spec(kind)
	if err != nil {
		return nil, fmt.Errorf("%s spec: %w", kind, err)
	}
	ds := Dataset(kind, Rows, Seed)
	cfg := trainer.Config{Epochs: 3, BatchSize: 16, LR: 1e-2, Seed: Seed, Workers: 1,
		Optimizer: trainer.OptimizerConfig{Name: "adam"}}
	m, res, err := trainer.Train(ctx, spec, ds, cfg)
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", kind, err)
	}
	return &Case{Kind: kind, Model: m, Result: res, Train: ds}, nil
}

// Inputs returns the raw inputs of data set n (seeded, not training
// rows) of the kind's data, or images for another model of 8×8 inputs,
// shaped like the model's graph input ([rows, features] or
// [rows, C, H, W]).
func Inputs(m *trainer.Model, n int) *ops.Tensor {
	ds := Dataset(m.Spec.Kind, Batches[n], uint64(1000+n))
	if ds.D != m.Spec.Input {
		ds = Images(Batches[n], uint64(1000+n))
	}
	return ops.FromFloat32(append([]int{ds.N}, m.Network().InShape()...), ds.X)
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

// dataSet is one test_data_set_N: named inputs and expected outputs.
type dataSet struct {
	inNames  []string
	ins      []*ops.Tensor
	outNames []string
	outs     []*ops.Tensor
}

// set returns data set n of part from the trainer's forward pass.
func set(m *trainer.Model, part string, n int) (*dataSet, error) {
	x := Inputs(m, n)
	rows := x.Shape[0]
	C := m.Spec.Code
	outShape := append([]int{rows}, m.Network().OutShape()...)
	code, err := m.Encode(x.F32(), rows)
	if err != nil {
		return nil, err
	}
	rec, err := m.Reconstruct(x.F32(), rows)
	if err != nil {
		return nil, err
	}
	codeT := ops.FromFloat32([]int{rows, C}, code)
	recT := ops.FromFloat32(outShape, rec)
	switch part {
	case export.PartEncoder:
		ds := &dataSet{[]string{export.InputName}, []*ops.Tensor{x}, []string{export.CodeName}, []*ops.Tensor{codeT}}
		if models.IsVAE(m.Spec.Kind) {
			_, lv, err := m.Posterior(x.F32(), rows)
			if err != nil {
				return nil, err
			}
			ds.outNames = append(ds.outNames, export.MuName, export.LogVarName)
			ds.outs = append(ds.outs, codeT, ops.FromFloat32([]int{rows, C}, lv))
		}
		return ds, nil
	case export.PartDecoder:
		return &dataSet{[]string{export.CodeName}, []*ops.Tensor{codeT}, []string{export.ReconstructionName}, []*ops.Tensor{recT}}, nil
	case export.PartGenerate:
		z := Noise(C, n)
		gen, err := m.Decode(z.F32(), z.Shape[0])
		if err != nil {
			return nil, err
		}
		return &dataSet{[]string{export.NoiseName}, []*ops.Tensor{z}, []string{export.ReconstructionName}, []*ops.Tensor{ops.FromFloat32(outShape, gen)}}, nil
	}
	return &dataSet{[]string{export.InputName}, []*ops.Tensor{x}, []string{export.ReconstructionName}, []*ops.Tensor{recT}}, nil
}

// Write exports c at opset (0: export.DefaultOpset) into golden (normally
// testdata/golden) and writes each part's folder: model.onnx, the
// GENERATOR note, tolerance.json and one test_data_set_N per entry of
// Batches from the trainer's forward pass.
func Write(ctx context.Context, golden string, c *Case, opset int64) error {
	note := "written by `go run ./tools/mkexports` (package internal/golden): expected outputs are latent's trainer forward pass, not ONNX Runtime's; tools/mkgolden leaves this folder alone.\n"
	reason := "tightened: exported graphs must reproduce the trainer's forward pass within 1e-5 absolute (issues 5 and 6)"
	sum := export.SummaryOf(c.Result, c.Train.N, c.Train.D)
	tmp, err := os.MkdirTemp("", "mkexports-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	paths, err := export.Write(ctx, tmp, c.Model, export.Options{Opset: opset, Training: &sum})
	if err != nil {
		return err
	}
	files := map[string]string{export.PartModel: paths.Model, export.PartEncoder: paths.Encoder,
		export.PartDecoder: paths.Decoder, export.PartGenerate: paths.Generate}
	for _, part := range Parts(c.Kind) {
		dir := filepath.Join(golden, Dir(c.Kind, part))
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(files[part])
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "model.onnx"), b, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, GeneratorFile), []byte(note), 0o644); err != nil {
			return err
		}
		tol, err := json.MarshalIndent(verify.Tolerance{Atol: Atol, Rtol: 0, Reason: reason}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, verify.ToleranceFile), append(tol, '\n'), 0o644); err != nil {
			return err
		}
		for n := range Batches {
			ds, err := set(c.Model, part, n)
			if err != nil {
				return fmt.Errorf("%s data set %d: %w", Dir(c.Kind, part), n, err)
			}
			dsDir := filepath.Join(dir, fmt.Sprintf("test_data_set_%d", n))
			if err := verify.WriteDataSet(dsDir, ds.inNames, ds.ins, ds.outNames, ds.outs); err != nil {
				return err
			}
		}
	}
	return nil
}
