package ops

import (
	"fmt"
	"reflect"
)

// ConcatShape returns the shape of srcs joined along axis, checking that all
// have the same rank and agree on every other axis.
func ConcatShape(axis int, shapes ...[]int) ([]int, error) {
	if len(shapes) == 0 {
		return nil, fmt.Errorf("concat: no inputs")
	}
	r := len(shapes[0])
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("concat: axis %d out of range for rank %d", axis, r)
	}
	out := append([]int(nil), shapes[0]...)
	for i, s := range shapes[1:] {
		if len(s) != r {
			return nil, fmt.Errorf("concat: input %d has rank %d (shape %s), input 0 has rank %d", i+1, len(s), ShapeString(s), r)
		}
		for a := range s {
			if a == axis {
				out[a] += s[a]
			} else if s[a] != out[a] {
				return nil, fmt.Errorf("concat: input %d shape %s differs from input 0 shape %s on axis %d", i+1, ShapeString(s), ShapeString(shapes[0]), a)
			}
		}
	}
	return out, nil
}

// ConcatInto joins srcs along axis into dst, which must have their common
// type and the ConcatShape.
func ConcatInto(dst *Tensor, srcs []*Tensor, axis int) error {
	shapes := make([][]int, len(srcs))
	for i, s := range srcs {
		if s == nil {
			return fmt.Errorf("concat: input %d is missing", i)
		}
		shapes[i] = s.Shape
	}
	want, err := ConcatShape(axis, shapes...)
	if err != nil {
		return err
	}
	for i, s := range srcs {
		if err := moveCheck("concat", dst, s, want); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	outer := NumElements(want[:axis])
	inners := make([]int, len(srcs))
	for i, s := range srcs {
		inners[i] = NumElements(s.Shape[axis:])
	}
	switch d := dst.Data.(type) {
	case []float32:
		Concat(d, moveSlices[float32](srcs), outer, inners)
	case []float64:
		Concat(d, moveSlices[float64](srcs), outer, inners)
	case []uint16:
		Concat(d, moveSlices[uint16](srcs), outer, inners)
	case []int64:
		Concat(d, moveSlices[int64](srcs), outer, inners)
	case []int32:
		Concat(d, moveSlices[int32](srcs), outer, inners)
	case []int8:
		Concat(d, moveSlices[int8](srcs), outer, inners)
	case []uint8:
		Concat(d, moveSlices[uint8](srcs), outer, inners)
	case []bool:
		Concat(d, moveSlices[bool](srcs), outer, inners)
	case []int16:
		Concat(d, moveSlices[int16](srcs), outer, inners)
	case []uint32:
		Concat(d, moveSlices[uint32](srcs), outer, inners)
	case []uint64:
		Concat(d, moveSlices[uint64](srcs), outer, inners)
	case []string:
		Concat(d, moveSlices[string](srcs), outer, inners)
	}
	return nil
}

// SplitInto cuts src along axis into dsts, in order; the dsts' sizes along
// axis must sum to src's and agree with it on every other axis.
func SplitInto(dsts []*Tensor, src *Tensor, axis int) error {
	shapes := make([][]int, len(dsts))
	for i, d := range dsts {
		if d == nil {
			return fmt.Errorf("split: output %d is missing", i)
		}
		shapes[i] = d.Shape
	}
	whole, err := ConcatShape(axis, shapes...)
	if err != nil {
		return fmt.Errorf("split outputs: %w", err)
	}
	if !SameShape(whole, src.Shape) {
		return fmt.Errorf("split: outputs join to %s, input is %s", ShapeString(whole), ShapeString(src.Shape))
	}
	for i, d := range dsts {
		if err := moveCheck("split", d, src, d.Shape); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	outer := NumElements(src.Shape[:axis])
	inners := make([]int, len(dsts))
	for i, d := range dsts {
		inners[i] = NumElements(d.Shape[axis:])
	}
	switch s := src.Data.(type) {
	case []float32:
		Split(moveSlices[float32](dsts), s, outer, inners)
	case []float64:
		Split(moveSlices[float64](dsts), s, outer, inners)
	case []uint16:
		Split(moveSlices[uint16](dsts), s, outer, inners)
	case []int64:
		Split(moveSlices[int64](dsts), s, outer, inners)
	case []int32:
		Split(moveSlices[int32](dsts), s, outer, inners)
	case []int8:
		Split(moveSlices[int8](dsts), s, outer, inners)
	case []uint8:
		Split(moveSlices[uint8](dsts), s, outer, inners)
	case []bool:
		Split(moveSlices[bool](dsts), s, outer, inners)
	case []int16:
		Split(moveSlices[int16](dsts), s, outer, inners)
	case []uint32:
		Split(moveSlices[uint32](dsts), s, outer, inners)
	case []uint64:
		Split(moveSlices[uint64](dsts), s, outer, inners)
	case []string:
		Split(moveSlices[string](dsts), s, outer, inners)
	}
	return nil
}

// moveSlices collects the element slices of tensors already checked to hold T.
func moveSlices[T any](ts []*Tensor) [][]T {
	out := make([][]T, len(ts))
	for i, t := range ts {
		out[i] = t.Data.([]T)
	}
	return out
}

// Concat views each srcs[i] as [outer, inners[i]] and writes dst as
// [outer, sum(inners)], the rows of the inputs side by side.
func Concat[T any](dst []T, srcs [][]T, outer int, inners []int) {
	o := 0
	for r := 0; r < outer; r++ {
		for i, s := range srcs {
			n := inners[i]
			copy(dst[o:o+n], s[r*n:r*n+n])
			o += n
		}
	}
}

// Split is the inverse of Concat: it views src as [outer, sum(inners)] and
// cuts each row into pieces of inners[i] elements, one per dsts[i].
func Split[T any](dsts [][]T, src []T, outer int, inners []int) {
	o := 0
	for r := 0; r < outer; r++ {
		for i, d := range dsts {
			n := inners[i]
			copy(d[r*n:r*n+n], src[o:o+n])
			o += n
		}
	}
}

// PutIndex writes src into dst at index i along axis: dst[…, i, …] = src,
// where src has dst's shape without axis (the step of stacking slices
// one by one, as Loop and Scan build their scan outputs).
func PutIndex(dst *Tensor, axis, i int, src *Tensor) error {
	outer, n, inner, err := indexGeometry("put index", dst, src, axis, i)
	if err != nil {
		return err
	}
	for o := range outer {
		moveElements(dst.Data, (o*n+i)*inner, src.Data, o*inner, inner)
	}
	return nil
}

// TakeIndex writes src[…, i, …] (index i along axis) into dst, which has
// src's shape without axis (the slice Scan feeds its body).
func TakeIndex(dst, src *Tensor, axis, i int) error {
	outer, n, inner, err := indexGeometry("take index", src, dst, axis, i)
	if err != nil {
		return err
	}
	for o := range outer {
		moveElements(dst.Data, o*inner, src.Data, (o*n+i)*inner, inner)
	}
	return nil
}

// indexGeometry checks that part is whole without axis and returns whole
// as [outer, n, inner] around axis.
func indexGeometry(op string, whole, part *Tensor, axis, i int) (outer, n, inner int, err error) {
	if axis < 0 || axis >= len(whole.Shape) {
		return 0, 0, 0, fmt.Errorf("%s: axis %d out of range for rank %d", op, axis, len(whole.Shape))
	}
	want := append(append(make([]int, 0, len(whole.Shape)-1), whole.Shape[:axis]...), whole.Shape[axis+1:]...)
	if err := moveCheck(op, part, whole, want); err != nil {
		return 0, 0, 0, err
	}
	n = whole.Shape[axis]
	if i < 0 || i >= n {
		return 0, 0, 0, fmt.Errorf("%s: index %d out of range [0, %d)", op, i, n)
	}
	return NumElements(whole.Shape[:axis]), n, NumElements(whole.Shape[axis+1:]), nil
}

// moveElements copies n elements from src[si:] to dst[di:]; both are
// element slices of the same type.
func moveElements(dst any, di int, src any, si, n int) {
	switch d := dst.(type) {
	case []float32:
		copy(d[di:di+n], src.([]float32)[si:si+n])
	case []float64:
		copy(d[di:di+n], src.([]float64)[si:si+n])
	case []uint16:
		copy(d[di:di+n], src.([]uint16)[si:si+n])
	case []int64:
		copy(d[di:di+n], src.([]int64)[si:si+n])
	case []int32:
		copy(d[di:di+n], src.([]int32)[si:si+n])
	case []int8:
		copy(d[di:di+n], src.([]int8)[si:si+n])
	case []uint8:
		copy(d[di:di+n], src.([]uint8)[si:si+n])
	case []bool:
		copy(d[di:di+n], src.([]bool)[si:si+n])
	case []int16:
		copy(d[di:di+n], src.([]int16)[si:si+n])
	case []uint32:
		copy(d[di:di+n], src.([]uint32)[si:si+n])
	case []uint64:
		copy(d[di:di+n], src.([]uint64)[si:si+n])
	case []string:
		copy(d[di:di+n], src.([]string)[si:si+n])
	default:
		// Element types without a case of their own: correct, slower.
		reflect.Copy(reflect.ValueOf(dst).Slice(di, di+n), reflect.ValueOf(src).Slice(si, si+n))
	}
}

// SliceData returns data[lo:hi] for an element slice (a Tensor's Data):
// the elements of a view, without copying.
func SliceData(data any, lo, hi int) any {
	switch d := data.(type) {
	case []float32:
		return d[lo:hi]
	case []float64:
		return d[lo:hi]
	case []uint16:
		return d[lo:hi]
	case []int64:
		return d[lo:hi]
	case []int32:
		return d[lo:hi]
	case []int8:
		return d[lo:hi]
	case []uint8:
		return d[lo:hi]
	case []bool:
		return d[lo:hi]
	case []int16:
		return d[lo:hi]
	case []uint32:
		return d[lo:hi]
	case []uint64:
		return d[lo:hi]
	case []string:
		return d[lo:hi]
	}
	return reflect.ValueOf(data).Slice(lo, hi).Interface()
}
