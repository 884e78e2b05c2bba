package ops

import "fmt"

// BroadcastShape returns the shape that a and b broadcast to under
// NumPy/ONNX multidirectional broadcasting rules.
func BroadcastShape(a, b []int) ([]int, error) {
	return BroadcastShapeInto(nil, a, b)
}

// BroadcastShapes folds BroadcastShape over several shapes.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	out := []int{}
	for _, s := range shapes {
		var err error
		if out, err = BroadcastShape(out, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BroadcastStrides returns, for a tensor of shape in broadcast to shape out,
// the element stride along each axis of out: 0 on broadcast axes.
func BroadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	s := Strides(in)
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			st[i+off] = s[i]
		}
	}
	return st
}

// BinaryFuncs are the three contiguous inner loops of a broadcasting binary
// operator: both operands vary (VV), the right one is fixed (VS), or the
// left one is fixed (SV). Each writes len(dst) results. BroadcastBinary
// reduces any broadcast to calls of these on whole rows, so an operator
// only supplies tight typed loops.
type BinaryFuncs[T, U any] struct {
	VV func(dst []U, a, b []T)
	VS func(dst []U, a []T, b T)
	SV func(dst []U, a T, b []T)
}

// broadcastPlan is a broadcast collapsed to the fewest dimensions: size-1
// axes dropped and adjacent axes merged wherever every operand stays
// contiguous (or stays broadcast) across them.
type broadcastPlan struct {
	dims    []int
	strides [][]int // per operand, per dim; 0 on broadcast dims
}

func planBroadcast(out []int, in ...[]int) broadcastPlan {
	full := make([][]int, len(in))
	for k, s := range in {
		full[k] = BroadcastStrides(s, out)
	}
	p := broadcastPlan{strides: make([][]int, len(in))}
	for i, d := range out {
		if d == 1 {
			continue
		}
		r := len(p.dims)
		if r > 0 {
			merge := true
			for k := range in {
				if p.strides[k][r-1] != full[k][i]*d {
					merge = false
					break
				}
			}
			if merge {
				p.dims[r-1] *= d
				for k := range in {
					p.strides[k][r-1] = full[k][i]
				}
				continue
			}
		}
		p.dims = append(p.dims, d)
		for k := range in {
			p.strides[k] = append(p.strides[k], full[k][i])
		}
	}
	return p
}

// BroadcastBinary computes dst = f(a, b) with a (shape as) and b (shape bs)
// broadcast to out, which must be a shape both broadcast to (it may be
// larger than their own broadcast shape). dst holds NumElements(out)
// elements and may alias a or b only when that operand has shape out.
func BroadcastBinary[T, U any](f BinaryFuncs[T, U], dst []U, out []int, a []T, as []int, b []T, bs []int) {
	n := NumElements(out)
	if n == 0 {
		return
	}
	dst = dst[:n]
	na, nb := len(a), len(b)
	switch {
	case na == n && nb == n:
		f.VV(dst, a, b)
		return
	case na == n && nb == 1:
		f.VS(dst, a, b[0])
		return
	case na == 1 && nb == n:
		f.SV(dst, a[0], b)
		return
	}
	p := planBroadcast(out, as, bs)
	r := len(p.dims)
	if r == 0 { // both scalar, out of size 1
		f.VS(dst, a[:1], b[0])
		return
	}
	inner := p.dims[r-1]
	sa, sb := p.strides[0], p.strides[1]
	ia, ib := sa[r-1], sb[r-1]
	var idx [maxRankStack]int
	pos := idx[:0]
	if r-1 > maxRankStack {
		pos = make([]int, r-1)
	} else {
		pos = idx[:r-1]
	}
	oa, ob := 0, 0
	for o := 0; o < n; o += inner {
		row := dst[o : o+inner]
		switch {
		case ia == 1 && ib == 1:
			f.VV(row, a[oa:oa+inner], b[ob:ob+inner])
		case ia == 1:
			f.VS(row, a[oa:oa+inner], b[ob])
		case ib == 1:
			f.SV(row, a[oa], b[ob:ob+inner])
		default: // both fixed along the row: one value, repeated
			f.VS(row[:1], a[oa:oa+1], b[ob])
			for i := 1; i < len(row); i++ {
				row[i] = row[0]
			}
		}
		// Advance the odometer over the outer dims.
		for d := r - 2; d >= 0; d-- {
			pos[d]++
			oa += sa[d]
			ob += sb[d]
			if pos[d] < p.dims[d] {
				break
			}
			oa -= sa[d] * p.dims[d]
			ob -= sb[d] * p.dims[d]
			pos[d] = 0
		}
	}
}

// maxRankStack is the outer rank handled without allocating an index.
const maxRankStack = 8

// Where writes dst[i] = x[i] where cond[i] is true, else y[i], with all
// three broadcast to out (shapes cs, xs, ys).
func Where[T any](dst []T, out []int, cond []bool, cs []int, x []T, xs []int, y []T, ys []int) {
	n := NumElements(out)
	if n == 0 {
		return
	}
	dst = dst[:n]
	if len(cond) == n && len(x) == n && len(y) == n {
		for i, c := range cond[:n] {
			if c {
				dst[i] = x[i]
			} else {
				dst[i] = y[i]
			}
		}
		return
	}
	p := planBroadcast(out, cs, xs, ys)
	r := len(p.dims)
	if r == 0 {
		if cond[0] {
			dst[0] = x[0]
		} else {
			dst[0] = y[0]
		}
		return
	}
	inner := p.dims[r-1]
	sc, sx, sy := p.strides[0], p.strides[1], p.strides[2]
	ic, ix, iy := sc[r-1], sx[r-1], sy[r-1]
	pos := make([]int, r-1)
	oc, ox, oy := 0, 0, 0
	for o := 0; o < n; o += inner {
		row := dst[o : o+inner]
		c, xi, yi := oc, ox, oy
		for i := range row {
			if cond[c] {
				row[i] = x[xi]
			} else {
				row[i] = y[yi]
			}
			c += ic
			xi += ix
			yi += iy
		}
		for d := r - 2; d >= 0; d-- {
			pos[d]++
			oc += sc[d]
			ox += sx[d]
			oy += sy[d]
			if pos[d] < p.dims[d] {
				break
			}
			oc -= sc[d] * p.dims[d]
			ox -= sx[d] * p.dims[d]
			oy -= sy[d] * p.dims[d]
			pos[d] = 0
		}
	}
}

// BroadcastShapeInto is BroadcastShape writing into dst's backing array when
// it has room (a caller's stack array keeps the steady state allocation-free);
// it returns the shape, which aliases dst when it fits.
func BroadcastShapeInto(dst, a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	if cap(dst) < n {
		dst = make([]int, n)
	}
	out := dst[:n]
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast (axis %d: %d vs %d)", ShapeString(a), ShapeString(b), i, da, db)
		}
	}
	return out, nil
}

// broadcastsTo reports whether shape broadcasts to out exactly (out is
// already the broadcast shape of shape with itself), without allocating.
func broadcastsTo(shape, out []int) bool {
	if len(shape) > len(out) {
		return false
	}
	off := len(out) - len(shape)
	for i, d := range shape {
		if d != 1 && d != out[i+off] {
			return false
		}
	}
	return true
}
