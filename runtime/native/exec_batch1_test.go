package native_test

import (
	"os"
	"testing"
)

// BenchmarkDenseAEBatch1 runs the 784-256-64-256-784 dense autoencoder of
// the benchmark suite at batch 1 (set LATENT_BENCH_DENSE to its model.onnx;
// skipped otherwise because the model is not checked in).
func BenchmarkDenseAEBatch1(b *testing.B) {
	path := os.Getenv("LATENT_BENCH_DENSE")
	if path == "" {
		b.Skip("LATENT_BENCH_DENSE not set: no 784-wide dense AE model to run")
	}
	benchModel(b, path, 1)
}
