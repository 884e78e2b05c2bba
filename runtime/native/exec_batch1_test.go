package native_test

import (
	"context"
	"os"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
)

// BenchmarkDenseAEBatch1 runs the 784-256-64-256-784 dense autoencoder of
// the benchmark suite at batch 1 (set LATENT_BENCH_DENSE to its model.onnx;
// skipped otherwise because the model is not checked in).
func BenchmarkDenseAEBatch1(b *testing.B) {
	path := os.Getenv("LATENT_BENCH_DENSE")
	if path == "" {
		b.Skip("LATENT_BENCH_DENSE not set: no 784-wide dense AE model to run")
	}
	m, err := graph.DecodeFile(path)
	if err != nil {
		b.Fatal(err)
	}
	p, err := native.Compile(m, native.Options{Optimize: true, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	x := ops.New(ops.Float32, 1, 784)
	for i := range x.F32() {
		x.F32()[i] = float32(i%13) / 13
	}
	in := []*ops.Tensor{x}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Run(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
