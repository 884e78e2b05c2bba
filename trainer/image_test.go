package trainer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
)

// tinyImages returns n synthetic 1×8×8 images in [0,1]: blurred blobs at
// random positions (structure a convolution can exploit).
func tinyImages(n int, seed uint64) *data.Dataset { return data.Blobs(n, 8, seed, 9) }

func tinySpecs() map[string]models.Spec {
	conv := models.NewConv([]int{1, 8, 8}, []int{2, 3}, 3)
	convBN := conv
	convBN.BatchNorm = true
	convUp := conv
	convUp.Upsampling = models.BilinearConv
	convUp.Loss, convUp.OutputActivation = models.MSE, models.Tanh
	convMax := conv
	convMax.Pooling = models.MaxPooling
	vae := models.NewVAE(64, []int{6}, 2)
	vaeDrop := vae
	vaeDrop.Dropout = 0.3
	cvae := models.NewConvVAE([]int{1, 8, 8}, []int{2}, 2)
	cvae.Beta = 0.5
	cvae.Pooling = models.AvgPooling
	// Non-square with an odd width: output padding differs per axis.
	rect := models.NewConv([]int{2, 8, 7}, []int{2, 3}, 3)
	rect.Input = 2 * 8 * 7
	return map[string]models.Spec{"conv-2x8x7": rect, "conv": conv, "conv-bn": convBN, "conv-bilinear-mse": convUp, "conv-maxpool": convMax, "vae": vae, "vae-dropout": vaeDrop, "conv-vae-avgpool": cvae}
}

// The whole network's analytic gradient (layers, reparameterisation, KL
// and loss) matches central finite differences of the training loss.
func TestImageNetGradients(t *testing.T) {
	ds := tinyImages(3, 1)
	for name, spec := range tinySpecs() {
		t.Run(name, func(t *testing.T) {
			// Smooth activations: finite differences across relu kinks
			// are meaningless.
			spec.Activation = models.Tanh
			m, err := NewModel(spec, 3)
			if err != nil {
				t.Fatal(err)
			}
			n := m.img
			x := ds.X
			if spec.Input != ds.D {
				r := rand.New(rand.NewPCG(8, 8))
				x = make([]float32, ds.N*spec.Input)
				for i := range x {
					x[i] = r.Float32()
				}
			}
			b := batchIn{x: x, t: x, rows: ds.N}
			grads := make([][]float32, len(n.params))
			for i, p := range n.params {
				grads[i] = make([]float32, len(p.Data))
			}
			const beta = 0.7
			loss := func(g [][]float32) float64 {
				o := n.trainStep(b, g, beta, rand.New(rand.NewPCG(5, 5)))
				return o.recon + beta*o.kl
			}
			loss(grads)
			scratch := make([][]float32, len(grads))
			for i := range grads {
				scratch[i] = make([]float32, len(grads[i]))
			}
			const h = 1e-2
			checked := 0
			for pi, p := range n.params {
				step := max(1, len(p.Data)/6)
				for i := 0; i < len(p.Data); i += step {
					old := p.Data[i]
					p.Data[i] = old + h
					a := loss(scratch)
					p.Data[i] = old - h
					c := loss(scratch)
					p.Data[i] = old
					want := (a - c) / (2 * h)
					if math.Abs(float64(grads[pi][i])-want) > 3e-2*(math.Abs(want)+1e-2) {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g", p.Name, i, grads[pi][i], want)
					}
					checked++
				}
			}
			if checked < 10 {
				t.Fatalf("only %d parameters checked", checked)
			}
		})
	}
}

func fashion(t *testing.T, n int) *data.Dataset {
	t.Helper()
	p := "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	im, err := data.Load(p, data.Options{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func heldOutMSE(t *testing.T, m *Model, ds *data.Dataset) float64 {
	t.Helper()
	rec, err := m.Reconstruct(ds.X, ds.N)
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for i, v := range rec {
		e := float64(v - ds.X[i])
		s += e * e
	}
	return s / float64(len(rec))
}

// On real images a small convolutional autoencoder reconstructs held-out
// images better than a dense one with the same code size and budget.
func TestConvBeatsDense(t *testing.T) {
	im := fashion(t, 500)
	tr := im.Subset(seq(0, 400))
	te := im.Subset(seq(400, 500))
	cfg := Config{Epochs: 8, BatchSize: 32, LR: 3e-3, Seed: 1, Scaling: data.NoScaling}
	conv := models.NewConv(im.Shape, []int{8, 16}, 16)
	cm, cres, err := Train(context.Background(), conv, tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dense := models.NewUndercomplete(784, 16)
	dense.Loss, dense.OutputActivation = models.BCE, models.Sigmoid
	dm, _, err := Train(context.Background(), dense, tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, d := heldOutMSE(t, cm, te), heldOutMSE(t, dm, te)
	t.Logf("held-out MSE: conv %.5f, dense %.5f (conv training loss %.4f → %.4f)", c, d, cres.History[0].Loss, cres.History[len(cres.History)-1].Loss)
	if !(c < d) {
		t.Errorf("conv autoencoder held-out MSE %.5f is not below the dense one's %.5f", c, d)
	}
}

func seq(lo, hi int) []int {
	out := make([]int, hi-lo)
	for i := range out {
		out[i] = lo + i
	}
	return out
}

// A VAE's ELBO improves, its KL stays positive and its samples lie in the
// data's range [0,1].
func TestVAETraining(t *testing.T) {
	im := fashion(t, 300)
	for _, spec := range []models.Spec{models.NewVAE(784, []int{64}, 4), models.NewConvVAE(im.Shape, []int{4, 8}, 4)} {
		t.Run(string(spec.Kind), func(t *testing.T) {
			spec.KLWarmup = 2
			m, res, err := Train(context.Background(), spec, im, Config{Epochs: 5, BatchSize: 32, LR: 3e-3, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			h := res.History
			for i, e := range h {
				if e.KL == nil || e.KLWeight == nil {
					t.Fatalf("epoch %d reports no KL", i+1)
				}
				if !(*e.KL > 0) {
					t.Errorf("epoch %d: KL %g is not positive", i+1, *e.KL)
				}
				if want := math.Min(1, float64(i+1)/2); math.Abs(*e.KLWeight-want) > 1e-6 {
					t.Errorf("epoch %d: KL weight %g, want warm-up %g", i+1, *e.KLWeight, want)
				}
				if math.Abs(e.RegLoss-*e.KL**e.KLWeight) > 1e-6*(1+e.RegLoss) {
					t.Errorf("epoch %d: reg loss %g is not KL %g × weight %g", i+1, e.RegLoss, *e.KL, *e.KLWeight)
				}
			}
			// Negative ELBO (beta 1 from epoch 2 on) must fall.
			first, last := h[1].ReconLoss+*h[1].KL, h[len(h)-1].ReconLoss+*h[len(h)-1].KL
			t.Logf("negative ELBO %.2f → %.2f, KL %.3f", first, last, *h[len(h)-1].KL)
			if !(last < first) {
				t.Errorf("negative ELBO did not improve: %.3f → %.3f", first, last)
			}
			s, z, err := m.Sample(50, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(s) != 50*784 || len(z) != 50*4 {
				t.Fatalf("sample sizes %d, %d", len(s), len(z))
			}
			var lo, hi float32 = 1, 0
			for _, v := range s {
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo < 0 || hi > 1 || hi-lo < 0.1 {
				t.Errorf("samples span [%g, %g], want a non-trivial range inside [0,1]", lo, hi)
			}
			again, _, _ := m.Sample(50, 7)
			if !equalF(s, again) {
				t.Error("Sample with the same seed differs")
			}
		})
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Checkpoints of every image kind load back bit-identically (parameters,
// batch norm statistics), and training resumes exactly.
func TestImageCheckpointRoundTrip(t *testing.T) {
	ds := tinyImages(40, 2)
	for name, spec := range tinySpecs() {
		t.Run(name, func(t *testing.T) {
			if spec.Input != ds.D {
				t.Skipf("%s takes %d features; the round trip runs on the 8×8 images", name, spec.Input)
			}
			dir := t.TempDir()
			cfg := Config{Epochs: 2, BatchSize: 8, Seed: 4, OutDir: dir, CheckpointEvery: 1}
			m, _, err := Train(context.Background(), spec, ds, cfg)
			if err != nil {
				t.Fatal(err)
			}
			back, st, err := LoadCheckpoint(filepath.Join(dir, "model.latent"))
			if err != nil {
				t.Fatal(err)
			}
			if st == nil || st.Epoch != 2 {
				t.Fatalf("state %+v", st)
			}
			for _, pair := range [][2][]*Param{{m.Params(), back.Params()}, {m.modelState(), back.modelState()}} {
				for i := range pair[0] {
					if !equalF(pair[0][i].Data, pair[1][i].Data) {
						t.Fatalf("%s differs after load", pair[0][i].Name)
					}
				}
			}
			if spec.BatchNorm && len(m.modelState()) == 0 {
				t.Fatal("batch norm model has no saved state")
			}
			a, _ := m.Reconstruct(ds.X, ds.N)
			b, _ := back.Reconstruct(ds.X, ds.N)
			if !equalF(a, b) {
				t.Fatal("reconstructions differ after load")
			}
			// Resume: 2 epochs + 1 more equals 3 straight epochs.
			cfg3 := cfg
			cfg3.Epochs, cfg3.OutDir = 3, t.TempDir()
			full, _, err := Train(context.Background(), spec, ds, cfg3)
			if err != nil {
				t.Fatal(err)
			}
			cfgR := Config{Epochs: 3, BatchSize: 8, Resume: filepath.Join(dir, "model.latent")}
			res, _, err := Train(context.Background(), spec, ds, cfgR)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range full.Params() {
				if !equalF(p.Data, res.Params()[i].Data) {
					t.Fatalf("resumed %s differs from an uninterrupted run", p.Name)
				}
			}
		})
	}
}

// Version 1 checkpoints (dense kinds, before the image kinds) still load.
func TestReadsVersion1Checkpoint(t *testing.T) {
	m, err := NewModel(models.NewUndercomplete(6, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "v1.latent")
	if err := SaveCheckpoint(p, m, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	body := b[:len(b)-sha256.Size]
	binary.LittleEndian.PutUint32(body[8:], 1)
	sum := sha256.Sum256(body)
	v1 := append(bytes.Clone(body), sum[:]...)
	os.WriteFile(p, v1, 0o644)
	back, _, err := LoadCheckpoint(p)
	if err != nil {
		t.Fatalf("version 1 checkpoint: %v", err)
	}
	if !equalF(back.Params()[0].Data, m.Params()[0].Data) {
		t.Fatal("version 1 weights differ")
	}
	binary.LittleEndian.PutUint32(body[8:], 9)
	sum = sha256.Sum256(body)
	os.WriteFile(p, append(bytes.Clone(body), sum[:]...), 0o644)
	if _, _, err := LoadCheckpoint(p); err == nil {
		t.Fatal("version 9 checkpoint accepted")
	}
}

// Early stopping restores the best epoch's weights and its batch norm
// statistics together: the restored model's validation loss is the best
// one recorded.
func TestImageEarlyStoppingRestoresState(t *testing.T) {
	ds := tinyImages(48, 3)
	val := tinyImages(16, 4)
	spec := tinySpecs()["conv-bn"]
	cfg := Config{Epochs: 6, BatchSize: 8, LR: 5e-2, Seed: 1, Val: val, EarlyStopping: 10}
	m, res, err := Train(context.Background(), spec, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.BestEpoch == res.Epochs {
		t.Skipf("the last epoch was the best (%d): nothing to restore", res.BestEpoch)
	}
	eng := newImageEngine(m.img, nil, 1)
	var sum, norm float64
	for lo := 0; lo < val.N; lo += cfg.BatchSize {
		rows := min(cfg.BatchSize, val.N-lo)
		s, n := eng.eval(batchIn{x: val.X[lo*64 : (lo+rows)*64], t: val.X[lo*64 : (lo+rows)*64], rows: rows}, nil)
		sum, norm = sum+s, norm+n
	}
	got := sum / norm
	t.Logf("best epoch %d of %d: loss %.9g, recorded %.9g", res.BestEpoch, res.Epochs, got, res.BestLoss)
	if math.Abs(got-res.BestLoss) > 1e-12*math.Abs(res.BestLoss) {
		t.Errorf("restored model's validation loss %.12g, best recorded %.12g", got, res.BestLoss)
	}
}
