package graph

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
)

// InferShapes fills m.Graph.ValueInfo with the element type and (possibly
// symbolic) shape of every node output it can work out from the graph
// inputs, initializers, Constant nodes and the file's own value_info.
// Symbolic dimensions such as "batch" are carried through, including
// through the Shape → Gather → Unsqueeze → Concat → Reshape chains that
// exporters emit. Operators it does not know leave their outputs unknown;
// a contradiction (e.g. Gemm inner dimensions 3 vs 4) is an error naming the
// node. Subgraph bodies are not inferred.
func InferShapes(m *Model) error {
	if m == nil || m.Graph == nil {
		return errors.New("shape inference: model has no graph")
	}
	return inferGraph(m.Graph, m.Opset())
}

type inferer struct {
	opset  int64
	info   map[string]ValueInfo
	consts map[string]*ops.Tensor
	sym    map[string][]symInt
}

// maxSymLen bounds the integer tensors whose values inference tracks.
const maxSymLen = 64

func inferGraph(g *Graph, opset int64) error {
	c := &inferer{
		opset:  opset,
		info:   map[string]ValueInfo{},
		consts: map[string]*ops.Tensor{},
		sym:    map[string][]symInt{},
	}
	if g.ValueInfo == nil {
		g.ValueInfo = map[string]ValueInfo{}
	}
	for name, vi := range g.ValueInfo {
		vi.Name = name
		c.info[name] = vi
	}
	overridable := map[string]ValueInfo{}
	for _, vi := range g.OverridableInits {
		overridable[vi.Name] = vi
	}
	for name, t := range g.Initializers {
		if t == nil {
			return fmt.Errorf("shape inference: initializer %s is nil", name)
		}
		if vi, ok := overridable[name]; ok && rankKnown(vi) {
			// Callers may feed another value of the declared shape.
			c.info[name] = vi
			continue
		}
		c.info[name] = tensorInfo(name, t)
		c.setConst(name, t)
	}
	for _, vi := range g.Inputs {
		c.info[vi.Name] = vi
	}
	order, err := g.order(freeMemo{})
	if err != nil {
		return fmt.Errorf("shape inference: %w", err)
	}
	for _, n := range order {
		if n.Domain != DefaultDomain && n.Domain != "ai.onnx" {
			continue
		}
		fn := inferFuncs[n.OpType]
		if fn == nil {
			continue
		}
		in := make([]ValueInfo, len(n.Inputs))
		for i, name := range n.Inputs {
			if name != "" {
				in[i] = c.info[name]
			}
			in[i].Name = name
		}
		outs, err := fn(c, n, in)
		if err != nil {
			return fmt.Errorf("shape inference: node %s: %w", n.Label(), err)
		}
		for i, vi := range outs {
			if i >= len(n.Outputs) || n.Outputs[i] == "" {
				continue
			}
			if vi.DType == ops.Invalid && !rankKnown(vi) {
				continue
			}
			name := n.Outputs[i]
			vi.Name = name
			if vi.HasShape = rankKnown(vi); vi.HasShape && vi.Shape == nil {
				vi.Shape = Shape{}
			}
			if old, ok := c.info[name]; ok {
				merged, err := mergeInfo(old, vi)
				if err != nil {
					return fmt.Errorf("shape inference: node %s: output %s: %w", n.Label(), name, err)
				}
				vi = merged
			}
			if vi.DType != ops.Invalid {
				vi.ElemTypeCode = ElemTypeOf(vi.DType)
			}
			c.info[name] = vi
			// ONNX requires an elem_type in value_info: values of a type
			// latent cannot name stay out of it.
			if vi.ElemTypeCode != 0 {
				g.ValueInfo[name] = vi
			}
		}
	}
	return nil
}

func rankKnown(v ValueInfo) bool { return v.HasShape || v.Shape != nil }

func tensorInfo(name string, t *ops.Tensor) ValueInfo {
	s := make(Shape, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = knownDim(int64(d))
	}
	return ValueInfo{Name: name, DType: t.DType, ElemTypeCode: ElemTypeOf(t.DType), Shape: s, HasShape: true}
}

func (c *inferer) setConst(name string, t *ops.Tensor) {
	c.consts[name] = t
	if t.Rank() > 1 || t.Len() > maxSymLen {
		return
	}
	var vals []symInt
	switch d := t.Data.(type) {
	case []int64:
		for _, v := range d {
			vals = append(vals, symInt{Val: v, Lit: true})
		}
	case []int32:
		for _, v := range d {
			vals = append(vals, symInt{Val: int64(v), Lit: true})
		}
	default:
		return
	}
	c.sym[name] = vals
}

// mergeInfo combines what the file declared about a value with what
// inference found; known sizes that disagree are an error.
func mergeInfo(old, inf ValueInfo) (ValueInfo, error) {
	out := inf
	if out.DType == ops.Invalid {
		out.DType, out.ElemTypeCode, out.TypeRaw = old.DType, old.ElemTypeCode, old.TypeRaw
	} else if old.DType != ops.Invalid && old.DType != inf.DType {
		return out, fmt.Errorf("declared type %v, inferred %v", old.DType, inf.DType)
	}
	switch {
	case !rankKnown(old):
	case !rankKnown(inf):
		out.Shape, out.HasShape = old.Shape, true
	case len(old.Shape) != len(inf.Shape):
		return out, fmt.Errorf("declared shape %s, inferred %s", old.Shape, inf.Shape)
	default:
		s := make(Shape, len(inf.Shape))
		for i := range s {
			d, err := mergeDim(inf.Shape[i], old.Shape[i])
			if err != nil {
				return out, fmt.Errorf("declared shape %s, inferred %s", old.Shape, inf.Shape)
			}
			s[i] = d
		}
		out.Shape = s
	}
	if out.DocString == "" {
		out.DocString = old.DocString
	}
	return out, nil
}

type inferFunc func(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error)

// inferFuncs is the registry of per-operator inference functions; the
// init functions of infer*.go fill it.
var inferFuncs = map[string]inferFunc{}

func init() {
	for op, fn := range map[string]inferFunc{
		"Constant": inferConstant, "ConstantOfShape": inferConstantOfShape,
		"Identity": inferIdentity, "Cast": inferCast, "CastLike": inferCastLike,
		"Dropout": inferDropout, "BatchNormalization": inferSame, "Where": inferWhere,
		"Gemm": inferGemm, "MatMul": inferMatMul,
		"Conv": inferConv, "ConvTranspose": inferConvTranspose,
		"MaxPool": inferPool, "AveragePool": inferPool, "LpPool": inferPool,
		"GlobalAveragePool": inferGlobalPool, "GlobalMaxPool": inferGlobalPool, "GlobalLpPool": inferGlobalPool,
		"Reshape": inferReshape, "Flatten": inferFlatten, "Transpose": inferTranspose,
		"Concat": inferConcat, "Squeeze": inferSqueeze, "Unsqueeze": inferUnsqueeze,
		"Shape": inferShape, "Size": inferSize, "Gather": inferGather, "Slice": inferSlice,
		"Expand": inferExpand,
	} {
		inferFuncs[op] = fn
	}
	for _, op := range []string{"Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish",
		"Tanh", "Softplus", "Softsign", "Gelu", "Mish", "ThresholdedRelu", "Shrink", "Exp", "Log", "Abs", "Neg",
		"Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Erf", "Sign", "Clip",
		"Softmax", "LogSoftmax", "Hardmax", "LpNormalization", "InstanceNormalization",
		"LRN", "MeanVarianceNormalization", "Not",
		"PRelu"} { // the slope broadcasts to X (unidirectionally)
		inferFuncs[op] = inferSame
	}
	for _, op := range []string{"IsNaN", "IsInf"} {
		inferFuncs[op] = inferSameBool
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "BitShift"} {
		inferFuncs[op] = inferBroadcast
	}
	for _, op := range []string{"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"} {
		inferFuncs[op] = inferCompare
	}
	for _, op := range []string{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
		"ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		inferFuncs[op] = inferReduce
	}
}

func ranked(dt ops.DType, s Shape) ValueInfo {
	if s == nil {
		s = Shape{}
	}
	return ValueInfo{DType: dt, Shape: s, HasShape: true}
}

// rankOnly is a value of known rank r whose dimensions are all unknown.
func rankOnly(dt ops.DType, r int64) ValueInfo {
	s := make(Shape, r)
	for i := range s {
		s[i] = unknownDim
	}
	return ranked(dt, s)
}

func one(v ValueInfo) []ValueInfo { return []ValueInfo{v} }

func input(in []ValueInfo, i int) ValueInfo {
	if i < len(in) {
		return in[i]
	}
	return ValueInfo{}
}

func needInputs(n *Node, in []ValueInfo, k int) error {
	if len(in) < k {
		return fmt.Errorf("needs %d inputs, has %d", k, len(in))
	}
	for i := 0; i < k; i++ {
		if in[i].Name == "" {
			return fmt.Errorf("input %d is required", i)
		}
	}
	return nil
}

// --- simple propagation ---

func inferSame(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	return one(ValueInfo{DType: x.DType, Shape: append(Shape(nil), x.Shape...), HasShape: rankKnown(x)}), nil
}

func inferSameBool(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err == nil {
		out[0].DType = ops.Bool
	}
	return out, err
}

func inferIdentity(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err == nil && len(n.Outputs) > 0 {
		c.copySym(n.Inputs[0], n.Outputs[0])
	}
	return out, err
}

func (c *inferer) copySym(from, to string) {
	if s, ok := c.sym[from]; ok {
		c.sym[to] = s
	}
}

func inferDropout(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	mask := out[0]
	mask.DType = ops.Bool
	return append(out, mask), nil
}

func inferCast(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	to, err := n.Int("to", 0)
	if err != nil {
		return nil, err
	}
	if !n.Has("to") {
		return nil, errors.New(`attribute "to" is required`)
	}
	out[0].DType = DTypeFromElemType(int32(to))
	if out[0].DType == ops.Int64 || out[0].DType == ops.Int32 {
		c.copySym(n.Inputs[0], n.Outputs[0])
	}
	return out, nil
}

func inferCastLike(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = in[1].DType
	return out, nil
}

func inferConstant(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	t, err := constantValue(n)
	if err != nil || t == nil {
		return nil, err
	}
	if len(n.Outputs) > 0 {
		c.setConst(n.Outputs[0], t)
	}
	return one(tensorInfo("", t)), nil
}

// constantValue returns the tensor a Constant node produces, or nil when it
// uses a kind the IR keeps only as raw bytes (sparse, strings).
func constantValue(n *Node) (*ops.Tensor, error) {
	for _, name := range n.AttrOrderOrSorted() {
		a := n.Attrs[name]
		switch name {
		case "value":
			if a.Type != AttrTensor {
				return nil, n.attrKindErr(a, "tensor")
			}
			return a.T, nil
		case "value_float":
			if a.Type != AttrFloat {
				return nil, n.attrKindErr(a, "float")
			}
			return ops.FromFloat32(nil, []float32{a.F}), nil
		case "value_floats":
			if a.Type != AttrFloats {
				return nil, n.attrKindErr(a, "floats")
			}
			return ops.FromFloat32([]int{len(a.Floats)}, append([]float32{}, a.Floats...)), nil
		case "value_int":
			if a.Type != AttrInt {
				return nil, n.attrKindErr(a, "int")
			}
			return ops.FromInt64(nil, []int64{a.I}), nil
		case "value_ints":
			if a.Type != AttrInts {
				return nil, n.attrKindErr(a, "ints")
			}
			return ops.FromInt64([]int{len(a.Ints)}, append([]int64{}, a.Ints...)), nil
		}
	}
	return nil, nil
}

func inferConstantOfShape(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	dt := ops.Float32
	if v, err := n.Tensor("value"); err != nil {
		return nil, err
	} else if v != nil {
		dt = v.DType
	}
	vals, ok := c.sym[n.Inputs[0]]
	if !ok {
		return one(ValueInfo{DType: dt}), nil
	}
	s := make(Shape, len(vals))
	for i, v := range vals {
		if v.Lit && v.Val < 0 {
			return nil, fmt.Errorf("shape input has negative dimension %d", v.Val)
		}
		s[i] = v.dim()
	}
	return one(ranked(dt, s)), nil
}

// --- broadcasting ---

func broadcastInputs(in []ValueInfo) (Shape, bool, error) {
	shapes := make([]Shape, 0, len(in))
	for _, v := range in {
		if v.Name == "" {
			continue
		}
		if !rankKnown(v) {
			return nil, false, nil
		}
		shapes = append(shapes, v.Shape)
	}
	s, err := broadcastShapes(shapes...)
	return s, err == nil, err
}

func inferBroadcast(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	s, ok, err := broadcastInputs(in)
	if err != nil {
		return nil, err
	}
	c.symArith(n)
	if !ok {
		return one(ValueInfo{DType: in[0].DType}), nil
	}
	return one(ranked(in[0].DType, s)), nil
}

// symArith tracks small integer arithmetic on shape values (e.g. a
// dimension divided by the number of heads) when both sides are literals.
func (c *inferer) symArith(n *Node) {
	if len(n.Inputs) != 2 || len(n.Outputs) == 0 {
		return
	}
	a, okA := c.sym[n.Inputs[0]]
	b, okB := c.sym[n.Inputs[1]]
	if !okA || !okB || (len(a) != len(b) && len(a) != 1 && len(b) != 1) {
		return
	}
	l := max(len(a), len(b))
	out := make([]symInt, l)
	for i := range out {
		x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
		if !x.Lit || !y.Lit {
			if n.OpType == "Mul" && x.Lit && x.Val == 1 {
				out[i] = y
			} else if (n.OpType == "Mul" || n.OpType == "Div") && y.Lit && y.Val == 1 {
				out[i] = x
			}
			continue
		}
		switch n.OpType {
		case "Add":
			out[i] = symInt{Val: x.Val + y.Val, Lit: true}
		case "Sub":
			out[i] = symInt{Val: x.Val - y.Val, Lit: true}
		case "Mul":
			out[i] = symInt{Val: x.Val * y.Val, Lit: true}
		case "Div":
			if y.Val == 0 {
				return
			}
			q := x.Val / y.Val
			if (x.Val%y.Val != 0) && ((x.Val < 0) != (y.Val < 0)) {
				q-- // integer Div floors
			}
			out[i] = symInt{Val: q, Lit: true}
		default:
			return
		}
	}
	c.sym[n.Outputs[0]] = out
}

func inferCompare(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	out, err := inferBroadcast(c, n, in)
	if err != nil {
		return nil, err
	}
	delete(c.sym, n.Outputs[0])
	out[0].DType = ops.Bool
	return out, nil
}

func inferWhere(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	s, ok, err := broadcastInputs(in)
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(ValueInfo{DType: in[1].DType}), nil
	}
	return one(ranked(in[1].DType, s)), nil
}

func inferExpand(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	vals, ok := c.sym[n.Inputs[1]]
	if !ok || !rankKnown(in[0]) {
		return one(ValueInfo{DType: in[0].DType}), nil
	}
	target := make(Shape, len(vals))
	for i, v := range vals {
		target[i] = v.dim()
	}
	s, err := broadcastShapes(in[0].Shape, target)
	if err != nil {
		return nil, err
	}
	return one(ranked(in[0].DType, s)), nil
}

// --- linear algebra ---

func inferGemm(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	ta, err := n.Int("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.Int("transB", 0)
	if err != nil {
		return nil, err
	}
	if !rankKnown(a) || !rankKnown(b) {
		return one(ValueInfo{DType: a.DType}), nil
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("A %s and B %s must both be 2-D", a.Shape, b.Shape)
	}
	m, ka := a.Shape[0], a.Shape[1]
	if ta != 0 {
		m, ka = ka, m
	}
	kb, nn := b.Shape[0], b.Shape[1]
	if tb != 0 {
		kb, nn = nn, kb
	}
	if _, err := mergeDim(ka, kb); err != nil {
		return nil, fmt.Errorf("inner dimensions differ: A %s (transA=%d) has K=%s, B %s (transB=%d) has K=%s", a.Shape, ta, ka, b.Shape, tb, kb)
	}
	out := Shape{m, nn}
	if cv := input(in, 2); cv.Name != "" && rankKnown(cv) {
		if _, err := broadcastShapes(out, cv.Shape); err != nil {
			return nil, fmt.Errorf("C %s does not broadcast to [M,N] %s", cv.Shape, out)
		}
	}
	return one(ranked(a.DType, out)), nil
}

func inferMatMul(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if !rankKnown(a) || !rankKnown(b) {
		return one(ValueInfo{DType: a.DType}), nil
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul operands must have rank ≥ 1, got %s and %s", as, bs)
	}
	a1, b1 := len(as) == 1, len(bs) == 1
	if a1 {
		as = Shape{knownDim(1), as[0]}
	}
	if b1 {
		bs = Shape{bs[0], knownDim(1)}
	}
	ka, kb := as[len(as)-1], bs[len(bs)-2]
	if _, err := mergeDim(ka, kb); err != nil {
		return nil, fmt.Errorf("inner dimensions differ: A %s has K=%s, B %s has K=%s", a.Shape, ka, b.Shape, kb)
	}
	batch, err := broadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("batch dimensions: %w", err)
	}
	// The axes added for 1-D operands are removed again.
	out := batch
	if !a1 {
		out = append(out, as[len(as)-2])
	}
	if !b1 {
		out = append(out, bs[len(bs)-1])
	}
	return one(ranked(a.DType, out)), nil
}

// --- convolution and pooling ---

type windowAttrs struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
	ceil                             bool
}

func readWindow(n *Node, spatial int, kernelFromW Shape) (windowAttrs, error) {
	var w windowAttrs
	var err error
	if w.kernel, err = n.Ints("kernel_shape", nil); err != nil {
		return w, err
	}
	if w.kernel == nil && kernelFromW != nil {
		for _, d := range kernelFromW {
			if !d.Known() {
				w.kernel = nil
				break
			}
			w.kernel = append(w.kernel, d.Value)
		}
	}
	if w.strides, err = n.Ints("strides", nil); err != nil {
		return w, err
	}
	if w.dilations, err = n.Ints("dilations", nil); err != nil {
		return w, err
	}
	if w.pads, err = n.Ints("pads", nil); err != nil {
		return w, err
	}
	if w.autoPad, err = n.String("auto_pad", "NOTSET"); err != nil {
		return w, err
	}
	ceil, err := n.Int("ceil_mode", 0)
	if err != nil {
		return w, err
	}
	w.ceil = ceil != 0
	fill := func(name string, v []int64, n int, def int64) ([]int64, error) {
		if v == nil {
			v = make([]int64, n)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != n {
			return nil, fmt.Errorf("attribute %s has %d values, want %d for %d spatial axes", name, len(v), n, spatial)
		}
		return v, nil
	}
	if w.kernel != nil && len(w.kernel) != spatial {
		return w, fmt.Errorf("kernel_shape has %d values, want %d spatial axes", len(w.kernel), spatial)
	}
	if w.strides, err = fill("strides", w.strides, spatial, 1); err != nil {
		return w, err
	}
	if w.dilations, err = fill("dilations", w.dilations, spatial, 1); err != nil {
		return w, err
	}
	if w.pads, err = fill("pads", w.pads, 2*spatial, 0); err != nil {
		return w, err
	}
	for i := 0; i < spatial; i++ {
		if w.strides[i] < 1 || w.dilations[i] < 1 {
			return w, fmt.Errorf("strides %v and dilations %v must be ≥ 1", w.strides, w.dilations)
		}
		if w.pads[i] < 0 || w.pads[i+spatial] < 0 {
			return w, fmt.Errorf("pads %v must be ≥ 0", w.pads)
		}
		if w.kernel != nil && w.kernel[i] < 1 {
			return w, fmt.Errorf("kernel_shape %v must be ≥ 1", w.kernel)
		}
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "":
	default:
		return w, fmt.Errorf("unknown auto_pad %q", w.autoPad)
	}
	return w, nil
}

// windowOut computes one spatial output size of a convolution or pooling.
func (w windowAttrs) out(i int, in Dim) (Dim, error) {
	if !in.Known() || w.kernel == nil {
		k := int64(1)
		if w.kernel != nil {
			k = w.kernel[i]
		}
		if k == 1 && w.strides[i] == 1 && w.pads[i] == 0 && w.pads[i+len(w.strides)] == 0 {
			return in, nil // identity window keeps the symbol
		}
		if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") && w.strides[i] == 1 {
			return in, nil
		}
		return unknownDim, nil
	}
	x, s := in.Value, w.strides[i]
	span := (w.kernel[i]-1)*w.dilations[i] + 1
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return knownDim((x + s - 1) / s), nil
	case "VALID":
		if x < span {
			return in, fmt.Errorf("input size %d is smaller than the kernel extent %d", x, span)
		}
		return knownDim((x-span)/s + 1), nil
	}
	total := x + w.pads[i] + w.pads[i+len(w.strides)] - span
	if total < 0 {
		return in, fmt.Errorf("padded input size %d is smaller than the kernel extent %d", x+w.pads[i]+w.pads[i+len(w.strides)], span)
	}
	o := total/s + 1
	if w.ceil && total%s != 0 {
		o++
		// The last window must start inside the input or left padding.
		if (o-1)*s >= x+w.pads[i] {
			o--
		}
	}
	return knownDim(o), nil
}

// convInputs checks what Conv and ConvTranspose share: the X and W inputs
// of the same rank ≥ 3 and a group ≥ 1. known is false (and the output only
// typed, as x.DType) when either rank is unknown.
func convInputs(n *Node, in []ValueInfo) (x, w ValueInfo, group int64, known bool, err error) {
	if err := needInputs(n, in, 2); err != nil {
		return x, w, 0, false, err
	}
	x, w = in[0], in[1]
	if !rankKnown(x) || !rankKnown(w) {
		return x, w, 0, false, nil
	}
	if len(x.Shape) < 3 || len(w.Shape) != len(x.Shape) {
		return x, w, 0, false, fmt.Errorf("X %s and W %s must have the same rank ≥ 3", x.Shape, w.Shape)
	}
	if group, err = n.Int("group", 1); err != nil {
		return x, w, 0, false, err
	}
	if group < 1 {
		return x, w, 0, false, fmt.Errorf("group %d must be ≥ 1", group)
	}
	return x, w, group, true, nil
}

func inferConv(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	x, w, group, known, err := convInputs(n, in)
	if err != nil {
		return nil, err
	}
	if !known {
		return one(ValueInfo{DType: x.DType}), nil
	}
	if cx, cw := x.Shape[1], w.Shape[1]; cx.Known() && cw.Known() && cx.Value != cw.Value*group {
		return nil, fmt.Errorf("X has %d channels but W %s with group %d expects %d", cx.Value, w.Shape, group, cw.Value*group)
	}
	spatial := len(x.Shape) - 2
	wa, err := readWindow(n, spatial, w.Shape[2:])
	if err != nil {
		return nil, err
	}
	out := Shape{x.Shape[0], w.Shape[0]}
	for i := 0; i < spatial; i++ {
		d, err := wa.out(i, x.Shape[2+i])
		if err != nil {
			return nil, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		out = append(out, d)
	}
	return one(ranked(x.DType, out)), nil
}

func inferConvTranspose(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	x, w, group, known, err := convInputs(n, in)
	if err != nil {
		return nil, err
	}
	if !known {
		return one(ValueInfo{DType: x.DType}), nil
	}
	if _, err := mergeDim(x.Shape[1], w.Shape[0]); err != nil {
		return nil, fmt.Errorf("X %s has %s channels but W %s expects %s", x.Shape, x.Shape[1], w.Shape, w.Shape[0])
	}
	spatial := len(x.Shape) - 2
	wa, err := readWindow(n, spatial, w.Shape[2:])
	if err != nil {
		return nil, err
	}
	outPad, err := n.Ints("output_padding", nil)
	if err != nil {
		return nil, err
	}
	if outPad == nil {
		outPad = make([]int64, spatial)
	}
	outShape, err := n.Ints("output_shape", nil)
	if err != nil {
		return nil, err
	}
	if len(outPad) != spatial || (outShape != nil && len(outShape) != spatial && len(outShape) != spatial+2) {
		return nil, fmt.Errorf("output_padding %v / output_shape %v do not match %d spatial axes", outPad, outShape, spatial)
	}
	mc := unknownDim
	if w.Shape[1].Known() {
		mc = knownDim(w.Shape[1].Value * group)
	}
	out := Shape{x.Shape[0], mc}
	for i := 0; i < spatial; i++ {
		if outShape != nil {
			out = append(out, knownDim(outShape[len(outShape)-spatial+i]))
			continue
		}
		in := x.Shape[2+i]
		if !in.Known() || wa.kernel == nil {
			out = append(out, unknownDim)
			continue
		}
		s := wa.strides[i]
		var o int64
		if wa.autoPad == "SAME_UPPER" || wa.autoPad == "SAME_LOWER" {
			o = in.Value * s
		} else {
			pads := wa.pads[i] + wa.pads[i+spatial]
			if wa.autoPad == "VALID" {
				pads = 0
			}
			o = s*(in.Value-1) + outPad[i] + (wa.kernel[i]-1)*wa.dilations[i] + 1 - pads
		}
		if o < 0 {
			return nil, fmt.Errorf("spatial axis %d: output size %d is negative", i, o)
		}
		out = append(out, knownDim(o))
	}
	return one(ranked(x.DType, out)), nil
}

func inferPool(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return []ValueInfo{{DType: x.DType}, {DType: ops.Int64}}, nil
	}
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("X %s must have rank ≥ 3", x.Shape)
	}
	spatial := len(x.Shape) - 2
	if !n.Has("kernel_shape") {
		return nil, errors.New(`attribute "kernel_shape" is required`)
	}
	wa, err := readWindow(n, spatial, nil)
	if err != nil {
		return nil, err
	}
	out := Shape{x.Shape[0], x.Shape[1]}
	for i := 0; i < spatial; i++ {
		d, err := wa.out(i, x.Shape[2+i])
		if err != nil {
			return nil, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		out = append(out, d)
	}
	return []ValueInfo{ranked(x.DType, out), ranked(ops.Int64, append(Shape(nil), out...))}, nil
}

func inferGlobalPool(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("X %s must have rank ≥ 3", x.Shape)
	}
	out := Shape{x.Shape[0], x.Shape[1]}
	for range x.Shape[2:] {
		out = append(out, knownDim(1))
	}
	return one(ranked(x.DType, out)), nil
}

// --- shape manipulation ---

// axesOf reads an axes list from the attribute (before opset `inputSince`)
// or from a constant input. ok is false when the axes are not constant.
func (c *inferer) axesOf(n *Node, inputIdx int, inputSince int64) (axes []int64, given, ok bool, err error) {
	if c.opset < inputSince {
		axes, err = n.Ints("axes", nil)
		return axes, axes != nil, err == nil, err
	}
	if inputIdx >= len(n.Inputs) || n.Inputs[inputIdx] == "" {
		return nil, false, true, nil
	}
	vals, found := c.sym[n.Inputs[inputIdx]]
	if !found {
		return nil, true, false, nil
	}
	for _, v := range vals {
		if !v.Lit {
			return nil, true, false, nil
		}
		axes = append(axes, v.Val)
	}
	return axes, true, true, nil
}

func inferReshape(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	vals, ok := c.sym[n.Inputs[1]]
	if !ok {
		if r := in[1]; rankKnown(r) && len(r.Shape) == 1 && r.Shape[0].Known() {
			return one(rankOnly(x.DType, r.Shape[0].Value)), nil
		}
		return one(ValueInfo{DType: x.DType}), nil
	}
	allowZero, err := n.Int("allowzero", 0)
	if err != nil {
		return nil, err
	}
	out := make(Shape, len(vals))
	infer := -1
	for i, v := range vals {
		switch {
		case v.Lit && v.Val == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %s has more than one -1", symString(vals))
			}
			infer = i
			out[i] = unknownDim
		case v.Lit && v.Val == 0 && allowZero == 0:
			if !rankKnown(x) {
				out[i] = unknownDim
			} else if i >= len(x.Shape) {
				return nil, fmt.Errorf("shape %s copies axis %d with 0, but the input %s has rank %d", symString(vals), i, x.Shape, len(x.Shape))
			} else {
				out[i] = x.Shape[i]
			}
		case v.Lit && v.Val < 0:
			return nil, fmt.Errorf("shape %s has invalid dimension %d", symString(vals), v.Val)
		default:
			out[i] = v.dim()
		}
	}
	if !rankKnown(x) {
		return one(ranked(x.DType, out)), nil
	}
	// Cancel what input and output have in common; the rest decides -1
	// or, without -1, must agree.
	inKnown, inSyms, inUnknown := splitDims(x.Shape)
	outDims := make(Shape, 0, len(out))
	for i, d := range out {
		if i != infer {
			outDims = append(outDims, d)
		}
	}
	outKnown, outSyms, outUnknown := splitDims(outDims)
	inSyms, outSyms = cancelSyms(inSyms, outSyms)
	if inUnknown || outUnknown {
		return one(ranked(x.DType, out)), nil
	}
	if infer >= 0 {
		switch {
		case len(outSyms) == 0 && len(inSyms) == 0:
			if outKnown == 0 {
				if inKnown != 0 {
					return nil, fmt.Errorf("cannot reshape %s to %s: -1 with a zero-sized dimension", x.Shape, symString(vals))
				}
			} else if inKnown%outKnown != 0 {
				return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s", x.Shape, inKnown, symString(vals))
			} else {
				out[infer] = knownDim(inKnown / outKnown)
			}
		case len(outSyms) == 0 && len(inSyms) == 1 && inKnown == outKnown:
			out[infer] = Dim{Value: -1, Param: inSyms[0]}
		}
		return one(ranked(x.DType, out)), nil
	}
	if len(inSyms) == 0 && len(outSyms) == 0 && inKnown != outKnown {
		return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s (%d elements)", x.Shape, inKnown, out, outKnown)
	}
	return one(ranked(x.DType, out)), nil
}

func splitDims(s Shape) (known int64, syms []string, unknown bool) {
	known = 1
	for _, d := range s {
		switch {
		case d.Known():
			known *= d.Value
		case d.Param != "":
			syms = append(syms, d.Param)
		default:
			unknown = true
		}
	}
	return known, syms, unknown
}

func cancelSyms(a, b []string) ([]string, []string) {
	b = append([]string(nil), b...)
	var ra []string
outer:
	for _, s := range a {
		for j, t := range b {
			if s == t {
				b = append(b[:j], b[j+1:]...)
				continue outer
			}
		}
		ra = append(ra, s)
	}
	return ra, b
}

func symString(v []symInt) string {
	s := make(Shape, len(v))
	for i, x := range v {
		if x.Lit {
			s[i] = Dim{Value: x.Val}
			if x.Val < 0 {
				s[i] = Dim{Value: -1, Param: itoa(x.Val)}
			}
		} else {
			s[i] = x.dim()
		}
	}
	return s.String()
}

func inferFlatten(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := n.Int("axis", 1)
	if err != nil {
		return nil, err
	}
	if !rankKnown(x) {
		return one(ranked(x.DType, Shape{unknownDim, unknownDim})), nil
	}
	r := int64(len(x.Shape))
	if axis < -r || axis > r {
		return nil, fmt.Errorf("axis %d is out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	return one(ranked(x.DType, Shape{productDim(x.Shape[:axis]), productDim(x.Shape[axis:])})), nil
}

func inferTranspose(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	perm, err := n.Ints("perm", nil)
	if err != nil {
		return nil, err
	}
	if !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v has %d entries for input %s of rank %d", perm, len(perm), x.Shape, r)
	}
	seen := make([]bool, r)
	out := make(Shape, r)
	for i, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
		}
		seen[p] = true
		out[i] = x.Shape[p]
	}
	return one(ranked(x.DType, out)), nil
}

func inferConcat(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	if !n.Has("axis") && c.opset >= 4 {
		return nil, errors.New(`attribute "axis" is required`)
	}
	c.concatSym(n)
	var out Shape
	for i, v := range in {
		if !rankKnown(v) {
			return one(ValueInfo{DType: in[0].DType}), nil
		}
		if i == 0 {
			out = append(Shape(nil), v.Shape...)
			if len(out) == 0 {
				return nil, errors.New("cannot concatenate scalars")
			}
			a, err := normAxis(axis, len(out), "axis")
			if err != nil {
				return nil, err
			}
			axis = int64(a)
			continue
		}
		if len(v.Shape) != len(out) {
			return nil, fmt.Errorf("input %d %s has rank %d, input 0 has rank %d", i, v.Shape, len(v.Shape), len(out))
		}
		for k := range out {
			if k == int(axis) {
				if out[k].Known() && v.Shape[k].Known() {
					out[k] = knownDim(out[k].Value + v.Shape[k].Value)
				} else {
					out[k] = unknownDim
				}
				continue
			}
			d, err := mergeDim(out[k], v.Shape[k])
			if err != nil {
				return nil, fmt.Errorf("input %d %s differs from the others on axis %d: %w", i, v.Shape, k, err)
			}
			out[k] = d
		}
	}
	return one(ranked(in[0].DType, out)), nil
}

func (c *inferer) concatSym(n *Node) {
	if len(n.Outputs) == 0 {
		return
	}
	var out []symInt
	for _, name := range n.Inputs {
		v, ok := c.sym[name]
		if !ok {
			return
		}
		out = append(out, v...)
	}
	if len(out) <= maxSymLen {
		c.sym[n.Outputs[0]] = out
	}
}

func inferSqueeze(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, given, ok, err := c.axesOf(n, 1, 13)
	if err != nil {
		return nil, err
	}
	if !ok || !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	drop := make([]bool, r)
	if given {
		for _, a := range axes {
			k, err := normAxis(a, r, "axis")
			if err != nil {
				return nil, err
			}
			if d := x.Shape[k]; d.Known() && d.Value != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of %s: size %d", a, x.Shape, d.Value)
			}
			drop[k] = true
		}
	} else {
		for k, d := range x.Shape {
			if !d.Known() {
				return one(ValueInfo{DType: x.DType}), nil
			}
			drop[k] = d.Value == 1
		}
	}
	out := Shape{}
	for k, d := range x.Shape {
		if !drop[k] {
			out = append(out, d)
		}
	}
	if v, ok := c.sym[n.Inputs[0]]; ok && len(n.Outputs) > 0 {
		c.sym[n.Outputs[0]] = v
	}
	return one(ranked(x.DType, out)), nil
}

func inferUnsqueeze(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axes, given, ok, err := c.axesOf(n, 1, 13)
	if err != nil {
		return nil, err
	}
	if ok && !given {
		return nil, errors.New("axes are required")
	}
	if !ok || !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		k, err := normAxis(a, r, "axis")
		if err != nil {
			return nil, err
		}
		if ins[k] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, k)
		}
		ins[k] = true
	}
	out := make(Shape, 0, r)
	j := 0
	for k := 0; k < r; k++ {
		if ins[k] {
			out = append(out, knownDim(1))
		} else {
			out = append(out, x.Shape[j])
			j++
		}
	}
	if v, ok := c.sym[n.Inputs[0]]; ok && len(n.Outputs) > 0 {
		c.sym[n.Outputs[0]] = v
	}
	return one(ranked(x.DType, out)), nil
}

func inferShape(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return one(ranked(ops.Int64, Shape{unknownDim})), nil
	}
	start, err := n.Int("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := n.Int("end", math.MaxInt64)
	if err != nil {
		return nil, err
	}
	r := int64(len(x.Shape))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	s, e := clamp(start), clamp(end)
	if e < s {
		e = s
	}
	vals := make([]symInt, 0, e-s)
	for _, d := range x.Shape[s:e] {
		vals = append(vals, symOfDim(d))
	}
	if len(n.Outputs) > 0 {
		c.sym[n.Outputs[0]] = vals
	}
	return one(ranked(ops.Int64, Shape{knownDim(e - s)})), nil
}

func inferSize(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	if x := in[0]; rankKnown(x) && len(n.Outputs) > 0 {
		if p := productDim(x.Shape); p.Known() || p.Param != "" {
			c.sym[n.Outputs[0]] = []symInt{symOfDim(p)}
		}
	}
	return one(ranked(ops.Int64, Shape{})), nil
}

func inferGather(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	data, idx := in[0], in[1]
	axis, err := n.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	if !rankKnown(data) || !rankKnown(idx) {
		return one(ValueInfo{DType: data.DType}), nil
	}
	r := len(data.Shape)
	if r == 0 {
		return nil, errors.New("cannot gather from a scalar")
	}
	a, err := normAxis(axis, r, "axis")
	if err != nil {
		return nil, err
	}
	out := append(append(append(Shape{}, data.Shape[:a]...), idx.Shape...), data.Shape[a+1:]...)
	// Track values: picking dimensions out of a Shape output.
	if vals, ok := c.sym[n.Inputs[0]]; ok && r == 1 && len(n.Outputs) > 0 {
		if ix, ok := c.sym[n.Inputs[1]]; ok {
			picked := make([]symInt, 0, len(ix))
			for _, i := range ix {
				if !i.Lit {
					return one(ranked(data.DType, out)), nil
				}
				k := i.Val
				if k < 0 {
					k += int64(len(vals))
				}
				if k < 0 || k >= int64(len(vals)) {
					return nil, fmt.Errorf("index %d is out of range for axis of size %d", i.Val, len(vals))
				}
				picked = append(picked, vals[k])
			}
			c.sym[n.Outputs[0]] = picked
		}
	}
	return one(ranked(data.DType, out)), nil
}

func inferSlice(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	var starts, ends, axes, steps []int64
	ok := true
	if c.opset < 10 {
		var err error
		if starts, err = n.Ints("starts", nil); err != nil {
			return nil, err
		}
		if ends, err = n.Ints("ends", nil); err != nil {
			return nil, err
		}
		if axes, err = n.Ints("axes", nil); err != nil {
			return nil, err
		}
	} else {
		// An absent optional input is nil; a present one must be constant.
		lit := func(i int) []int64 {
			if i >= len(n.Inputs) || n.Inputs[i] == "" {
				return nil
			}
			v, found := c.intsOf(n, i)
			ok = ok && found
			return v
		}
		starts, ends, axes, steps = lit(1), lit(2), lit(3), lit(4)
	}
	if !ok || starts == nil || ends == nil {
		return one(rankOnly(x.DType, int64(r))), nil
	}
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	out := append(Shape(nil), x.Shape...)
	type span struct{ start, end, step int64 }
	spans := make(map[int]span, len(starts))
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		k, err := normAxis(ax, r, "axis")
		if err != nil {
			return nil, err
		}
		if _, dup := spans[k]; dup {
			return nil, fmt.Errorf("axis %d is sliced twice", k)
		}
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, errors.New("slice step is 0")
		}
		spans[k] = span{starts[i], ends[i], step}
		d := x.Shape[k]
		if !d.Known() {
			if step == 1 && starts[i] == 0 && ends[i] >= math.MaxInt32 {
				continue // the whole axis: keeps its symbol
			}
			out[k] = unknownDim
			continue
		}
		out[k] = knownDim(sliceLen(d.Value, starts[i], ends[i], step))
	}
	if vals, found := c.sym[n.Inputs[0]]; found && r == 1 && len(n.Outputs) > 0 {
		if sp, ok := spans[0]; ok {
			l := int64(len(vals))
			s, _ := sliceBounds(l, sp.start, sp.end, sp.step)
			count := sliceLen(l, sp.start, sp.end, sp.step)
			picked := make([]symInt, 0, count)
			for k := int64(0); k < count; k++ {
				// k*step stays within [-l, l]: count bounds it.
				picked = append(picked, vals[s+k*sp.step])
			}
			c.sym[n.Outputs[0]] = picked
		} else {
			c.sym[n.Outputs[0]] = vals
		}
	}
	return one(ranked(x.DType, out)), nil
}

// sliceBounds clamps start and end as ONNX Slice does for an axis of size d.
func sliceBounds(d, start, end, step int64) (int64, int64) {
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	if step > 0 {
		start = min(max(start, 0), d)
		end = min(max(end, 0), d)
	} else {
		start = min(max(start, 0), d-1)
		end = min(max(end, -1), d-1)
	}
	return start, end
}

// sliceLen is the number of elements Slice takes from an axis of size d;
// it cannot overflow for any int64 start, end and non-zero step.
func sliceLen(d, start, end, step int64) int64 {
	s, e := sliceBounds(d, start, end, step)
	if step > 0 {
		if e <= s {
			return 0
		}
		return 1 + (e-s-1)/step
	}
	if e >= s {
		return 0
	}
	if step == math.MinInt64 {
		return 1
	}
	return 1 + (s-e-1)/(-step)
}

func inferReduce(c *inferer, n *Node, in []ValueInfo) ([]ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	keep, err := n.Int("keepdims", 1)
	if err != nil {
		return nil, err
	}
	noopEmpty, err := n.Int("noop_with_empty_axes", 0)
	if err != nil {
		return nil, err
	}
	since := int64(18)
	if n.OpType == "ReduceSum" {
		since = 13
	}
	axes, given, ok, err := c.axesOf(n, 1, since)
	if err != nil {
		return nil, err
	}
	if !ok || !rankKnown(x) {
		return one(ValueInfo{DType: x.DType}), nil
	}
	r := len(x.Shape)
	red := make([]bool, r)
	if !given || len(axes) == 0 {
		if noopEmpty != 0 {
			return one(ranked(x.DType, append(Shape(nil), x.Shape...))), nil
		}
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		k, err := normAxis(a, r, "axis")
		if err != nil {
			return nil, err
		}
		red[k] = true
	}
	out := Shape{}
	for i, d := range x.Shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep != 0:
			out = append(out, knownDim(1))
		}
	}
	return one(ranked(x.DType, out)), nil
}
