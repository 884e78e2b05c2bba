package ops

import "fmt"

// SliceInto copies a strided window of src into dst: along axis i it takes
// dst.Shape[i] elements starting at starts[i] with stride steps[i] (which
// may be negative). The caller resolves ONNX start/end clamping; SliceInto
// checks that every element it reads lies inside src.
func SliceInto(dst, src *Tensor, starts, steps []int) error {
	if err := moveCheck("slice", dst, src, dst.Shape); err != nil {
		return err
	}
	r := len(src.Shape)
	if len(dst.Shape) != r || len(starts) != r || len(steps) != r {
		return fmt.Errorf("slice: input rank %d, output rank %d, %d starts, %d steps", r, len(dst.Shape), len(starts), len(steps))
	}
	for i := range r {
		n := dst.Shape[i]
		if n == 0 {
			continue
		}
		last := starts[i] + (n-1)*steps[i]
		if steps[i] == 0 || starts[i] < 0 || starts[i] >= src.Shape[i] || last < 0 || last >= src.Shape[i] {
			return fmt.Errorf("slice: axis %d: %d elements from %d step %d leave input dim %d", i, n, starts[i], steps[i], src.Shape[i])
		}
	}
	switch s := Words(src.Data).(type) {
	case []uint8:
		SliceCopy(Words(dst.Data).([]uint8), s, src.Shape, starts, steps, dst.Shape)
	case []uint16:
		SliceCopy(Words(dst.Data).([]uint16), s, src.Shape, starts, steps, dst.Shape)
	case []uint32:
		SliceCopy(Words(dst.Data).([]uint32), s, src.Shape, starts, steps, dst.Shape)
	case []uint64:
		SliceCopy(Words(dst.Data).([]uint64), s, src.Shape, starts, steps, dst.Shape)
	case []string:
		SliceCopy(Words(dst.Data).([]string), s, src.Shape, starts, steps, dst.Shape)
	}
	return nil
}

// SliceCopy copies into dst (row-major, shape counts) the elements of src
// (row-major, shape shape) at starts[i] + k*steps[i], k < counts[i], along
// each axis i. Trailing axes taken whole are copied as contiguous blocks.
// Indices are not checked: see SliceInto.
func SliceCopy[T any](dst, src []T, shape, starts, steps, counts []int) {
	total := NumElements(counts)
	if total == 0 {
		return
	}
	n := len(shape)
	// Trailing axes copied whole form one contiguous block of size blk.
	k, blk := n, 1
	for k > 0 && starts[k-1] == 0 && steps[k-1] == 1 && counts[k-1] == shape[k-1] {
		k--
		blk *= shape[k]
	}
	if k == 0 {
		copy(dst, src[:total])
		return
	}
	is := Strides(shape)
	off := 0
	for i := 0; i < k; i++ {
		off += starts[i] * is[i]
	}
	innerN, innerStep := counts[k-1], steps[k-1]*is[k-1]
	rowLen := innerN * blk
	idx := make([]int, k)
	for o := 0; o < total; o += rowLen {
		if innerStep == blk {
			copy(dst[o:o+rowLen], src[off:off+rowLen])
		} else if blk == 1 {
			p := off
			row := dst[o : o+innerN]
			for j := range row {
				row[j] = src[p]
				p += innerStep
			}
		} else {
			p := off
			for j := 0; j < innerN; j++ {
				copy(dst[o+j*blk:o+(j+1)*blk], src[p:p+blk])
				p += innerStep
			}
		}
		for a := k - 2; a >= 0; a-- {
			idx[a]++
			off += steps[a] * is[a]
			if idx[a] < counts[a] {
				break
			}
			off -= steps[a] * is[a] * counts[a]
			idx[a] = 0
		}
	}
}

// CopyBox copies the box of counts elements per axis that starts at
// srcStart in src to dstStart in dst; dst and src have one element type
// and rank, and the box must lie inside both.
func CopyBox(dst, src *Tensor, dstStart, srcStart, counts []int) error {
	r := len(src.Shape)
	if !SameStorage(dst.DType, src.DType) || len(dst.Shape) != r || len(dstStart) != r || len(srcStart) != r || len(counts) != r {
		return fmt.Errorf("CopyBox: %v into %v with starts %v, %v and counts %v do not fit", src, dst, srcStart, dstStart, counts)
	}
	for i, c := range counts {
		if c < 0 || dstStart[i] < 0 || srcStart[i] < 0 || dstStart[i]+c > dst.Shape[i] || srcStart[i]+c > src.Shape[i] {
			return fmt.Errorf("CopyBox: box %v at %v (source) and %v (destination) leaves %v or %v", counts, srcStart, dstStart, src, dst)
		}
		if c == 0 {
			return nil
		}
	}
	if r == 0 {
		CopyRange(dst.Data, 0, src.Data, 0, 1)
		return nil
	}
	ds, ss := Strides(dst.Shape), Strides(src.Shape)
	idx := make([]int, r-1)
	last := counts[r-1]
	for {
		do, so := dstStart[r-1], srcStart[r-1]
		for i, v := range idx {
			do += (dstStart[i] + v) * ds[i]
			so += (srcStart[i] + v) * ss[i]
		}
		CopyRange(dst.Data, do, src.Data, so, last)
		k := r - 2
		for ; k >= 0; k-- {
			if idx[k]++; idx[k] < counts[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return nil
		}
	}
}
