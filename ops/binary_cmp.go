package ops

import "fmt"

// CmpOp names an elementwise comparison producing bool.
type CmpOp uint8

// Comparison operators. Any comparison with NaN is false except NotEqual.
const (
	CmpEqual CmpOp = iota
	CmpGreater
	CmpLess
	CmpGreaterOrEqual
	CmpLessOrEqual
)

var cmpOpNames = [...]string{CmpEqual: "Equal", CmpGreater: "Greater", CmpLess: "Less",
	CmpGreaterOrEqual: "GreaterOrEqual", CmpLessOrEqual: "LessOrEqual"}

func (o CmpOp) String() string {
	if int(o) < len(cmpOpNames) {
		return cmpOpNames[o]
	}
	return fmt.Sprintf("CmpOp(%d)", uint8(o))
}

// CompareFuncs returns the inner loops of comparison op for element type T.
// Greater/Less on T compare a op b; GreaterOrEqual and LessOrEqual are
// Less and Greater with the operands swapped.
func CompareFuncs[T Numeric](op CmpOp) BinaryFuncs[T, bool] {
	switch op {
	case CmpEqual:
		return BinaryFuncs[T, bool]{eqVV[T], eqVS[T], eqSV[T]}
	case CmpGreater:
		return BinaryFuncs[T, bool]{gtVV[T], gtVS[T], gtSV[T]}
	case CmpLess:
		return BinaryFuncs[T, bool]{ltVV[T], ltVS[T], ltSV[T]}
	case CmpGreaterOrEqual:
		return BinaryFuncs[T, bool]{geVV[T], geVS[T], geSV[T]}
	case CmpLessOrEqual:
		return BinaryFuncs[T, bool]{leVV[T], leVS[T], leSV[T]}
	}
	panic("ops: unknown CmpOp " + op.String())
}

func eqVV[T Numeric](d []bool, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] == b[i]
	}
}
func eqVS[T Numeric](d []bool, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] == b
	}
}
func eqSV[T Numeric](d []bool, a T, b []T) { eqVS(d, b, a) }

func gtVV[T Numeric](d []bool, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] > b[i]
	}
}
func gtVS[T Numeric](d []bool, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] > b
	}
}
func gtSV[T Numeric](d []bool, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a > b[i]
	}
}

func ltVV[T Numeric](d []bool, a, b []T)   { gtVV(d, b, a) }
func ltVS[T Numeric](d []bool, a []T, b T) { gtSV(d, b, a) }
func ltSV[T Numeric](d []bool, a T, b []T) { gtVS(d, b, a) }

func geVV[T Numeric](d []bool, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] >= b[i]
	}
}
func geVS[T Numeric](d []bool, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] >= b
	}
}
func geSV[T Numeric](d []bool, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a >= b[i]
	}
}

func leVV[T Numeric](d []bool, a, b []T)   { geVV(d, b, a) }
func leVS[T Numeric](d []bool, a []T, b T) { geSV(d, b, a) }
func leSV[T Numeric](d []bool, a T, b []T) { geVS(d, b, a) }

// LogicOp names an elementwise boolean operator.
type LogicOp uint8

// Boolean operators on bool tensors. LogicEqual is Equal on bools.
const (
	LogicAnd LogicOp = iota
	LogicOr
	LogicXor
	LogicEqual
)

// LogicFuncs returns the inner loops of op on bools.
func LogicFuncs(op LogicOp) BinaryFuncs[bool, bool] {
	var f func(x, y bool) bool
	switch op {
	case LogicAnd:
		return BinaryFuncs[bool, bool]{
			func(d, a, b []bool) {
				for i := range d {
					d[i] = a[i] && b[i]
				}
			},
			func(d, a []bool, b bool) {
				for i := range d {
					d[i] = a[i] && b
				}
			},
			func(d []bool, a bool, b []bool) {
				for i := range d {
					d[i] = a && b[i]
				}
			}}
	case LogicOr:
		f = func(x, y bool) bool { return x || y }
	case LogicXor:
		f = func(x, y bool) bool { return x != y }
	case LogicEqual:
		f = func(x, y bool) bool { return x == y }
	default:
		panic(fmt.Sprintf("ops: unknown LogicOp %d", op))
	}
	// Bool ops are rare in hot paths: one loop shape serves the rest.
	return BinaryFuncs[bool, bool]{
		func(d, a, b []bool) {
			for i := range d {
				d[i] = f(a[i], b[i])
			}
		},
		func(d, a []bool, b bool) {
			for i := range d {
				d[i] = f(a[i], b)
			}
		},
		func(d []bool, a bool, b []bool) {
			for i := range d {
				d[i] = f(a, b[i])
			}
		}}
}

// NotBool sets dst[i] = !src[i].
func NotBool(dst, src []bool) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = !v
	}
}
