package ops

import "fmt"

// BinaryPlan is a binary arithmetic operator with its inner loops resolved
// for every numeric element type once, so that running it costs no
// allocation: build it when a graph is planned, call Run per inference.
// Float16 operands go through Binary (they are widened per call).
type BinaryPlan struct {
	op  BinOp
	f32 BinaryFuncs[float32, float32]
	f64 BinaryFuncs[float64, float64]
	i64 BinaryFuncs[int64, int64]
	i32 BinaryFuncs[int32, int32]
	i16 BinaryFuncs[int16, int16]
	i8  BinaryFuncs[int8, int8]
	u64 BinaryFuncs[uint64, uint64]
	u32 BinaryFuncs[uint32, uint32]
	u16 BinaryFuncs[uint16, uint16]
	u8  BinaryFuncs[uint8, uint8]
}

// NewBinaryPlan resolves op's loops (BitShift and the bitwise operators:
// the integer types only). An unknown operator is an error.
func NewBinaryPlan(op BinOp) (*BinaryPlan, error) {
	switch op {
	case OpAdd, OpSub, OpMul, OpDiv, OpMax, OpMin, OpPRelu, OpPow, OpMod, OpFmod:
	case OpShiftLeft, OpShiftRight, OpBitAnd, OpBitOr, OpBitXor:
		return &BinaryPlan{op: op,
			i64: IntegerFuncs[int64](op), i32: IntegerFuncs[int32](op), i16: IntegerFuncs[int16](op), i8: IntegerFuncs[int8](op),
			u64: IntegerFuncs[uint64](op), u32: IntegerFuncs[uint32](op), u16: IntegerFuncs[uint16](op), u8: IntegerFuncs[uint8](op)}, nil
	default:
		return nil, fmt.Errorf("binary plan: operator %v has no per-type loops", op)
	}
	return &BinaryPlan{op: op,
		f32: ArithFuncs[float32](op), f64: ArithFuncs[float64](op),
		i64: ArithFuncs[int64](op), i32: ArithFuncs[int32](op),
		i16: ArithFuncs[int16](op), i8: ArithFuncs[int8](op),
		u64: ArithFuncs[uint64](op), u32: ArithFuncs[uint32](op),
		u16: ArithFuncs[uint16](op), u8: ArithFuncs[uint8](op)}, nil
}

// Op is the operator the plan computes.
func (p *BinaryPlan) Op() BinOp { return p.op }

// Run computes dst = a op b with broadcasting, exactly as Binary does (same
// checks, same errors), without allocating on success for non-float16 types.
func (p *BinaryPlan) Run(dst, a, b *Tensor) error {
	if err := checkBinary(p.op, dst, a, b); err != nil {
		return err
	}
	shift := p.op.IntegerOnly()
	switch a.DType {
	case Float32:
		if !shift {
			return runBinary(p.f32, dst, a, b)
		}
	case Float64:
		if !shift {
			return runBinary(p.f64, dst, a, b)
		}
	case Int64:
		return runBinary(p.i64, dst, a, b)
	case Int32:
		return runBinary(p.i32, dst, a, b)
	case Int16:
		return runBinary(p.i16, dst, a, b)
	case Int8:
		return runBinary(p.i8, dst, a, b)
	case Uint64:
		return runBinary(p.u64, dst, a, b)
	case Uint32:
		return runBinary(p.u32, dst, a, b)
	case Uint16:
		return runBinary(p.u16, dst, a, b)
	case Uint8:
		return runBinary(p.u8, dst, a, b)
	}
	return Binary(p.op, dst, a, b)
}
