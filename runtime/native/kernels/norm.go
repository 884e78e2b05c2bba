package kernels

// Normalisation operators: BatchNormalization (inference, and training
// mode with batch statistics and running-stat outputs),
// InstanceNormalization, LayerNormalization, GroupNormalization,
// MeanVarianceNormalization, LpNormalization, LRN and RMSNormalization.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "BatchNormalization", Inputs: floatInputs, Infer: inferSame, Build: buildBatchNorm}, 1, 6, 7, 9, 14, 15)
	operators.Register(operators.Op{Type: "InstanceNormalization", Inputs: floatInputs, Infer: inferSame, Build: buildInstanceNorm}, 1, 6)
	operators.Register(operators.Op{Type: "LayerNormalization", Inputs: floatInputs, Infer: inferLayerNorm, Build: buildLayerNorm}, 17)
	operators.Register(operators.Op{Type: "LRN", Inputs: floatInputs, Infer: inferSame, Build: buildLRN}, 1, 13)
	operators.Register(operators.Op{Type: "MeanVarianceNormalization", Inputs: floatInputs, Infer: inferSame, Build: buildMVN}, 9, 13)
	operators.Register(operators.Op{Type: "GroupNormalization", Inputs: floatInputs, Infer: inferSame, Build: buildGroupNorm}, 18, 21)
	operators.Register(operators.Op{Type: "LpNormalization", Inputs: floatInputs, Infer: inferSame, Build: buildLpNormalization}, 1)
	operators.Register(operators.Op{Type: "RMSNormalization", Inputs: anyFloatInputs, Infer: inferRMSNorm, Build: buildRMSNorm}, 23)
}

// buildRMSNorm: the root mean square over the axes from axis on, computed
// in float32 (stash_type 1, the only precision the spec's function body
// defines); Y has X's shape and Scale's element type.
func buildRMSNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	stash, err := n.Int("stash_type", 1)
	if err != nil {
		return nil, err
	}
	if stash != 1 {
		return nil, fmt.Errorf("node %s: stash_type %d unsupported (only 1, float32)", n.Label(), stash)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := anyFloatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		sc, err := anyFloatInput(n, in, 1, "scale")
		if err != nil {
			return nil, err
		}
		a, err := resolveAxis(n, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		norm := x.Shape[a:]
		scale, err := broadcastAnyFloatTo(n, sc, "scale", norm)
		if err != nil {
			return nil, err
		}
		o := newFloatOutput(env, sc.DType, x.Shape)
		ops.RMSNorm(ops.NumElements(x.Shape[:a]), ops.NumElements(norm), float32s(x), scale, eps, o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func inferRMSNorm(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	if sc := input(in, 1); sc.DType != ops.Invalid {
		out[0].DType = sc.DType
	}
	return out, nil
}

func buildBatchNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	momentum, err := n.Float("momentum", 0.9)
	if err != nil {
		return nil, err
	}
	spatial := int64(1)
	if opset < 9 {
		if spatial, err = n.Int("spatial", 1); err != nil {
			return nil, err
		}
	}
	training := false
	nOut := 0
	for _, o := range n.Outputs {
		if o != "" {
			nOut++
		}
	}
	if opset >= 14 {
		tm, err := n.Int("training_mode", 0)
		if err != nil {
			return nil, err
		}
		training = tm != 0
		if !training && nOut > 1 {
			return nil, fmt.Errorf("node %s: outputs running_mean and running_var need training_mode=1", n.Label())
		}
	} else {
		// Before opset 14 the optional statistics outputs are what select
		// training behaviour (and, before opset 7, is_test=0).
		training = nOut > 1
		if opset < 7 {
			isTest, err := n.Int("is_test", 0)
			if err != nil {
				return nil, err
			}
			training = training && isTest == 0
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		names := []string{"X", "scale", "B", "input_mean", "input_var"}
		var t [5]*ops.Tensor
		for i, nm := range names {
			var err error
			if t[i], err = requiredInput(n, in, i, nm); err != nil {
				return nil, err
			}
			if err := checkFloat(n, t[i], nm); err != nil {
				return nil, err
			}
		}
		x := t[0]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("node %s: input X must be N×C×…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		nb, c := x.Shape[0], x.Shape[1]
		sp := ops.NumElements(x.Shape[2:])
		if spatial == 0 {
			c, sp = c*sp, 1
		}
		var p [4][]float32
		for i := 1; i < 5; i++ {
			var err error
			if p[i-1], err = float32Param(n, t[i], names[i], c); err != nil {
				return nil, err
			}
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		if !training {
			ops.BatchNormInference(nb, c, sp, float32s(x), p[0], p[1], p[2], p[3], eps, o.f)
			return []*ops.Tensor{o.done()}, nil
		}
		bm, bv := make([]float32, c), make([]float32, c)
		ops.BatchNormTraining(nb, c, sp, float32s(x), p[0], p[1], eps, o.f, bm, bv)
		outs := []*ops.Tensor{o.done()}
		stat := func(src *ops.Tensor, v []float32) *ops.Tensor {
			r := newFloatOutput(env, src.DType, src.Shape)
			copy(r.f, v)
			return r.done()
		}
		run := func(cur, batch []float32) []float32 {
			out := make([]float32, c)
			for i := range out {
				out[i] = cur[i]*momentum + batch[i]*(1-momentum)
			}
			return out
		}
		outs = append(outs, stat(t[3], run(p[2], bm)), stat(t[4], run(p[3], bv)))
		if opset < 14 {
			outs = append(outs, stat(t[3], bm), stat(t[4], bv))
		}
		for i := range outs {
			if i >= len(n.Outputs) || n.Outputs[i] == "" {
				outs[i] = nil
			}
		}
		return outs[:min(len(outs), len(n.Outputs))], nil
	}, nil
}

func buildInstanceNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 3 {
			return nil, fmt.Errorf("node %s: input must be N×C×D1…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		sc, err := requiredInput(n, in, 1, "scale")
		if err != nil {
			return nil, err
		}
		b, err := requiredInput(n, in, 2, "B")
		if err != nil {
			return nil, err
		}
		c := x.Shape[1]
		scale, err := float32Param(n, sc, "scale", c)
		if err != nil {
			return nil, err
		}
		bias, err := float32Param(n, b, "B", c)
		if err != nil {
			return nil, err
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.InstanceNorm(x.Shape[0], c, ops.NumElements(x.Shape[2:]), float32s(x), scale, bias, eps, o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// broadcastFloatTo expands a float tensor to shape (unidirectional
// broadcasting, by ops.ExpandInto), returning its float32 elements.
func broadcastFloatTo(n *graph.Node, t *ops.Tensor, name string, shape []int) ([]float32, error) {
	if err := checkFloat(n, t, name); err != nil {
		return nil, err
	}
	return broadcastAnyFloatTo(n, t, name, shape)
}

// broadcastAnyFloatTo is broadcastFloatTo admitting bfloat16.
func broadcastAnyFloatTo(n *graph.Node, t *ops.Tensor, name string, shape []int) ([]float32, error) {
	if err := checkAnyFloat(n, t, name); err != nil {
		return nil, err
	}
	src := float32s(t)
	if ops.SameShape(t.Shape, shape) {
		return src, nil
	}
	out := ops.New(ops.Float32, shape...)
	if err := ops.ExpandInto(out, ops.FromFloat32(t.Shape, src)); err != nil {
		return nil, fmt.Errorf("node %s: input %s of shape %s does not broadcast to %s", n.Label(), name, ops.ShapeString(t.Shape), ops.ShapeString(shape))
	}
	return out.F32(), nil
}

func buildLayerNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	stash, err := n.Int("stash_type", 1)
	if err != nil {
		return nil, err
	}
	if stash != 1 {
		return nil, fmt.Errorf("node %s: stash_type %d unsupported (only 1, float32)", n.Label(), stash)
	}
	want := func(i int) bool { return len(n.Outputs) > i && n.Outputs[i] != "" }
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		a, err := resolveAxis(n, axis, r)
		if err != nil {
			return nil, err
		}
		norm := x.Shape[a:]
		rows, cols := ops.NumElements(x.Shape[:a]), ops.NumElements(norm)
		sc, err := requiredInput(n, in, 1, "Scale")
		if err != nil {
			return nil, err
		}
		scale, err := broadcastFloatTo(n, sc, "Scale", norm)
		if err != nil {
			return nil, err
		}
		var bias []float32
		if b := optionalInput(in, 2); b != nil {
			if bias, err = broadcastFloatTo(n, b, "B", norm); err != nil {
				return nil, err
			}
		}
		statShape := make([]int, r)
		for i := range statShape {
			if i < a {
				statShape[i] = x.Shape[i]
			} else {
				statShape[i] = 1
			}
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		outs := []*ops.Tensor{nil, nil, nil}
		var mean, inv []float32
		if want(1) {
			outs[1] = env.New(ops.Float32, statShape...)
			mean = outs[1].F32()
		}
		if want(2) {
			outs[2] = env.New(ops.Float32, statShape...)
			inv = outs[2].F32()
		}
		ops.LayerNorm(rows, cols, float32s(x), scale, bias, eps, o.f, mean, inv)
		outs[0] = o.done()
		return outs[:max(1, min(3, len(n.Outputs)))], nil
	}, nil
}

func buildLRN(n *graph.Node, opset int64) (operators.Kernel, error) {
	size, err := n.Int("size", 0)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("node %s: attribute size must be a positive integer, got %d", n.Label(), size)
	}
	alpha, err := n.Float("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.Float("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.Float("bias", 1)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("node %s: input X must be N×C×…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.LRN(x.Shape[0], x.Shape[1], ops.NumElements(x.Shape[2:]), int(size), alpha, beta, bias, float32s(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildMVN(n *graph.Node, opset int64) (operators.Kernel, error) {
	axes, err := n.Ints("axes", []int64{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		reduce := make([]bool, r)
		for _, a := range axes {
			if a < -int64(r) || a >= int64(r) {
				return nil, fmt.Errorf("node %s: axis %d out of range for X of rank %d", n.Label(), a, r)
			}
			if a < 0 {
				a += int64(r)
			}
			reduce[a] = true
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.MeanVarianceNorm(x.Shape, reduce, float32s(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildGroupNorm(n *graph.Node, opset int64) (operators.Kernel, error) {
	eps, err := n.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	groups, err := n.Int("num_groups", 0)
	if err != nil {
		return nil, err
	}
	if groups <= 0 {
		return nil, fmt.Errorf("node %s: attribute num_groups must be positive, got %d", n.Label(), groups)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("node %s: input X must be N×C×…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		c, g := x.Shape[1], int(groups)
		if c%g != 0 {
			return nil, fmt.Errorf("node %s: num_groups %d must divide the %d channels", n.Label(), g, c)
		}
		// Opset 18 has one scale and bias per group, opset 21 per channel.
		per := c
		if opset < 21 {
			per = g
		}
		var sb [2][]float32
		for i, name := range []string{"scale", "bias"} {
			t, err := requiredInput(n, in, 1+i, name)
			if err != nil {
				return nil, err
			}
			v, err := float32Param(n, t, name, per)
			if err != nil {
				return nil, err
			}
			if per != c {
				full := make([]float32, c)
				for ch := range full {
					full[ch] = v[ch/(c/g)]
				}
				v = full
			}
			sb[i] = v
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.GroupNorm(x.Shape[0], c, ops.NumElements(x.Shape[2:]), g, float32s(x), sb[0], sb[1], eps, o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func buildLpNormalization(n *graph.Node, opset int64) (operators.Kernel, error) {
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	p, err := n.Int("p", 2)
	if err != nil {
		return nil, err
	}
	if p != 1 && p != 2 {
		return nil, fmt.Errorf("node %s: p %d must be 1 or 2", n.Label(), p)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		a, err := resolveAxis(n, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		o := newFloatOutput(env, x.DType, x.Shape)
		ops.LpNormalize(ops.NumElements(x.Shape[:a]), x.Shape[a], ops.NumElements(x.Shape[a+1:]), int(p), float32s(x), o.f)
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

func inferLayerNorm(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	stash, err := n.Int("stash_type", 1)
	if err != nil {
		return nil, err
	}
	sdt := graph.DTypeFromElemType(int32(stash))
	x := in[0]
	if !operators.RankKnown(x) {
		return append(out, graph.ValueInfo{DType: sdt}, graph.ValueInfo{DType: sdt}), nil
	}
	axis, err := n.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	a, err := resolveAxis(n, axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	stat := append(graph.Shape(nil), x.Shape[:a]...)
	for range x.Shape[a:] {
		stat = append(stat, operators.KnownDim(1))
	}
	return append(out, ranked(sdt, stat), ranked(sdt, append(graph.Shape(nil), stat...))), nil
}
