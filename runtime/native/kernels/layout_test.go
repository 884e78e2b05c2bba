package kernels

import (
	"fmt"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/stretchr/testify/require"
)

func TestTriluKernel(t *testing.T) {
	// Naive: keep (i, j) when j-i ≥ k (upper) or j-i ≤ k (lower).
	shape := []int{2, 3, 4}
	for _, dt := range allDTypes {
		x := sequence(dt, shape...)
		for _, upper := range []int64{0, 1} {
			for _, k := range []int64{-5, -1, 0, 2, 7} {
				want := ops.New(dt, shape...)
				for p := 0; p < x.Len(); p++ {
					i, j := (p/4)%3, p%4
					keep := int64(j-i) >= k
					if upper == 0 {
						keep = int64(j-i) <= k
					}
					if keep {
						setElement(want, p, x, p)
					}
				}
				n := newNode("Trilu", 2, 1, attrInt("upper", upper))
				out := mustRunNode(t, n, 14, x, ops.FromInt64([]int{}, []int64{k}))[0]
				checkTensor(t, fmt.Sprintf("%v upper=%d k=%d", dt, upper, k), out, want)
			}
		}
	}
	// k omitted is 0; upper is the default.
	x := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	out := mustRunNode(t, newNode("Trilu", 1, 1), 14, x)[0]
	checkTensor(t, "default", out, ops.FromFloat32([]int{2, 2}, []float32{1, 2, 0, 4}))
	wantNodeError(t, newNode("Trilu", 1, 1), 14, "rank", sequence(ops.Float32, 3))
	wantNodeError(t, newNode("Trilu", 2, 1), 14, "int64 scalar", x, int32s(1))
}

func TestDepthSpaceKernels(t *testing.T) {
	// DepthToSpace naive (DCR): out[n][c][h*b+i][w*b+j] = x[n][(i*b+j)*C'+c][h][w];
	// CRD: x[n][c*b*b+i*b+j][h][w]. SpaceToDepth (DCR order) inverts DCR.
	const N, C, H, W, b = 2, 8, 2, 3, 2
	cc := C / (b * b)
	for _, dt := range allDTypes {
		x := sequence(dt, N, C, H, W)
		for _, mode := range []string{"DCR", "CRD"} {
			var idx []int
			for n := 0; n < N; n++ {
				for c := 0; c < cc; c++ {
					for y := 0; y < H*b; y++ {
						for z := 0; z < W*b; z++ {
							h, i, w, j := y/b, y%b, z/b, z%b
							ch := (i*b+j)*cc + c
							if mode == "CRD" {
								ch = c*b*b + i*b + j
							}
							idx = append(idx, ((n*C+ch)*H+h)*W+w)
						}
					}
				}
			}
			want := pick(x, []int{N, cc, H * b, W * b}, idx...)
			nd := newNode("DepthToSpace", 1, 1, attrInt("blocksize", b), attrString("mode", mode))
			out := mustRunNode(t, nd, 13, x)[0]
			checkTensor(t, fmt.Sprintf("%v DepthToSpace %s", dt, mode), out, want)
			if mode == "DCR" {
				back := mustRunNode(t, newNode("SpaceToDepth", 1, 1, attrInt("blocksize", b)), 13, out)[0]
				checkTensor(t, fmt.Sprintf("%v SpaceToDepth", dt), back, x)
			}
		}
	}
	x := sequence(ops.Float32, 1, 6, 2, 2)
	wantNodeError(t, newNode("DepthToSpace", 1, 1, attrInt("blocksize", 2)), 13, "multiple of blocksize", x)
	wantNodeError(t, newNode("SpaceToDepth", 1, 1, attrInt("blocksize", 3)), 13, "multiples of blocksize", x)
	wantNodeError(t, newNode("DepthToSpace", 1, 1, attrInt("blocksize", 2)), 13, "4-D", sequence(ops.Float32, 4, 2))
	_, err := runNode(newNode("DepthToSpace", 1, 1), 13, x)
	require.Error(t, err, "no blocksize: no error")
	_, err = runNode(newNode("DepthToSpace", 1, 1, attrInt("blocksize", 2), attrString("mode", "XYZ")), 13, x)
	require.Error(t, err, "bad mode: no error")
}

// graphElemType is the ONNX elem_type code of dt.
func graphElemType(dt ops.DType) int32 { return graph.ElemTypeOf(dt) }

func TestExpandKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 3, 1)
		// Bidirectional: [3,1] with [2,1,2] → [2,3,2].
		out := mustRunNode(t, newNode("Expand", 2, 1), 13, x, int64s(2, 1, 2))[0]
		checkTensor(t, fmt.Sprintf("%v expand", dt), out, pick(x, []int{2, 3, 2}, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2))
	}
	// A shape that changes nothing gives a view.
	x := sequence(ops.Float32, 2, 3)
	out := mustRunNode(t, newNode("Expand", 2, 1), 8, x, int64s(3))[0]
	checkTensor(t, "no-op expand", out, x)
	out = mustRunNode(t, newNode("Expand", 2, 1), 8, x, int64s(0, 1, 1))[0]
	require.True(t, ops.SameShape(out.Shape, []int{0, 2, 3}), "expand to a zero dim: %v", out.Shape)
	wantNodeError(t, newNode("Expand", 2, 1), 13, "broadcast", x, int64s(4))
	wantNodeError(t, newNode("Expand", 2, 1), 13, "too many elements", x, int64s(1<<30, 1<<30, 1, 3))
	wantNodeError(t, newNode("Tile", 2, 1), 13, "too many elements", x, int64s(1<<30, 1<<30))
	wantNodeError(t, newNode("ConstantOfShape", 1, 1), 13, "too many elements", int64s(1<<40, 2))
	wantNodeError(t, newNode("Expand", 2, 1), 13, "not a valid dimension", x, int64s(-1, 3))
}

func TestTileKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 2)
		out := mustRunNode(t, newNode("Tile", 2, 1), 13, x, int64s(1, 2))[0]
		checkTensor(t, fmt.Sprintf("%v tile 1x2", dt), out, pick(x, []int{2, 4}, 0, 1, 0, 1, 2, 3, 2, 3))
	}
	x := sequence(ops.Int64, 3)
	out := mustRunNode(t, newNode("Tile", 2, 1), 6, x, int64s(2))[0]
	checkTensor(t, "tile-6 1-D", out, pick(x, []int{6}, 0, 1, 2, 0, 1, 2))
	out = mustRunNode(t, newNode("Tile", 2, 1), 13, x, int64s(0))[0]
	require.True(t, ops.SameShape(out.Shape, []int{0}), "tile by 0: %v", out.Shape)
	wantNodeError(t, newNode("Tile", 2, 1), 13, "repeats for rank", x, int64s(1, 2))
	wantNodeError(t, newNode("Tile", 2, 1), 13, "not a valid dimension", x, int64s(-1))
	wantNodeError(t, newNode("Tile", 2, 1), 13, "int64", x, int32s(2))
}

func TestTransposeKernel(t *testing.T) {
	for _, dt := range allDTypes {
		x := sequence(dt, 2, 3)
		// Default perm reverses: out[j][i] = x[i][j].
		out := mustRunNode(t, newNode("Transpose", 1, 1), 13, x)[0]
		checkTensor(t, fmt.Sprintf("%v default", dt), out, pick(x, []int{3, 2}, 0, 3, 1, 4, 2, 5))
	}
	// [2,3,2] perm [1,0,2] keeps the last axis: rows move whole.
	x := sequence(ops.Int64, 2, 3, 2)
	out := mustRunNode(t, newNode("Transpose", 1, 1, attrInts("perm", 1, 0, 2)), 21, x)[0]
	checkTensor(t, "perm 1 0 2", out, pick(x, []int{3, 2, 2}, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11))
	// Moving only a size-1 axis is a view.
	x = sequence(ops.Float32, 3, 1, 4)
	out = mustRunNode(t, newNode("Transpose", 1, 1, attrInts("perm", 1, 0, 2)), 13, x)[0]
	checkTensor(t, "size-1 move", out, &ops.Tensor{DType: ops.Float32, Shape: []int{1, 3, 4}, Data: x.Data})
	// Empty tensors transpose to empty tensors.
	out = mustRunNode(t, newNode("Transpose", 1, 1), 13, ops.New(ops.Bool, 0, 3))[0]
	require.True(t, ops.SameShape(out.Shape, []int{3, 0}), "empty transpose: %v", out.Shape)
	wantNodeError(t, newNode("Transpose", 1, 1, attrInts("perm", 0, 0)), 13, "not a permutation", sequence(ops.Float32, 2, 2))
	wantNodeError(t, newNode("Transpose", 1, 1, attrInts("perm", 0)), 13, "perm", sequence(ops.Float32, 2, 2))
}
