package ops

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// ReduceOp names a reduction over some axes of a tensor.
type ReduceOp uint8

// Reductions. Mean divides the sum by the number of reduced elements (NaN
// for floats when that is zero); L2 is the square root of SumSquare, L1 the
// sum of absolute values and LogSum the log of the sum. Max and Min
// propagate NaN; over no elements they give -Inf/+Inf (the lowest/highest
// value for integers), Sum 0 and Prod 1.
const (
	RedSum ReduceOp = iota
	RedMean
	RedMax
	RedMin
	RedProd
	RedSumSquare
	RedL1
	RedL2
	RedLogSum
)

var reduceNames = [...]string{RedSum: "ReduceSum", RedMean: "ReduceMean", RedMax: "ReduceMax",
	RedMin: "ReduceMin", RedProd: "ReduceProd", RedSumSquare: "ReduceSumSquare", RedL1: "ReduceL1",
	RedL2: "ReduceL2", RedLogSum: "ReduceLogSum"}

func (o ReduceOp) String() string {
	if int(o) < len(reduceNames) {
		return reduceNames[o]
	}
	return fmt.Sprintf("ReduceOp(%d)", uint8(o))
}

// ReduceAxes normalises axes (negative counts from the end) for a tensor of
// the given rank into a sorted list without duplicates. An out-of-range
// axis or a repeated one is an error.
func ReduceAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, 0, len(axes))
	seen := make([]bool, rank)
	for _, a := range axes {
		ax := int(a)
		if ax < 0 {
			ax += rank
		}
		if ax < 0 || ax >= rank {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, rank)
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d is given twice", a)
		}
		seen[ax] = true
		out = append(out, ax)
	}
	sort.Ints(out)
	return out, nil
}

// ReduceShape is the output shape of reducing shape over the (normalised)
// axes: reduced dims become 1 with keepdims, or are dropped without.
func ReduceShape(shape []int, axes []int, keepdims bool) []int {
	red := make([]bool, len(shape))
	for _, a := range axes {
		red[a] = true
	}
	out := []int{}
	for i, d := range shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keepdims:
			out = append(out, 1)
		}
	}
	return out
}

// Reduce reduces src over the normalised axes (see ReduceAxes) into dst,
// whose element count must be that of ReduceShape (with or without
// keepdims). An empty axes list reduces nothing: each element is only
// transformed (squared for SumSquare, …). Element types: the float and
// integer types (integers accumulate in their own type); bool for Max and
// Min.
func Reduce(op ReduceOp, dst, src *Tensor, axes []int) error {
	if dst.DType != src.DType {
		return fmt.Errorf("%v: output is %v, input is %v", op, dst.DType, src.DType)
	}
	for _, a := range axes {
		if a < 0 || a >= len(src.Shape) {
			return fmt.Errorf("%v: axis %d is out of range for rank %d", op, a, len(src.Shape))
		}
	}
	want := 1 // NumElements(ReduceShape(src.Shape, axes, true)) without building it
	for i, d := range src.Shape {
		if !slices.Contains(axes, i) {
			want *= d
		}
	}
	if dst.Len() != want {
		return fmt.Errorf("%v: output %v has %d elements, reducing %v over axes %v gives %d", op, dst, dst.Len(), src, axes, want)
	}
	switch src.DType {
	case Float32:
		return reduceTyped[float32](op, dst, src, axes)
	case Float64:
		return reduceTyped[float64](op, dst, src, axes)
	case Int64:
		return reduceTyped[int64](op, dst, src, axes)
	case Int32:
		return reduceTyped[int32](op, dst, src, axes)
	case Int16:
		return reduceTyped[int16](op, dst, src, axes)
	case Int8:
		return reduceTyped[int8](op, dst, src, axes)
	case Uint64:
		return reduceTyped[uint64](op, dst, src, axes)
	case Uint32:
		return reduceTyped[uint32](op, dst, src, axes)
	case Uint16:
		return reduceTyped[uint16](op, dst, src, axes)
	case Uint8:
		return reduceTyped[uint8](op, dst, src, axes)
	case Float16, BFloat16:
		return withF16(dst, func(d *Tensor, in []*Tensor) error {
			return reduceTyped[float32](op, d, in[0], axes)
		}, src)
	case Bool:
		if op == RedMax || op == RedMin {
			return reduceBool(op, dst, src, axes)
		}
	}
	return fmt.Errorf("%v: unsupported element type %v", op, src.DType)
}

// reduceBool is Max (any) and Min (all) of booleans, false < true: an
// empty Max is false, an empty Min true.
func reduceBool(op ReduceOp, dst, src *Tensor, axes []int) error {
	d, s, err := dstSrcOf[bool](dst, src)
	if err != nil {
		return err
	}
	su := make([]uint8, len(s))
	for i, v := range s {
		if v {
			su[i] = 1
		}
	}
	du := New(Uint8, dst.Shape...)
	if err := reduceTyped[uint8](op, du, &Tensor{DType: Uint8, Shape: src.Shape, Data: su}, axes); err != nil {
		return err
	}
	for i, v := range du.U8() {
		d[i] = v != 0
	}
	return nil
}

func reduceTyped[T Numeric](op ReduceOp, dst, src *Tensor, axes []int) error {
	d, s, err := dstSrcOf[T](dst, src)
	if err != nil {
		return err
	}
	ReduceSlice(op, d, s, src.Shape, axes)
	return nil
}

// ReduceSlice is Reduce on raw slices: src has shape, dst the reduced
// element count. It does not validate its arguments.
func ReduceSlice[T Numeric](op ReduceOp, dst, src []T, shape []int, axes []int) {
	red := make([]bool, len(shape))
	count := 1
	for _, a := range axes {
		red[a] = true
		count *= shape[a]
	}
	// Collapse: drop size-1 dims and merge runs of dims with the same role.
	var dims []int
	var isRed []bool
	for i, n := range shape {
		if n == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 && isRed[k] == red[i] {
			dims[k] *= n
			continue
		}
		dims = append(dims, n)
		isRed = append(isRed, red[i])
	}
	init := reduceIdentity[T](op)
	for i := range dst {
		dst[i] = init
	}
	if len(src) > 0 && len(dst) > 0 {
		// Output strides of the kept dims (0 for reduced ones).
		ost := make([]int, len(dims))
		acc := 1
		for i := len(dims) - 1; i >= 0; i-- {
			if !isRed[i] {
				ost[i] = acc
				acc *= dims[i]
			}
		}
		r := len(dims)
		if r == 0 {
			reduceInto(op, dst[:1], src[:1], true)
		} else {
			inner := dims[r-1]
			innerRed := isRed[r-1]
			pos := make([]int, r-1)
			o := 0
			for i := 0; i < len(src); i += inner {
				row := src[i : i+inner]
				if innerRed {
					reduceInto(op, dst[o:o+1], row, false)
				} else {
					reduceInto(op, dst[o:o+inner], row, true)
				}
				for k := r - 2; k >= 0; k-- {
					pos[k]++
					o += ost[k]
					if pos[k] < dims[k] {
						break
					}
					o -= ost[k] * dims[k]
					pos[k] = 0
				}
			}
		}
	}
	reduceFinish(op, dst, count)
}

func reduceIdentity[T Numeric](op ReduceOp) T {
	switch op {
	case RedProd:
		return 1
	case RedMax:
		return lowest[T]()
	case RedMin:
		return highest[T]()
	}
	return 0
}

func lowest[T Numeric]() T {
	var z T
	var r any
	switch any(z).(type) {
	case float32:
		r = float32(math.Inf(-1))
	case float64:
		r = math.Inf(-1)
	case int64:
		r = int64(math.MinInt64)
	case int32:
		r = int32(math.MinInt32)
	case int16:
		r = int16(math.MinInt16)
	case int8:
		r = int8(math.MinInt8)
	case uint64:
		r = uint64(0)
	case uint32:
		r = uint32(0)
	case uint16:
		r = uint16(0)
	case uint8:
		r = uint8(0)
	}
	return r.(T)
}

func highest[T Numeric]() T {
	var z T
	var r any
	switch any(z).(type) {
	case float32:
		r = float32(math.Inf(1))
	case float64:
		r = math.Inf(1)
	case int64:
		r = int64(math.MaxInt64)
	case int32:
		r = int32(math.MaxInt32)
	case int16:
		r = int16(math.MaxInt16)
	case int8:
		r = int8(math.MaxInt8)
	case uint64:
		r = uint64(math.MaxUint64)
	case uint32:
		r = uint32(math.MaxUint32)
	case uint16:
		r = uint16(math.MaxUint16)
	case uint8:
		r = uint8(math.MaxUint8)
	}
	return r.(T)
}

// reduceInto folds row into out: elementwise (out and row of one length)
// when each is true, otherwise all of row into out[0].
func reduceInto[T Numeric](op ReduceOp, out, row []T, each bool) {
	switch op {
	case RedSum, RedMean, RedLogSum:
		if each {
			addVV(out, out, row)
			return
		}
		out[0] += sumRow(row)
	case RedSumSquare, RedL2:
		if each {
			row = row[:len(out)]
			for i, v := range row {
				out[i] += v * v
			}
			return
		}
		out[0] += sumSquaresRow(row)
	case RedL1:
		if each {
			row = row[:len(out)]
			for i, v := range row {
				if v < 0 {
					v = -v
				}
				out[i] += v
			}
			return
		}
		var s T
		for _, v := range row {
			if v < 0 {
				v = -v
			}
			s += v
		}
		out[0] += s
	case RedProd:
		if each {
			mulVV(out, out, row)
			return
		}
		p := out[0]
		for _, v := range row {
			p *= v
		}
		out[0] = p
	case RedMax:
		if each {
			maxVV(out, out, row)
			return
		}
		m := out[0]
		for _, v := range row {
			m = maxOf(m, v)
		}
		out[0] = m
	case RedMin:
		if each {
			minVV(out, out, row)
			return
		}
		m := out[0]
		for _, v := range row {
			m = minOf(m, v)
		}
		out[0] = m
	default:
		panic("ops: unknown ReduceOp " + op.String())
	}
}

func reduceFinish[T Numeric](op ReduceOp, out []T, count int) {
	switch op {
	case RedMean:
		// An empty float reduction divides 0/0 (NaN); an integer one stays 0.
		if isFloat[T]() || count > 0 {
			c := T(count)
			for i := range out {
				out[i] /= c
			}
		}
	case RedL2:
		for i, v := range out {
			out[i] = T(math.Sqrt(float64(v)))
		}
	case RedLogSum:
		for i, v := range out {
			out[i] = T(math.Log(float64(v)))
		}
	}
}

// sumRow adds up row in four interleaved partial sums: independent
// dependency chains run faster, and the shorter chains lose less precision
// than one running float32 total.
func sumRow[T Numeric](row []T) T {
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(row); i += 4 {
		s0 += row[i]
		s1 += row[i+1]
		s2 += row[i+2]
		s3 += row[i+3]
	}
	for ; i < len(row); i++ {
		s0 += row[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSquaresRow is sumRow of the squares.
func sumSquaresRow[T Numeric](row []T) T {
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(row); i += 4 {
		s0 += row[i] * row[i]
		s1 += row[i+1] * row[i+1]
		s2 += row[i+2] * row[i+2]
		s3 += row[i+3] * row[i+3]
	}
	for ; i < len(row); i++ {
		s0 += row[i] * row[i]
	}
	return (s0 + s1) + (s2 + s3)
}
