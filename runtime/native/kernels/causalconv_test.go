package kernels

import (
	"math"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCausalConvWithState(t *testing.T) {
	// Filter [1 1] over [1 2 3] with no past: 1, 3, 5; SiLU(v) = v·σ(v).
	x := ops.FromFloat32([]int{1, 1, 3}, []float32{1, 2, 3})
	w := ops.FromFloat32([]int{1, 1, 2}, []float32{1, 1})
	out := runOpN(t, "CausalConvWithState", 27, 2, []*ops.Tensor{x, w}, "activation", "silu")
	silu := func(v float64) float64 { return v / (1 + math.Exp(-v)) }
	assertClose(t, "silu", tensorF64(out[0]), []float64{silu(1), silu(3), silu(5)})
	require.Equal(t, []int{1, 1, 1}, out[1].Shape)
	assertClose(t, "state", tensorF64(out[1]), []float64{3})

	for name, c := range map[string]struct {
		in   []*ops.Tensor
		kv   []any
		want string
	}{
		"weight shape": {[]*ops.Tensor{x, ops.New(ops.Float32, 2, 1, 2)}, nil, "weight [channels, 1, k]"},
		"past shape":   {[]*ops.Tensor{x, w, nil, ops.New(ops.Float32, 1, 1, 2)}, nil, "past_state must be [1, 1, 1]"},
		"activation":   {[]*ops.Tensor{x, w}, []any{"activation", "gelu"}, "unknown activation"},
	} {
		_, err := runOpErr("CausalConvWithState", 27, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
