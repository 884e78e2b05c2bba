package export_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/export"
	"github.com/latent-ml/latent/internal/golden"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/verify"
	"github.com/latent-ml/latent/trainer"
)

func imageSpecs() map[string]models.Spec {
	conv := models.NewConv([]int{1, 8, 8}, []int{3, 4}, 3)
	convBN := conv
	convBN.BatchNorm = true
	convBN.Activation, convBN.Alpha = models.LeakyRelu, 0.2
	near := conv
	near.Upsampling = models.NearestConv
	bil := conv
	bil.Upsampling, bil.Loss, bil.OutputActivation = models.BilinearConv, models.MSE, models.Identity
	near.Pooling = models.MaxPooling
	bil.Pooling = models.AvgPooling
	vae := models.NewVAE(64, []int{6}, 2)
	vae.Dropout = 0.2 // training only: the exports must match the trainer's inference
	cvae := models.NewConvVAE([]int{1, 8, 8}, []int{3}, 2)
	return map[string]models.Spec{"conv": conv, "conv-bn-leaky": convBN, "conv-nearest-maxpool": near, "conv-bilinear-avgpool": bil, "vae": vae, "conv-vae": cvae}
}

// runAll runs gm on backend as a file would hold it (encoded and decoded
// again, so the serialisation is under test too) and returns its outputs.
func runAll(t *testing.T, backend string, gm *graph.Model, in *ops.Tensor) []*ops.Tensor {
	t.Helper()
	b, err := graph.Encode(gm)
	if err != nil {
		t.Fatal(err)
	}
	if gm, err = graph.Decode(b, ""); err != nil {
		t.Fatal(err)
	}
	out, err := verify.RunBackend(context.Background(), backend, gm, runtime.Config{IntraOpThreads: 1, Optimize: true}, []*ops.Tensor{in})
	if err != nil {
		t.Fatalf("%s on %s: %v", gm.Graph.Name, backend, err)
	}
	return out
}

// Image and VAE exports reproduce the trainer's forward pass on every
// backend: model (deterministic), encoder (code, mu, logvar), decoder and
// generate.
func TestImageExportsMatchTrainer(t *testing.T) {
	bks := backends(t)
	ds := golden.Images(48, 1)
	test := golden.Images(5, 2)
	for name, spec := range imageSpecs() {
		t.Run(name, func(t *testing.T) {
			m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 2, BatchSize: 16, LR: 1e-2, Seed: 3, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			s, err := export.Build(m, export.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rows := test.N
			shape := []int{rows, 64}
			if models.IsConv(spec.Kind) {
				shape = []int{rows, 1, 8, 8}
			}
			x := ops.FromFloat32(shape, test.X)
			rec, _ := m.Reconstruct(test.X, rows)
			code, _ := m.Encode(test.X, rows)
			codeT := ops.FromFloat32([]int{rows, spec.Code}, code)
			recT := ops.FromFloat32(shape, rec)
			z := make([]float32, rows*spec.Code)
			r := rand.New(rand.NewPCG(9, 9))
			for i := range z {
				z[i] = float32(r.NormFloat64())
			}
			gen, err := m.Decode(z, rows)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-5
			for _, b := range bks {
				near(t, b+" model", runAll(t, b, s.Model, x)[0], recT, tol)
				enc := runAll(t, b, s.Encoder, x)
				near(t, b+" encoder code", enc[0], codeT, tol)
				near(t, b+" decoder", runAll(t, b, s.Decoder, codeT)[0], recT, tol)
				if models.IsVAE(spec.Kind) {
					if len(enc) != 3 || s.Generate == nil {
						t.Fatalf("VAE encoder has %d outputs and generate %v", len(enc), s.Generate != nil)
					}
					near(t, b+" encoder mu", enc[1], codeT, tol)
					lv := enc[2].F32()
					if len(lv) != rows*spec.Code {
						t.Fatalf("logvar has %d values", len(lv))
					}
					near(t, b+" generate", runAll(t, b, s.Generate, ops.FromFloat32([]int{rows, spec.Code}, z))[0], ops.FromFloat32(shape, gen), tol)
				} else if len(enc) != 1 || s.Generate != nil {
					t.Errorf("conv encoder has %d outputs, generate %v", len(enc), s.Generate != nil)
				}
			}
			// Structure: NCHW input with a symbolic batch for conv kinds.
			in := s.Model.Graph.Inputs[0]
			if in.Shape[0].Param != export.BatchDim || len(in.Shape) != len(shape) {
				t.Errorf("model input shape %v, want [batch %v]", in.Shape, shape[1:])
			}
		})
	}
}

func TestWriteVAEFiles(t *testing.T) {
	m, err := trainer.NewModel(models.NewVAE(10, nil, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := export.Write(context.Background(), dir, m, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Generate != filepath.Join(dir, export.GenerateFile) {
		t.Fatalf("generate path %q", p.Generate)
	}
	gm, err := graph.DecodeFile(p.Generate)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Read(gm)
	if err != nil || md.Part != export.PartGenerate || md.Spec.Kind != models.VAE {
		t.Fatalf("generate metadata %+v, %v", md, err)
	}
	if gm.Graph.Inputs[0].Name != export.NoiseName {
		t.Errorf("generate input %q, want %q", gm.Graph.Inputs[0].Name, export.NoiseName)
	}
}

// TestImageGoldens runs the committed image/VAE goldens
// (testdata/golden/ae-{conv,vae,conv-vae}[-part], written by
// tools/mkexports from the trainer's forward pass) on every backend.
func TestImageGoldens(t *testing.T) {
	bks := backends(t)
	for _, kind := range models.ImageKinds() {
		// The trainer, rebuilt from the exported weights, reproduces every
		// folder's recorded outputs.
		t.Run("trainer-"+string(kind), func(t *testing.T) {
			mg, err := graph.DecodeFile(filepath.Join(goldenDir, golden.Dir(kind, export.PartModel), "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			eg, err := graph.DecodeFile(filepath.Join(goldenDir, golden.Dir(kind, export.PartEncoder), "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := export.FromGraphs(mg, eg)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range golden.ImageParts(kind) {
				sets, _ := verify.DataSets(filepath.Join(goldenDir, golden.Dir(kind, part)))
				for _, set := range sets {
					ins, _ := verify.ReadTensors(set, "input")
					want, _ := verify.ReadTensors(set, "output")
					x := ins[0]
					rows := x.Shape[0]
					var got []float32
					switch part {
					case export.PartModel:
						got, err = m.Reconstruct(x.F32(), rows)
					case export.PartEncoder:
						got, err = m.Encode(x.F32(), rows)
						if len(want) == 3 {
							lv, lerr := golden.LogVar(m, x.F32(), rows)
							if lerr != nil {
								t.Fatal(lerr)
							}
							near(t, set+" trainer logvar", ops.FromFloat32(want[2].Shape, lv), want[2], golden.Atol)
						}
					default: // decoder, generate
						got, err = m.Decode(x.F32(), rows)
					}
					if err != nil {
						t.Fatal(err)
					}
					near(t, set+" trainer", ops.FromFloat32(want[0].Shape, got), want[0], golden.Atol)
				}
			}
		})
		for _, part := range golden.ImageParts(kind) {
			dir := filepath.Join(goldenDir, golden.Dir(kind, part))
			t.Run(filepath.Base(dir), func(t *testing.T) {
				gm, err := graph.DecodeFile(filepath.Join(dir, "model.onnx"))
				if err != nil {
					t.Fatalf("%v (regenerate with go run ./tools/mkexports -only %s)", err, kind)
				}
				tol, err := verify.LoadTolerance(dir)
				if err != nil {
					t.Fatal(err)
				}
				sets, err := verify.DataSets(dir)
				if err != nil || len(sets) != len(golden.Batches) {
					t.Fatalf("%d data sets, %v", len(sets), err)
				}
				for _, set := range sets {
					ins, err := verify.ReadTensors(set, "input")
					if err != nil {
						t.Fatal(err)
					}
					want, err := verify.ReadTensors(set, "output")
					if err != nil {
						t.Fatal(err)
					}
					for _, b := range bks {
						got, err := verify.RunBackend(context.Background(), b, gm, runtime.Config{IntraOpThreads: 1, Optimize: true}, ins)
						if err != nil {
							t.Fatalf("%s: %v", b, err)
						}
						if len(got) != len(want) {
							t.Fatalf("%s: %d outputs, golden has %d", b, len(got), len(want))
						}
						for i := range want {
							if r := verify.CompareTensors(b, got[i], want[i], tol.Atol, tol.Rtol); !r.Pass {
								t.Errorf("%s %s output %d: %+v", filepath.Base(set), b, i, r)
							}
						}
					}
				}
			})
		}
	}
}

// Write then Import gives back the same weights and batch norm statistics
// (VAEs take their logvar head from encoder.onnx beside model.onnx).
func TestImportImageKinds(t *testing.T) {
	ds := golden.Images(32, 5)
	for name, spec := range imageSpecs() {
		t.Run(name, func(t *testing.T) {
			m, _, err := trainer.Train(context.Background(), spec, ds, trainer.Config{Epochs: 1, BatchSize: 16, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p, err := export.Write(context.Background(), dir, m, export.Options{})
			if err != nil {
				t.Fatal(err)
			}
			back, md, err := export.Import(p.Model)
			if err != nil {
				t.Fatal(err)
			}
			if md.Spec.Kind != spec.Kind {
				t.Fatalf("kind %s", md.Spec.Kind)
			}
			a, _ := m.Reconstruct(ds.X, ds.N)
			b, _ := back.Reconstruct(ds.X, ds.N)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("reconstruction %d: %g after import, %g before", i, b[i], a[i])
				}
			}
			if models.IsVAE(spec.Kind) {
				sa, _, _ := m.Sample(3, 1)
				sb, _, _ := back.Sample(3, 1)
				for i := range sa {
					if sa[i] != sb[i] {
						t.Fatal("samples differ after import")
					}
				}
				gm, _ := graph.DecodeFile(p.Model)
				if _, _, err := export.FromGraph(gm); err == nil {
					t.Error("FromGraph of a VAE model.onnx alone succeeded without the logvar head")
				}
			}
		})
	}
}

// A non-square, odd-width, two-channel conv model (per-axis output padding
// in the decoder) exports and runs like the trainer on every backend.
func TestNonSquareConvExport(t *testing.T) {
	bks := backends(t)
	spec := models.NewConv([]int{2, 8, 7}, []int{3, 2}, 3)
	spec.Input = 2 * 8 * 7
	for _, pool := range []models.Downsampling{models.StridedConv, models.AvgPooling} {
		spec.Pooling = pool
		if pool != models.StridedConv {
			spec.Image = []int{2, 8, 12} // pooling halves exactly: even sizes
			spec.Input = 2 * 8 * 12
		}
		m, err := trainer.NewModel(spec, 4)
		if err != nil {
			t.Fatal(err)
		}
		s, err := export.Build(m, export.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		x := make([]float32, 3*spec.Input)
		for i := range x {
			x[i] = r.Float32()
		}
		rec, err := m.Reconstruct(x, 3)
		if err != nil {
			t.Fatal(err)
		}
		shape := append([]int{3}, spec.Image...)
		for _, b := range bks {
			near(t, b+" model "+string(pool), runAll(t, b, s.Model, ops.FromFloat32(shape, x))[0], ops.FromFloat32(shape, rec), 1e-5)
		}
	}
}
