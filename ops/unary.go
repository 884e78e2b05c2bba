package ops

import (
	"fmt"
	"math"
)

// UnaryOp names an elementwise unary operator.
type UnaryOp uint8

// Unary operators. Those taking parameters read them from UnaryParams:
// LeakyRelu, Elu, Celu, ThresholdedRelu and Swish use Alpha; Selu uses Alpha and
// Gamma; HardSigmoid uses Alpha and Beta; Shrink uses Alpha as lambd and
// Beta as bias.
const (
	UnAbs UnaryOp = iota
	UnNeg
	UnExp
	UnLog
	UnSqrt
	UnReciprocal
	UnRelu
	UnLeakyRelu
	UnElu
	UnSelu
	UnSigmoid
	UnHardSigmoid
	UnTanh
	UnSoftplus
	UnSoftsign
	UnErf
	UnFloor
	UnCeil
	UnSign
	UnCos
	UnSin
	UnTan
	UnAcos
	UnAsin
	UnAtan
	UnCosh
	UnSinh
	UnAcosh
	UnAsinh
	UnAtanh
	UnRound // half to even
	UnCelu  // Alpha
	UnThresholdedRelu
	UnShrink // Alpha = lambd, Beta = bias
	UnHardSwish
	UnMish
	UnGelu     // exact, with erf
	UnGeluTanh // tanh approximation
	UnSwish    // x·sigmoid(Alpha·x)
)

var unaryNames = [...]string{UnAbs: "Abs", UnNeg: "Neg", UnExp: "Exp", UnLog: "Log", UnSqrt: "Sqrt",
	UnReciprocal: "Reciprocal", UnRelu: "Relu", UnLeakyRelu: "LeakyRelu", UnElu: "Elu", UnSelu: "Selu",
	UnSigmoid: "Sigmoid", UnHardSigmoid: "HardSigmoid", UnTanh: "Tanh", UnSoftplus: "Softplus",
	UnSoftsign: "Softsign", UnErf: "Erf", UnFloor: "Floor", UnCeil: "Ceil", UnSign: "Sign",
	UnCos: "Cos", UnSin: "Sin", UnTan: "Tan", UnAcos: "Acos", UnAsin: "Asin", UnAtan: "Atan",
	UnCosh: "Cosh", UnSinh: "Sinh", UnAcosh: "Acosh", UnAsinh: "Asinh", UnAtanh: "Atanh",
	UnRound: "Round", UnCelu: "Celu", UnThresholdedRelu: "ThresholdedRelu", UnShrink: "Shrink",
	UnHardSwish: "HardSwish", UnMish: "Mish", UnGelu: "Gelu", UnGeluTanh: "Gelu", UnSwish: "Swish"}

func (o UnaryOp) String() string {
	if int(o) < len(unaryNames) {
		return unaryNames[o]
	}
	return fmt.Sprintf("UnaryOp(%d)", uint8(o))
}

// IntegerOK reports whether op is defined on integer element types
// (Abs, Neg, Relu, Sign, Shrink).
func (o UnaryOp) IntegerOK() bool {
	return o == UnAbs || o == UnNeg || o == UnRelu || o == UnSign || o == UnShrink
}

// UnaryParams carries the attributes of parameterised unary operators.
type UnaryParams struct {
	Alpha, Beta, Gamma float32
}

// UnaryF32 writes op(src) into dst (which may alias src).
func UnaryF32(op UnaryOp, p UnaryParams, dst, src []float32) {
	src = src[:len(dst)]
	switch op {
	case UnRelu:
		ApplyAct(dst, src, ActRelu, 0)
	case UnLeakyRelu:
		ApplyAct(dst, src, ActLeakyRelu, p.Alpha)
	case UnSigmoid:
		ApplyAct(dst, src, ActSigmoid, 0)
	case UnTanh:
		ApplyAct(dst, src, ActTanh, 0)
	case UnSoftplus:
		ApplyAct(dst, src, ActSoftplus, 0)
	case UnHardSigmoid:
		HardSigmoidSlice(dst, src, p.Alpha, p.Beta) // vectorised (vec_hard.go)
	case UnHardSwish:
		HardSwishSlice(dst, src)
	case UnErf:
		ErfSlice(dst, src) // vectorised (vec_math.go)
	case UnGelu:
		GeluSlice(dst, src)
	case UnGeluTanh:
		GeluTanhSlice(dst, src)
	case UnSwish:
		// Blocks through the vector sigmoid; each element of src is read
		// before its dst element is written, so dst may alias src.
		var buf [256]float32
		for o := 0; o < len(dst); o += len(buf) {
			b := buf[:min(len(buf), len(dst)-o)]
			for i := range b {
				b[i] = p.Alpha * src[o+i]
			}
			SigmoidSlice(b, b)
			for i := range b {
				dst[o+i] = src[o+i] * b[i]
			}
		}
	default:
		unaryFloat(op, p, dst, src)
	}
}

// unaryFloat evaluates op in float64 and rounds once to T.
func unaryFloat[T Floating](op UnaryOp, p UnaryParams, d, s []T) {
	s = s[:len(d)]
	switch op {
	case UnAbs:
		for i, v := range s {
			d[i] = T(math.Abs(float64(v)))
		}
	case UnNeg:
		for i, v := range s {
			d[i] = -v
		}
	case UnExp:
		for i, v := range s {
			d[i] = T(math.Exp(float64(v)))
		}
	case UnLog:
		for i, v := range s {
			d[i] = T(math.Log(float64(v)))
		}
	case UnSqrt:
		for i, v := range s {
			d[i] = T(math.Sqrt(float64(v)))
		}
	case UnReciprocal:
		for i, v := range s {
			d[i] = 1 / v
		}
	case UnRelu:
		for i, v := range s {
			if v < 0 {
				v = 0
			}
			d[i] = v
		}
	case UnLeakyRelu:
		a := T(p.Alpha)
		for i, v := range s {
			if v < 0 {
				v *= a
			}
			d[i] = v
		}
	case UnElu:
		a := float64(p.Alpha)
		for i, v := range s {
			if v < 0 {
				v = T(a * math.Expm1(float64(v)))
			}
			d[i] = v
		}
	case UnSelu:
		a, g := float64(p.Alpha), float64(p.Gamma)
		for i, v := range s {
			x := float64(v)
			if x <= 0 {
				x = a * math.Expm1(x)
			}
			d[i] = T(g * x)
		}
	case UnSigmoid:
		for i, v := range s {
			d[i] = T(sigmoid64(float64(v)))
		}
	case UnHardSigmoid:
		a, b := float64(p.Alpha), float64(p.Beta)
		for i, v := range s {
			d[i] = T(math.Max(0, math.Min(1, a*float64(v)+b)))
		}
	case UnTanh:
		for i, v := range s {
			d[i] = T(math.Tanh(float64(v)))
		}
	case UnSoftplus:
		for i, v := range s {
			d[i] = T(softplus64(float64(v)))
		}
	case UnSoftsign:
		for i, v := range s {
			d[i] = T(float64(v) / (1 + math.Abs(float64(v))))
		}
	case UnErf:
		for i, v := range s {
			d[i] = T(math.Erf(float64(v)))
		}
	case UnFloor:
		for i, v := range s {
			d[i] = T(math.Floor(float64(v)))
		}
	case UnCeil:
		for i, v := range s {
			d[i] = T(math.Ceil(float64(v)))
		}
	case UnSign:
		for i, v := range s {
			switch {
			case v > 0:
				d[i] = 1
			case v < 0:
				d[i] = -1
			default:
				d[i] = v // ±0 and NaN
			}
		}
	default:
		unaryFloatMath(op, p, d, s)
	}
}

// unaryFloatMath holds the ops computed element by element in float64
// math: trigonometric, hyperbolic and rounding functions and the less
// common activations.
func unaryFloatMath[T Floating](op UnaryOp, p UnaryParams, d, s []T) {
	var f func(float64) float64
	switch op {
	case UnCos:
		f = math.Cos
	case UnSin:
		f = math.Sin
	case UnTan:
		f = math.Tan
	case UnAcos:
		f = math.Acos
	case UnAsin:
		f = math.Asin
	case UnAtan:
		f = math.Atan
	case UnCosh:
		f = math.Cosh
	case UnSinh:
		f = math.Sinh
	case UnAcosh:
		f = math.Acosh
	case UnAsinh:
		f = math.Asinh
	case UnAtanh:
		f = math.Atanh
	case UnRound:
		f = math.RoundToEven
	}
	if f != nil {
		// One indirect call per element; the libm call dominates anyway.
		for i, v := range s {
			d[i] = T(f(float64(v)))
		}
		return
	}
	a, b := float64(p.Alpha), float64(p.Beta)
	switch op {
	case UnCelu:
		for i, v := range s {
			x := float64(v)
			d[i] = T(math.Max(0, x) + math.Min(0, a*math.Expm1(x/a)))
		}
	case UnThresholdedRelu:
		for i, v := range s {
			if !(float64(v) > a) { // NaN gives 0, as y = x > alpha ? x : 0
				v = 0
			}
			d[i] = v
		}
	case UnShrink:
		for i, v := range s {
			x := float64(v)
			switch {
			case x < -a:
				x += b
			case x > a:
				x -= b
			default:
				x = 0
			}
			d[i] = T(x)
		}
	case UnHardSwish:
		for i, v := range s {
			x := float64(v)
			d[i] = T(x * math.Max(0, math.Min(1, x/6+0.5)))
		}
	case UnMish:
		for i, v := range s {
			x := float64(v)
			d[i] = T(x * math.Tanh(softplus64(x)))
		}
	case UnGelu:
		for i, v := range s {
			x := float64(v)
			d[i] = T(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	case UnSwish:
		for i, v := range s {
			x := float64(v)
			d[i] = T(x * sigmoid64(float64(p.Alpha)*x))
		}
	case UnGeluTanh:
		c := math.Sqrt(2 / math.Pi)
		for i, v := range s {
			x := float64(v)
			d[i] = T(0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))))
		}
	default:
		panic("ops: unknown UnaryOp " + op.String())
	}
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus64(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// unaryInt evaluates the integer-capable ops (see IntegerOK). Neg and Abs
// wrap at the minimum value as two's complement does.
func unaryInt[T Numeric](op UnaryOp, p UnaryParams, d, s []T) error {
	s = s[:len(d)]
	switch op {
	case UnAbs:
		for i, v := range s {
			if v < 0 {
				v = -v
			}
			d[i] = v
		}
	case UnNeg:
		for i, v := range s {
			d[i] = -v
		}
	case UnRelu:
		for i, v := range s {
			if v < 0 {
				v = 0
			}
			d[i] = v
		}
	case UnSign:
		one := T(1)
		for i, v := range s {
			switch {
			case v > 0:
				d[i] = 1
			case v < 0:
				d[i] = -one
			default:
				d[i] = 0
			}
		}
	case UnShrink:
		// Integer Shrink compares in float64 and converts back.
		floats := make([]float64, len(s))
		for i, v := range s {
			floats[i] = float64(v)
		}
		unaryFloatMath(op, p, floats, floats)
		for i, v := range floats {
			d[i] = T(v)
		}
	default:
		return fmt.Errorf("%v is not defined on integers", op)
	}
	return nil
}

// Unary writes op(src) into dst; both have the same shape and element type.
// Floating ops accept float32, float64 and float16; Abs, Relu and Sign also
// accept int64, int32, int8 and uint8, and Neg the signed integers.
func Unary(op UnaryOp, p UnaryParams, dst, src *Tensor) error {
	if dst.DType != src.DType || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("%v: output %v does not match input %v", op, dst, src)
	}
	if isIntType(src.DType) && !op.IntegerOK() {
		return fmt.Errorf("%v: unsupported element type %v (floating point only)", op, src.DType)
	}
	if op == UnNeg && src.DType == Uint8 {
		return fmt.Errorf("Neg: unsupported element type uint8 (signed types only)")
	}
	switch src.DType {
	case Float32:
		return unaryTyped(dst, src, func(d, s []float32) error { UnaryF32(op, p, d, s); return nil })
	case Float64:
		return unaryTyped(dst, src, func(d, s []float64) error { unaryFloat(op, p, d, s); return nil })
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			UnaryF32(op, p, d.F32(), in[0].F32())
			return nil
		}, src)
	case Int64:
		return unaryTyped(dst, src, func(d, s []int64) error { return unaryInt(op, p, d, s) })
	case Int32:
		return unaryTyped(dst, src, func(d, s []int32) error { return unaryInt(op, p, d, s) })
	case Int16:
		return unaryTyped(dst, src, func(d, s []int16) error { return unaryInt(op, p, d, s) })
	case Int8:
		return unaryTyped(dst, src, func(d, s []int8) error { return unaryInt(op, p, d, s) })
	case Uint64:
		return unaryTyped(dst, src, func(d, s []uint64) error { return unaryInt(op, p, d, s) })
	case Uint32:
		return unaryTyped(dst, src, func(d, s []uint32) error { return unaryInt(op, p, d, s) })
	case Uint16:
		return unaryTyped(dst, src, func(d, s []uint16) error { return unaryInt(op, p, d, s) })
	case Uint8:
		return unaryTyped(dst, src, func(d, s []uint8) error { return unaryInt(op, p, d, s) })
	}
	return fmt.Errorf("%v: unsupported element type %v", op, src.DType)
}

func unaryTyped[T any](dst, src *Tensor, f func(d, s []T) error) error {
	d, s, err := dstSrcOf[T](dst, src)
	if err != nil {
		return err
	}
	return f(d, s)
}

// NotTensor writes the logical negation of a bool tensor into dst.
func NotTensor(dst, src *Tensor) error {
	if src.DType != Bool || dst.DType != Bool || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("Not: want bool input and output of one shape, got %v -> %v", src, dst)
	}
	return unaryTyped(dst, src, func(d, s []bool) error { NotBool(d, s); return nil })
}

// BitwiseNotTensor writes the bitwise complement of an integer tensor into
// dst (same type and shape).
func BitwiseNotTensor(dst, src *Tensor) error {
	if dst.DType != src.DType || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("BitwiseNot: output %v does not match input %v", dst, src)
	}
	switch src.DType {
	case Int64:
		return unaryTyped(dst, src, bitNot[int64])
	case Int32:
		return unaryTyped(dst, src, bitNot[int32])
	case Int16:
		return unaryTyped(dst, src, bitNot[int16])
	case Int8:
		return unaryTyped(dst, src, bitNot[int8])
	case Uint64:
		return unaryTyped(dst, src, bitNot[uint64])
	case Uint32:
		return unaryTyped(dst, src, bitNot[uint32])
	case Uint16:
		return unaryTyped(dst, src, bitNot[uint16])
	case Uint8:
		return unaryTyped(dst, src, bitNot[uint8])
	}
	return fmt.Errorf("BitwiseNot: unsupported element type %v (integers only)", src.DType)
}

func bitNot[T Integer](d, s []T) error {
	s = s[:len(d)]
	for i, v := range s {
		d[i] = ^v
	}
	return nil
}

// Clip sets dst[i] = min(max(src[i], lo), hi). NaN stays NaN; when lo > hi
// every element becomes hi, as ONNX specifies.
func Clip[T Numeric](dst, src []T, lo, hi T) {
	src = src[:len(dst)]
	for i, v := range src {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}

// ClipTensor clips x into dst with optional scalar bounds lo and hi (nil for
// unbounded), all of x's element type.
func ClipTensor(dst, x, lo, hi *Tensor) error {
	if dst.DType != x.DType || !SameShape(dst.Shape, x.Shape) {
		return fmt.Errorf("Clip: output %v does not match input %v", dst, x)
	}
	for _, b := range []struct {
		name string
		t    *Tensor
	}{{"min", lo}, {"max", hi}} {
		if b.t == nil {
			continue
		}
		if b.t.DType != x.DType {
			return fmt.Errorf("Clip: %s is %v, input is %v", b.name, b.t.DType, x.DType)
		}
		if b.t.Len() != 1 {
			return fmt.Errorf("Clip: %s must be a scalar, has shape %s", b.name, ShapeString(b.t.Shape))
		}
	}
	switch x.DType {
	case Float32:
		return clipTyped(dst, x, lo, hi, float32(math.Inf(-1)), float32(math.Inf(1)))
	case Float64:
		return clipTyped(dst, x, lo, hi, math.Inf(-1), math.Inf(1))
	case Int64:
		return clipTyped[int64](dst, x, lo, hi, math.MinInt64, math.MaxInt64)
	case Int32:
		return clipTyped[int32](dst, x, lo, hi, math.MinInt32, math.MaxInt32)
	case Int16:
		return clipTyped[int16](dst, x, lo, hi, math.MinInt16, math.MaxInt16)
	case Int8:
		return clipTyped[int8](dst, x, lo, hi, math.MinInt8, math.MaxInt8)
	case Uint64:
		return clipTyped[uint64](dst, x, lo, hi, 0, math.MaxUint64)
	case Uint32:
		return clipTyped[uint32](dst, x, lo, hi, 0, math.MaxUint32)
	case Uint16:
		return clipTyped[uint16](dst, x, lo, hi, 0, math.MaxUint16)
	case Uint8:
		return clipTyped[uint8](dst, x, lo, hi, 0, math.MaxUint8)
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			return clipTyped(d, in[0], in[1], in[2], float32(math.Inf(-1)), float32(math.Inf(1)))
		}, x, lo, hi)
	}
	return fmt.Errorf("Clip: unsupported element type %v", x.DType)
}

func clipTyped[T Numeric](dst, x, lo, hi *Tensor, min, max T) error {
	d, s, err := dstSrcOf[T](dst, x)
	if err != nil {
		return err
	}
	if lo != nil {
		l, err := dataOf[T](lo, "min")
		if err != nil {
			return err
		}
		min = l[0]
	}
	if hi != nil {
		h, err := dataOf[T](hi, "max")
		if err != nil {
			return err
		}
		max = h[0]
	}
	if d32, ok := any(d).([]float32); ok {
		ClipSlice(d32, any(s).([]float32)[:len(d32)], any(min).(float32), any(max).(float32)) // vectorised, the same bits
		return nil
	}
	Clip(d, s, min, max)
	return nil
}

// IsNaNTensor sets the bool tensor dst to whether each element of the
// floating-point tensor src is NaN.
func IsNaNTensor(dst, src *Tensor) error {
	return classify("IsNaN", dst, src, func(x float64) bool { return x != x })
}

// IsInfTensor sets the bool tensor dst to whether each element of src is
// +Inf (when pos) or -Inf (when neg).
func IsInfTensor(dst, src *Tensor, neg, pos bool) error {
	return classify("IsInf", dst, src, func(x float64) bool {
		return (pos && math.IsInf(x, 1)) || (neg && math.IsInf(x, -1))
	})
}

func classify(name string, dst, src *Tensor, f func(float64) bool) error {
	if dst.DType != Bool || !SameShape(dst.Shape, src.Shape) {
		return fmt.Errorf("%s: output %v does not match input %v (want bool)", name, dst, src)
	}
	d, err := dataOf[bool](dst, "output")
	if err != nil {
		return err
	}
	switch src.DType {
	case Float32:
		s, err := dataOf[float32](src, "input")
		if err != nil {
			return err
		}
		for i, v := range s {
			d[i] = f(float64(v))
		}
	case Float64:
		s, err := dataOf[float64](src, "input")
		if err != nil {
			return err
		}
		for i, v := range s {
			d[i] = f(v)
		}
	case Float16:
		s, err := dataOf[uint16](src, "input")
		if err != nil {
			return err
		}
		for i, v := range s {
			d[i] = f(float64(Float16ToFloat32(v)))
		}
	default:
		return fmt.Errorf("%s: unsupported element type %v (floating point only)", name, src.DType)
	}
	return nil
}
