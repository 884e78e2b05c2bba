package ops

import "fmt"

// ArgReduce writes into the int64 tensor dst the index along axis of the
// largest (max) or smallest element of src, the first such index or, with
// last, the last one. dst has src's shape with axis removed or kept as 1.
// NaN compares as neither larger nor smaller than anything, so a NaN is
// chosen only when it comes first.
func ArgReduce(dst, src *Tensor, axis int, max, last bool) error {
	if axis < 0 || axis >= len(src.Shape) {
		return fmt.Errorf("ArgMax/ArgMin: axis %d is out of range for rank %d", axis, len(src.Shape))
	}
	if dst.DType != Int64 {
		return fmt.Errorf("ArgMax/ArgMin: output is %v, want int64", dst.DType)
	}
	outer, n := NumElements(src.Shape[:axis]), src.Shape[axis]
	inner := NumElements(src.Shape[axis+1:])
	if dst.Len() != outer*inner {
		return fmt.Errorf("ArgMax/ArgMin: output %v has %d elements, want %d", dst, dst.Len(), outer*inner)
	}
	if n == 0 && outer*inner > 0 {
		return fmt.Errorf("ArgMax/ArgMin: axis %d of input %v is empty", axis, src)
	}
	d, err := dataOf[int64](dst, "output")
	if err != nil {
		return err
	}
	switch src.DType {
	case Float32:
		return argTyped[float32](d, src, outer, n, inner, max, last)
	case Float64:
		return argTyped[float64](d, src, outer, n, inner, max, last)
	case Int64:
		return argTyped[int64](d, src, outer, n, inner, max, last)
	case Int32:
		return argTyped[int32](d, src, outer, n, inner, max, last)
	case Int16:
		return argTyped[int16](d, src, outer, n, inner, max, last)
	case Int8:
		return argTyped[int8](d, src, outer, n, inner, max, last)
	case Uint64:
		return argTyped[uint64](d, src, outer, n, inner, max, last)
	case Uint32:
		return argTyped[uint32](d, src, outer, n, inner, max, last)
	case Uint16:
		return argTyped[uint16](d, src, outer, n, inner, max, last)
	case Uint8:
		return argTyped[uint8](d, src, outer, n, inner, max, last)
	case Float16, BFloat16:
		w, err := WidenF32(src)
		if err != nil {
			return err
		}
		return argTyped[float32](d, w, outer, n, inner, max, last)
	}
	return fmt.Errorf("ArgMax/ArgMin: unsupported element type %v", src.DType)
}

func argTyped[T Numeric](d []int64, src *Tensor, outer, n, inner int, max, last bool) error {
	s, err := dataOf[T](src, "input")
	if err != nil {
		return err
	}
	ArgReduceSlice(d, s, outer, n, inner, max, last)
	return nil
}

// ArgReduceSlice is ArgReduce on a raw [outer, n, inner] slice.
func ArgReduceSlice[T Numeric](d []int64, s []T, outer, n, inner int, max, last bool) {
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for j := 0; j < inner; j++ {
			best, bi := s[base+j], 0
			for k := 1; k < n; k++ {
				v := s[base+k*inner+j]
				var better bool
				if max {
					better = v > best || (last && v == best)
				} else {
					better = v < best || (last && v == best)
				}
				if better {
					best, bi = v, k
				}
			}
			d[o*inner+j] = int64(bi)
		}
	}
}

// CumSum writes the cumulative sum of src along axis into dst (same shape
// and type). With exclusive each sum leaves out its own element; with
// reverse the sums run from the end of the axis.
func CumSum(dst, src *Tensor, axis int, exclusive, reverse bool) error {
	if axis < 0 || axis >= len(src.Shape) {
		return fmt.Errorf("CumSum: axis %d is out of range for rank %d", axis, len(src.Shape))
	}
	if dst.DType != src.DType || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("CumSum: output %v does not match input %v", dst, src)
	}
	outer, n := NumElements(src.Shape[:axis]), src.Shape[axis]
	inner := NumElements(src.Shape[axis+1:])
	switch src.DType {
	case Float32:
		return cumTyped[float32](dst, src, outer, n, inner, exclusive, reverse)
	case Float64:
		return cumTyped[float64](dst, src, outer, n, inner, exclusive, reverse)
	case Int64:
		return cumTyped[int64](dst, src, outer, n, inner, exclusive, reverse)
	case Int32:
		return cumTyped[int32](dst, src, outer, n, inner, exclusive, reverse)
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			return cumTyped[float32](d, in[0], outer, n, inner, exclusive, reverse)
		}, src)
	}
	return fmt.Errorf("CumSum: unsupported element type %v", src.DType)
}

func cumTyped[T Numeric](dst, src *Tensor, outer, n, inner int, exclusive, reverse bool) error {
	d, s, err := dstSrcOf[T](dst, src)
	if err != nil {
		return err
	}
	acc := make([]T, inner)
	for o := 0; o < outer; o++ {
		clear(acc)
		for kk := 0; kk < n; kk++ {
			k := kk
			if reverse {
				k = n - 1 - kk
			}
			off := (o*n + k) * inner
			row, out := s[off:off+inner], d[off:off+inner]
			if exclusive {
				for j, v := range row {
					out[j] = acc[j]
					acc[j] += v
				}
			} else {
				for j, v := range row {
					acc[j] += v
					out[j] = acc[j]
				}
			}
		}
	}
	return nil
}
