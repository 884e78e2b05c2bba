package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeformConvHandComputed(t *testing.T) {
	// A 1×1 kernel of weight 2 with bias 1 over [[1 2] [3 4]]: output
	// (0, 0) shifted by (0.5, 0.5) reads the centre 2.5 → 6; the others are
	// unshifted → 2x + 1.
	x := ops.FromFloat32([]int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	w := ops.FromFloat32([]int{1, 1, 1, 1}, []float32{2})
	off := ops.FromFloat32([]int{1, 2, 2, 2}, []float32{0.5, 0, 0, 0, 0.5, 0, 0, 0})
	y := runOp(t, "DeformConv", 19, []*ops.Tensor{x, w, off, ops.FromFloat32([]int{1}, []float32{1})})[0]
	require.Equal(t, []int{1, 1, 2, 2}, y.Shape)
	assertClose(t, "deform conv", tensorF64(y), []float64{6, 5, 7, 9})
}

func TestDeformConvErrors(t *testing.T) {
	x := ops.New(ops.Float32, 1, 2, 4, 4)
	w := ops.New(ops.Float32, 3, 2, 3, 3)
	off := ops.New(ops.Float32, 1, 18, 2, 2)
	for name, c := range map[string]struct {
		in   []*ops.Tensor
		kv   []any
		want string
	}{
		"offset shape":  {[]*ops.Tensor{x, w, ops.New(ops.Float32, 1, 9, 2, 2)}, nil, "offset must be [1 18 2 2]"},
		"mask shape":    {[]*ops.Tensor{x, w, off, nil, ops.New(ops.Float32, 1, 18, 2, 2)}, nil, "mask must be [1 9 2 2]"},
		"bias length":   {[]*ops.Tensor{x, w, off, ops.New(ops.Float32, 2)}, nil, "B must hold 3 values"},
		"channels":      {[]*ops.Tensor{x, w, off}, []any{"group", 2}, "do not fit"},
		"volumetric":    {[]*ops.Tensor{ops.New(ops.Float32, 1, 2, 4, 4, 4), ops.New(ops.Float32, 3, 2, 1, 1, 1), off}, nil, "only 2-d"},
		"missing input": {[]*ops.Tensor{x, w}, nil, "offset is required"},
		"int input":     {[]*ops.Tensor{ops.New(ops.Int64, 1, 2, 4, 4), w, off}, nil, "must be float32"},
	} {
		_, err := runOpErr("DeformConv", 19, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
