package native_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compileDenseAE(t testing.TB) *native.Plan {
	t.Helper()
	m, err := graph.DecodeFile("../../testdata/golden/dense-ae/model.onnx")
	require.NoError(t, err)
	p, err := native.Compile(m, native.Options{Optimize: true})
	require.NoError(t, err)
	return p
}

// TestSteadyStateAllocs checks the memory plan: once a fixed shape has run,
// a Run of the optimised dense autoencoder (16-8-4-8-16, outputs
// reconstruction and code) takes every intermediate buffer from the pool.
// What it still allocates is the two output buffers the caller keeps and a
// few small headers per step, so the bytes per run are the output bytes
// plus a small constant, whatever the batch.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose: allocation counts mean nothing under -race")
	}
	p := compileDenseAE(t)
	for _, batch := range []int{1, 256} {
		x := ops.New(ops.Float32, batch, 16)
		for i := range x.F32() {
			x.F32()[i] = float32(i%7) / 7
		}
		in := []*ops.Tensor{x}
		ctx := context.Background()
		run := func() {
			_, err := p.Run(ctx, in)
			require.NoError(t, err, err)
		}
		run()
		allocs := testing.AllocsPerRun(50, run)

		const runs = 50
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			run()
		}
		runtime.ReadMemStats(&after)
		bytes := float64(after.TotalAlloc-before.TotalAlloc) / runs

		outBytes := float64(batch*(16+4)) * 4 // reconstruction + code
		steps := p.NumSteps()
		t.Logf("batch %d: %d steps, %.1f allocs and %.0f bytes per Run (outputs %.0f bytes)", batch, steps, allocs, bytes, outBytes)
		// Small objects only: per step the tensor header, the variadic
		// shape of env.New, the kernel's output slice and a kernel's
		// scratch header or two; per graph output its buffer and
		// bookkeeping; plus the result slice.
		limit := float64(6*steps + 2*2 + 2)
		assert.False(t, allocs > limit, "batch %d: %.1f allocs per Run, want at most %.0f", batch, allocs, limit)
		// The three hidden activations alone would add batch·(8+4+8)·4
		// bytes if they were not recycled.
		limit = outBytes + 2048
		assert.False(t, bytes > limit, "batch %d: %.0f bytes per Run, want at most %.0f (outputs %.0f + 2 KiB)", batch, bytes, limit, outBytes)
	}
}

func BenchmarkSteadyStateRun(b *testing.B) {
	p := compileDenseAE(b)
	in := []*ops.Tensor{ops.New(ops.Float32, 1, 16)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
