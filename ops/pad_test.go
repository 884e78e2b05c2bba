package ops

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naivePadIndex maps an unpadded coordinate i of an axis of length n to
// the source index by bouncing or wrapping step by step, or -1 for a
// constant fill.
func naivePadIndex(i, n int, mode PadMode) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case PadEdge:
		return min(max(i, 0), n-1)
	case PadWrap:
		for i < 0 {
			i += n
		}
		for i >= n {
			i -= n
		}
		return i
	case PadReflect:
		if n == 1 {
			return 0
		}
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			}
			if i >= n {
				i = 2*(n-1) - i
			}
		}
		return i
	}
	return -1
}

func naivePad[T any](shape, begin, end []int, mode PadMode, value T, x []T) []T {
	// Crop the negative pads away first, then pad the rest.
	if crop := slices.ContainsFunc(begin, func(v int) bool { return v < 0 }) || slices.ContainsFunc(end, func(v int) bool { return v < 0 }); crop {
		cs := make([]int, len(shape))
		lo := make([]int, len(shape))
		for d := range shape {
			lo[d] = max(0, -begin[d])
			cs[d] = shape[d] - lo[d] - max(0, -end[d])
		}
		var cx []T
		if NumElements(cs) > 0 {
			st := Strides(shape)
			idx := make([]int, len(cs))
			for {
				off := 0
				for d := range idx {
					off += (idx[d] + lo[d]) * st[d]
				}
				cx = append(cx, x[off])
				if !nextIndex(idx, cs) {
					break
				}
			}
		}
		pb, pe := make([]int, len(shape)), make([]int, len(shape))
		for d := range shape {
			pb[d], pe[d] = max(0, begin[d]), max(0, end[d])
		}
		return naivePad(cs, pb, pe, mode, value, cx)
	}
	out := make([]int, len(shape))
	for i := range shape {
		out[i] = shape[i] + begin[i] + end[i]
	}
	var y []T
	if NumElements(out) == 0 {
		return y
	}
	st := Strides(shape)
	idx := make([]int, len(out))
	for {
		off, ok := 0, true
		for d := range idx {
			s := naivePadIndex(idx[d]-begin[d], shape[d], mode)
			if s < 0 {
				ok = false
				break
			}
			off += s * st[d]
		}
		if ok {
			y = append(y, x[off])
		} else {
			y = append(y, value)
		}
		if !nextIndex(idx, out) {
			break
		}
	}
	return y
}

func TestPadAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for it := 0; it < 200; it++ {
		nd := 1 + r.IntN(3)
		mode := PadMode(it % 4)
		shape, begin, end := make([]int, nd), make([]int, nd), make([]int, nd)
		for d := range shape {
			shape[d] = 1 + r.IntN(4)
			begin[d] = r.IntN(7) - 1
			end[d] = r.IntN(7) - 1
			if begin[d]+end[d]+shape[d] < 0 || (mode != PadConstant && shape[d]-max(0, -begin[d])-max(0, -end[d]) <= 0) {
				begin[d], end[d] = 0, 0
			}
		}
		x := make([]int64, NumElements(shape))
		for i := range x {
			x[i] = int64(i + 1)
		}
		ps, err := PadShape(shape, begin, end)
		require.NoError(t, err)
		y := make([]int64, NumElements(ps))
		for i := range y {
			y[i] = -99
		}
		require.NoError(t, Pad(shape, begin, end, mode, -7, x, y))
		want := naivePad(shape, begin, end, mode, -7, x)
		if !(slices.Equal(y, want)) {
			require.Failf(t, "!(slices.Equal(y, want))", "case %d %v shape %v pads %v %v:\n got %v\nwant %v", it, mode, shape, begin, end, y, want)
		}
	}
}

func TestPadHandComputed(t *testing.T) {
	x := []float32{1, 2, 3}
	cases := []struct {
		mode       PadMode
		begin, end int
		want       []float32
	}{
		{PadConstant, 2, 2, []float32{9, 9, 1, 2, 3, 9, 9}},
		{PadReflect, 2, 2, []float32{3, 2, 1, 2, 3, 2, 1}},
		{PadEdge, 2, 2, []float32{1, 1, 1, 2, 3, 3, 3}},
		{PadWrap, 2, 2, []float32{2, 3, 1, 2, 3, 1, 2}},
		{PadConstant, -1, 1, []float32{2, 3, 9}},
		// Crop one, then reflect the cropped [2 3]: [2 3 2 3].
		{PadReflect, -1, 2, []float32{2, 3, 2, 3}},
		{PadWrap, 1, -1, []float32{2, 1, 2}},
		{PadReflect, 4, 0, []float32{1, 2, 3, 2, 1, 2, 3}},
	}
	for _, c := range cases {
		y := make([]float32, 3+c.begin+c.end)
		require.NoError(t, Pad([]int{3}, []int{c.begin}, []int{c.end}, c.mode, 9, x, y))
		requireClose(t, fmt.Sprintf("%v %d,%d", c.mode, c.begin, c.end), y, c.want, 0)
	}
	// 2-D constant padding of a 2×2 block.
	y := make([]float32, 3*4)
	require.NoError(t, Pad([]int{2, 2}, []int{1, 0}, []int{0, 2}, PadConstant, 0, []float32{1, 2, 3, 4}, y))
	requireClose(t, "2-D", y, []float32{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, 0)
}

func TestPadErrors(t *testing.T) {
	_, err := PadShape([]int{2}, []int{-2}, []int{-1})
	assert.Error(t, err, "PadShape accepted a negative result")
	_, err = PadShape([]int{2, 2}, []int{0}, []int{0})
	assert.Error(t, err, "PadShape accepted pads of the wrong rank")
	assert.Error(t, Pad([]int{0}, []int{1}, []int{0}, PadEdge, 0, []float32{}, make([]float32, 1)), "edge padding of an empty axis accepted")
}
