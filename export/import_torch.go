package export

import (
	"fmt"
	"strings"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/models"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/trainer"
)

// ImportFile reads a model.onnx to continue training it. A model written by
// latent (it carries latent.kind metadata) goes through Import and returns
// its metadata; any other model must be a plain dense autoencoder as
// PyTorch's exporters or skl2onnx write it (see FromMLP) and returns nil
// metadata.
func ImportFile(path string) (*trainer.Model, *metadata.Metadata, error) {
	gm, err := graph.DecodeFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	if _, ok := gm.MetadataValue(metadata.KeyKind); ok {
		m, md, err := FromGraph(gm)
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", path, err)
		}
		return m, md, nil
	}
	m, err := FromMLP(gm)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	return m, nil, nil
}

// FromMLP rebuilds a trainer model from a dense autoencoder written by
// another framework. The graph must be one chain from its single rank-2
// float input to its single output of the same width, made of linear layers
//
//	Gemm(x, W, b)          transA = 0, transB = 1 (W is [out,in]) or 0 ([in,out])
//	MatMul(x, W) [+ Add b] W is [in,out]; the bias may be on either side
//
// each optionally followed by one activation (Relu, LeakyRelu, Sigmoid,
// Tanh, Elu, Selu with ONNX's default constants, Softplus). Identity and
// Dropout nodes are skipped; W may also be Transpose(initializer). The
// layer widths must mirror around the narrowest one (the code), hidden
// layers of encoder and decoder must share one activation, and the model
// becomes an undercomplete (one layer each side) or deep spec with MSE
// loss, no input scaling and the graph's weights.
func FromMLP(gm *graph.Model) (*trainer.Model, error) {
	g := gm.Graph
	if g == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	var ins []graph.ValueInfo
	for _, vi := range g.Inputs {
		if _, isInit := g.Initializers[vi.Name]; !isInit {
			ins = append(ins, vi)
		}
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("graph inputs %v: a dense autoencoder has exactly one data input", valueNames(ins))
	}
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("graph outputs %v: a dense autoencoder has exactly one output (VAEs and multi-output models cannot be fine-tuned yet)", valueNames(g.Outputs))
	}
	in := ins[0]
	if in.DType != ops.Float32 {
		return nil, fmt.Errorf("input %q is %s, want float32", in.Name, in.DType)
	}
	if len(in.Shape) != 2 || !in.Shape[1].Known() || in.Shape[1].Value <= 0 {
		return nil, fmt.Errorf("input %q has shape %s, want [batch, features] with a fixed feature count", in.Name, in.Shape)
	}
	w := mlpWalker{g: g, consumers: map[string][]*graph.Node{}}
	for _, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("graph has a nil node")
		}
		for _, x := range n.Inputs {
			if cs := w.consumers[x]; x != "" && (len(cs) == 0 || cs[len(cs)-1] != n) {
				w.consumers[x] = append(cs, n)
			}
		}
	}
	layers, err := w.walk(in.Name, int(in.Shape[1].Value), g.Outputs[0].Name)
	if err != nil {
		return nil, err
	}
	spec, err := mlpSpec(layers)
	if err != nil {
		return nil, err
	}
	m, err := trainer.NewModel(spec, 0)
	if err != nil {
		return nil, fmt.Errorf("model from graph: %w", err)
	}
	L := len(layers) / 2
	params := map[string]*trainer.Param{}
	for _, p := range m.Params() {
		params[p.Name] = p
	}
	for i, l := range layers {
		prefix := fmt.Sprintf("enc%d", i)
		if i >= L {
			prefix = fmt.Sprintf("dec%d", i-L)
		}
		pw, pb := params[prefix+".W"], params[prefix+".b"]
		if pw == nil || pb == nil || len(pw.Data) != len(l.w) || len(pb.Data) != len(l.b) {
			return nil, fmt.Errorf("layer %d (%s): the %s spec has no parameters of shape [%d,%d]", i, l.label, spec.Kind, l.out, l.in)
		}
		copy(pw.Data, l.w)
		copy(pb.Data, l.b)
	}
	return m, nil
}

// mlpLayer is one recognised linear layer: y = act(x·Wᵀ + b), w [out,in].
type mlpLayer struct {
	in, out int
	w, b    []float32
	act     models.Activation
	alpha   float64
	label   string // the node that holds the weights, for errors
}

type mlpWalker struct {
	g         *graph.Graph
	consumers map[string][]*graph.Node
	width     int // features of the value being followed
}

// next returns the single node reading value v.
func (w *mlpWalker) next(v string) (*graph.Node, error) {
	cs := w.consumers[v]
	if len(cs) != 1 {
		labels := make([]string, len(cs))
		for i, n := range cs {
			labels[i] = n.Label()
		}
		return nil, fmt.Errorf("value %q is read by %d nodes %v: a dense autoencoder is a single chain", v, len(cs), labels)
	}
	if len(cs[0].Outputs) == 0 || cs[0].Outputs[0] == "" {
		return nil, fmt.Errorf("%s has no output", cs[0].Label())
	}
	return cs[0], nil
}

// skip follows Identity and Dropout nodes from v.
func (w *mlpWalker) skip(v, out string) (string, error) {
	for v != out {
		n, err := w.next(v)
		if err != nil {
			return "", err
		}
		if (n.Domain != "" && n.Domain != "ai.onnx") || !w.passThrough(n, v) {
			return v, nil
		}
		if n.OpType == "Dropout" && len(n.Outputs) > 1 && n.Outputs[1] != "" && len(w.consumers[n.Outputs[1]]) > 0 {
			return "", fmt.Errorf("%s: its mask output is used", n.Label())
		}
		v = n.Outputs[0]
	}
	return v, nil
}

// passThrough reports whether n leaves the rows of v unchanged: Identity,
// Dropout (inference), Cast to float32 (skl2onnx's first node) and Reshape
// to [-1 or 0, width] of the current width (skl2onnx's last node).
func (w *mlpWalker) passThrough(n *graph.Node, v string) bool {
	if len(n.Inputs) == 0 || n.Inputs[0] != v || len(n.Outputs) == 0 {
		return false
	}
	switch n.OpType {
	case "Identity", "Dropout":
		return true
	case "Cast":
		to, err := n.Int("to", 0)
		return err == nil && to == int64(graph.ElemTypeOf(ops.Float32))
	case "Reshape":
		if len(n.Inputs) != 2 {
			return false
		}
		t, ok := w.g.Initializers[n.Inputs[1]]
		if !ok || t.DType != ops.Int64 || t.Len() != 2 {
			return false
		}
		sh := t.I64()
		return (sh[0] == -1 || sh[0] == 0) && sh[1] == int64(w.width)
	}
	return false
}

func (w *mlpWalker) walk(v string, width int, out string) ([]mlpLayer, error) {
	var layers []mlpLayer
	for {
		w.width = width
		var err error
		if v, err = w.skip(v, out); err != nil {
			return nil, err
		}
		if v == out {
			break
		}
		n, err := w.next(v)
		if err != nil {
			return nil, err
		}
		var l mlpLayer
		switch {
		case n.Domain != "" && n.Domain != "ai.onnx":
			return nil, fmt.Errorf("%s: operator of domain %q is not part of a dense autoencoder", n.Label(), n.Domain)
		case n.OpType == "Gemm":
			l, v, err = w.gemm(n, v, width)
		case n.OpType == "MatMul":
			l, v, err = w.matMul(n, v, width, out)
		default:
			return nil, fmt.Errorf("%s: expected a linear layer (Gemm, or MatMul with an Add) after %d layer(s), got %s", n.Label(), len(layers), n.OpType)
		}
		if err != nil {
			return nil, err
		}
		if v, err = w.skip(v, out); err != nil {
			return nil, err
		}
		l.act = models.Identity
		if v != out {
			a, err := w.next(v)
			if err != nil {
				return nil, err
			}
			if act, alpha, ok, err := mlpActivation(a); err != nil {
				return nil, err
			} else if ok {
				l.act, l.alpha, v = act, alpha, a.Outputs[0]
			}
		}
		layers = append(layers, l)
		width = l.out
		w.width = width
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("input reaches the output without a linear layer")
	}
	return layers, nil
}

// constant returns the float32 initializer (or Constant/Transpose of one) named v.
func (w *mlpWalker) constant(v string) (*ops.Tensor, bool) {
	// An initializer that is also a graph input (older exporters' default)
	// counts too: its stored value is the trained weight.
	if t, ok := w.g.Initializers[v]; ok {
		return t, t != nil && t.DType == ops.Float32
	}
	for _, n := range w.g.Nodes {
		if n == nil || len(n.Outputs) == 0 || n.Outputs[0] != v {
			continue
		}
		switch {
		case n.OpType == "Constant" && n.Has("value"):
			t, err := n.Tensor("value")
			return t, err == nil && t.DType == ops.Float32
		case n.OpType == "Transpose" && len(n.Inputs) == 1:
			t, ok := w.constant(n.Inputs[0])
			if !ok || len(t.Shape) != 2 {
				return nil, false
			}
			perm, err := n.Ints("perm", []int64{1, 0})
			if err != nil || len(perm) != 2 || perm[0] != 1 || perm[1] != 0 {
				return nil, false
			}
			r, c := t.Shape[0], t.Shape[1]
			return ops.FromFloat32([]int{c, r}, transposeF32(t.F32(), r, c)), true
		}
		return nil, false
	}
	return nil, false
}

// transposeF32 returns the cols×rows transpose of the row-major rows×cols a.
func transposeF32(a []float32, rows, cols int) []float32 {
	out := make([]float32, len(a))
	ops.Transpose(out, a, []int{rows, cols}, []int{1, 0})
	return out
}

func (w *mlpWalker) gemm(n *graph.Node, x string, width int) (mlpLayer, string, error) {
	l := mlpLayer{in: width, label: n.Label()}
	if len(n.Inputs) < 2 || n.Inputs[0] != x {
		return l, "", fmt.Errorf("%s: the data must be Gemm's first input (A)", n.Label())
	}
	transA, err := n.Int("transA", 0)
	if err != nil {
		return l, "", err
	}
	transB, err := n.Int("transB", 0)
	if err != nil {
		return l, "", err
	}
	alpha, err := n.Float("alpha", 1)
	if err != nil {
		return l, "", err
	}
	beta, err := n.Float("beta", 1)
	if err != nil {
		return l, "", err
	}
	if transA != 0 {
		return l, "", fmt.Errorf("%s: transA = %d, want 0 (rows are samples)", n.Label(), transA)
	}
	wt, ok := w.constant(n.Inputs[1])
	if !ok || len(wt.Shape) != 2 {
		return l, "", fmt.Errorf("%s: weight %q is not a constant float32 matrix", n.Label(), n.Inputs[1])
	}
	if transB != 0 {
		if wt.Shape[1] != width {
			return l, "", fmt.Errorf("%s: weight %q has shape %v, want [out,%d] (transB=1)", n.Label(), n.Inputs[1], wt.Shape, width)
		}
		l.out = wt.Shape[0]
		l.w = append([]float32(nil), wt.F32()...)
	} else {
		if wt.Shape[0] != width {
			return l, "", fmt.Errorf("%s: weight %q has shape %v, want [%d,out] (transB=0)", n.Label(), n.Inputs[1], wt.Shape, width)
		}
		l.out = wt.Shape[1]
		l.w = transposeF32(wt.F32(), wt.Shape[0], wt.Shape[1])
	}
	if alpha != 1 {
		for i := range l.w {
			l.w[i] *= alpha
		}
	}
	l.b = make([]float32, l.out)
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bt, ok := w.constant(n.Inputs[2])
		if !ok {
			return l, "", fmt.Errorf("%s: bias %q is not a constant float32 tensor", n.Label(), n.Inputs[2])
		}
		if err := fillBias(l.b, bt, beta); err != nil {
			return l, "", fmt.Errorf("%s: bias %q: %w", n.Label(), n.Inputs[2], err)
		}
	}
	return l, n.Outputs[0], nil
}

func (w *mlpWalker) matMul(n *graph.Node, x string, width int, out string) (mlpLayer, string, error) {
	l := mlpLayer{in: width, label: n.Label()}
	if len(n.Inputs) != 2 || n.Inputs[0] != x {
		return l, "", fmt.Errorf("%s: the data must be MatMul's first input", n.Label())
	}
	wt, ok := w.constant(n.Inputs[1])
	if !ok || len(wt.Shape) != 2 || wt.Shape[0] != width {
		return l, "", fmt.Errorf("%s: weight %q must be a constant float32 [%d,out] matrix", n.Label(), n.Inputs[1], width)
	}
	l.out = wt.Shape[1]
	l.w = transposeF32(wt.F32(), wt.Shape[0], wt.Shape[1])
	l.b = make([]float32, l.out)
	v := n.Outputs[0]
	if v == out {
		return l, v, nil
	}
	a, err := w.next(v)
	if err != nil {
		return l, "", err
	}
	if a.OpType != "Add" || len(a.Inputs) != 2 {
		return l, v, nil // no bias
	}
	other := a.Inputs[1]
	if other == v {
		other = a.Inputs[0]
	}
	bt, ok := w.constant(other)
	if !ok {
		return l, "", fmt.Errorf("%s: bias %q is not a constant float32 tensor", a.Label(), other)
	}
	if err := fillBias(l.b, bt, 1); err != nil {
		return l, "", fmt.Errorf("%s: bias %q: %w", a.Label(), other, err)
	}
	return l, a.Outputs[0], nil
}

// fillBias writes beta·t into b, broadcasting a scalar or accepting [out]
// and [1,out] shapes.
func fillBias(b []float32, t *ops.Tensor, beta float32) error {
	v := t.F32()
	switch {
	case len(v) == 1:
		for i := range b {
			b[i] = beta * v[0]
		}
	case len(v) == len(b) && (len(t.Shape) == 1 || (len(t.Shape) == 2 && t.Shape[0] == 1)):
		for i := range b {
			b[i] = beta * v[i]
		}
	default:
		return fmt.Errorf("shape %v does not broadcast to one value per output [%d]", t.Shape, len(b))
	}
	return nil
}

// mlpActivation recognises an activation node through the exporter's
// activation table read backwards; ok is false for any other operator (the
// layer then has no activation).
func mlpActivation(n *graph.Node) (act models.Activation, alpha float64, ok bool, err error) {
	a, ok, err := layerAct(n)
	if !ok || err != nil {
		return "", 0, false, err
	}
	act, ok = trainer.SpecActivation(a.Fn)
	if !ok {
		return "", 0, false, fmt.Errorf("%s: activation %s has no model-spec name", n.Label(), n.OpType)
	}
	return act, float64(a.Alpha), true, nil
}

// mlpSpec turns recognised layers into an undercomplete or deep spec.
func mlpSpec(layers []mlpLayer) (models.Spec, error) {
	n := len(layers)
	sizes := []int{layers[0].in}
	for _, l := range layers {
		sizes = append(sizes, l.out)
	}
	if n%2 != 0 {
		return models.Spec{}, fmt.Errorf("%d linear layers (widths %v): an autoencoder needs as many decoder as encoder layers", n, sizes)
	}
	for i := range sizes {
		if sizes[i] != sizes[n-i] {
			return models.Spec{}, fmt.Errorf("layer widths %v are not mirrored around the code layer (%d)", sizes, sizes[n/2])
		}
	}
	L := n / 2
	var hidden []int
	if L > 1 {
		hidden = append(hidden, sizes[1:L]...)
	}
	kind := models.Undercomplete
	if len(hidden) > 0 {
		kind = models.Deep
	}
	spec, err := models.New(kind, sizes[0], hidden, sizes[L])
	if err != nil {
		return models.Spec{}, err
	}
	spec.CodeActivation = layers[L-1].act
	spec.OutputActivation = layers[n-1].act
	spec.Loss = models.MSE
	spec.Tied = false
	var alphas []string
	alpha := 0.0
	setAlpha := func(l mlpLayer) error {
		if l.act != models.LeakyRelu && l.act != models.Elu {
			return nil
		}
		alphas = append(alphas, fmt.Sprintf("%s %s=%g", l.label, l.act, l.alpha))
		if alpha != 0 && alpha != l.alpha {
			return fmt.Errorf("activations use different parameters (%s); latent has one alpha per model", strings.Join(alphas, ", "))
		}
		alpha = l.alpha
		return nil
	}
	hiddenAct := models.Activation("")
	for i, l := range layers {
		if err := setAlpha(l); err != nil {
			return models.Spec{}, err
		}
		if i == L-1 || i == n-1 {
			continue
		}
		if hiddenAct == "" {
			hiddenAct = l.act
		} else if l.act != hiddenAct {
			return models.Spec{}, fmt.Errorf("%s: hidden activation %s differs from %s used by the earlier hidden layers (latent has one hidden activation)", l.label, l.act, hiddenAct)
		}
	}
	if hiddenAct != "" {
		spec.Activation = hiddenAct
	}
	spec.Alpha = alpha
	if err := spec.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("spec from graph (widths %v): %w", sizes, err)
	}
	return spec, nil
}
