package kernels

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// buildFusedConvTranspose compiles a FusedConvTranspose node: for float32
// inputs ops.ConvTranspose applies the activation in its NCHW write-back
// (no separate pass over the output, no second buffer); other types run
// the original ConvTranspose and activation kernels one after the other.
func buildFusedConvTranspose(n *graph.Node, _ int64) (operators.Kernel, error) {
	convT, slowK, act, actAlpha, err := buildFusedLayer(n, "ConvTranspose")
	if err != nil {
		return nil, err
	}
	fastK, err := buildConvTransposeAct(convT, act, actAlpha)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(in) >= 2 && in[0] != nil && in[0].DType == ops.Float32 {
			return fastK(env, in)
		}
		return slowK(env, in)
	}, nil
}

// buildFusedLayer reads the fused activation of a FusedConv or
// FusedConvTranspose node n and rebuilds its parts from the registry with
// the original names: the layer node (an opType node over n's inputs and
// attributes), the unfused kernel running that layer and then the
// activation, and the activation with its alpha (0 unless LeakyRelu) for
// the fast path.
func buildFusedLayer(n *graph.Node, opType string) (layer *graph.Node, slow operators.Kernel, act ops.Act, actAlpha float32, err error) {
	opset, err := n.Int("opset", 0)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	actName, err := n.String("activation", "")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	act, ok := fusedActs[actName]
	if !ok {
		return nil, nil, 0, 0, fmt.Errorf("node %s: cannot fuse activation %q", n.Label(), actName)
	}
	actAlpha, err = n.Float("activation_alpha", 0.01)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	out := n.Outputs[0]
	layer = &graph.Node{Name: n.Name, OpType: opType, Inputs: n.Inputs, Outputs: []string{out + "/pre-activation"}, Attrs: n.Attrs}
	layerK, err := buildDefault(layer, opset)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	actNodeName, _ := n.String("act_name", "")
	actNode := &graph.Node{Name: actNodeName, OpType: actName, Inputs: layer.Outputs, Outputs: []string{out}, Attrs: map[string]*graph.Attr{}}
	if n.Has("activation_alpha") {
		actNode.Attrs["alpha"] = &graph.Attr{Name: "alpha", Type: graph.AttrFloat, F: actAlpha}
	}
	actK, err := buildDefault(actNode, opset)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if act != ops.ActLeakyRelu {
		actAlpha = 0
	}
	slow = func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		res, err := layerK(env, in)
		if err != nil {
			return nil, err
		}
		if len(res) == 0 || res[0] == nil {
			return nil, fmt.Errorf("node %s: %s returned no tensor", n.Label(), opType)
		}
		return actK(env, res[:1])
	}
	return layer, slow, act, actAlpha, nil
}
