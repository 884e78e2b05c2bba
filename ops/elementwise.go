package ops

import "fmt"

// Tensor-level entry points for the elementwise operators. Each takes a
// destination the caller allocated with the broadcast output shape (see
// BroadcastShape) and dispatches once on the element type to the typed
// loops; float16 operands are widened to float32, computed and narrowed
// back with round-to-nearest-even.

// dataOf returns t's elements as []T after checking the element type and
// count, so a malformed tensor gives an error rather than a panic.
func dataOf[T any](t *Tensor, what string) ([]T, error) {
	d, ok := t.Data.([]T)
	if !ok {
		return nil, fmt.Errorf("%s %v: data is %T", what, t, t.Data)
	}
	if len(d) != t.Len() {
		return nil, fmt.Errorf("%s %v: shape needs %d elements, data has %d", what, t, t.Len(), len(d))
	}
	return d, nil
}

// dstSrcOf returns the elements of an output and an input tensor of one
// element type T, checked as dataOf does.
func dstSrcOf[T any](dst, src *Tensor) (d, s []T, err error) {
	if d, err = dataOf[T](dst, "output"); err != nil {
		return nil, nil, err
	}
	if s, err = dataOf[T](src, "input"); err != nil {
		return nil, nil, err
	}
	return d, s, nil
}

// checkBroadcastTo verifies that shape broadcasts to out; it allocates only
// to build the error.
func checkBroadcastTo(what string, shape, out []int) error {
	if broadcastsTo(shape, out) {
		return nil
	}
	bs, err := BroadcastShape(shape, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !SameShape(bs, out) {
		return fmt.Errorf("%s: shape %s does not broadcast to output shape %s", what, ShapeString(shape), ShapeString(out))
	}
	return nil
}

func runBinary[T, U any](f BinaryFuncs[T, U], dst, a, b *Tensor) error {
	dd, err := dataOf[U](dst, "output")
	if err != nil {
		return err
	}
	ad, err := dataOf[T](a, "A")
	if err != nil {
		return err
	}
	bd, err := dataOf[T](b, "B")
	if err != nil {
		return err
	}
	if err := checkBroadcastTo("A", a.Shape, dst.Shape); err != nil {
		return err
	}
	if err := checkBroadcastTo("B", b.Shape, dst.Shape); err != nil {
		return err
	}
	BroadcastBinary(f, dd, dst.Shape, ad, a.Shape, bd, b.Shape)
	return nil
}

// WidenF32 returns a float32 copy of a float tensor of any format (float16,
// bfloat16, the 8- and 4-bit floats; see WidenToFloat32).
func WidenF32(t *Tensor) (*Tensor, error) {
	f := make([]float32, t.Len())
	if err := WidenToFloat32(f, t); err != nil {
		return nil, err
	}
	return FromFloat32(t.Shape, f), nil
}

// withF16 runs fn on float32 copies of float16 and bfloat16 operands and
// narrows its float32 result into dst (float16 or bfloat16).
func withF16(dst *Tensor, fn func(dst32 *Tensor, ins []*Tensor) error, ins ...*Tensor) error {
	w := make([]*Tensor, len(ins))
	for i, t := range ins {
		if t == nil {
			continue
		}
		if t.DType != Float16 && t.DType != BFloat16 {
			w[i] = t
			continue
		}
		var err error
		if w[i], err = WidenF32(t); err != nil {
			return err
		}
	}
	hd, err := dataOf[uint16](dst, "output")
	if err != nil {
		return err
	}
	d32 := New(Float32, dst.Shape...)
	if err := fn(d32, w); err != nil {
		return err
	}
	if dst.DType == BFloat16 {
		for i, v := range d32.F32() {
			hd[i] = Float32ToBFloat16(v)
		}
		return nil
	}
	Float32sToFloat16s(hd, d32.F32())
	return nil
}

func sameTypes(op fmt.Stringer, dst *Tensor, want DType, ins ...*Tensor) error {
	for i, t := range ins {
		if t == nil {
			return fmt.Errorf("%v: input %d is missing", op, i)
		}
		if t.DType != ins[0].DType {
			return fmt.Errorf("%v: input %d is %v, input 0 is %v (types must match)", op, i, t.DType, ins[0].DType)
		}
	}
	if dst.DType != want {
		return fmt.Errorf("%v: output is %v, want %v", op, dst.DType, want)
	}
	return nil
}

// Binary computes dst = a op b with broadcasting. a, b and dst share one
// element type among float32, float64, float16 and the 64- to 8-bit
// integers (BitShift and the bitwise operators: the integers only). Integer Div by zero is an error.
func Binary(op BinOp, dst, a, b *Tensor) error {
	if err := checkBinary(op, dst, a, b); err != nil {
		return err
	}
	if op.IntegerOnly() {
		switch a.DType {
		case Int64:
			return runBinary(IntegerFuncs[int64](op), dst, a, b)
		case Int32:
			return runBinary(IntegerFuncs[int32](op), dst, a, b)
		case Int16:
			return runBinary(IntegerFuncs[int16](op), dst, a, b)
		case Int8:
			return runBinary(IntegerFuncs[int8](op), dst, a, b)
		case Uint64:
			return runBinary(IntegerFuncs[uint64](op), dst, a, b)
		case Uint32:
			return runBinary(IntegerFuncs[uint32](op), dst, a, b)
		case Uint16:
			return runBinary(IntegerFuncs[uint16](op), dst, a, b)
		case Uint8:
			return runBinary(IntegerFuncs[uint8](op), dst, a, b)
		}
		return fmt.Errorf("%v: unsupported element type %v (integers only)", op, a.DType)
	}
	switch a.DType {
	case Float32:
		return runBinary(ArithFuncs[float32](op), dst, a, b)
	case Float64:
		return runBinary(ArithFuncs[float64](op), dst, a, b)
	case Int64:
		return runBinary(ArithFuncs[int64](op), dst, a, b)
	case Int32:
		return runBinary(ArithFuncs[int32](op), dst, a, b)
	case Int16:
		return runBinary(ArithFuncs[int16](op), dst, a, b)
	case Int8:
		return runBinary(ArithFuncs[int8](op), dst, a, b)
	case Uint64:
		return runBinary(ArithFuncs[uint64](op), dst, a, b)
	case Uint32:
		return runBinary(ArithFuncs[uint32](op), dst, a, b)
	case Uint16:
		return runBinary(ArithFuncs[uint16](op), dst, a, b)
	case Uint8:
		return runBinary(ArithFuncs[uint8](op), dst, a, b)
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			return runBinary(ArithFuncs[float32](op), d, in[0], in[1])
		}, a, b)
	}
	return fmt.Errorf("%v: unsupported element type %v", op, a.DType)
}

// checkBinary is the type and integer-division check Binary and
// BinaryPlan.Run make before computing.
func checkBinary(op BinOp, dst, a, b *Tensor) error {
	if err := sameTypes(op, dst, a.DType, a, b); err != nil {
		return err
	}
	if (op == OpDiv || op == OpMod || op == OpFmod) && isIntType(a.DType) && HasZero(b) {
		return fmt.Errorf("%v: integer division by zero (divisor %v has a zero element)", op, b)
	}
	return nil
}

// HasZero reports whether a numeric tensor holds a zero element.
func HasZero(t *Tensor) bool {
	switch d := t.Data.(type) {
	case []int64:
		return hasZero(d)
	case []int32:
		return hasZero(d)
	case []int16:
		return hasZero(d)
	case []int8:
		return hasZero(d)
	case []uint64:
		return hasZero(d)
	case []uint32:
		return hasZero(d)
	case []uint16: // only asked of integer tensors (checkBinary)
		return hasZero(d)
	case []uint8:
		return hasZero(d)
	case []float32:
		return hasZero(d)
	case []float64:
		return hasZero(d)
	}
	return false
}

func hasZero[T Numeric](d []T) bool {
	for _, v := range d {
		if v == 0 {
			return true
		}
	}
	return false
}

// Compare computes the bool tensor dst = a op b with broadcasting; a and b
// share a numeric element type (or are both bool, for CmpEqual).
func Compare(op CmpOp, dst, a, b *Tensor) error {
	if err := sameTypes(op, dst, Bool, a, b); err != nil {
		return err
	}
	switch a.DType {
	case Float32:
		return runBinary(CompareFuncs[float32](op), dst, a, b)
	case Float64:
		return runBinary(CompareFuncs[float64](op), dst, a, b)
	case Int64:
		return runBinary(CompareFuncs[int64](op), dst, a, b)
	case Int32:
		return runBinary(CompareFuncs[int32](op), dst, a, b)
	case Int16:
		return runBinary(CompareFuncs[int16](op), dst, a, b)
	case Int8:
		return runBinary(CompareFuncs[int8](op), dst, a, b)
	case Uint64:
		return runBinary(CompareFuncs[uint64](op), dst, a, b)
	case Uint32:
		return runBinary(CompareFuncs[uint32](op), dst, a, b)
	case Uint16:
		return runBinary(CompareFuncs[uint16](op), dst, a, b)
	case Uint8:
		return runBinary(CompareFuncs[uint8](op), dst, a, b)
	case Float16, BFloat16:
		wa, err := WidenF32(a)
		if err != nil {
			return err
		}
		wb, err := WidenF32(b)
		if err != nil {
			return err
		}
		return runBinary(CompareFuncs[float32](op), dst, wa, wb)
	case Bool:
		if op == CmpEqual {
			return runBinary(LogicFuncs(LogicEqual), dst, a, b)
		}
	case String:
		if op == CmpEqual {
			return runBinary(stringsEqual, dst, a, b)
		}
	}
	return fmt.Errorf("%v: unsupported element type %v", op, a.DType)
}

type logicName LogicOp

func (l logicName) String() string {
	switch LogicOp(l) {
	case LogicAnd:
		return "And"
	case LogicOr:
		return "Or"
	case LogicXor:
		return "Xor"
	}
	return "Equal"
}

// Logic computes the bool tensor dst = a op b with broadcasting.
func Logic(op LogicOp, dst, a, b *Tensor) error {
	if err := sameTypes(logicName(op), dst, Bool, a, b); err != nil {
		return err
	}
	if a.DType != Bool {
		return fmt.Errorf("%v: inputs are %v, want bool", logicName(op), a.DType)
	}
	return runBinary(LogicFuncs(op), dst, a, b)
}

// Variadic folds op (OpAdd, OpMax or OpMin) over ins, all broadcast to
// dst's shape: dst = ins[0] op ins[1] op … . With mean set (OpAdd only)
// the sum is divided by len(ins), as ONNX Mean.
func Variadic(op BinOp, mean bool, dst *Tensor, ins []*Tensor) error {
	if len(ins) == 0 {
		return fmt.Errorf("%v: needs at least one input", op)
	}
	if err := sameTypes(op, dst, ins[0].DType, ins...); err != nil {
		return err
	}
	if dst.DType == Float16 {
		return withF16(dst, func(d *Tensor, in []*Tensor) error { return Variadic(op, mean, d, in) }, ins...)
	}
	if len(ins) == 1 {
		// One input is its own sum, max, min and mean: copy it (keeping -0).
		if !SameShape(dst.Shape, ins[0].Shape) || SliceLen(dst.Data) != SliceLen(ins[0].Data) ||
			!dataMatches(dst.DType, dst.Data) || !dataMatches(dst.DType, ins[0].Data) {
			return fmt.Errorf("%v: output %v does not match the single input %v", op, dst, ins[0])
		}
		CopyData(dst.Data, ins[0].Data)
		return nil
	}
	err := Binary(op, dst, ins[0], ins[1])
	for _, t := range ins[2:] {
		if err != nil {
			break
		}
		err = Binary(op, dst, dst, t)
	}
	if err != nil || !mean {
		return err
	}
	n := New(dst.DType)
	switch d := n.Data.(type) {
	case []float32:
		d[0] = float32(len(ins))
	case []float64:
		d[0] = float64(len(ins))
	default:
		return fmt.Errorf("Mean: unsupported element type %v", dst.DType)
	}
	return Binary(OpDiv, dst, dst, n)
}

// PowTensor computes dst = a^b with broadcasting, where the exponent b may
// have a different numeric type than the base a (ONNX Pow from opset 12);
// dst has a's type. Integer base and exponent use exact integer powers;
// otherwise the power is taken in float64 and converted to a's type.
func PowTensor(dst, a, b *Tensor) error {
	if dst.DType != a.DType {
		return fmt.Errorf("Pow: output is %v, base is %v", dst.DType, a.DType)
	}
	if a.DType == b.DType {
		return Binary(OpPow, dst, a, b)
	}
	if isIntType(a.DType) && isIntType(b.DType) {
		eb := New(a.DType, b.Shape...)
		if err := Cast(eb, b); err != nil {
			return fmt.Errorf("Pow: exponent: %w", err)
		}
		return Binary(OpPow, dst, a, eb)
	}
	if !isNumericType(a.DType) || !isNumericType(b.DType) {
		return fmt.Errorf("Pow: unsupported types %v ^ %v", a.DType, b.DType)
	}
	fa, fb, fd := New(Float64, a.Shape...), New(Float64, b.Shape...), New(Float64, dst.Shape...)
	if err := Cast(fa, a); err != nil {
		return fmt.Errorf("Pow: base: %w", err)
	}
	if err := Cast(fb, b); err != nil {
		return fmt.Errorf("Pow: exponent: %w", err)
	}
	if err := Binary(OpPow, fd, fa, fb); err != nil {
		return err
	}
	return Cast(dst, fd)
}

// isIntType reports whether dt is an integer type the arithmetic kernels
// compute with (the 4- and 2-bit ones are storage only).
func isIntType(dt DType) bool {
	switch dt {
	case Int64, Int32, Int16, Int8, Uint64, Uint32, Uint16, Uint8:
		return true
	}
	return false
}

func isNumericType(dt DType) bool { return dt.IsFloat() || isIntType(dt) }

// WhereTensor sets dst = cond ? x : y elementwise with broadcasting of all
// three; x, y and dst share any element type.
func WhereTensor(dst, cond, x, y *Tensor) error {
	if cond.DType != Bool {
		return fmt.Errorf("Where: condition is %v, want bool", cond.DType)
	}
	if x.DType != y.DType || dst.DType != x.DType {
		return fmt.Errorf("Where: X is %v, Y is %v, output %v (must match)", x.DType, y.DType, dst.DType)
	}
	for _, c := range []struct {
		name string
		t    *Tensor
	}{{"Where: condition", cond}, {"Where: X", x}, {"Where: Y", y}} {
		if err := checkBroadcastTo(c.name, c.t.Shape, dst.Shape); err != nil {
			return err
		}
	}
	cd, err := dataOf[bool](cond, "condition")
	if err != nil {
		return err
	}
	// Where only moves elements: any type, by its storage.
	switch x.Data.(type) {
	case []float32:
		return whereTyped[float32](dst, cd, cond, x, y)
	case []float64:
		return whereTyped[float64](dst, cd, cond, x, y)
	case []uint16:
		return whereTyped[uint16](dst, cd, cond, x, y)
	case []int64:
		return whereTyped[int64](dst, cd, cond, x, y)
	case []int32:
		return whereTyped[int32](dst, cd, cond, x, y)
	case []int16:
		return whereTyped[int16](dst, cd, cond, x, y)
	case []int8:
		return whereTyped[int8](dst, cd, cond, x, y)
	case []uint64:
		return whereTyped[uint64](dst, cd, cond, x, y)
	case []uint32:
		return whereTyped[uint32](dst, cd, cond, x, y)
	case []uint8:
		return whereTyped[uint8](dst, cd, cond, x, y)
	case []bool:
		return whereTyped[bool](dst, cd, cond, x, y)
	case []string:
		return whereTyped[string](dst, cd, cond, x, y)
	}
	return fmt.Errorf("Where: unsupported element type %v", x.DType)
}

func whereTyped[T any](dst *Tensor, cd []bool, cond, x, y *Tensor) error {
	dd, err := dataOf[T](dst, "output")
	if err != nil {
		return err
	}
	xd, err := dataOf[T](x, "X")
	if err != nil {
		return err
	}
	yd, err := dataOf[T](y, "Y")
	if err != nil {
		return err
	}
	Where(dd, dst.Shape, cd, cond.Shape, xd, x.Shape, yd, y.Shape)
	return nil
}
