package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
)

// fakeEval implements, by hand and only for int64/float32 vectors, the few
// operators the folding tests use. It records which nodes it evaluated.
type fakeEval struct{ calls []string }

func (f *fakeEval) eval(n *Node, in []*ops.Tensor) ([]*ops.Tensor, error) {
	f.calls = append(f.calls, n.OpType)
	switch n.OpType {
	case "Add":
		a, b := in[0], in[1]
		if !ops.SameShape(a.Shape, b.Shape) {
			return nil, fmt.Errorf("fake Add needs equal shapes")
		}
		switch a.DType {
		case ops.Float32:
			out := make([]float32, a.Len())
			for i := range out {
				out[i] = a.F32()[i] + b.F32()[i]
			}
			return []*ops.Tensor{ops.FromFloat32(a.Shape, out)}, nil
		case ops.Int64:
			out := make([]int64, a.Len())
			for i := range out {
				out[i] = a.I64()[i] + b.I64()[i]
			}
			return []*ops.Tensor{ops.FromInt64(a.Shape, out)}, nil
		}
	case "Gather": // 1-D data, scalar index, axis 0
		idx := in[1].I64()[0]
		return []*ops.Tensor{ops.FromInt64(nil, []int64{in[0].I64()[idx]})}, nil
	case "Unsqueeze": // scalar → [1]
		return []*ops.Tensor{ops.FromInt64([]int{1}, []int64{in[0].I64()[0]})}, nil
	case "Concat": // 1-D int64
		var out []int64
		for _, t := range in {
			out = append(out, t.I64()...)
		}
		return []*ops.Tensor{ops.FromInt64([]int{len(out)}, out)}, nil
	case "Fail":
		return nil, errors.New("kernel exploded")
	case "Decline":
		return nil, nil
	case "NoOutput":
		return []*ops.Tensor{nil}, nil
	}
	return nil, fmt.Errorf("fake eval has no %s", n.OpType)
}

// flattenChain is the PyTorch x.view(x.size(0), -1) pattern.
func flattenChain(batch any) *Model {
	inits := map[string]*ops.Tensor{"zero": ops.FromInt64(nil, []int64{0}), "minus1": i64(-1)}
	m := model(13, []ValueInfo{tvi("x", ops.Float32, batch, 4, 2, 2)}, inits,
		op("Shape", []string{"x"}, []string{"s"}),
		op("Constant", nil, []string{"ax"}, aTensor("value", i64(0))),
		op("Gather", []string{"s", "zero"}, []string{"b"}, aInt("axis", 0)),
		op("Unsqueeze", []string{"b", "ax"}, []string{"bu"}),
		op("Concat", []string{"bu", "minus1"}, []string{"shape"}, aInt("axis", 0)),
		op("Reshape", []string{"x", "shape"}, []string{"y"}),
	)
	return m
}

func TestFoldStaticReshapeChain(t *testing.T) {
	m := flattenChain(3)
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	f := &fakeEval{}
	n, err := FoldConstants(m.Graph, f.eval)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("folded %d nodes, want 5 (Shape, Constant, Gather, Unsqueeze, Concat)", n)
	}
	g := m.Graph
	if len(g.Nodes) != 1 || g.Nodes[0].OpType != "Reshape" {
		t.Fatalf("nodes left: %s", names(g.Nodes))
	}
	shape := g.Initializers["shape"]
	if shape == nil || fmt.Sprint(shape.I64()) != "[3 -1]" || !ops.SameShape(shape.Shape, []int{2}) {
		t.Fatalf("shape initializer %v", shape)
	}
	// Shape and Constant are folded without eval; the rest with it.
	if strings.Join(f.calls, ",") != "Gather,Unsqueeze,Concat" {
		t.Errorf("eval calls %v", f.calls)
	}
	// Intermediate constants nobody reads any more are gone.
	for _, gone := range []string{"zero", "minus1", "s", "ax", "b", "bu"} {
		if _, ok := g.Initializers[gone]; ok {
			t.Errorf("initializer %s left behind", gone)
		}
	}
	if len(g.InitOrder) != 1 || g.InitOrder[0] != "shape" {
		t.Errorf("InitOrder %v", g.InitOrder)
	}
	if vi := g.ValueInfo["shape"]; vi.DType != ops.Int64 || vi.Shape.String() != "[2]" {
		t.Errorf("value info of shape %+v", vi)
	}
	if err := g.Validate(); err != nil {
		t.Errorf("folded graph invalid: %v", err)
	}
	// The folded model still encodes and decodes.
	if _, err := Encode(m); err != nil {
		t.Fatal(err)
	}
}

func TestFoldKeepsSymbolicChain(t *testing.T) {
	m := flattenChain("batch")
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	f := &fakeEval{}
	n, err := FoldConstants(m.Graph, f.eval)
	if err != nil {
		t.Fatal(err)
	}
	// Only the Constant node folds: Shape of [batch,4,2,2] is not static.
	if n != 1 || len(f.calls) != 0 {
		t.Errorf("folded %d nodes, eval calls %v", n, f.calls)
	}
	if len(m.Graph.Nodes) != 5 {
		t.Errorf("nodes left %d", len(m.Graph.Nodes))
	}
	if _, ok := m.Graph.Initializers["zero"]; !ok {
		t.Error("initializer zero (still used) was removed")
	}
}

func TestFoldFixedPointAndLimits(t *testing.T) {
	one := ops.FromFloat32([]int{2}, []float32{1, 2})
	inits := map[string]*ops.Tensor{"a": one, "b": ops.FromFloat32([]int{2}, []float32{10, 20}), "over": one}
	// Listed out of order: a2 needs a1's output.
	m := model(13, []ValueInfo{tvi("x", ops.Float32, 2)}, inits,
		op("Add", []string{"a1", "b"}, []string{"a2"}),
		op("Add", []string{"a", "b"}, []string{"a1"}),
		op("Add", []string{"a2", "x"}, []string{"dyn"}),
		op("RandomUniformLike", []string{"a"}, []string{"rnd"}),
		op("Add", []string{"over", "a"}, []string{"ov"}),
		op("Add", []string{"dyn", "ov"}, []string{"y"}),
	)
	m.Graph.OverridableInits = []ValueInfo{tvi("over", ops.Float32, 2)}
	m.Graph.Outputs = append(m.Graph.Outputs, ValueInfo{Name: "rnd"})
	f := &fakeEval{}
	n, err := FoldConstants(m.Graph, f.eval)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("folded %d, want 2 (the two constant Adds)", n)
	}
	if got := fmt.Sprint(m.Graph.Initializers["a2"].F32()); got != "[21 42]" {
		t.Errorf("a2 = %s, want [21 42]", got)
	}
	for _, left := range []string{"dyn", "rnd", "ov", "y"} {
		found := false
		for _, nd := range m.Graph.Nodes {
			if nd.Outputs[0] == left {
				found = true
			}
		}
		if !found {
			t.Errorf("node producing %s was folded", left)
		}
	}
	if _, ok := m.Graph.Initializers["over"]; !ok {
		t.Error("overridable initializer removed")
	}
	if _, ok := m.Graph.Initializers["a1"]; ok {
		t.Error("a1 is only read by a folded node and should be pruned")
	}
	// "a" is still read by RandomUniformLike and "over"'s Add.
	if _, ok := m.Graph.Initializers["a"]; !ok {
		t.Error("initializer a removed while still used")
	}
}

func TestFoldErrors(t *testing.T) {
	inits := map[string]*ops.Tensor{"a": i64(1)}
	m := model(13, nil, inits, op("Fail", []string{"a"}, []string{"y"}))
	_, err := FoldConstants(m.Graph, (&fakeEval{}).eval)
	wantErr(t, err, "fold constants", "node Fail -> y", "kernel exploded")

	m = model(13, nil, inits, op("NoOutput", []string{"a"}, []string{"y"}))
	_, err = FoldConstants(m.Graph, (&fakeEval{}).eval)
	wantErr(t, err, "node NoOutput -> y", "no tensor for output 0 (y)")

	// Declining keeps the node.
	m = model(13, nil, inits, op("Decline", []string{"a"}, []string{"y"}))
	if n, err := FoldConstants(m.Graph, (&fakeEval{}).eval); err != nil || n != 0 || len(m.Graph.Nodes) != 1 {
		t.Errorf("declined node: folded %d, err %v, %d nodes left", n, err, len(m.Graph.Nodes))
	}

	_, err = FoldConstants(&Graph{Nodes: []*Node{nil}}, (&fakeEval{}).eval)
	wantErr(t, err, "fold constants", "node 0 is nil")
	wantErr(t, InferShapes(&Model{Graph: &Graph{Nodes: []*Node{nil}}}), "shape inference", "node 0 is nil")

	_, err = FoldConstants(m.Graph, nil)
	wantErr(t, err, "nil eval")
	_, err = FoldConstants(nil, (&fakeEval{}).eval)
	wantErr(t, err, "nil graph")

	// Subgraph nodes and other domains are left alone even with constant inputs.
	m = model(13, nil, map[string]*ops.Tensor{"c": ops.FromBool(nil, []bool{true})},
		&Node{OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*Attr{
			"then_branch": {Name: "then_branch", Type: AttrGraph, G: &Graph{Outputs: []ValueInfo{{Name: "c"}}}},
			"else_branch": {Name: "else_branch", Type: AttrGraph, G: &Graph{Outputs: []ValueInfo{{Name: "c"}}}},
		}},
		&Node{OpType: "Fail", Domain: "custom", Inputs: []string{"c"}, Outputs: []string{"z"}, Attrs: map[string]*Attr{}},
	)
	if n, err := FoldConstants(m.Graph, (&fakeEval{}).eval); err != nil || n != 0 {
		t.Errorf("folded %d, err %v", n, err)
	}
}
