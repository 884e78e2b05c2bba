package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
	"github.com/stretchr/testify/assert"
)

// shapeFuzzOps are the operators of shape.go, slice.go, layout.go, constant.go,
// index.go, random.go and topk.go.
var shapeFuzzOps = []string{
	"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape", "Size",
	"Transpose", "Concat", "Split", "Slice", "Gather", "Tile", "Expand",
	"ConstantOfShape", "Constant", "Range", "GatherElements", "ScatterElements",
	"Scatter", "GatherND", "ScatterND", "Compress", "Trilu", "DepthToSpace",
	"SpaceToDepth", "OneHot", "EyeLike", "RandomNormalLike", "RandomUniformLike",
	"RandomNormal", "RandomUniform", "ReverseSequence", "Unique", "Bernoulli", "TopK",
	"NonZero", "TensorScatter", "CenterCropPad", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix",
	"AffineGrid", "ImageDecoder",
}

// shapeFuzzTensor returns a small random tensor: any dtype, rank 0..4, dims
// 0..3, integer values near the dims so they are sometimes valid indices,
// shapes or axes.
func shapeFuzzTensor(r *rand.Rand) *ops.Tensor {
	dts := []ops.DType{ops.Int64, ops.Int64, ops.Int64, ops.Float32, ops.Int32, ops.Bool, ops.Float16, ops.Float64, ops.Int8, ops.Uint8,
		// The types that share the storage of others, and strings: moving
		// their elements must keep their DType.
		ops.Int16, ops.Uint16, ops.Uint32, ops.Uint64, ops.BFloat16, ops.Float8E4M3FN, ops.Int4, ops.Uint2, ops.String}
	dt := dts[r.IntN(len(dts))]
	shape := make([]int, r.IntN(5))
	for i := range shape {
		shape[i] = r.IntN(4)
	}
	t := ops.New(dt, shape...)
	small := func() int64 {
		switch r.IntN(12) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		case 2:
			return 1 << 40
		}
		return int64(r.IntN(9) - 4)
	}
	switch d := t.Data.(type) {
	case []int64:
		for i := range d {
			d[i] = small()
		}
	case []int32:
		for i := range d {
			d[i] = int32(max(min(small(), math.MaxInt32), math.MinInt32))
		}
	case []float32:
		for i := range d {
			d[i] = float32(small()) / 2
		}
	case []float64:
		for i := range d {
			d[i] = float64(small()) / 2
		}
	case []uint16:
		for i := range d {
			d[i] = uint16(r.Uint32())
		}
	case []int8:
		for i := range d {
			d[i] = int8(r.IntN(9) - 4)
		}
	case []uint8:
		for i := range d {
			d[i] = uint8(r.IntN(5))
		}
	case []bool:
		for i := range d {
			d[i] = r.IntN(2) == 0
		}
	case []int16:
		for i := range d {
			d[i] = int16(small())
		}
	case []uint32:
		for i := range d {
			d[i] = uint32(small())
		}
	case []uint64:
		for i := range d {
			d[i] = uint64(small())
		}
	case []string:
		for i := range d {
			d[i] = []string{"", "a", "bc"}[r.IntN(3)]
		}
	}
	return t
}

// shapeFuzzAttrs returns random attributes with the names these operators use.
func shapeFuzzAttrs(r *rand.Rand) []*graph.Attr {
	return fuzzAttrs(r, fuzzAttrSpec{
		names: []string{"axis", "axes", "perm", "periodic", "output_datatype", "split", "num_outputs", "starts", "ends", "allowzero",
			"start", "end", "upper", "blocksize", "mode", "batch_dims", "reduction", "k", "dtype",
			"seed", "mean", "scale", "low", "high", "shape", "value", "value_int", "value_ints",
			"value_float", "value_floats"},
		oneIn:   4,
		ints:    9,
		strs:    []string{"DCR", "CRD", "add", "mul", "max", "min", "none", "linear", "circular", "x"},
		tensors: func() *ops.Tensor { return shapeFuzzTensor(r) },
	})
}

// TestShapeOpsNeverPanic feeds random, mostly invalid inputs and attributes
// to every operator of these files at several opsets: each call must return
// outputs or an error, never panic, and outputs must be well-formed
// tensors.
func TestShapeOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 1))
	opsets := []int64{7, 9, 10, 11, 12, 13, 14, 16, 18, 21, 24, 26, 28}
	succeeded := map[string]int{}
	for it := 0; it < 20000; it++ {
		op := shapeFuzzOps[r.IntN(len(shapeFuzzOps))]
		opset := opsets[r.IntN(len(opsets))]
		b, err := operators.KernelBuilder("", op, opset)
		if err != nil {
			// Operators newer than the opset drawn run at the newest one.
			opset = opsets[len(opsets)-1]
			if b, err = operators.KernelBuilder("", op, opset); err != nil {
				continue
			}
		}
		nIn, nOut := r.IntN(6), 1+r.IntN(3)
		n := newNode(op, nIn, nOut, shapeFuzzAttrs(r)...)
		in := make([]*ops.Tensor, nIn)
		for i := range in {
			if r.IntN(8) != 0 {
				in[i] = shapeFuzzTensor(r)
			}
		}
		if seed, ok := shapeFuzzSeeds[op]; ok && r.IntN(2) == 0 {
			// Start from a valid call and change one input or attribute.
			attrs, sin := seed()
			n = newNode(op, len(sin), 1, attrs...)
			in = sin
			switch j := r.IntN(len(in) + 2); {
			case j < len(in):
				in[j] = shapeFuzzTensor(r)
			case j == len(in):
				if fa := shapeFuzzAttrs(r); len(fa) > 0 {
					n.Attrs[fa[0].Name] = fa[0]
					n.AttrOrder = append(n.AttrOrder, fa[0].Name)
				}
			}
		}
		// Random operators give the same output twice only with a seed.
		ok := fuzzCall(t, b, n, opset, in, !shapeFuzzRandom[op] || n.Has("seed"))
		if ok {
			succeeded[op]++
		}
	}
	// The inputs are random enough that every operator also runs
	// successfully sometimes; otherwise the test only exercised its checks.
	for _, op := range shapeFuzzOps {
		assert.NotEqual(t, 0, succeeded[op], "%s never ran successfully on random inputs", op)
	}
	t.Logf("successful random runs per operator: %v", succeeded)
}

// shapeFuzzSeeds build valid calls of the operators whose inputs random
// tensors rarely satisfy; the fuzz test mutates them.
var shapeFuzzSeeds = map[string]func() ([]*graph.Attr, []*ops.Tensor){
	"TopK": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("axis", -1)}, []*ops.Tensor{ops.New(ops.Float32, 2, 4), int64s(2)}
	},
	"Slice": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float32, 3, 4), int64s(1, -1), int64s(3, 0), int64s(0, 1), int64s(1, -2)}
	},
	"Range": func() ([]*graph.Attr, []*ops.Tensor) {
		s := func(v int64) *ops.Tensor { return ops.FromInt64([]int{}, []int64{v}) }
		return nil, []*ops.Tensor{s(0), s(5), s(2)}
	},
	"ScatterElements": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("axis", 1)}, []*ops.Tensor{ops.New(ops.Int32, 2, 3), ops.FromInt64([]int{2, 1}, []int64{2, -1}), ops.New(ops.Int32, 2, 1)}
	},
	"Scatter": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Uint8, 3), int64s(2), ops.New(ops.Uint8, 1)}
	},
	"ScatterND": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float64, 3, 2), ops.FromInt64([]int{1, 1}, []int64{1}), ops.New(ops.Float64, 1, 2)}
	},
	"DepthToSpace": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("blocksize", 2)}, []*ops.Tensor{ops.New(ops.Float16, 1, 4, 2, 3)}
	},
	"AffineGrid": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("align_corners", 1)}, []*ops.Tensor{ops.New(ops.Float32, 2, 3, 4), int64s(2, 1, 2, 3, 2)}
	},
	"ImageDecoder": func() ([]*graph.Attr, []*ops.Tensor) {
		pgm := []byte("P5 2 1 255\n\x07\xf0")
		return nil, []*ops.Tensor{{DType: ops.Uint8, Shape: []int{len(pgm)}, Data: pgm}}
	},
	"MelWeightMatrix": func() ([]*graph.Attr, []*ops.Tensor) {
		s := func(v int64) *ops.Tensor { return ops.FromInt64([]int{}, []int64{v}) }
		return nil, []*ops.Tensor{s(4), s(16), s(8000), ops.Scalar(0), ops.Scalar(4000)}
	},
	"TensorScatter": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float32, 2, 4, 3), ops.New(ops.Float32, 2, 2, 3), int64s(1, 2)}
	},
	"CenterCropPad": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInts("axes", -1)}, []*ops.Tensor{ops.New(ops.Int32, 2, 5), int64s(2)}
	},
	"SpaceToDepth": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("blocksize", 2)}, []*ops.Tensor{ops.New(ops.Bool, 1, 1, 2, 4)}
	},
	"OneHot": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{int64s(0, 2, -1), ops.FromInt64([]int{}, []int64{3}), ops.FromFloat32([]int{2}, []float32{0, 1})}
	},
	"Concat": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("axis", 0)}, []*ops.Tensor{ops.New(ops.Int8, 2, 2), ops.New(ops.Int8, 1, 2)}
	},
	"Reshape": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float32, 2, 3), int64s(3, -1)}
	},
	"GatherElements": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float32, 2, 3), ops.FromInt64([]int{1, 2}, []int64{1, 0})}
	},
	"Tile": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Float32, 2, 3), int64s(2, 1)}
	},
	"ReverseSequence": func() ([]*graph.Attr, []*ops.Tensor) {
		return nil, []*ops.Tensor{ops.New(ops.Int32, 3, 2, 2), int64s(2, 3)}
	},
	"Compress": func() ([]*graph.Attr, []*ops.Tensor) {
		return []*graph.Attr{attrInt("axis", 1)}, []*ops.Tensor{ops.New(ops.Float32, 2, 3), ops.FromBool([]int{2}, []bool{true, false})}
	},
}

// shapeFuzzRandom are the operators whose output depends on the generator.
var shapeFuzzRandom = map[string]bool{
	"RandomNormalLike": true, "RandomUniformLike": true, "RandomNormal": true,
	"RandomUniform": true, "Bernoulli": true,
}
