package ops

import "fmt"

// PadMode selects how Pad fills positions outside the input.
type PadMode uint8

// Padding modes, as in the ONNX Pad operator.
const (
	PadConstant PadMode = iota // a fixed value
	PadReflect                 // mirror without repeating the edge element
	PadEdge                    // repeat the edge element
	PadWrap                    // wrap around (periodic)
)

// String names the mode as the ONNX mode attribute does.
func (m PadMode) String() string {
	switch m {
	case PadConstant:
		return "constant"
	case PadReflect:
		return "reflect"
	case PadEdge:
		return "edge"
	case PadWrap:
		return "wrap"
	}
	return fmt.Sprintf("PadMode(%d)", uint8(m))
}

// PadShape returns the padded shape: shape[i] + begin[i] + end[i]. Pads may
// be negative (cropping); the error reports an axis that would become
// negative.
func PadShape(shape, begin, end []int) ([]int, error) {
	if len(begin) != len(shape) || len(end) != len(shape) {
		return nil, fmt.Errorf("pad: %d begin and %d end pads for rank %d", len(begin), len(end), len(shape))
	}
	out := make([]int, len(shape))
	for i := range shape {
		out[i] = shape[i] + begin[i] + end[i]
		if out[i] < 0 {
			return nil, fmt.Errorf("pad: axis %d of size %d with pads %d,%d would have negative size", i, shape[i], begin[i], end[i])
		}
	}
	return out, nil
}

// padSource maps output position o of an axis of input length n padded by
// begin to an input index, or -1 for a constant fill.
func padSource(o, n, begin int, mode PadMode) int {
	i := o - begin
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case PadEdge:
		if i < 0 {
			return 0
		}
		return n - 1
	case PadWrap:
		i %= n
		if i < 0 {
			i += n
		}
		return i
	case PadReflect:
		if n == 1 {
			return 0
		}
		period := 2 * (n - 1)
		i %= period
		if i < 0 {
			i += period
		}
		if i >= n {
			i = period - i
		}
		return i
	}
	return -1
}

// Pad writes x (of the given shape) into y padded by begin/end elements per
// axis. Negative values crop, before the positive ones pad: reflect, edge
// and wrap work on the cropped extent. y has shape PadShape(shape, begin,
// end). Outside positions hold value (PadConstant) or are taken from x by
// mode. The non-constant modes need every padded axis to be non-empty.
func Pad[T any](shape, begin, end []int, mode PadMode, value T, x, y []T) error {
	out, err := PadShape(shape, begin, end)
	if err != nil {
		return err
	}
	nd := len(shape)
	if nd == 0 {
		copy(y, x)
		return nil
	}
	src := make([][]int, nd)
	for d := 0; d < nd; d++ {
		// Negative pads crop first; the remaining pads then reflect,
		// replicate or wrap the cropped extent (as NumPy and ONNX
		// Runtime do).
		lo, m := max(0, -begin[d]), shape[d]-max(0, -begin[d])-max(0, -end[d])
		if mode != PadConstant && m <= 0 && out[d] > 0 {
			return fmt.Errorf("pad: %v mode cannot pad axis %d, empty after cropping", mode, d)
		}
		src[d] = make([]int, out[d])
		for o := range src[d] {
			if j := padSource(o, m, max(0, begin[d]), mode); j >= 0 {
				src[d][o] = lo + j
			} else {
				src[d][o] = -1
			}
		}
	}
	total := NumElements(out)
	if total == 0 {
		return nil
	}
	inStr := Strides(shape)
	last := nd - 1
	ow := out[last]
	if ow == 0 {
		return nil
	}
	idx := make([]int, nd)
	lastSrc := src[last]
	for r := 0; r < total/ow; r++ {
		row := y[r*ow : (r+1)*ow]
		off, valid := 0, true
		for d := 0; d < last; d++ {
			s := src[d][idx[d]]
			if s < 0 {
				valid = false
				break
			}
			off += s * inStr[d]
		}
		if !valid {
			for j := range row {
				row[j] = value
			}
		} else {
			line := x[off : off+shape[last]]
			for j, s := range lastSrc {
				if s < 0 {
					row[j] = value
				} else {
					row[j] = line[s]
				}
			}
		}
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return nil
}
