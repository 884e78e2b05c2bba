package native_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
)

// BenchmarkModel runs any single-input float model through the optimised
// plan on one thread (LATENT_BENCH_MODEL names the file; the first
// dimension, when not fixed, is LATENT_BENCH_BATCH, default 64): a way to
// profile a user's model per kernel with -cpuprofile, beside `latent
// bench`, which times whole runs. For the conv AE of issue 7's conv target:
//
//	bash tools/bench-gorgonnx/models.sh /tmp/bm
//	LATENT_BENCH_MODEL=/tmp/bm/conv/model.onnx go test ./runtime/native -run X -bench Model -cpuprofile cpu.out
func BenchmarkModel(b *testing.B) {
	path := os.Getenv("LATENT_BENCH_MODEL")
	if path == "" {
		b.Skip("LATENT_BENCH_MODEL not set: no model to run")
	}
	batch := 64
	if v := os.Getenv("LATENT_BENCH_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("LATENT_BENCH_BATCH=%q: want a positive integer", v)
		}
		batch = n
	}
	benchModel(b, path, batch)
}

// benchModel times Plan.Run of the model at path on one thread, its one
// float32 input filled with a fixed pattern and its first dimension set to
// batch when the model leaves it open.
func benchModel(b *testing.B, path string, batch int) {
	m, err := graph.DecodeFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].DType != ops.Float32 {
		b.Fatalf("%s: want one float32 input, got %d inputs", path, len(m.Graph.Inputs))
	}
	var shape []int
	for i, d := range m.Graph.Inputs[0].Shape {
		switch {
		case d.Known():
			shape = append(shape, int(d.Value))
		case i == 0:
			shape = append(shape, batch)
		default:
			b.Fatalf("%s: input dimension %d is not fixed", path, i)
		}
	}
	defer ops.SetThreads(0)
	ops.SetThreads(1)
	p, err := native.Compile(m, native.Options{Optimize: true, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	x := ops.New(ops.Float32, shape...)
	for i := range x.F32() {
		x.F32()[i] = float32(i%17) / 17
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
