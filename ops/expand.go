package ops

import "fmt"

// ExpandInto broadcasts src to dst's shape under NumPy/ONNX rules: src's
// dims align to the right and each must be 1 or equal to dst's.
func ExpandInto(dst, src *Tensor) error {
	if err := moveCheck("expand", dst, src, dst.Shape); err != nil {
		return err
	}
	if len(src.Shape) > len(dst.Shape) {
		return fmt.Errorf("expand: input %s has more axes than output %s", ShapeString(src.Shape), ShapeString(dst.Shape))
	}
	in := make([]int, len(dst.Shape))
	off := len(dst.Shape) - len(src.Shape)
	for i := range in {
		in[i] = 1
		if i >= off {
			in[i] = src.Shape[i-off]
		}
		if in[i] != 1 && in[i] != dst.Shape[i] {
			return fmt.Errorf("expand: input %s does not broadcast to %s (axis %d)", ShapeString(src.Shape), ShapeString(dst.Shape), i)
		}
	}
	if dst.Len() == 0 {
		return nil
	}
	repeatDispatch(dst, src, in)
	return nil
}
