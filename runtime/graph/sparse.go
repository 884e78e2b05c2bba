package graph

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

// maxSparseDense bounds the dense form of a sparse initializer: its size
// comes from dims alone, not from data present in the file.
const maxSparseDense = 1 << 26

// sparseToDense expands a SparseTensorProto (COO values and int64 indices,
// either linear [NNZ] or coordinates [NNZ, rank]) into a dense tensor. The
// tensor's name is the name of its values.
func sparseToDense(sp *onnxpb.SparseTensorProto, dir string) (string, *ops.Tensor, error) {
	if sp.Values == nil {
		return "", nil, errors.New("sparse tensor has no values")
	}
	name := sp.Values.GetName()
	label := "sparse initializer " + name
	vals, err := tensorFromProto(sp.Values, dir, label+" values")
	if err != nil {
		return name, nil, err
	}
	if vals.Rank() != 1 {
		return name, nil, fmt.Errorf("%s: values must be 1-D, have shape %v", label, ops.ShapeString(vals.Shape))
	}
	nnz := vals.Shape[0]
	total, err := numElements(label, sp.Dims)
	if err != nil {
		return name, nil, err
	}
	if total > maxSparseDense {
		return name, nil, fmt.Errorf("%s: dense form of dims %v has %d elements, more than latent expands (%d)", label, sp.Dims, total, maxSparseDense)
	}
	var idx []int64
	if nnz > 0 || sp.Indices != nil {
		if sp.Indices == nil {
			return name, nil, fmt.Errorf("%s: %d values but no indices", label, nnz)
		}
		it, err := tensorFromProto(sp.Indices, dir, label+" indices")
		if err != nil {
			return name, nil, err
		}
		if it.DType != ops.Int64 {
			return name, nil, fmt.Errorf("%s: indices must be INT64, are %v", label, it.DType)
		}
		idx = it.I64()
		rank := len(sp.Dims)
		switch {
		case it.Rank() == 1 && it.Shape[0] == nnz:
		case it.Rank() == 2 && it.Shape[0] == nnz && it.Shape[1] == rank:
			// Coordinates: turn them into linear positions.
			lin := make([]int64, nnz)
			for k := 0; k < nnz; k++ {
				pos := int64(0)
				for a := 0; a < rank; a++ {
					c := idx[k*rank+a]
					if c < 0 || c >= sp.Dims[a] {
						return name, nil, fmt.Errorf("%s: index %d coordinate %d = %d is outside dims %v", label, k, a, c, sp.Dims)
					}
					pos = pos*sp.Dims[a] + c
				}
				lin[k] = pos
			}
			idx = lin
		default:
			return name, nil, fmt.Errorf("%s: indices of shape %v do not fit %d values of rank %d", label, ops.ShapeString(it.Shape), nnz, rank)
		}
	}
	shape := make([]int, len(sp.Dims))
	for i, d := range sp.Dims {
		shape[i] = int(d)
	}
	dense := ops.New(vals.DType, shape...)
	for k, p := range idx {
		if p < 0 || p >= int64(total) {
			return name, nil, fmt.Errorf("%s: index %d = %d is outside the %d elements of dims %v", label, k, p, total, sp.Dims)
		}
	}
	switch d := dense.Data.(type) {
	case []float32:
		scatterInto(d, vals.F32(), idx)
	case []float64:
		scatterInto(d, vals.F64(), idx)
	case []uint16:
		scatterInto(d, vals.F16(), idx)
	case []int64:
		scatterInto(d, vals.I64(), idx)
	case []int32:
		scatterInto(d, vals.I32(), idx)
	case []int8:
		scatterInto(d, vals.I8(), idx)
	case []uint8:
		scatterInto(d, vals.U8(), idx)
	case []bool:
		scatterInto(d, vals.B(), idx)
	}
	return name, dense, nil
}

func scatterInto[T any](dst, src []T, idx []int64) {
	for k, p := range idx {
		dst[p] = src[k]
	}
}
