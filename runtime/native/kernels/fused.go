package kernels

// The fused layers the optimiser's FuseLayers creates (domain
// latent.native): FusedGemm, FusedConv and FusedConvTranspose, each
// applying its activation in the layer's epilogue and falling back to the
// original kernels one after the other where the fast path does not apply.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// fusedAct is an activation the fused kernels apply in their epilogue:
// the ops.Act and the defaults of its parameters (alpha, beta) when the
// fused node does not set activation_alpha / activation_beta.
type fusedAct struct {
	act         ops.Act
	alpha, beta float32
}

// fusedActs maps the activations the fusion pass absorbs to ops.Act. The
// names are ai.onnx operators, except Silu: x·Sigmoid(x), the pattern
// exporters write for PyTorch's SiLU (and for which the fallback runs a
// Sigmoid and a Mul); Gelu is the exact GELU (the fuse-gelu node of the
// latent domain, or ai.onnx Gelu), GeluTanh ai.onnx Gelu with
// approximate=tanh. Clip carries min and max as activation_alpha and
// activation_beta.
var fusedActs = map[string]fusedAct{
	"Relu":        {act: ops.ActRelu},
	"LeakyRelu":   {act: ops.ActLeakyRelu, alpha: 0.01},
	"Sigmoid":     {act: ops.ActSigmoid},
	"Tanh":        {act: ops.ActTanh},
	"HardSigmoid": {act: ops.ActHardSigmoid, alpha: 0.2, beta: 0.5},
	"HardSwish":   {act: ops.ActHardSwish},
	"Clip":        {act: ops.ActClip, alpha: -math.MaxFloat32, beta: math.MaxFloat32},
	"Silu":        {act: ops.ActSiLU},
	"Gelu":        {act: ops.ActGelu},
	"GeluTanh":    {act: ops.ActGeluTanh},
}

// FusableActivation reports whether the fused kernels (FusedGemm, FusedConv,
// FusedConvTranspose) can apply the activation op (a fusedActs name) in
// their epilogue.
func FusableActivation(op string) bool {
	_, ok := fusedActs[op]
	return ok
}

// fusedActivation reads a fused node's activation: its ops.Act and
// parameters for the fast path and a kernel computing it from the
// pre-activation value named in (into out) for the fallback, built from
// the registry at opset with the original node's name. Without an
// activation attribute act is ActNone and chain nil.
func fusedActivation(n *graph.Node, in, out string, opset int64) (act ops.Act, alpha, beta float32, chain operators.Kernel, err error) {
	name, err := n.String("activation", "")
	if err != nil || name == "" {
		return ops.ActNone, 0, 0, nil, err
	}
	spec, ok := fusedActs[name]
	if !ok {
		return 0, 0, 0, nil, fmt.Errorf("node %s: cannot fuse activation %q", n.Label(), name)
	}
	if alpha, err = n.Float("activation_alpha", spec.alpha); err != nil {
		return 0, 0, 0, nil, err
	}
	if beta, err = n.Float("activation_beta", spec.beta); err != nil {
		return 0, 0, 0, nil, err
	}
	actName, _ := n.String("act_name", "")
	fattr := func(k string, v float32) *graph.Attr { return &graph.Attr{Name: k, Type: graph.AttrFloat, F: v} }
	var nodes []*graph.Node
	switch name {
	case "Silu":
		sig := &graph.Node{Name: actName + "/sigmoid", OpType: "Sigmoid", Inputs: []string{in}, Outputs: []string{out + "/sigmoid"}}
		mul := &graph.Node{Name: actName, OpType: "Mul", Inputs: []string{in, sig.Outputs[0]}, Outputs: []string{out}}
		nodes = []*graph.Node{sig, mul}
	case "Clip":
		// The attribute form of Clip (opset 6: floats only, which is all
		// the fallback sees) carries the bounds the fusion pass read.
		nodes = []*graph.Node{{Name: actName, OpType: "Clip", Inputs: []string{in}, Outputs: []string{out},
			Attrs: map[string]*graph.Attr{"min": fattr("min", alpha), "max": fattr("max", beta)}}}
		opset = 6
	case "Gelu":
		nodes = []*graph.Node{{Name: actName, OpType: "Gelu", Domain: operators.FusedDomain, Inputs: []string{in}, Outputs: []string{out}}}
	case "GeluTanh":
		nodes = []*graph.Node{{Name: actName, OpType: "Gelu", Inputs: []string{in}, Outputs: []string{out},
			Attrs: map[string]*graph.Attr{"approximate": {Name: "approximate", Type: graph.AttrString, S: []byte("tanh")}}}}
		opset = max(opset, 20)
	case "HardSwish":
		// Also fused from x·HardSigmoid(x) in models older than
		// HardSwish (opset 14); the operator is the same at 14.
		nodes = []*graph.Node{{Name: actName, OpType: name, Inputs: []string{in}, Outputs: []string{out}}}
		opset = max(opset, 14)
	default:
		a := &graph.Node{Name: actName, OpType: name, Inputs: []string{in}, Outputs: []string{out}, Attrs: map[string]*graph.Attr{}}
		if n.Has("activation_alpha") {
			a.Attrs["alpha"] = fattr("alpha", alpha)
		}
		if n.Has("activation_beta") {
			a.Attrs["beta"] = fattr("beta", beta)
		}
		nodes = []*graph.Node{a}
	}
	ks := make([]operators.Kernel, len(nodes))
	for i, an := range nodes {
		if ks[i], err = buildDefault(an, opset); err != nil {
			return 0, 0, 0, nil, err
		}
	}
	chain = func(env *operators.Env, x []*ops.Tensor) ([]*ops.Tensor, error) {
		if len(ks) == 1 {
			return ks[0](env, x)
		}
		s, err := ks[0](env, x)
		if err != nil {
			return nil, err
		}
		if len(s) == 0 || s[0] == nil {
			return nil, fmt.Errorf("node %s: sigmoid returned no tensor", n.Label())
		}
		return ks[1](env, []*ops.Tensor{x[0], s[0]})
	}
	if spec.act != ops.ActLeakyRelu && spec.act != ops.ActHardSigmoid && spec.act != ops.ActClip {
		alpha = 0
	}
	if spec.act != ops.ActHardSigmoid && spec.act != ops.ActClip {
		beta = 0
	}
	return spec.act, alpha, beta, chain, nil
}

func init() {
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "FusedGemm", Infer: inferFusedGemm, Build: buildFusedGemm}, 1)
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "FusedConv", Infer: inferFusedLayer("Conv"), Build: buildFusedConv}, 1)
	operators.Register(operators.Op{Domain: operators.FusedDomain, Type: "FusedConvTranspose", Infer: inferFusedLayer("ConvTranspose"), Build: buildFusedConvTranspose}, 1)
}

// buildFusedGemm compiles a FusedGemm node: the fast fused path plus the
// original kernels as the fallback.
func buildFusedGemm(n *graph.Node, _ int64) (operators.Kernel, error) {
	opset, err := n.Int("opset", 0)
	if err != nil {
		return nil, err
	}
	mm, err := n.Int("matmul", 0)
	if err != nil {
		return nil, err
	}
	actName, err := n.String("activation", "")
	if err != nil {
		return nil, err
	}
	alpha, err := n.Float("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := n.Float("beta", 1)
	if err != nil {
		return nil, err
	}
	ta, err := n.Int("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.Int("transB", 0)
	if err != nil {
		return nil, err
	}
	transA, transB := ta != 0, tb != 0

	// The unfused chain, rebuilt from the registry with the original
	// names so its errors read like the model's nodes.
	out := n.Outputs[0]
	var chain []operators.Kernel
	headOut := out
	if actName != "" {
		headOut = out + "/pre-activation"
	}
	if mm != 0 {
		addName, _ := n.String("add_name", "")
		mmNode := &graph.Node{Name: n.Name, OpType: "MatMul", Inputs: n.Inputs[:2], Outputs: []string{headOut + "/matmul"}}
		addNode := &graph.Node{Name: addName, OpType: "Add", Inputs: []string{mmNode.Outputs[0], n.Inputs[2]}, Outputs: []string{headOut}}
		for _, sub := range []*graph.Node{mmNode, addNode} {
			k, err := buildDefault(sub, opset)
			if err != nil {
				return nil, err
			}
			chain = append(chain, k)
		}
	} else {
		gemmNode := &graph.Node{Name: n.Name, OpType: "Gemm", Inputs: n.Inputs, Outputs: []string{headOut}, Attrs: n.Attrs}
		k, err := buildDefault(gemmNode, opset)
		if err != nil {
			return nil, err
		}
		chain = append(chain, k)
	}
	act, actAlpha, actBeta, actK, err := fusedActivation(n, headOut, out, opset)
	if err != nil {
		return nil, err
	}
	if actK != nil {
		chain = append(chain, actK)
	}
	// Gemm before opset 7 broadcast C only with broadcast=1: leave those
	// semantics to the Gemm kernel.
	fast := mm != 0 || opset >= 7

	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		if fast {
			if y := fusedFast(env, in, mm != 0, transA, transB, alpha, beta, ops.Epilogue{Act: act, Alpha: actAlpha, Beta: actBeta}); y != nil {
				return []*ops.Tensor{y}, nil
			}
		}
		// Fallback: the original nodes, each fed the previous result.
		var cur []*ops.Tensor
		if mm != 0 {
			if len(in) != 3 {
				return nil, fmt.Errorf("node %s: want 3 inputs, got %d", n.Label(), len(in))
			}
			cur = in[:2]
		} else {
			cur = in
		}
		var res []*ops.Tensor
		for i, k := range chain {
			var err error
			if res, err = k(env, cur); err != nil {
				return nil, err
			}
			if len(res) == 0 || res[0] == nil {
				return nil, fmt.Errorf("node %s: fused step %d returned no tensor", n.Label(), i)
			}
			if mm != 0 && i == 0 {
				cur = []*ops.Tensor{res[0], in[2]}
			} else {
				cur = res[:1]
			}
		}
		return res[:1], nil
	}, nil
}

// buildDefault builds an ai.onnx node at opset with the registered kernel.
func buildDefault(n *graph.Node, opset int64) (operators.Kernel, error) {
	if n.Domain == operators.FusedDomain {
		opset = 1
	}
	b, err := operators.KernelBuilder(n.Domain, n.OpType, opset)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return b(n, opset)
}

// fusedFast computes act(op(A)·op(B) + C) with ops.GemmEpilogue when the
// operands allow it, and returns nil otherwise.
func fusedFast(env *operators.Env, in []*ops.Tensor, matmul, transA, transB bool, alpha, beta float32, ep ops.Epilogue) *ops.Tensor {
	if len(in) < 2 || alpha != 1 {
		return nil
	}
	a, b := in[0], in[1]
	if a == nil || b == nil || a.DType != ops.Float32 || b.DType != ops.Float32 || a.Rank() < 2 || b.Rank() != 2 {
		return nil
	}
	// A MatMul's A of rank above 2 against a 2-D B is one product over
	// all its rows (a transformer's [batch, sequence, features] · W).
	lead := a.Shape[:a.Rank()-2]
	if len(lead) > 0 && (!matmul || transA) {
		return nil
	}
	m, k := ops.NumElements(a.Shape[:a.Rank()-1]), a.Shape[a.Rank()-1]
	if transA {
		m, k = k, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 || m == 0 || n == 0 || k == 0 {
		return nil
	}
	if len(in) > 2 && in[2] != nil {
		c := in[2]
		if c.DType != ops.Float32 || beta != 1 || c.Rank() == 0 || c.Shape[c.Rank()-1] != n || c.Len() != n ||
			c.Rank() > a.Rank() && matmul {
			return nil // a bias that is not one row of n values broadcast to every row
		}
		ep.Bias = c.F32()
	}
	shape := append(append(make([]int, 0, len(lead)+2), lead...), a.Shape[a.Rank()-2], n)
	if transA {
		shape = []int{m, n}
	}
	y := env.New(ops.Float32, shape...)
	ops.GemmEpilogue(transA, transB, m, n, k, a.F32(), a.Shape[a.Rank()-1], b.F32(), b.Shape[1], y.F32(), n, ep)
	return y
}

// buildFusedConv compiles a FusedConv node: Conv with the activation applied
// by ops.Conv for float32 inputs, the original Conv and activation kernels
// otherwise.
func buildFusedConv(n *graph.Node, _ int64) (operators.Kernel, error) {
	conv, slowK, act, actAlpha, actBeta, err := buildFusedLayer(n, "Conv")
	if err != nil {
		return nil, err
	}
	// With channel_scale (fuse-channel-scale) the node is Conv(Mul(X, S))
	// with S the fourth input, of shape N×C×1…: the weights are scaled per
	// image instead of X. mulK is the Mul for other shapes and types.
	scaled := n.Has("channel_scale")
	var mulK operators.Kernel
	if scaled {
		if len(n.Inputs) != 4 {
			return nil, fmt.Errorf("node %s: a channel-scaled FusedConv needs 4 inputs (X, W, B, scale), has %d", n.Label(), len(n.Inputs))
		}
		opset, err := n.Int("opset", 0)
		if err != nil {
			return nil, err
		}
		mulName, _ := n.String("scale_name", "")
		mulNode := &graph.Node{Name: mulName, OpType: "Mul", Inputs: []string{n.Inputs[0], n.Inputs[3]}, Outputs: []string{n.Outputs[0] + "/scaled-input"}}
		if mulK, err = buildDefault(mulNode, opset); err != nil {
			return nil, err
		}
	}
	win, err := parseWindow(conv)
	if err != nil {
		return nil, err
	}
	group, err := conv.Int("group", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		var scale *ops.Tensor
		if scaled {
			if len(in) != 4 || in[0] == nil || in[3] == nil {
				return nil, fmt.Errorf("node %s: want inputs X, W, B and the channel scale", n.Label())
			}
			scale = in[3]
			// Scaling the weights pays while they are smaller than an
			// image (early, wide maps); on 7×7 maps with 1152 channels
			// the weights are the bigger side, and the Mul is cheaper.
			if !channelScale(in[0], scale) || in[1] == nil || in[1].Len()*in[0].Shape[0] >= in[0].Len() {
				xs, err := mulK(env, []*ops.Tensor{in[0], scale})
				if err != nil {
					return nil, err
				}
				if len(xs) == 0 || xs[0] == nil {
					return nil, fmt.Errorf("node %s: Mul returned no tensor", n.Label())
				}
				in, scale = []*ops.Tensor{xs[0], in[1], in[2]}, nil
			} else {
				in = in[:3]
			}
		}
		if len(in) >= 2 && in[0] != nil && in[1] != nil && in[0].DType == ops.Float32 && group > 0 {
			x, w, b, err := convInputs(conv, in)
			if err != nil {
				return nil, err
			}
			p, err := convGeometry(conv, win, int(group), x.Shape, w.Shape, b)
			if err != nil {
				return nil, err
			}
			p.Act, p.Alpha, p.Beta = act, actAlpha, actBeta
			y := env.New(ops.Float32, append([]int{p.Batch, p.OutC}, p.Out...)...)
			var bias []float32
			if b != nil {
				bias = b.F32()
			}
			if scale != nil {
				one := *p
				one.Batch = 1
				ops.ConvChannelScaled(p, x.F32(), scale.F32(), w.F32(), bias, y.F32(),
					scratchFloats(env, one.ScratchSize(false)), scratchFloats(env, w.Len()))
				return []*ops.Tensor{y}, nil
			}
			ops.Conv(p, x.F32(), w.F32(), bias, y.F32(), scratchFloats(env, p.ScratchSize(false)))
			return []*ops.Tensor{y}, nil
		}
		return slowK(env, in)
	}, nil
}

// buildFusedConvTranspose compiles a FusedConvTranspose node: for float32
// inputs ops.ConvTranspose applies the activation in its NCHW write-back
// (no separate pass over the output, no second buffer); other types run
// the original ConvTranspose and activation kernels one after the other.
func buildFusedConvTranspose(n *graph.Node, _ int64) (operators.Kernel, error) {
	convT, slowK, act, actAlpha, actBeta, err := buildFusedLayer(n, "ConvTranspose")
	if err != nil {
		return nil, err
	}
	fastK, err := buildConvTransposeAct(convT, act, actAlpha, actBeta)
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
// activation, and the activation with its parameters for the fast path.
func buildFusedLayer(n *graph.Node, opType string) (layer *graph.Node, slow operators.Kernel, act ops.Act, actAlpha, actBeta float32, err error) {
	opset, err := n.Int("opset", 0)
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	name, _ := n.String("activation", "")
	if name == "" && !n.Has("channel_scale") {
		return nil, nil, 0, 0, 0, fmt.Errorf("node %s: cannot fuse activation %q", n.Label(), name)
	}
	out := n.Outputs[0]
	inputs := n.Inputs
	if n.Has("channel_scale") && len(inputs) > 3 {
		inputs = inputs[:3] // the fourth is the channel scale
	}
	layer = &graph.Node{Name: n.Name, OpType: opType, Inputs: inputs, Outputs: []string{out + "/pre-activation"}, Attrs: n.Attrs}
	if name == "" {
		layer.Outputs[0] = out
		layerK, err := buildDefault(layer, opset)
		if err != nil {
			return nil, nil, 0, 0, 0, err
		}
		return layer, layerK, ops.ActNone, 0, 0, nil
	}
	layerK, err := buildDefault(layer, opset)
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	act, actAlpha, actBeta, actK, err := fusedActivation(n, layer.Outputs[0], out, opset)
	if err != nil {
		return nil, nil, 0, 0, 0, err
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
	return layer, slow, act, actAlpha, actBeta, nil
}

// channelScale reports whether s scales x's channels image by image: both
// float32, x of rank ≥ 3 and s of shape N×C×1×… (x's batch and channels).
func channelScale(x, s *ops.Tensor) bool {
	if x.DType != ops.Float32 || s.DType != ops.Float32 || x.Rank() < 3 || s.Rank() != x.Rank() {
		return false
	}
	if s.Shape[0] != x.Shape[0] || s.Shape[1] != x.Shape[1] {
		return false
	}
	for _, d := range s.Shape[2:] {
		if d != 1 {
			return false
		}
	}
	return true
}

// inferVia runs the rule of opType, the operator a fused node stands for,
// at the model's version recorded in the node's opset attribute, over the
// node's first len(in) inputs and its attributes (a fused activation keeps
// the shape and type).
func inferVia(c *operators.InferContext, n *graph.Node, opType string, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	opset, err := n.Int("opset", 0)
	if err != nil {
		return nil, err
	}
	op, err := operators.Lookup("", opType, opset)
	if err != nil {
		return nil, err
	}
	if op.Infer == nil {
		return nil, fmt.Errorf("%s has no shape rule", opType)
	}
	sub := &graph.Node{Name: n.Name, OpType: opType, Inputs: n.Inputs[:len(in)], Outputs: n.Outputs[:1], Attrs: n.Attrs, AttrOrder: n.AttrOrder}
	out, err := op.Infer(c, sub, in)
	if err != nil {
		return nil, err
	}
	return out[:1], nil
}

// inferFusedGemm is Gemm's rule, or MatMul's followed by the bias's
// broadcast for a fused MatMul+Add.
func inferFusedGemm(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	mm, err := n.Int("matmul", 0)
	if err != nil {
		return nil, err
	}
	if mm == 0 {
		return inferVia(c, n, "Gemm", in)
	}
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	out, err := inferVia(c, n, "MatMul", in[:2])
	if err != nil || !operators.RankKnown(out[0]) || !operators.RankKnown(in[2]) {
		return out, err
	}
	s, err := operators.BroadcastShapes(out[0].Shape, in[2].Shape)
	if err != nil {
		return nil, fmt.Errorf("bias: %w", err)
	}
	return one(ranked(out[0].DType, s)), nil
}

// inferFusedLayer is the rule of the Conv or ConvTranspose a FusedConv or
// FusedConvTranspose stands for, over X, W and B (a channel scale, the
// fourth input, leaves the shape alone).
func inferFusedLayer(opType string) operators.Rule {
	return func(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
		return inferVia(c, n, opType, in[:min(len(in), 3)])
	}
}
