package passes

import (
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// FoldAffine folds constant per-feature scaling into dense layers or one
// Affine pass; see foldAffine.
var FoldAffine = Pass{
	Name: "fold-affine",
	Doc:  "constant input scaling folded into the first Gemm, output scaling into one Affine node",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return foldAffine(m, g), nil
	},
}

// foldAffine returns a copy of g with constant per-feature scaling removed
// from around dense layers, the shape exporters give in-graph input
// scaling:
//
//	x → Sub(x, c) → Mul(·, m) | Div(·, s) → Gemm(·, W, b)   Gemm(x, W', b')
//	y → Mul(y, m) | Div(y, s) → Add(·, c)                    Affine(y, m|s, c)
//
// On the input side (either of Sub and Mul/Div may be absent) the scaling
// is folded into the weights, W'[o,i] = W[o,i]·m[i] (m = 1/s for Div) and
// b'[o] = b[o] − Σ_i W'[o,i]·c[i], computed in float64; the result equals
// the unfused graph within float32 rounding. It folds only when the Gemm
// has transA = 0, transB = 1, alpha = beta = 1 and constant float32 W
// ([O,K]) and b ([O] or absent); c, m and s are constant float32 tensors
// that vary along the feature axis only ([], [1], [K], or [1,K] when x is
// known to be 2-D); s holds no zero and everything is finite; and each
// intermediate value is read only by the next node and is not a graph
// output. On the output side the two nodes become one latent.native Affine
// node (one pass instead of two; a constant divisor becomes a multiply by
// its reciprocal, within float32 rounding of the quotient). Only opset ≥ 7 graphs
// (numpy broadcasting) are rewritten. g is not modified.
func foldAffine(m *graph.Model, g *graph.Graph) *graph.Graph {
	opset, ok := operators.ImportedVersion(m, "")
	if !ok || opset < 7 {
		return g
	}
	a := newAffineScan(g)
	ng := copyGraphForInits(g)
	removed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{}
	for _, n := range g.Nodes {
		if f := a.foldGemmInput(ng, n, removed); f != nil {
			replace[n] = f
		}
	}
	for _, n := range g.Nodes {
		if removed[n] || replace[n] != nil {
			continue
		}
		if f := a.fuseOutput(ng, n, removed); f != nil {
			replace[n] = f
		}
	}
	if len(replace) == 0 {
		return g
	}
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		switch {
		case removed[n]:
		case replace[n] != nil:
			ng.Nodes = append(ng.Nodes, replace[n])
		default:
			ng.Nodes = append(ng.Nodes, n)
		}
	}
	return ng
}

// affineScan is what FoldAffine knows about g: readers per value (graph
// outputs and subgraph reads count twice), producers and constants.
type affineScan struct {
	g           *graph.Graph
	reads       map[string]int
	producer    map[string]*graph.Node
	overridable map[string]bool
}

func newAffineScan(g *graph.Graph) *affineScan {
	a := &affineScan{g: g, reads: map[string]int{}, producer: map[string]*graph.Node{}, overridable: map[string]bool{}}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			a.reads[in]++
		}
		if n.HasSubgraph() {
			for _, in := range n.NodeInputs() {
				a.reads[in] += 2
			}
		}
		for _, o := range n.Outputs {
			if o != "" {
				a.producer[o] = n
			}
		}
	}
	for _, o := range g.Outputs {
		a.reads[o.Name] += 2
	}
	for _, vi := range g.OverridableInits {
		a.overridable[vi.Name] = true
	}
	for _, vi := range g.Inputs {
		a.overridable[vi.Name] = true
	}
	return a
}

// constF32 returns the constant float32 tensor called name, or nil.
func (a *affineScan) constF32(name string) *ops.Tensor {
	if name == "" || a.overridable[name] {
		return nil
	}
	t := a.g.Initializers[name]
	if t == nil || t.DType != ops.Float32 || t.Validate() != nil {
		return nil
	}
	return t
}

// single reports whether value name has exactly one reader and is not a
// graph output.
func (a *affineScan) single(name string) bool { return name != "" && a.reads[name] == 1 }

// defaultOp reports whether n is the ai.onnx operator op with two inputs
// and one output.
func defaultOp(n *graph.Node, op string) bool {
	return n != nil && (n.Domain == "" || n.Domain == "ai.onnx") && n.OpType == op &&
		len(n.Inputs) == 2 && len(n.Outputs) == 1 && n.Outputs[0] != ""
}

// rankOf is the known rank of value name, or -1.
func (a *affineScan) rankOf(name string) int {
	for _, vi := range a.g.Inputs {
		if vi.Name == name && vi.Shape != nil {
			return len(vi.Shape)
		}
	}
	if vi, ok := a.g.ValueInfo[name]; ok && vi.Shape != nil {
		return len(vi.Shape)
	}
	return -1
}

// featureVec widens a constant that varies along the last axis only to K
// float64 values: shapes [], [1], [K], and [1,K] or [1,1] when the data
// operand x is known to be 2-D. Non-finite values refuse the fold.
func (a *affineScan) featureVec(t *ops.Tensor, k int, x string) ([]float64, bool) {
	switch len(t.Shape) {
	case 0, 1:
	case 2:
		if t.Shape[0] != 1 || a.rankOf(x) != 2 {
			return nil, false
		}
	default:
		return nil, false
	}
	d := t.F32()
	if len(d) != 1 && len(d) != k {
		return nil, false
	}
	v := make([]float64, k)
	for i := range v {
		f := float64(d[0])
		if len(d) == k {
			f = float64(d[i])
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		v[i] = f
	}
	return v, true
}

// foldGemmInput folds the scaling feeding n's A input into its weights,
// returning the rewritten Gemm (with the new initializers added to ng) and
// marking the scaling nodes removed, or nil.
func (a *affineScan) foldGemmInput(ng *graph.Graph, n *graph.Node, removed map[*graph.Node]bool) *graph.Node {
	gemm := (n.Domain == "" || n.Domain == "ai.onnx") && n.OpType == "Gemm" ||
		n.Domain == operators.FusedDomain && n.OpType == "FusedGemm" && !n.Has("matmul")
	if !gemm || len(n.Inputs) < 2 || len(n.Inputs) > 3 || len(n.Outputs) != 1 {
		return nil
	}
	ta, e1 := n.Int("transA", 0)
	tb, e2 := n.Int("transB", 0)
	alpha, e3 := n.Float("alpha", 1)
	beta, e4 := n.Float("beta", 1)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || ta != 0 || tb != 1 || alpha != 1 || beta != 1 {
		return nil
	}
	w := a.constF32(n.Inputs[1])
	if w == nil || len(w.Shape) != 2 {
		return nil
	}
	o, k := w.Shape[0], w.Shape[1]
	var bias *ops.Tensor
	if len(n.Inputs) == 3 && n.Inputs[2] != "" {
		if bias = a.constF32(n.Inputs[2]); bias == nil || len(bias.Shape) != 1 || bias.Shape[0] != o {
			return nil
		}
	}
	var scale, offset []float64
	var drop []*graph.Node
	x := n.Inputs[0]
	if p := a.producer[x]; a.single(x) && (defaultOp(p, "Mul") || defaultOp(p, "Div")) {
		data, c := p.Inputs[0], a.constF32(p.Inputs[1])
		if c == nil && p.OpType == "Mul" {
			data, c = p.Inputs[1], a.constF32(p.Inputs[0])
		}
		if c != nil {
			if v, ok := a.featureVec(c, k, data); ok {
				if p.OpType == "Div" {
					for i := range v {
						if v[i] == 0 {
							return nil
						}
						v[i] = 1 / v[i]
					}
				}
				scale, x = v, data
				drop = append(drop, p)
			}
		}
	}
	if p := a.producer[x]; a.single(x) && defaultOp(p, "Sub") {
		if c := a.constF32(p.Inputs[1]); c != nil {
			if v, ok := a.featureVec(c, k, p.Inputs[0]); ok {
				offset, x = v, p.Inputs[0]
				drop = append(drop, p)
			}
		}
	}
	if len(drop) == 0 {
		return nil
	}
	wd := w.F32()
	nw := make([]float32, len(wd))
	nb := make([]float32, o)
	for r := range o {
		sum := 0.0
		if bias != nil {
			sum = float64(bias.F32()[r])
		}
		for i := range k {
			wv := float64(wd[r*k+i])
			if scale != nil {
				wv *= scale[i]
			}
			nw[r*k+i] = float32(wv)
			if offset != nil {
				sum -= wv * offset[i]
			}
		}
		nb[r] = float32(sum)
	}
	for _, v := range nw {
		if math.IsInf(float64(v), 0) {
			return nil
		}
	}
	wName := freshName(ng, n.Inputs[1]+"_affine")
	ng.Initializers[wName] = ops.FromFloat32([]int{o, k}, nw)
	ng.InitOrder = append(ng.InitOrder, wName)
	bName := freshName(ng, n.Outputs[0]+"_bias_affine")
	ng.Initializers[bName] = ops.FromFloat32([]int{o}, nb)
	ng.InitOrder = append(ng.InitOrder, bName)
	c := *n
	c.Inputs = []string{x, wName, bName}
	for _, p := range drop {
		removed[p] = true
	}
	return &c
}

// fuseOutput turns Add(Mul(y, m) | Div(y, s), c) with constant m|s and c
// into one Affine node, or returns nil. The Mul/Div is marked removed.
//
// A Div by a constant without zeros becomes a multiply by its reciprocal
// (computed in float64, rounded once, added to ng): a divide costs several
// multiplies, and the result stays within about one float32 rounding of
// the quotient.
func (a *affineScan) fuseOutput(ng *graph.Graph, n *graph.Node, removed map[*graph.Node]bool) *graph.Node {
	if !defaultOp(n, "Add") {
		return nil
	}
	for j, in := range n.Inputs {
		p := a.producer[in]
		if !a.single(in) || removed[p] || !(defaultOp(p, "Mul") || defaultOp(p, "Div")) {
			continue
		}
		c := n.Inputs[1-j]
		if a.constF32(c) == nil {
			continue
		}
		y, s := p.Inputs[0], p.Inputs[1]
		if a.constF32(s) == nil && p.OpType == "Mul" {
			y, s = s, y
		}
		if a.constF32(s) == nil || y == in {
			continue
		}
		removed[p] = true
		div := int64(0)
		if p.OpType == "Div" {
			div = 1
			if r := reciprocal(a.constF32(s)); r != nil {
				name := freshName(ng, s+"_reciprocal")
				ng.Initializers[name] = r
				ng.InitOrder = append(ng.InitOrder, name)
				s, div = name, 0
			}
		}
		return &graph.Node{
			Name:    n.Name,
			OpType:  "Affine",
			Domain:  operators.FusedDomain,
			Inputs:  []string{y, s, c},
			Outputs: []string{n.Outputs[0]},
			Attrs: map[string]*graph.Attr{
				"divide":     {Name: "divide", Type: graph.AttrInt, I: div},
				"scale_name": {Name: "scale_name", Type: graph.AttrString, S: []byte(p.Name)},
			},
			AttrOrder: []string{"divide", "scale_name"},
		}
	}
	return nil
}

// reciprocal returns 1/t elementwise, or nil when t holds a zero or the
// reciprocal of an element is not finite.
func reciprocal(t *ops.Tensor) *ops.Tensor {
	d := t.F32()
	r := make([]float32, len(d))
	for i, v := range d {
		q := float32(1 / float64(v))
		if v == 0 || math.IsInf(float64(q), 0) || q != q || q == 0 {
			return nil
		}
		r[i] = q
	}
	return ops.FromFloat32(append([]int(nil), t.Shape...), r)
}
