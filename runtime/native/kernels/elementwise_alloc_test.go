package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/internal/buffers"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryKernelAllocs pins the steady-state cost of Add/Sub/Mul/Div on
// the dense AE's scaling shape ([1,784] op [784]) under the executor's
// recycling run state: the kernel may allocate what env.New allocates (the
// tensor header) plus the result slice the operators.Kernel signature returns, and
// nothing else (no per-call loop closures or shape slices). The results
// are checked against a naive loop so the fast path cannot be empty.
func TestBinaryKernelAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose: allocation counts mean nothing under -race")
	}
	a := ops.New(ops.Float32, 1, 784)
	b := ops.New(ops.Float32, 784)
	for i := range 784 {
		a.F32()[i] = float32(i%17) - 3
		b.F32()[i] = float32(i%5) + 0.5
	}
	pool := &buffers.Pool{MaxBytes: 1 << 30}
	env := &operators.Env{Buffers: pool}
	cycle := pool.EndStep // nothing holds a reference: every buffer goes back
	newOnly := testing.AllocsPerRun(100, func() {
		env.New(ops.Float32, 1, 784)
		cycle()
	})
	naive := map[string]func(x, y float32) float32{
		"Add": func(x, y float32) float32 { return x + y },
		"Sub": func(x, y float32) float32 { return x - y },
		"Mul": func(x, y float32) float32 { return x * y },
		"Div": func(x, y float32) float32 { return x / y },
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		n := &graph.Node{Name: "n", OpType: op, Inputs: []string{"a", "b"}, Outputs: []string{"y"}}
		bld, err := operators.KernelBuilder("", op, 13)
		require.NoError(t, err)
		k, err := bld(n, 13)
		require.NoError(t, err)
		in := []*ops.Tensor{a, b}
		out, err := k(env, in)
		require.NoError(t, err, "%s", op)
		require.Equal(t, []int{1, 784}, out[0].Shape, "%s: shape", op)
		for i, v := range out[0].F32() {
			want := naive[op](a.F32()[i], b.F32()[i])
			require.Equal(t, want, v, "%s: y[%d]", op, i)
		}
		cycle()
		got := testing.AllocsPerRun(200, func() {
			_, err := k(env, in)
			require.NoError(t, err, err)
			cycle()
		})
		assert.False(t, got > newOnly+1, "%s: %.1f allocations per call, want at most %.1f (env.New) + 1 (result slice)", op, got, newOnly)
	}
}
