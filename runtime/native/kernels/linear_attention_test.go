package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinearAttentionKernel(t *testing.T) {
	// update_rule linear, one head of width 1, default scale 1/√1: the
	// outputs are the running sums of q_t·k_s·v_s: 1·1·2 = 2, then
	// 3·(1·2 + 1·4) = 18; the state is Σ k·v = 6.
	q := ops.FromFloat32([]int{1, 2, 1}, []float32{1, 3})
	k := ops.FromFloat32([]int{1, 2, 1}, []float32{1, 1})
	v := ops.FromFloat32([]int{1, 2, 1}, []float32{2, 4})
	out := runOpN(t, "LinearAttention", 27, 2, []*ops.Tensor{q, k, v}, "update_rule", "linear", "q_num_heads", 1, "kv_num_heads", 1)
	assertClose(t, "output", tensorF64(out[0]), []float64{2, 18})
	require.Equal(t, []int{1, 1, 1, 1}, out[1].Shape)
	assertClose(t, "state", tensorF64(out[1]), []float64{6})

	for name, c := range map[string]struct {
		in   []*ops.Tensor
		kv   []any
		want string
	}{
		"heads":         {[]*ops.Tensor{q, k, v}, []any{"q_num_heads", 3, "kv_num_heads", 2}, "positive multiple"},
		"missing decay": {[]*ops.Tensor{q, k, v}, []any{"q_num_heads", 1, "kv_num_heads", 1}, "decay (required)"},
		"extra beta":    {[]*ops.Tensor{q, k, v, nil, nil, ops.New(ops.Float32, 1, 2, 1)}, []any{"update_rule", "linear", "q_num_heads", 1, "kv_num_heads", 1}, "beta (forbidden)"},
		"past shape":    {[]*ops.Tensor{q, k, v, ops.New(ops.Float32, 1, 1, 2, 1)}, []any{"update_rule", "linear", "q_num_heads", 1, "kv_num_heads", 1}, "past_state must be [1 1 1 1]"},
		"rule":          {[]*ops.Tensor{q, k, v}, []any{"update_rule", "mamba", "q_num_heads", 1, "kv_num_heads", 1}, "unknown update_rule"},
	} {
		_, err := runOpErr("LinearAttention", 27, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
