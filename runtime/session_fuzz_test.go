package runtime_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/require"
)

// FuzzOpenAndRun takes arbitrary model bytes through the whole native
// pipeline (decode, validate, optimise, plan, run on inputs of the
// declared types with symbolic dimensions set to 2): every stage returns a
// result or an error, never a panic, and no tensor beyond the 64 MiB cap
// is allocated.
func FuzzOpenAndRun(f *testing.F) {
	for _, p := range []string{denseAE} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := graph.Limits{MaxModelBytes: 1 << 20, MaxTensorBytes: 64 << 20, MaxNodes: 256, MaxGraphDepth: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang is a failure too: crash the worker so the fuzzer keeps
		// the input.
		watchdog := time.AfterFunc(20*time.Second, func() {
			panic(fmt.Sprintf("FuzzOpenAndRun: input of %d bytes still running after 20s", len(data)))
		})
		defer watchdog.Stop()
		s, err := runtime.OpenBytes(data, runtime.WithLimits(lim))
		if err != nil {
			return
		}
		defer s.Close()
		var in []*ops.Tensor
		for _, vi := range s.Inputs() {
			if vi.DType == ops.Invalid || vi.DType.Size() == 0 {
				return
			}
			shape := make([]int, len(vi.Shape))
			n := 1
			for i, d := range vi.Shape {
				shape[i] = 2
				if d.Value >= 0 {
					shape[i] = int(d.Value)
				}
				n *= max(shape[i], 1)
				if n > 1<<16 {
					return
				}
			}
			in = append(in, ops.New(vi.DType, shape...))
		}
		outs, err := s.RunOrdered(context.Background(), in)
		if err != nil {
			return
		}
		require.Len(t, outs, len(s.Outputs()), "%d outputs, model declares %d", len(outs), len(s.Outputs()))
		for i, o := range outs {
			if o == nil {
				continue // optional outputs may be absent
			}
			require.NoError(t, o.Validate(), "output %d is malformed", i)
		}
	})
}
