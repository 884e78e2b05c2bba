package passes

import (
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// FuseChannelScale moves a squeeze-excitation gate into the convolution
// after it; see fuseChannelScale.
var FuseChannelScale = Pass{
	Name: "fuse-channel-scale",
	Doc:  "Mul(X, gate) → Conv becomes one Conv whose weights are scaled per image (squeeze-excitation)",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return fuseChannelScale(m, g), nil
	},
}

// gateOps are the nodes whose output fuseChannelScale takes for a channel
// gate: the activations squeeze-excitation blocks end with, alone or
// fused into the 1×1 convolution before them.
var gateOps = map[string]bool{"Sigmoid": true, "HardSigmoid": true}

// fuseChannelScale returns a copy of g in which
//
//	Mul(X, S) → Conv or FusedConv     (S produced by Sigmoid, HardSigmoid, or a
//	                                   FusedConv/FusedGemm ending in one of them)
//
// becomes one FusedConv node with inputs X, W, B and S and the attribute
// channel_scale: when S has shape N×C×1×1 (the gate of a
// squeeze-excitation block) the kernel scales the convolution's weights
// per image (ops.ConvChannelScaled) instead of writing X·S, a pass over the
// feature map less; for other shapes it runs the Mul and then the
// convolution. The Mul's output must have the Conv as its only reader. g is
// not modified.
func fuseChannelScale(m *graph.Model, g *graph.Graph) *graph.Graph {
	opset, ok := operators.ImportedVersion(m, "")
	if !ok {
		return g
	}
	a := newAffineScan(g)
	isDefault := func(n *graph.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }
	isGate := func(name string) bool {
		p := a.producer[name]
		switch {
		case p == nil:
			return false
		case isDefault(p):
			return gateOps[p.OpType]
		case p.Domain == operators.FusedDomain:
			act, _ := p.String("activation", "")
			return gateOps[act]
		}
		return false
	}
	removed := map[*graph.Node]bool{}
	replace := map[*graph.Node]*graph.Node{}
	for _, n := range g.Nodes {
		conv := n
		var fusedConv bool
		switch {
		case isDefault(conv) && conv.OpType == "Conv":
		case conv.Domain == operators.FusedDomain && conv.OpType == "FusedConv" && !conv.Has("channel_scale"):
			fusedConv = true
		default:
			continue
		}
		if len(conv.Inputs) < 2 || len(conv.Inputs) > 3 || len(conv.Outputs) != 1 {
			continue
		}
		mul := a.producer[conv.Inputs[0]]
		if mul == nil || removed[mul] || !isDefault(mul) || mul.OpType != "Mul" || len(mul.Inputs) != 2 || !a.single(conv.Inputs[0]) {
			continue
		}
		x, s := mul.Inputs[0], mul.Inputs[1]
		if !isGate(s) {
			x, s = s, x
		}
		if !isGate(s) || x == s {
			continue
		}
		f := &graph.Node{Name: conv.Name, OpType: "FusedConv", Domain: operators.FusedDomain, Outputs: []string{conv.Outputs[0]},
			Attrs: map[string]*graph.Attr{}}
		for k, v := range conv.Attrs {
			f.Attrs[k] = v
		}
		f.AttrOrder = append([]string(nil), conv.AttrOrder...)
		if !fusedConv {
			f.Attrs["opset"] = &graph.Attr{Name: "opset", Type: graph.AttrInt, I: opset}
		}
		f.Attrs["channel_scale"] = &graph.Attr{Name: "channel_scale", Type: graph.AttrInt, I: 1}
		f.Attrs["scale_name"] = &graph.Attr{Name: "scale_name", Type: graph.AttrString, S: []byte(mul.Name)}
		b := ""
		if len(conv.Inputs) == 3 {
			b = conv.Inputs[2]
		}
		f.Inputs = []string{x, conv.Inputs[1], b, s}
		removed[mul] = true
		replace[conv] = f
	}
	if len(replace) == 0 {
		return g
	}
	ng := *g
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes)-len(removed))
	for _, n := range g.Nodes {
		if removed[n] {
			continue
		}
		if f, ok := replace[n]; ok {
			n = f
		}
		ng.Nodes = append(ng.Nodes, n)
	}
	return &ng
}
