package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runTraining(t *testing.T, op string, nOut int, in []*ops.Tensor, kv ...any) ([]*ops.Tensor, error) {
	t.Helper()
	b, err := operators.KernelBuilder(trainingDomain, op, 1)
	require.NoError(t, err)
	n := newNodeKV(op, len(in), nOut, kv...)
	n.Domain = trainingDomain
	k, err := b(n, 1)
	if err != nil {
		return nil, err
	}
	return k(&operators.Env{}, in)
}

func TestOptimizerStepsHandComputed(t *testing.T) {
	r := ops.Scalar(0.1)
	step := func(v int64) *ops.Tensor { return ops.FromInt64(nil, []int64{v}) }
	one := func(v float32) *ops.Tensor { return ops.FromFloat32([]int{1}, []float32{v}) }
	x, g := one(1), one(2)
	for name, c := range map[string]struct {
		op   string
		in   []*ops.Tensor
		kv   []any
		want []float64 // new X, then the states
	}{
		// h = 0 + 2² = 4; x = 1 − 0.1·2/(√4 + 1e−6).
		"adagrad": {"Adagrad", []*ops.Tensor{r, step(0), x, g, one(0)}, nil, []float64{1 - 0.2/(2+1e-6), 4}},
		// v = 0.9·1 + 0.5·2 = 1.9; x = 1 − 0.1·1.9.
		"momentum": {"Momentum", []*ops.Tensor{r, step(1), x, g, one(1)}, []any{"alpha", float32(0.9), "beta", float32(0.5), "norm_coefficient", float32(0), "mode", "standard"}, []float64{0.81, 1.9}},
		// At T = 0 β counts as 1: v = 0.9 + 2 = 2.9.
		"momentum first step": {"Momentum", []*ops.Tensor{r, step(0), x, g, one(1)}, []any{"alpha", float32(0.9), "beta", float32(0.5), "norm_coefficient", float32(0), "mode", "standard"}, []float64{0.71, 2.9}},
		// Nesterov: x = 1 − 0.1·(2 + 0.9·1.9).
		"nesterov": {"Momentum", []*ops.Tensor{r, step(1), x, g, one(1)}, []any{"alpha", float32(0.9), "beta", float32(0.5), "norm_coefficient", float32(0), "mode", "nesterov"}, []float64{0.629, 1.9}},
		// v = 0.1·2 = 0.2, h = 0.001·4 = 0.004; x = 1 − 0.1·0.2/(√0.004 + 1e−6).
		"adam": {"Adam", []*ops.Tensor{r, step(0), x, g, one(0), one(0)}, nil, []float64{1 - 0.02/(0.0632455532+1e-6), 0.2, 0.004}},
	} {
		out, err := runTraining(t, c.op, len(c.want), c.in, c.kv...)
		require.NoError(t, err, name)
		got := make([]float64, len(out))
		for i, o := range out {
			got[i] = tensorF64(o)[0]
		}
		assertClose(t, name, got, c.want)
	}
}

func TestOptimizerErrors(t *testing.T) {
	x := ops.FromFloat32([]int{2}, []float32{1, 2})
	for name, c := range map[string]struct {
		op   string
		in   []*ops.Tensor
		kv   []any
		want string
	}{
		"arity":          {"Adagrad", []*ops.Tensor{ops.Scalar(1), ops.FromInt64(nil, []int64{0}), x, x}, nil, "groups of n tensors"},
		"shape":          {"Adagrad", []*ops.Tensor{ops.Scalar(1), ops.FromInt64(nil, []int64{0}), x, x, ops.New(ops.Float32, 3)}, nil, "must have X's shape"},
		"momentum attrs": {"Momentum", []*ops.Tensor{ops.Scalar(1), ops.FromInt64(nil, []int64{0}), x, x, x}, []any{"mode", "standard"}, "missing required attribute alpha"},
		"step type":      {"Adam", []*ops.Tensor{ops.Scalar(1), ops.Scalar(0), x, x, x, x}, nil, "T must be an int64 scalar"},
	} {
		_, err := runTraining(t, c.op, 2, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
