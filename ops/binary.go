package ops

import (
	"fmt"
	"math"
)

// Numeric is the set of element types the numeric kernels are instantiated
// for. float16 is not among them: it is widened to float32 for arithmetic.
// The set is exact (no ~): a few kernels pick per-type constants by type.
type Numeric interface {
	float32 | float64 | int64 | int32 | int16 | int8 | uint64 | uint32 | uint16 | uint8
}

// Floating is the set of floating-point element types with native math.
type Floating interface{ float32 | float64 }

// BinOp names an elementwise binary arithmetic operator.
type BinOp uint8

// Binary arithmetic operators. Integer Div truncates toward zero (as C and
// ONNX Runtime do); callers must rule out integer division by zero first
// (see HasZero). Max and Min propagate NaN. PRelu is x<0 ? slope·x : x with
// the slope as the right operand.
const (
	OpAdd BinOp = iota
	OpSub
	OpMul
	OpDiv
	OpMax
	OpMin
	OpPRelu
	OpPow // Pow for same-typed operands; see PowTensor for mixed types
	// OpMod is the remainder with the sign of the divisor (Python's %, ONNX
	// Mod with fmod=0); OpFmod has the sign of the dividend (C fmod and %,
	// ONNX Mod with fmod=1). Integer operands must not hold a zero divisor.
	OpMod
	OpFmod
	// OpShiftLeft and OpShiftRight shift unsigned integers (ONNX BitShift;
	// uint8 only): shifting by the width or more gives 0. See ShiftFuncsU8.
	OpShiftLeft
	OpShiftRight
	// OpBitAnd, OpBitOr and OpBitXor combine the bits of integers (ONNX
	// BitwiseAnd, BitwiseOr, BitwiseXor); like the shifts they take the
	// integer types only (see IntegerFuncs).
	OpBitAnd
	OpBitOr
	OpBitXor
)

var binOpNames = [...]string{OpAdd: "Add", OpSub: "Sub", OpMul: "Mul", OpDiv: "Div",
	OpMax: "Max", OpMin: "Min", OpPRelu: "PRelu", OpPow: "Pow", OpMod: "Mod", OpFmod: "Mod",
	OpShiftLeft: "BitShift", OpShiftRight: "BitShift",
	OpBitAnd: "BitwiseAnd", OpBitOr: "BitwiseOr", OpBitXor: "BitwiseXor"}

func (o BinOp) String() string {
	if int(o) < len(binOpNames) {
		return binOpNames[o]
	}
	return fmt.Sprintf("BinOp(%d)", uint8(o))
}

// ArithFuncs returns the inner loops of op for element type T.
func ArithFuncs[T Numeric](op BinOp) BinaryFuncs[T, T] {
	switch op {
	case OpAdd:
		return BinaryFuncs[T, T]{addVV[T], addVS[T], addSV[T]}
	case OpSub:
		return BinaryFuncs[T, T]{subVV[T], subVS[T], subSV[T]}
	case OpMul:
		return BinaryFuncs[T, T]{mulVV[T], mulVS[T], mulSV[T]}
	case OpDiv:
		return BinaryFuncs[T, T]{divVV[T], divVS[T], divSV[T]}
	case OpMax:
		return BinaryFuncs[T, T]{maxVV[T], maxVS[T], maxSV[T]}
	case OpMin:
		return BinaryFuncs[T, T]{minVV[T], minVS[T], minSV[T]}
	case OpPRelu:
		return BinaryFuncs[T, T]{preluVV[T], preluVS[T], preluSV[T]}
	case OpPow:
		return powFuncs[T]()
	case OpMod, OpFmod:
		return modFuncs[T](op == OpFmod)
	}
	panic("ops: unknown BinOp " + op.String())
}

// AddF32 sets dst[i] = a[i] + b[i].
func AddF32(dst, a, b []float32) { addVV(dst, a, b) }

// SubF32 sets dst[i] = a[i] - b[i].
func SubF32(dst, a, b []float32) { subVV(dst, a, b) }

// MulF32 sets dst[i] = a[i] * b[i].
func MulF32(dst, a, b []float32) { mulVV(dst, a, b) }

// DivF32 sets dst[i] = a[i] / b[i].
func DivF32(dst, a, b []float32) { divVV(dst, a, b) }

// AddScalarF32 sets dst[i] = a[i] + s.
func AddScalarF32(dst, a []float32, s float32) { addVS(dst, a, s) }

// ScaleF32 sets dst[i] = a[i] * s.
func ScaleF32(dst, a []float32, s float32) { mulVS(dst, a, s) }

// AddRowsF32 adds the row vector bias (length n) to each n-wide row of the
// m×n matrix a, writing dst (which may alias a).
func AddRowsF32(dst, a, bias []float32) {
	n := len(bias)
	for o := 0; o+n <= len(dst); o += n {
		addVV(dst[o:o+n], a[o:o+n], bias)
	}
}

func addVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] + b[i]
	}
}
func addVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] + b
	}
}
func addSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a + b[i]
	}
}

func subVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] - b[i]
	}
}
func subVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] - b
	}
}
func subSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a - b[i]
	}
}

func mulVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] * b[i]
	}
}
func mulVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] * b
	}
}
func mulSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a * b[i]
	}
}

func divVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i] / b[i]
	}
}
func divVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = a[i] / b
	}
}
func divSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = a / b[i]
	}
}

// maxOf returns the larger of x and y, or NaN if either is NaN.
func maxOf[T Numeric](x, y T) T {
	if x > y || x != x {
		return x
	}
	return y
}

// minOf returns the smaller of x and y, or NaN if either is NaN.
func minOf[T Numeric](x, y T) T {
	if x < y || x != x {
		return x
	}
	return y
}

func maxVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = maxOf(a[i], b[i])
	}
}
func maxVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = maxOf(a[i], b)
	}
}
func maxSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = maxOf(a, b[i])
	}
}

func minVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = minOf(a[i], b[i])
	}
}
func minVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = minOf(a[i], b)
	}
}
func minSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = minOf(a, b[i])
	}
}

func preluOf[T Numeric](x, s T) T {
	if x < 0 {
		return x * s
	}
	return x
}
func preluVV[T Numeric](d, a, b []T) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = preluOf(a[i], b[i])
	}
}
func preluVS[T Numeric](d, a []T, b T) {
	a = a[:len(d)]
	for i := range d {
		d[i] = preluOf(a[i], b)
	}
}
func preluSV[T Numeric](d []T, a T, b []T) {
	b = b[:len(d)]
	for i := range d {
		d[i] = preluOf(a, b[i])
	}
}

// powFloat raises x to y through float64 math.Pow.
func powFloat[T Numeric](x, y T) T { return T(math.Pow(float64(x), float64(y))) }

// powInt raises integer x to integer y: exact repeated squaring (wrapping
// on overflow) for y >= 0; for y < 0 the true value truncated toward zero,
// which is 1 or -1 for |x| = 1 and 0 otherwise (x = 0 gives 0 rather than
// an undefined conversion of +Inf).
func powInt[T Numeric](x, y T) T {
	if y >= 0 {
		return intPow(x, uint64(y))
	}
	switch {
	case x == 1:
		return 1
	case x == 0:
		return 0
	case x+1 == 0: // x == -1, written so unsigned T still compiles
		if y/2*2 == y {
			return 1
		}
		return x
	}
	return 0
}

func intPow[T Numeric](x T, e uint64) T {
	r := T(1)
	for e > 0 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}

func isFloat[T Numeric]() bool {
	var z T
	switch any(z).(type) {
	case float32, float64:
		return true
	}
	return false
}

func powFuncs[T Numeric]() BinaryFuncs[T, T] {
	if isFloat[T]() {
		return BinaryFuncs[T, T]{funcVV[T](powFloat[T]), powVS[T](powFloat[T]), funcSV[T](powFloat[T])}
	}
	return BinaryFuncs[T, T]{funcVV[T](powInt[T]), powVS[T](powInt[T]), funcSV[T](powInt[T])}
}

// funcVV and funcSV build the loops of a binary operator from its scalar
// function, fixed per call (one indirect call per element: used for Pow,
// Mod and BitShift, whose scalar work outweighs the call). powVS bypasses
// the function for the common exponents 1 and 2.
func funcVV[T Numeric](f func(x, y T) T) func(d, a, b []T) {
	return func(d, a, b []T) {
		a, b = a[:len(d)], b[:len(d)]
		for i := range d {
			d[i] = f(a[i], b[i])
		}
	}
}
func powVS[T Numeric](f func(x, y T) T) func(d, a []T, b T) {
	return func(d, a []T, b T) {
		a = a[:len(d)]
		switch b {
		case 2:
			mulVV(d, a, a)
			return
		case 1:
			copy(d, a)
			return
		}
		for i := range d {
			d[i] = f(a[i], b)
		}
	}
}
func funcSV[T Numeric](f func(x, y T) T) func(d []T, a T, b []T) {
	return func(d []T, a T, b []T) {
		b = b[:len(d)]
		for i := range d {
			d[i] = f(a, b[i])
		}
	}
}

// fmodFloat is the remainder of x/y with the sign of x.
func fmodFloat[T Numeric](x, y T) T { return T(math.Mod(float64(x), float64(y))) }

// fmodInt is the remainder of x/y with the sign of x (truncated division).
func fmodInt[T Numeric](x, y T) T { return x - x/y*y }

// pyMod turns a truncated remainder r of x/y into the floored one (the
// sign of y).
func pyMod[T Numeric](r, y T) T {
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

// pyModFloat is the floored remainder of floats (numpy's mod): a zero
// remainder takes the sign of y; infinities and zero divisors give NaN as
// fmod does, and a finite x over an infinite y of the other sign gives y.
func pyModFloat[T Numeric](x, y T) T {
	r := fmodFloat(x, y)
	if r == 0 {
		return T(math.Copysign(0, float64(y)))
	}
	return pyMod(r, y)
}
func pyModInt[T Numeric](x, y T) T { return pyMod(fmodInt(x, y), y) }

func modFuncs[T Numeric](fmod bool) BinaryFuncs[T, T] {
	var f func(x, y T) T
	switch fl := isFloat[T](); {
	case fmod && fl:
		f = fmodFloat[T]
	case fmod:
		f = fmodInt[T]
	case fl:
		f = pyModFloat[T]
	default:
		f = pyModInt[T]
	}
	return BinaryFuncs[T, T]{funcVV[T](f), funcVS[T](f), funcSV[T](f)}
}

// funcVS is the VS loop of a binary function without special cases.
func funcVS[T Numeric](f func(x, y T) T) func(d, a []T, b T) {
	return func(d, a []T, b T) {
		a = a[:len(d)]
		for i := range d {
			d[i] = f(a[i], b)
		}
	}
}

// ShiftFuncsU8 returns the inner loops of BitShift on uint8: x << y or
// x >> y, 0 once y reaches 8.
func ShiftFuncsU8(left bool) BinaryFuncs[uint8, uint8] { return ShiftFuncs[uint8](left) }

// Integer is the set of integer element types BitShift applies to.
type Integer interface {
	int64 | int32 | int16 | int8 | uint64 | uint32 | uint16 | uint8
}

// IntegerOnly reports whether op is defined on the integer types only (the
// shifts and the bitwise operators).
func (o BinOp) IntegerOnly() bool {
	switch o {
	case OpShiftLeft, OpShiftRight, OpBitAnd, OpBitOr, OpBitXor:
		return true
	}
	return false
}

// IntegerFuncs returns the loops of an integer-only operator (IntegerOnly)
// for T.
func IntegerFuncs[T Integer](op BinOp) BinaryFuncs[T, T] {
	switch op {
	case OpShiftLeft, OpShiftRight:
		return ShiftFuncs[T](op == OpShiftLeft)
	case OpBitAnd:
		return BinaryFuncs[T, T]{funcVV(func(x, y T) T { return x & y }), funcVS(func(x, y T) T { return x & y }), funcSV(func(x, y T) T { return x & y })}
	case OpBitOr:
		return BinaryFuncs[T, T]{funcVV(func(x, y T) T { return x | y }), funcVS(func(x, y T) T { return x | y }), funcSV(func(x, y T) T { return x | y })}
	case OpBitXor:
		return BinaryFuncs[T, T]{funcVV(func(x, y T) T { return x ^ y }), funcVS(func(x, y T) T { return x ^ y }), funcSV(func(x, y T) T { return x ^ y })}
	}
	panic("ops: " + op.String() + " is not an integer-only operator")
}

// ShiftFuncs returns the loops of ONNX BitShift for T: a shift count that
// is negative or at least the width gives 0, or -1 for a right shift of a
// negative value (the sign fills it); left shifts of signed values wrap;
// right shifts of signed values are arithmetic.
func ShiftFuncs[T Integer](left bool) BinaryFuncs[T, T] {
	f := func(x, y T) T {
		if y < 0 {
			if !left && x < 0 {
				return ^T(0) // -1
			}
			return 0
		}
		return x >> uint64(y) // Go: counts of the width or more fill with the sign
	}
	if left {
		f = func(x, y T) T {
			if y < 0 {
				return 0
			}
			return x << uint64(y)
		}
	}
	return BinaryFuncs[T, T]{funcVV(f), funcVS(f), funcSV(f)}
}
