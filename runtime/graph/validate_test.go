package graph

import (
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func vi(name string) ValueInfo { return ValueInfo{Name: name, DType: ops.Float32} }

func nd(name, op string, ins, outs []string) *Node {
	return &Node{Name: name, OpType: op, Inputs: ins, Outputs: outs, Attrs: map[string]*Attr{}}
}

func names(nodes []*Node) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.Name)
	}
	return strings.Join(s, ",")
}

func TestValidateErrors(t *testing.T) {
	w := ops.FromFloat32([]int{1}, []float32{1})
	cases := []struct {
		name  string
		g     *Graph
		frags []string
	}{
		{"cycle", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("b")},
			Nodes: []*Node{
				nd("n1", "Add", []string{"x", "c"}, []string{"a"}),
				nd("n2", "Relu", []string{"a"}, []string{"b"}),
				nd("n3", "Relu", []string{"b"}, []string{"c"}),
			},
		}, []string{"cycle through node n", "n1 (Add)", "n2 (Relu)", "n3 (Relu)"}},
		{"self loop", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y")},
			Nodes: []*Node{
				nd("pre", "Relu", []string{"x"}, []string{"p"}),
				nd("loop", "Add", []string{"p", "y"}, []string{"y"}),
			},
		}, []string{"cycle through node loop (Add)"}},
		{"undefined input", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y")},
			Nodes:   []*Node{nd("r1", "Relu", []string{"q"}, []string{"y"})},
		}, []string{`node r1 (Relu): input "q" is not produced`}},
		{"produced twice", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y")},
			Nodes: []*Node{
				nd("first", "Relu", []string{"x"}, []string{"y"}),
				nd("second", "Sigmoid", []string{"x"}, []string{"y"}),
			},
		}, []string{"value y is produced by both node first (Relu) and node second (Sigmoid)"}},
		{"produced and initializer", &Graph{
			Inputs:       []ValueInfo{vi("x")},
			Outputs:      []ValueInfo{vi("W")},
			Initializers: map[string]*ops.Tensor{"W": w},
			Nodes:        []*Node{nd("mk", "Relu", []string{"x"}, []string{"W"})},
		}, []string{"value W is produced by node mk (Relu) and is also an initializer"}},
		{"produced and input", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("x")},
			Nodes:   []*Node{nd("mk", "Relu", []string{"x"}, []string{"x"})},
		}, []string{"value x is produced by node mk (Relu) and is also a graph input"}},
		{"output not produced", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y"), vi("ghost")},
			Nodes:   []*Node{nd("r", "Relu", []string{"x"}, []string{"y"})},
		}, []string{"output ghost is not produced"}},
		{"empty op type", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y")},
			Nodes:   []*Node{nd("blank", "", []string{"x"}, []string{"y"})},
		}, []string{`node 0 ("blank") has an empty op type`}},
		{"nil node", &Graph{Nodes: []*Node{nil}}, []string{"node 0 is nil"}},
		{"duplicate input", &Graph{Inputs: []ValueInfo{vi("x"), vi("x")}}, []string{"input x is declared twice"}},
		{"overridable without initializer", &Graph{OverridableInits: []ValueInfo{vi("B")}}, []string{"overridable input B has no initializer"}},
		{"subgraph undefined", &Graph{
			Inputs:  []ValueInfo{vi("c")},
			Outputs: []ValueInfo{vi("y")},
			Nodes: []*Node{{Name: "if", OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*Attr{
				"then_branch": {Name: "then_branch", Type: AttrGraph, G: &Graph{
					Outputs: []ValueInfo{vi("t")},
					Nodes:   []*Node{nd("inner", "Relu", []string{"nowhere"}, []string{"t"})},
				}},
			}}},
		}, []string{"node if (If)", `node inner (Relu): input "nowhere" is not produced`}},
		{"subgraph duplicate", &Graph{
			Inputs:  []ValueInfo{vi("c")},
			Outputs: []ValueInfo{vi("y")},
			Nodes: []*Node{{Name: "if", OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*Attr{
				"then_branch": {Name: "then_branch", Type: AttrGraph, G: &Graph{
					Outputs: []ValueInfo{vi("t")},
					Nodes:   []*Node{nd("a", "Relu", []string{"c"}, []string{"t"}), nd("b", "Relu", []string{"c"}, []string{"t"})},
				}},
			}}},
		}, []string{"node if (If)", "value t is produced by both node a (Relu) and node b (Relu)"}},
		{"nil attr", &Graph{
			Inputs:  []ValueInfo{vi("x")},
			Outputs: []ValueInfo{vi("y")},
			Nodes:   []*Node{{Name: "r", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: map[string]*Attr{"a": nil}}},
		}, []string{"node r (Relu)", `attribute "a" is nil`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, c.g.Validate(), c.frags...)
		})
	}
}

func TestValidateAcceptsOptionalAndPassThrough(t *testing.T) {
	g := &Graph{
		Inputs:       []ValueInfo{vi("x")},
		Outputs:      []ValueInfo{vi("y"), vi("x"), vi("W")}, // graph outputs may be inputs or initializers
		Initializers: map[string]*ops.Tensor{"W": ops.FromFloat32([]int{1}, []float32{1})},
		Nodes:        []*Node{nd("d", "Dropout", []string{"x", "", ""}, []string{"y", ""})},
	}
	require.NoError(t, g.Validate())
}

func TestSortOrdersAndKeepsFileOrder(t *testing.T) {
	// File order: c needs b needs a; i1 and i2 are independent.
	g := &Graph{
		Inputs:  []ValueInfo{vi("x")},
		Outputs: []ValueInfo{vi("vc"), vi("v1"), vi("v2")},
		Nodes: []*Node{
			nd("c", "Add", []string{"vb", "va"}, []string{"vc"}),
			nd("i1", "Relu", []string{"x"}, []string{"v1"}),
			nd("b", "Relu", []string{"va"}, []string{"vb"}),
			nd("a", "Relu", []string{"x"}, []string{"va"}),
			nd("i2", "Relu", []string{"x"}, []string{"v2"}),
		},
	}
	require.NoError(t, g.Validate())
	require.NoError(t, g.Sort())
	// The smallest ready file index goes first: ready {i1:1, a:3, i2:4};
	// i1; a, which readies b:2; b (2 < 4), which readies c:0; c; i2.
	require.Equal(t, "i1,a,b,c,i2", names(g.Nodes), "order")
	assertTopological(t, g)
}

// assertTopological checks each node's inputs are defined before it.
func assertTopological(t *testing.T, g *Graph) {
	t.Helper()
	have := map[string]bool{"": true}
	for _, in := range g.Inputs {
		have[in.Name] = true
	}
	for name := range g.Initializers {
		have[name] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.NodeInputs() {
			require.True(t, have[in], "node %s reads %s before it is produced (order %s)", n.Label(), in, names(g.Nodes))
		}
		for _, o := range n.Outputs {
			have[o] = true
		}
	}
}

func TestSortRespectsSubgraphOuterValues(t *testing.T) {
	// The If body reads "h", produced by a node that comes later in the
	// file; the If must be scheduled after it.
	body := &Graph{
		Outputs: []ValueInfo{vi("t")},
		Nodes:   []*Node{nd("inner", "Relu", []string{"h"}, []string{"t"})},
	}
	g := &Graph{
		Inputs:  []ValueInfo{vi("x"), vi("c")},
		Outputs: []ValueInfo{vi("y")},
		Nodes: []*Node{
			{Name: "if", OpType: "If", Inputs: []string{"c"}, Outputs: []string{"y"}, Attrs: map[string]*Attr{
				"then_branch": {Name: "then_branch", Type: AttrGraph, G: body},
				"else_branch": {Name: "else_branch", Type: AttrGraph, G: &Graph{Outputs: []ValueInfo{vi("x")}}},
			}},
			nd("mk", "Relu", []string{"x"}, []string{"h"}),
		},
	}
	require.NoError(t, g.Validate())
	assert.Equal(t, []string{"h"}, body.FreeValues(), "free values")
	require.NoError(t, g.Sort())
	require.Equal(t, "mk,if", names(g.Nodes), "order")
}

func TestDecodeSortsShuffledChain(t *testing.T) {
	// Build a 50-node chain listed in reverse order.
	g := &Graph{Inputs: []ValueInfo{vi("v0")}, Outputs: []ValueInfo{vi("v50")}}
	for i := 50; i >= 1; i-- {
		g.Nodes = append(g.Nodes, nd("n"+itoa(int64(i)), "Relu", []string{"v" + itoa(int64(i-1))}, []string{"v" + itoa(int64(i))}))
	}
	m := &Model{Opsets: map[string]int64{"": 13}, Graph: g, IRVersion: 8}
	b, err := Encode(m)
	require.NoError(t, err)
	m2, err := Decode(b, "")
	require.NoError(t, err)
	assertTopological(t, m2.Graph)
	require.Equal(t, "n1", m2.Graph.Nodes[0].Name, "order %s", names(m2.Graph.Nodes))
	assert.Equal(t, "n50", m2.Graph.Nodes[49].Name, "order %s", names(m2.Graph.Nodes))
}
