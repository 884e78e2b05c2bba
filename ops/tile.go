package ops

import "fmt"

// TileShape returns the shape of src repeated repeats[i] times along each
// axis i.
func TileShape(shape []int, repeats []int) ([]int, error) {
	if len(repeats) != len(shape) {
		return nil, fmt.Errorf("tile: %d repeats for rank-%d shape %s", len(repeats), len(shape), ShapeString(shape))
	}
	out := make([]int, len(shape))
	for i, r := range repeats {
		if r < 0 {
			return nil, fmt.Errorf("tile: negative repeat %d on axis %d", r, i)
		}
		out[i] = shape[i] * r
	}
	return out, nil
}

// TileInto fills dst with copies of src laid side by side along every axis.
// dst must have src's rank and type, and each of its dims must be a
// multiple of src's (a dim of 0 is allowed on either side: then dst is empty).
func TileInto(dst, src *Tensor) error {
	if err := moveCheck("tile", dst, src, dst.Shape); err != nil {
		return err
	}
	if len(dst.Shape) != len(src.Shape) {
		return fmt.Errorf("tile: output rank %d, input rank %d", len(dst.Shape), len(src.Shape))
	}
	if dst.Len() == 0 {
		return nil
	}
	for i, d := range dst.Shape {
		if d%src.Shape[i] != 0 {
			return fmt.Errorf("tile: output dim %d (axis %d) is not a multiple of input dim %d", d, i, src.Shape[i])
		}
	}
	repeatDispatch(dst, src, src.Shape)
	return nil
}

func repeatDispatch(dst, src *Tensor, in []int) {
	switch s := Words(src.Data).(type) {
	case []uint8:
		RepeatCopy(Words(dst.Data).([]uint8), s, in, dst.Shape)
	case []uint16:
		RepeatCopy(Words(dst.Data).([]uint16), s, in, dst.Shape)
	case []uint32:
		RepeatCopy(Words(dst.Data).([]uint32), s, in, dst.Shape)
	case []uint64:
		RepeatCopy(Words(dst.Data).([]uint64), s, in, dst.Shape)
	case []string:
		RepeatCopy(Words(dst.Data).([]string), s, in, dst.Shape)
	}
}

// RepeatCopy writes dst (shape out) with dst[i…] = src[i mod in …] along
// every axis: in and out have the same rank, every in[a] ≥ 1 divides
// out[a]. It is Tile, and Expand when each in[a] is 1 or out[a].
func RepeatCopy[T any](dst, src []T, in, out []int) {
	total := NumElements(out)
	if total == 0 {
		return
	}
	n := len(out)
	if n == 0 {
		dst[0] = src[0]
		return
	}
	st := Strides(in)
	ri, ro := in[n-1], out[n-1]
	idx := make([]int, n)
	off := 0
	for o := 0; o < total; o += ro {
		row := dst[o : o+ro]
		switch {
		case ri == ro:
			copy(row, src[off:off+ri])
		case ri == 1:
			v := src[off]
			for j := range row {
				row[j] = v
			}
		default:
			for j := 0; j < ro; j += ri {
				copy(row[j:j+ri], src[off:off+ri])
			}
		}
		for a := n - 2; a >= 0; a-- {
			idx[a]++
			off += st[a]
			if idx[a]%in[a] == 0 {
				off -= st[a] * in[a]
			}
			if idx[a] < out[a] {
				break
			}
			idx[a] = 0
		}
	}
}
