package passes

import (
	"math"
	"strconv"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// FoldBatchNorm folds inference-mode BatchNormalization into the preceding
// convolution; see foldBatchNorm.
var FoldBatchNorm = Pass{
	Name: "fold-batchnorm",
	Doc:  "BatchNormalization folded into the weights of the Conv or ConvTranspose before it",
	Run: func(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
		return foldBatchNorm(m, g), nil
	},
}

// foldBatchNorm returns a copy of g in which every inference-mode
// BatchNormalization that directly follows a Conv (or a group-1
// ConvTranspose) is folded into that convolution's weights and bias:
// with s = scale/√(var+ε) per output channel, W' = W·s and
// B' = (B − mean)·s + bias. The convolution then writes the
// normalisation's output and the BatchNormalization node disappears.
//
// A pair is folded only when everything is known at plan time: the weights,
// the optional bias and the four statistics are float32 initializers that a
// caller cannot override, the channel counts agree, the convolution's
// output is read by the BatchNormalization alone (not by another node, a
// subgraph or as a graph output), and the BatchNormalization produces only
// Y, outside training mode, at opset 9 or later. g, its nodes and its
// initializers are not modified; folded weights are new initializers.
func foldBatchNorm(m *graph.Model, g *graph.Graph) *graph.Graph {
	if opset, ok := operators.ImportedVersion(m, ""); !ok || opset < 9 {
		return g
	}
	reads := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			reads[in]++
		}
		inner := map[string]bool{}
		collectSubgraphNames(n, inner)
		for name := range inner {
			reads[name] += 2 // read inside a subgraph: never fold away
		}
	}
	for _, o := range g.Outputs {
		reads[o.Name] += 2
	}
	overridable := map[string]bool{}
	for _, vi := range g.OverridableInits {
		overridable[vi.Name] = true
	}
	for _, vi := range g.Inputs {
		overridable[vi.Name] = true
	}
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = n
			}
		}
	}
	constF32 := func(name string) *ops.Tensor {
		if name == "" || overridable[name] {
			return nil
		}
		t := g.Initializers[name]
		if t == nil || t.DType != ops.Float32 || t.Validate() != nil {
			return nil
		}
		return t
	}

	var ng *graph.Graph
	replaced := map[*graph.Node]*graph.Node{} // conv → folded conv
	dropped := map[*graph.Node]bool{}         // folded BatchNormalizations
	for _, bn := range g.Nodes {
		if bn.OpType != "BatchNormalization" || (bn.Domain != "" && bn.Domain != "ai.onnx") {
			continue
		}
		if len(bn.Inputs) != 5 || len(bn.Outputs) == 0 || bn.Outputs[0] == "" {
			continue
		}
		extra := false
		for _, o := range bn.Outputs[1:] {
			extra = extra || o != ""
		}
		if tm, err := bn.Int("training_mode", 0); extra || err != nil || tm != 0 || bn.Has("is_test") || bn.Has("spatial") {
			continue
		}
		eps, err := bn.Float("epsilon", 1e-5)
		if err != nil {
			continue
		}
		conv := producer[bn.Inputs[0]]
		if conv == nil || replaced[conv] != nil || reads[bn.Inputs[0]] != 1 || len(conv.Outputs) != 1 {
			continue
		}
		if (conv.Domain != "" && conv.Domain != "ai.onnx") || len(conv.Inputs) < 2 {
			continue
		}
		chanAxis := 0
		switch conv.OpType {
		case "Conv":
		case "ConvTranspose":
			if grp, err := conv.Int("group", 1); err != nil || grp != 1 {
				continue
			}
			chanAxis = 1
		default:
			continue
		}
		w := constF32(conv.Inputs[1])
		if w == nil || w.Rank() < 3 {
			continue
		}
		cout := w.Shape[chanAxis]
		var bias *ops.Tensor
		if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
			if bias = constF32(conv.Inputs[2]); bias == nil || bias.Len() != cout {
				continue
			}
		}
		var stats [4][]float32 // scale, B, mean, var
		ok := true
		for i := range stats {
			t := constF32(bn.Inputs[1+i])
			if t == nil || t.Rank() != 1 || t.Len() != cout {
				ok = false
				break
			}
			stats[i] = t.F32()
		}
		if !ok {
			continue
		}

		s := make([]float64, cout)
		nb := ops.New(ops.Float32, cout)
		for c := range cout {
			s[c] = float64(stats[0][c]) / math.Sqrt(float64(stats[3][c])+float64(eps))
			b0 := 0.0
			if bias != nil {
				b0 = float64(bias.F32()[c])
			}
			nb.F32()[c] = float32((b0-float64(stats[2][c]))*s[c] + float64(stats[1][c]))
		}
		nw := ops.New(ops.Float32, w.Shape...)
		inner := 1 // elements per channel slice below chanAxis
		for _, d := range w.Shape[chanAxis+1:] {
			inner *= d
		}
		src, dst := w.F32(), nw.F32()
		for i := range src {
			dst[i] = float32(float64(src[i]) * s[(i/inner)%cout])
		}

		if ng == nil {
			ng = copyGraphForInits(g)
		}
		wName := freshName(ng, conv.Outputs[0]+"/bn_folded_W")
		bName := freshName(ng, conv.Outputs[0]+"/bn_folded_B")
		ng.Initializers[wName], ng.Initializers[bName] = nw, nb
		ng.InitOrder = append(ng.InitOrder, wName, bName)
		c := *conv
		c.Inputs = []string{conv.Inputs[0], wName, bName}
		c.Outputs = []string{bn.Outputs[0]}
		replaced[conv] = &c
		dropped[bn] = true
	}
	if ng == nil {
		return g
	}
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes)-len(dropped))
	for _, n := range g.Nodes {
		if dropped[n] {
			continue
		}
		if r := replaced[n]; r != nil {
			n = r
		}
		ng.Nodes = append(ng.Nodes, n)
	}
	return ng
}

// copyGraphForInits returns a shallow copy of g whose initializer map and
// order may be extended without touching g.
func copyGraphForInits(g *graph.Graph) *graph.Graph {
	ng := *g
	ng.Initializers = make(map[string]*ops.Tensor, len(g.Initializers)+8)
	for k, v := range g.Initializers {
		ng.Initializers[k] = v
	}
	ng.InitOrder = append([]string(nil), g.InitOrder...)
	return &ng
}

// freshName returns base, or base with a numeric suffix, such that no
// initializer, value info or node output of g uses it.
func freshName(g *graph.Graph, base string) string {
	used := func(name string) bool {
		if _, ok := g.Initializers[name]; ok {
			return true
		}
		if _, ok := g.ValueInfo[name]; ok {
			return true
		}
		for _, n := range g.Nodes {
			for _, o := range n.Outputs {
				if o == name {
					return true
				}
			}
		}
		return false
	}
	name := base
	for i := 1; used(name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}
