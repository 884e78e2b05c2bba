package graph

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
)

// Shape inference for the operators autoencoder exports use beyond the core
// set: Split (VAE chunk), Resize/Upsample (convolutional decoders), Pad,
// Tile, TopK (k-sparse codes), ArgMax/ArgMin, the random generators,
// NonZero, Range, the recurrent layers (sequence autoencoders),
// LayerNormalization's statistics and (de)quantisation.

func init() {
	for op, fn := range map[string]inferFunc{
		"Split": inferSplit, "Resize": inferResize, "Upsample": inferResize, "Pad": inferPad,
		"Tile": inferTile, "TopK": inferTopK, "ArgMax": inferArg, "ArgMin": inferArg,
		"RandomNormalLike": inferRandomLike, "RandomUniformLike": inferRandomLike,
		"RandomNormal": inferRandom, "RandomUniform": inferRandom,
		"NonZero": inferNonZero, "Range": inferRange,
		"RNN": inferRecurrent, "GRU": inferRecurrent, "LSTM": inferRecurrent,
		"LayerNormalization": inferLayerNorm, "DequantizeLinear": inferDequantize,
		"QuantizeLinear": inferQuantize,
	} {
		inferFuncs[op] = fn
	}
	for _, op := range []string{"Trilu", "ScatterElements", "ScatterND", "Scatter", "CumSum", "ReverseSequence"} {
		inferFuncs[op] = inferSame
	}
}

// intsOf returns the literal values of a constant integer input.
func (c *inferer) intsOf(n *Node, i int) ([]int64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	vals, ok := c.sym[n.Inputs[i]]
	if !ok {
		return nil, false
	}
	out := make([]int64, len(vals))
	for k, v := range vals {
		if !v.Lit {
			return nil, false
		}
		out[k] = v.Val
	}
	return out, true
}

// floatsOf returns the values of a constant float input.
func (c *inferer) floatsOf(n *Node, i int) ([]float64, bool) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, false
	}
	t, ok := c.consts[n.Inputs[i]]
	if !ok || t.Len() > maxSymLen {
		return nil, false
	}
	var out []float64
	switch d := t.Data.(type) {
	case []float32:
		for _, v := range d {
			out = append(out, float64(v))
		}
	case []float64:
		out = append(out, d...)
	default:
		return nil, false
	}
	return out, true
}

func inferSplit(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	k := len(n.Outputs)
	unknown := make([]ValueInfo, k)
	for i := range unknown {
		unknown[i] = ValueInfo{DType: x.DType}
	}
	if !rankKnown(x) || k == 0 {
		return unknown, nil
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	a, err := normAxis(axis, len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	var split []int64
	if c.opset < 13 {
		if split, err = n.Ints("split", nil); err != nil {
			return nil, err
		}
	} else if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		var ok bool
		if split, ok = c.intsOf(n, 1); !ok {
			return unknown, nil
		}
	}
	d := x.Shape[a]
	if split == nil {
		// Equal parts; from opset 18 the last part may be smaller.
		if !d.Known() {
			return unknown, nil
		}
		size := (d.Value + int64(k) - 1) / int64(k)
		if c.opset < 18 && d.Value%int64(k) != 0 {
			return nil, fmt.Errorf("axis %d of size %d does not split into %d equal parts", a, d.Value, k)
		}
		rest := d.Value
		for i := 0; i < k; i++ {
			split = append(split, min(size, rest))
			rest -= min(size, rest)
		}
	}
	if len(split) != k {
		return nil, fmt.Errorf("split %v has %d parts for %d outputs", split, len(split), k)
	}
	total := int64(0)
	for _, s := range split {
		if s < 0 {
			return nil, fmt.Errorf("split %v has a negative part", split)
		}
		total += s
	}
	if d.Known() && total != d.Value {
		return nil, fmt.Errorf("split %v sums to %d, axis %d has size %d", split, total, a, d.Value)
	}
	out := make([]ValueInfo, k)
	for i, s := range split {
		sh := append(Shape(nil), x.Shape...)
		sh[a] = knownDim(s)
		out[i] = ranked(x.DType, sh)
	}
	return out, nil
}

func inferResize(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) || n.Has("axes") {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var scales []float64
	var sizes []int64
	switch {
	case n.OpType == "Upsample" && c.opset < 9:
		fs, err := n.Floats("scales", nil)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			scales = append(scales, float64(f))
		}
	case n.OpType == "Upsample" || c.opset < 11:
		scales, _ = c.floatsOf(n, 1)
	default:
		if s, ok := c.intsOf(n, 3); ok && len(s) > 0 {
			sizes = s
		} else if f, ok := c.floatsOf(n, 2); ok && len(f) > 0 {
			scales = f
		}
	}
	switch {
	case sizes != nil:
		if len(sizes) != r {
			return nil, fmt.Errorf("sizes %v has %d entries for input %s of rank %d", sizes, len(sizes), x.Shape, r)
		}
		out := make(Shape, r)
		for i, s := range sizes {
			if s < 0 {
				return nil, fmt.Errorf("sizes %v has a negative entry", sizes)
			}
			out[i] = knownDim(s)
		}
		return one(ranked(x.DType, out)), nil
	case scales != nil:
		if len(scales) != r {
			return nil, fmt.Errorf("scales %v has %d entries for input %s of rank %d", scales, len(scales), x.Shape, r)
		}
		out := make(Shape, r)
		for i, s := range scales {
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("scales %v must be positive", scales)
			}
			switch d := x.Shape[i]; {
			case s == 1:
				out[i] = d
			case d.Known():
				out[i] = knownDim(int64(math.Floor(float64(d.Value) * s)))
			default:
				out[i] = unknownDim
			}
		}
		return one(ranked(x.DType, out)), nil
	}
	return one(rankOnly(x.DType, int64(r))), nil
}

func inferPad(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var pads []int64
	if c.opset < 11 {
		var err error
		if pads, err = n.Ints("pads", nil); err != nil {
			return nil, err
		}
	} else if len(n.Inputs) > 3 && n.Inputs[3] != "" {
		pads = nil // axes input: not tracked
	} else {
		pads, _ = c.intsOf(n, 1)
	}
	if pads == nil {
		return one(rankOnly(x.DType, int64(r))), nil
	}
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v has %d entries, want %d for input %s", pads, len(pads), 2*r, x.Shape)
	}
	out := make(Shape, r)
	for i, d := range x.Shape {
		switch {
		case pads[i] == 0 && pads[i+r] == 0:
			out[i] = d
		case d.Known():
			v := d.Value + pads[i] + pads[i+r]
			if v < 0 {
				return nil, fmt.Errorf("pads %v make axis %d of %s negative", pads, i, x.Shape)
			}
			out[i] = knownDim(v)
		default:
			out[i] = unknownDim
		}
	}
	return one(ranked(x.DType, out)), nil
}

func inferTile(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	reps, ok := c.intsOf(n, 1)
	if !rankKnown(x) || !ok {
		return one(ValueInfo{DType: x.DType}), nil
	}
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("repeats %v has %d entries for input %s", reps, len(reps), x.Shape)
	}
	out := make(Shape, len(reps))
	for i, r := range reps {
		switch d := x.Shape[i]; {
		case r < 0:
			return nil, fmt.Errorf("repeats %v has a negative entry", reps)
		case r == 1:
			out[i] = d
		case d.Known():
			out[i] = knownDim(d.Value * r)
		default:
			out[i] = unknownDim
		}
	}
	return one(ranked(x.DType, out)), nil
}

func inferTopK(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	unknown := []ValueInfo{{DType: x.DType}, {DType: ops.Int64}}
	if !rankKnown(x) {
		return unknown, nil
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	a, err := normAxis(axis, len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	k := unknownDim
	if c.opset < 10 {
		kv, err := n.Int("k", -1)
		if err != nil {
			return nil, err
		}
		if kv >= 0 {
			k = knownDim(kv)
		}
	} else if kv, ok := c.intsOf(n, 1); ok {
		if len(kv) != 1 || kv[0] < 0 {
			return nil, fmt.Errorf("K %v must be one non-negative value", kv)
		}
		k = knownDim(kv[0])
	}
	if d := x.Shape[a]; k.Known() && d.Known() && k.Value > d.Value {
		return nil, fmt.Errorf("K %d exceeds axis %d of size %d", k.Value, a, d.Value)
	}
	sh := append(Shape(nil), x.Shape...)
	sh[a] = k
	return []ValueInfo{ranked(x.DType, sh), ranked(ops.Int64, append(Shape(nil), sh...))}, nil
}

func inferArg(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return one(ValueInfo{DType: ops.Int64}), nil
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return nil, err
	}
	a, err := normAxis(axis, len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	out := Shape{}
	for i, d := range x.Shape {
		switch {
		case i != a:
			out = append(out, d)
		case keep != 0:
			out = append(out, knownDim(1))
		}
	}
	return one(ranked(ops.Int64, out)), nil
}

func randomDType(n *Node, def ops.DType) (ops.DType, error) {
	if !n.Has("dtype") {
		return def, nil
	}
	code, err := n.Int("dtype", 0)
	if err != nil {
		return ops.Invalid, err
	}
	return DTypeFromElemType(int32(code)), nil
}

func inferRandomLike(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	if out[0].DType, err = randomDType(n, in[0].DType); err != nil {
		return nil, err
	}
	return out, nil
}

func inferRandom(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	dt, err := randomDType(n, ops.Float32)
	if err != nil {
		return nil, err
	}
	shape, err := n.Ints("shape", nil)
	if err != nil {
		return nil, err
	}
	if shape == nil {
		return nil, errors.New(`attribute "shape" is required`)
	}
	out := make(Shape, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		out[i] = knownDim(d)
	}
	return one(ranked(dt, out)), nil
}

func inferNonZero(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if !rankKnown(in[0]) {
		return one(ValueInfo{DType: ops.Int64}), nil
	}
	return one(ranked(ops.Int64, Shape{knownDim(int64(len(in[0].Shape))), unknownDim})), nil
}

func inferRange(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	size := unknownDim
	if s, ok1 := c.intsOf(n, 0); ok1 {
		l, ok2 := c.intsOf(n, 1)
		d, ok3 := c.intsOf(n, 2)
		if ok2 && ok3 && len(s) == 1 && len(l) == 1 && len(d) == 1 {
			if d[0] == 0 {
				return nil, errors.New("delta is 0")
			}
			// ceil((limit - start) / delta), at least 0.
			num, den := l[0]-s[0], d[0]
			cnt := num / den
			if num%den != 0 && (num < 0) == (den < 0) {
				cnt++
			}
			size = knownDim(max(cnt, 0))
		}
	}
	return one(ranked(in[0].DType, Shape{size})), nil
}

func inferRecurrent(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	x := in[0]
	unknown := []ValueInfo{{DType: x.DType}, {DType: x.DType}, {DType: x.DType}}
	hidden, err := n.Int("hidden_size", -1)
	if err != nil {
		return nil, err
	}
	dir, err := n.String("direction", "forward")
	if err != nil {
		return nil, err
	}
	layout, err := n.Int("layout", 0)
	if err != nil {
		return nil, err
	}
	dirs := int64(1)
	switch dir {
	case "forward", "reverse":
	case "bidirectional":
		dirs = 2
	default:
		return nil, fmt.Errorf("unknown direction %q", dir)
	}
	if !rankKnown(x) {
		return unknown, nil
	}
	if len(x.Shape) != 3 {
		return nil, fmt.Errorf("X %s must be 3-D", x.Shape)
	}
	if w := in[1]; rankKnown(w) && len(w.Shape) == 3 {
		if _, err := mergeDim(w.Shape[0], knownDim(dirs)); err != nil {
			return nil, fmt.Errorf("W %s has %s directions, direction %q needs %d", w.Shape, w.Shape[0], dir, dirs)
		}
		if _, err := mergeDim(w.Shape[2], x.Shape[2]); err != nil {
			return nil, fmt.Errorf("W %s expects input size %s, X %s has %s", w.Shape, w.Shape[2], x.Shape, x.Shape[2])
		}
	}
	hd := unknownDim
	if hidden > 0 {
		hd = knownDim(hidden)
	}
	seq, batch := x.Shape[0], x.Shape[1]
	y := Shape{seq, knownDim(dirs), batch, hd}
	h := Shape{knownDim(dirs), batch, hd}
	if layout != 0 {
		batch, seq = x.Shape[0], x.Shape[1]
		y = Shape{batch, seq, knownDim(dirs), hd}
		h = Shape{batch, knownDim(dirs), hd}
	}
	return []ValueInfo{ranked(x.DType, y), ranked(x.DType, h), ranked(x.DType, append(Shape(nil), h...))}, nil
}

func inferLayerNorm(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	stash, err := n.Int("stash_type", 1)
	if err != nil {
		return nil, err
	}
	sdt := DTypeFromElemType(int32(stash))
	x := in[0]
	if !rankKnown(x) {
		return append(out, ValueInfo{DType: sdt}, ValueInfo{DType: sdt}), nil
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	a, err := normAxis(axis, len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	stat := append(Shape(nil), x.Shape[:a]...)
	for range x.Shape[a:] {
		stat = append(stat, knownDim(1))
	}
	return append(out, ranked(sdt, stat), ranked(sdt, append(Shape(nil), stat...))), nil
}

func inferDequantize(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Float32
	if s := input(in, 1); s.DType != ops.Invalid && c.opset >= 19 {
		out[0].DType = s.DType
	}
	return out, nil
}

func inferQuantize(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.Uint8
	if z := input(in, 2); z.Name != "" {
		out[0].DType = z.DType
	}
	return out, nil
}
