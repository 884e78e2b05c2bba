package trainer_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/trainer"
)

// BenchmarkEpoch784 trains one epoch of a 784-256-64-256-784 autoencoder
// (relu, sigmoid output, MSE, Adam) on 4096 random MNIST-sized rows with
// batch 128 per iteration and reports training samples per second.
func BenchmarkEpoch784(b *testing.B) {
	const n, d = 4096, 784
	rng := rand.New(rand.NewPCG(1, 1))
	ds := &data.Dataset{N: n, D: d, X: make([]float32, n*d), Source: "bench"}
	for i := range ds.X {
		ds.X[i] = float32(rng.Float64())
	}
	spec := models.NewDeep(d, []int{256}, 64)
	cfg := trainer.Config{Epochs: 1, BatchSize: 128, LR: 1e-3, Seed: 1, Scaling: data.NoScaling}
	iters := 0
	for b.Loop() {
		iters++
		if _, _, err := trainer.Train(context.Background(), spec, ds, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(iters)/b.Elapsed().Seconds(), "samples/s")
}
