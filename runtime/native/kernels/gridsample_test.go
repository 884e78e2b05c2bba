package kernels

import (
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGridSampleVolumetric(t *testing.T) {
	// x[z][y][x] = 4z + 2y + x over a 2×2×2 volume: trilinear sampling of a
	// linear function is exact, so the centre is 3.5 and the aligned
	// corner (1, 1, 1) is 7. Nearest rounds half to even (the centre, voxel
	// position 0.5 on every axis, to voxel 0) and (0.2, −0.2, 0.9), at
	// (0.6, 0.4, 0.95), to the voxel (x, y, z) = (1, 0, 1).
	x := ops.FromFloat32([]int{1, 1, 2, 2, 2}, []float32{0, 1, 2, 3, 4, 5, 6, 7})
	grid := ops.FromFloat32([]int{1, 1, 1, 3, 3}, []float32{0, 0, 0, 1, 1, 1, 0.2, -0.2, 0.9})
	got := runOp(t, "GridSample", 20, []*ops.Tensor{x, grid}, "align_corners", 1)[0]
	require.Equal(t, []int{1, 1, 1, 1, 3}, got.Shape)
	assertClose(t, "trilinear", tensorF64(got), []float64{3.5, 7, 0.6*1 + 0.4*2 + 0.95*4})
	near := runOp(t, "GridSample", 20, []*ops.Tensor{x, grid}, "mode", "nearest", "align_corners", 1)[0]
	assertClose(t, "nearest", tensorF64(near), []float64{0, 7, 5})
}

func TestGridOpsErrors(t *testing.T) {
	vol := ops.New(ops.Float32, 1, 1, 2, 2, 2)
	for name, c := range map[string]struct {
		op    string
		opset int64
		in    []*ops.Tensor
		kv    []any
		want  string
	}{
		"cubic volume":       {"GridSample", 20, []*ops.Tensor{vol, ops.New(ops.Float32, 1, 1, 1, 1, 3)}, []any{"mode", "cubic"}, "2-d images only"},
		"volume before 20":   {"GridSample", 16, []*ops.Tensor{vol, ops.New(ops.Float32, 1, 1, 1, 1, 3)}, nil, "N×C×H×W"},
		"grid coordinates":   {"GridSample", 20, []*ops.Tensor{vol, ops.New(ops.Float32, 1, 1, 1, 1, 2)}, nil, "grid must be"},
		"theta for 3-d size": {"AffineGrid", 20, []*ops.Tensor{ops.New(ops.Float32, 1, 2, 3), int64s(1, 1, 2, 2, 2)}, nil, "theta must be 1×3×4"},
		"size length":        {"AffineGrid", 20, []*ops.Tensor{ops.New(ops.Float32, 1, 2, 3), int64s(1, 1, 2)}, nil, "size must be"},
		"negative size":      {"AffineGrid", 20, []*ops.Tensor{ops.New(ops.Float32, 1, 2, 3), int64s(1, 1, -2, 2)}, nil, "not a valid dimension"},
	} {
		_, err := runOpErr(c.op, c.opset, c.in, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
