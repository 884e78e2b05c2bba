package ops

// elementsWalk visits the elements of an index tensor of shape ishape in
// row-major order and calls visit(o, base) for each row of its last axis,
// where base is the offset in a tensor of strides ds of the row's first
// element with the axis coordinate left out (treated as 0).
func elementsWalk(ishape, ds []int, axis int, visit func(o, base, step int)) {
	n := len(ishape)
	total := NumElements(ishape)
	if total == 0 {
		return
	}
	st := make([]int, n)
	for a := range st {
		if a != axis {
			st[a] = ds[a]
		}
	}
	m := make([]int, n)
	inner := ishape[n-1]
	base := 0
	for o := 0; o < total; o += inner {
		visit(o, base, st[n-1])
		for a := n - 2; a >= 0; a-- {
			m[a]++
			base += st[a]
			if m[a] < ishape[a] {
				break
			}
			base -= st[a] * ishape[a]
			m[a] = 0
		}
	}
}

// GatherElements writes dst (shape ishape, like the indices) with
// dst[m] = src[m with axis coordinate replaced by idx[m]], src having shape
// dshape of the same rank, ishape[a] ≤ dshape[a] off the axis, and indices
// normalised to [0, dshape[axis]).
func GatherElements[T any](dst, src []T, dshape, ishape []int, axis int, idx []int) {
	ds := Strides(dshape)
	sa := ds[axis]
	elementsWalk(ishape, ds, axis, func(o, base, step int) {
		row := dst[o : o+ishape[len(ishape)-1]]
		ix := idx[o : o+len(row)]
		for j := range row {
			row[j] = src[base+ix[j]*sa]
			base += step
		}
	})
}

// ScatterElements is the inverse of GatherElements: for each element m of
// updates (shape ushape) it sets dst[m with axis coordinate idx[m]] to
// upd[m], or to combine(old, upd[m]) when combine is not nil. dst (shape
// dshape) already holds the data to scatter into. Later updates to the
// same element win (or combine in order).
func ScatterElements[T any](dst, upd []T, dshape, ushape []int, axis int, idx []int, combine func(old, u T) T) {
	ds := Strides(dshape)
	sa := ds[axis]
	elementsWalk(ushape, ds, axis, func(o, base, step int) {
		n := ushape[len(ushape)-1]
		u, ix := upd[o:o+n], idx[o:o+n]
		for j := range u {
			p := base + ix[j]*sa
			if combine == nil {
				dst[p] = u[j]
			} else {
				dst[p] = combine(dst[p], u[j])
			}
			base += step
		}
	})
}

// GatherBlocks copies blocks of blk elements: dst[i*blk:(i+1)*blk] =
// src[offs[i]:offs[i]+blk]. It is GatherND once the index tuples are
// turned into element offsets.
func GatherBlocks[T any](dst, src []T, offs []int, blk int) {
	if blk == 1 {
		for i, p := range offs {
			dst[i] = src[p]
		}
		return
	}
	for i, p := range offs {
		copy(dst[i*blk:(i+1)*blk], src[p:p+blk])
	}
}

// ScatterBlocks is the inverse of GatherBlocks: dst[offs[i]:offs[i]+blk]
// receives upd[i*blk:(i+1)*blk], or combine(old, new) element-wise when
// combine is not nil. Blocks are written in order.
func ScatterBlocks[T any](dst, upd []T, offs []int, blk int, combine func(old, u T) T) {
	for i, p := range offs {
		u := upd[i*blk : (i+1)*blk]
		d := dst[p : p+blk]
		if combine == nil {
			copy(d, u)
			continue
		}
		for j := range d {
			d[j] = combine(d[j], u[j])
		}
	}
}
