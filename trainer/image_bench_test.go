package trainer_test

import (
	"context"
	"os"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

// benchImages returns 1024 Fashion-MNIST images, or skips.
func benchImages(b *testing.B) *data.Dataset {
	p := "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
	if _, err := os.Stat(p); err != nil {
		b.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	im, err := data.Load(p, data.Options{Limit: 1024})
	if err != nil {
		b.Fatal(err)
	}
	return im
}

// BenchmarkConvAETrain trains one epoch of the default conv autoencoder
// (1×28×28 → conv 16 s2 → conv 32 s2 → code 16 → transposed convs, BCE,
// Adam, batch 64) on 1024 Fashion-MNIST images and reports samples/s.
func BenchmarkConvAETrain(b *testing.B) {
	im := benchImages(b)
	spec := models.NewConv(im.Shape, nil, 16)
	cfg := trainer.Config{Epochs: 1, BatchSize: 64, LR: 1e-3, Seed: 1}
	iters := 0
	for b.Loop() {
		iters++
		if _, _, err := trainer.Train(context.Background(), spec, im, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(im.N)*float64(iters)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkConvAEInfer reconstructs batches of 64 images with the
// trainer's forward pass (the same ops kernels the native backend runs).
func BenchmarkConvAEInfer(b *testing.B) {
	im := benchImages(b)
	m, err := trainer.NewModel(models.NewConv(im.Shape, nil, 16), 1)
	if err != nil {
		b.Fatal(err)
	}
	x := im.X[:64*784]
	iters := 0
	for b.Loop() {
		iters++
		if _, err := m.Reconstruct(x, 64); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(64*float64(iters)/b.Elapsed().Seconds(), "samples/s")
}
