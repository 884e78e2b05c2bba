package ops

import "fmt"

// GatherShape returns the shape of Gather(data, indices, axis):
// data[:axis] ++ indices ++ data[axis+1:]. axis must be in [0, rank).
func GatherShape(data, indices []int, axis int) []int {
	out := make([]int, 0, len(data)-1+len(indices))
	out = append(out, data[:axis]...)
	out = append(out, indices...)
	return append(out, data[axis+1:]...)
}

// GatherInto takes the slices of data at positions idx along axis (already
// normalised to [0, data.Shape[axis])) into dst, whose shape must be
// GatherShape(data.Shape, indicesShape, axis) for some indices shape with
// len(idx) elements.
func GatherInto(dst, data *Tensor, axis int, idx []int) error {
	if axis < 0 || axis >= len(data.Shape) {
		return fmt.Errorf("gather: axis %d out of range for rank %d", axis, len(data.Shape))
	}
	if !moveValid(data) {
		return fmt.Errorf("gather: data: %w", data.Validate())
	}
	n := data.Shape[axis]
	for i, v := range idx {
		if v < 0 || v >= n {
			return fmt.Errorf("gather: index %d at position %d out of range [0, %d)", v, i, n)
		}
	}
	outer := NumElements(data.Shape[:axis])
	inner := NumElements(data.Shape[axis+1:])
	if err := moveCheck("gather", dst, data, dst.Shape); err != nil {
		return err
	}
	if want := outer * len(idx) * inner; dst.Len() != want {
		return fmt.Errorf("gather: output %v holds %d elements, want %d", dst, dst.Len(), want)
	}
	switch s := Words(data.Data).(type) {
	case []uint8:
		Gather(Words(dst.Data).([]uint8), s, outer, n, inner, idx)
	case []uint16:
		Gather(Words(dst.Data).([]uint16), s, outer, n, inner, idx)
	case []uint32:
		Gather(Words(dst.Data).([]uint32), s, outer, n, inner, idx)
	case []uint64:
		Gather(Words(dst.Data).([]uint64), s, outer, n, inner, idx)
	case []string:
		Gather(Words(dst.Data).([]string), s, outer, n, inner, idx)
	}
	return nil
}

// Gather views src as [outer, n, inner] and writes dst as
// [outer, len(idx), inner] with dst[o, j, :] = src[o, idx[j], :].
// Indices must lie in [0, n).
func Gather[T any](dst, src []T, outer, n, inner int, idx []int) {
	m := len(idx)
	if inner == 1 {
		for o := 0; o < outer; o++ {
			row := src[o*n : o*n+n]
			out := dst[o*m : o*m+m]
			for j, k := range idx {
				out[j] = row[k]
			}
		}
		return
	}
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for j, k := range idx {
			d := (o*m + j) * inner
			s := base + k*inner
			copy(dst[d:d+inner], src[s:s+inner])
		}
	}
}
