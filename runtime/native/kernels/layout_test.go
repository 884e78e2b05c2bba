package kernels

import (
	"fmt"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func TestTriluKernel(t *testing.T) {
	// Naive: keep (i, j) when j-i ≥ k (upper) or j-i ≤ k (lower).
	shape := []int{2, 3, 4}
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, shape...)
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
						tkSetT(want, p, x, p)
					}
				}
				n := tkNode("Trilu", 2, 1, attrInt("upper", upper))
				out := mustRunNode(t, n, 14, x, ops.FromInt64([]int{}, []int64{k}))[0]
				tkCheck(t, fmt.Sprintf("%v upper=%d k=%d", dt, upper, k), out, want)
			}
		}
	}
	// k omitted is 0; upper is the default.
	x := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	out := mustRunNode(t, tkNode("Trilu", 1, 1), 14, x)[0]
	tkCheck(t, "default", out, ops.FromFloat32([]int{2, 2}, []float32{1, 2, 0, 4}))
	wantNodeError(t, tkNode("Trilu", 1, 1), 14, "rank", tkSeqT(ops.Float32, 3))
	wantNodeError(t, tkNode("Trilu", 2, 1), 14, "int64 scalar", x, tkI32(1))
}

func TestDepthSpaceKernels(t *testing.T) {
	// DepthToSpace naive (DCR): out[n][c][h*b+i][w*b+j] = x[n][(i*b+j)*C'+c][h][w];
	// CRD: x[n][c*b*b+i*b+j][h][w]. SpaceToDepth (DCR order) inverts DCR.
	const N, C, H, W, b = 2, 8, 2, 3, 2
	cc := C / (b * b)
	for _, dt := range tkDTypes {
		x := tkSeqT(dt, N, C, H, W)
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
			want := tkPickT(x, []int{N, cc, H * b, W * b}, idx...)
			nd := tkNode("DepthToSpace", 1, 1, attrInt("blocksize", b), tkAStr("mode", mode))
			out := mustRunNode(t, nd, 13, x)[0]
			tkCheck(t, fmt.Sprintf("%v DepthToSpace %s", dt, mode), out, want)
			if mode == "DCR" {
				back := mustRunNode(t, tkNode("SpaceToDepth", 1, 1, attrInt("blocksize", b)), 13, out)[0]
				tkCheck(t, fmt.Sprintf("%v SpaceToDepth", dt), back, x)
			}
		}
	}
	x := tkSeqT(ops.Float32, 1, 6, 2, 2)
	wantNodeError(t, tkNode("DepthToSpace", 1, 1, attrInt("blocksize", 2)), 13, "multiple of blocksize", x)
	wantNodeError(t, tkNode("SpaceToDepth", 1, 1, attrInt("blocksize", 3)), 13, "multiples of blocksize", x)
	wantNodeError(t, tkNode("DepthToSpace", 1, 1, attrInt("blocksize", 2)), 13, "4-D", tkSeqT(ops.Float32, 4, 2))
	if _, err := runNode(tkNode("DepthToSpace", 1, 1), 13, x); err == nil {
		t.Fatal("no blocksize: no error")
	}
	if _, err := runNode(tkNode("DepthToSpace", 1, 1, attrInt("blocksize", 2), tkAStr("mode", "XYZ")), 13, x); err == nil {
		t.Fatal("bad mode: no error")
	}
}

func TestOneHotKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		vals := tkSeqT(dt, 2) // off = vals[0], on = vals[1]
		ind := ops.FromFloat32([]int{3}, []float32{0, 2.7, -1})
		// axis -1: [3, depth 3]; -1 wraps to 2 from opset 11; 2.7 truncates to 2.
		out := mustRunNode(t, tkNode("OneHot", 3, 1), 11, ind, ops.FromInt64([]int{}, []int64{3}), vals)[0]
		tkCheck(t, fmt.Sprintf("%v axis -1", dt), out, tkPickT(vals, []int{3, 3}, 1, 0, 0, 0, 0, 1, 0, 0, 1))
		// axis 0: [depth 3, 3].
		out = mustRunNode(t, tkNode("OneHot", 3, 1, attrInt("axis", 0)), 11, ind, ops.FromFloat32([]int{1}, []float32{3}), vals)[0]
		tkCheck(t, fmt.Sprintf("%v axis 0", dt), out, tkPickT(vals, []int{3, 3}, 1, 0, 0, 0, 0, 0, 0, 1, 1))
	}
	// Opset 9: negative and too-large indices give all-off rows.
	vals := tkI64(0, 1)
	out := mustRunNode(t, tkNode("OneHot", 3, 1), 9, tkI64(-1, 5, 1), tkI64(2), vals)[0]
	tkCheck(t, "opset 9 out of range", out, ops.FromInt64([]int{3, 2}, []int64{0, 0, 0, 0, 0, 1}))
	wantNodeError(t, tkNode("OneHot", 3, 1), 11, "depth", tkI64(0), tkI64(0), vals)
	wantNodeError(t, tkNode("OneHot", 3, 1), 11, "values", tkI64(0), tkI64(2), tkI64(1))
	wantNodeError(t, tkNode("OneHot", 3, 1, attrInt("axis", 2)), 11, "out of range", tkI64(0), tkI64(2), vals)
}

func TestEyeLikeKernel(t *testing.T) {
	for _, dt := range tkDTypes {
		one := tkOne(dt)
		src := ops.New(dt, 2)
		tkSetT(src, 1, one, 0) // src = [0, 1]
		for _, k := range []int64{-1, 0, 2, 5} {
			var idx []int
			for i := 0; i < 3; i++ {
				for j := 0; j < 4; j++ {
					if int64(j-i) == k {
						idx = append(idx, 1)
					} else {
						idx = append(idx, 0)
					}
				}
			}
			out := mustRunNode(t, tkNode("EyeLike", 1, 1, attrInt("k", k)), 9, ops.New(ops.Int32, 3, 4))[0]
			if out.DType != ops.Int32 {
				t.Fatalf("without dtype: %v", out.DType)
			}
			out = mustRunNode(t, tkNode("EyeLike", 1, 1, attrInt("k", k), attrInt("dtype", int64(graphElemType(dt)))), 9, ops.New(ops.Int32, 3, 4))[0]
			tkCheck(t, fmt.Sprintf("%v k=%d", dt, k), out, tkPickT(src, []int{3, 4}, idx...))
		}
	}
	wantNodeError(t, tkNode("EyeLike", 1, 1), 9, "2-D", ops.New(ops.Float32, 3))
}

// graphElemType is the ONNX elem_type code of dt.
func graphElemType(dt ops.DType) int32 { return graph.ElemTypeOf(dt) }
