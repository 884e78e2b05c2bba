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
	return cumulative("CumSum", false, dst, src, axis, exclusive, reverse)
}

// CumProd is CumSum with products: an exclusive product starts at 1.
func CumProd(dst, src *Tensor, axis int, exclusive, reverse bool) error {
	return cumulative("CumProd", true, dst, src, axis, exclusive, reverse)
}

func cumulative(name string, prod bool, dst, src *Tensor, axis int, exclusive, reverse bool) error {
	if axis < 0 || axis >= len(src.Shape) {
		return fmt.Errorf("%s: axis %d is out of range for rank %d", name, axis, len(src.Shape))
	}
	if dst.DType != src.DType || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("%s: output %v does not match input %v", name, dst, src)
	}
	g := cumGeom{NumElements(src.Shape[:axis]), src.Shape[axis], NumElements(src.Shape[axis+1:]), exclusive, reverse, prod}
	switch src.DType {
	case Float32:
		return cumTyped[float32](dst, src, g)
	case Float64:
		return cumTyped[float64](dst, src, g)
	case Int64:
		return cumTyped[int64](dst, src, g)
	case Int32:
		return cumTyped[int32](dst, src, g)
	case Int16:
		return cumTyped[int16](dst, src, g)
	case Int8:
		return cumTyped[int8](dst, src, g)
	case Uint64:
		return cumTyped[uint64](dst, src, g)
	case Uint32:
		return cumTyped[uint32](dst, src, g)
	case Uint16:
		return cumTyped[uint16](dst, src, g)
	case Uint8:
		return cumTyped[uint8](dst, src, g)
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			return cumTyped[float32](d, in[0], g)
		}, src)
	}
	return fmt.Errorf("%s: unsupported element type %v", name, src.DType)
}

// cumGeom is a scan's [outer, n, inner] view and its options.
type cumGeom struct {
	outer, n, inner          int
	exclusive, reverse, prod bool
}

func cumTyped[T Numeric](dst, src *Tensor, g cumGeom) error {
	d, s, err := dstSrcOf[T](dst, src)
	if err != nil {
		return err
	}
	acc := make([]T, g.inner)
	for o := 0; o < g.outer; o++ {
		for j := range acc {
			acc[j] = 0
			if g.prod {
				acc[j] = 1
			}
		}
		for kk := 0; kk < g.n; kk++ {
			k := kk
			if g.reverse {
				k = g.n - 1 - kk
			}
			off := (o*g.n + k) * g.inner
			row, out := s[off:off+g.inner], d[off:off+g.inner]
			for j, v := range row {
				if g.exclusive {
					out[j] = acc[j]
				}
				if g.prod {
					acc[j] *= v
				} else {
					acc[j] += v
				}
				if !g.exclusive {
					out[j] = acc[j]
				}
			}
		}
	}
	return nil
}
