package ops

import "fmt"

// BroadcastShape returns the shape that a and b broadcast to under
// NumPy/ONNX multidirectional broadcasting rules.
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
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
