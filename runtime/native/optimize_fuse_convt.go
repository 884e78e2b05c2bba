package native

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

// buildFusedConvTranspose compiles a FusedConvTranspose node: for float32
// inputs ops.ConvTranspose applies the activation in its NCHW write-back
// (no separate pass over the output, no second buffer); other types run
// the original ConvTranspose and activation kernels one after the other.
func buildFusedConvTranspose(n *graph.Node, _ int64) (Kernel, error) {
	opset, err := n.Int("opset", 0)
	if err != nil {
		return nil, err
	}
	actName, err := n.String("activation", "")
	if err != nil {
		return nil, err
	}
	act, ok := fusedActs[actName]
	if !ok {
		return nil, fmt.Errorf("node %s: cannot fuse activation %q", n.Label(), actName)
	}
	actAlpha, err := n.Float("activation_alpha", 0.01)
	if err != nil {
		return nil, err
	}
	out := n.Outputs[0]
	convT := &graph.Node{Name: n.Name, OpType: "ConvTranspose", Inputs: n.Inputs, Outputs: []string{out + "/pre-activation"}, Attrs: n.Attrs}
	convK, err := buildDefault(convT, opset)
	if err != nil {
		return nil, err
	}
	actNodeName, _ := n.String("act_name", "")
	actNode := &graph.Node{Name: actNodeName, OpType: actName, Inputs: convT.Outputs, Outputs: []string{out}, Attrs: map[string]*graph.Attr{}}
	if n.Has("activation_alpha") {
		actNode.Attrs["alpha"] = &graph.Attr{Name: "alpha", Type: graph.AttrFloat, F: actAlpha}
	}
	actK, err := buildDefault(actNode, opset)
	if err != nil {
		return nil, err
	}
	if act != ops.ActLeakyRelu {
		actAlpha = 0
	}
	fastK, err := buildConvTransposeAct(convT, act, actAlpha)
	if err != nil {
		return nil, err
	}
	return func(env *Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) >= 2 && in[0] != nil && in[0].DType == ops.Float32 {
			return fastK(env, in)
		}
		res, err := convK(env, in)
		if err != nil {
			return nil, err
		}
		if len(res) == 0 || res[0] == nil {
			return nil, fmt.Errorf("node %s: ConvTranspose returned no tensor", n.Label())
		}
		return actK(env, res[:1])
	}, nil
}
