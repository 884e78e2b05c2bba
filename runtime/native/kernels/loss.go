package kernels

// Loss operators: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
// (optional log_prob output), on ops.NLLLoss / ops.SoftmaxCrossEntropy.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "NegativeLogLikelihoodLoss", Infer: inferLoss, Build: buildLoss(false)}, 12, 13, 22)
	operators.Register(operators.Op{Type: "SoftmaxCrossEntropyLoss", Infer: inferLoss, Build: buildLoss(true)}, 12, 13)
}

func buildLoss(softmax bool) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		rs, err := n.String("reduction", "mean")
		if err != nil {
			return nil, err
		}
		var red ops.Reduction
		switch rs {
		case "none":
			red = ops.ReduceNone
		case "sum":
			red = ops.ReduceSum
		case "mean":
			red = ops.ReduceMean
		default:
			return nil, fmt.Errorf("node %s: unknown reduction %q (want none, sum or mean)", n.Label(), rs)
		}
		hasIgnore := n.Has("ignore_index")
		ignore, err := n.Int("ignore_index", 0)
		if err != nil {
			return nil, err
		}
		wantLogProb := softmax && len(n.Outputs) > 1 && n.Outputs[1] != ""
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			x, err := floatInput(n, in, 0, "input")
			if err != nil {
				return nil, err
			}
			tg, err := requiredInput(n, in, 1, "target")
			if err != nil {
				return nil, err
			}
			if x.Rank() < 2 {
				return nil, fmt.Errorf("node %s: input must be N×C or N×C×D1…, got shape %s", n.Label(), ops.ShapeString(x.Shape))
			}
			nb, c := x.Shape[0], x.Shape[1]
			d := ops.NumElements(x.Shape[2:])
			want := append([]int{nb}, x.Shape[2:]...)
			if !ops.SameShape(tg.Shape, want) {
				return nil, fmt.Errorf("node %s: target of shape %s should have shape %s", n.Label(), ops.ShapeString(tg.Shape), ops.ShapeString(want))
			}
			target, err := indexValues(n, tg, "target")
			if err != nil {
				return nil, err
			}
			var weight []float32
			if w := optionalInput(in, 2); w != nil {
				if weight, err = float32Param(n, w, "weight", c); err != nil {
					return nil, err
				}
			}
			shape := []int{}
			if red == ops.ReduceNone {
				shape = want
			}
			out := newFloatOutput(env, x.DType, shape)
			xs := float32s(x)
			if softmax {
				lp := newFloatOutput(env, x.DType, x.Shape)
				err = ops.SoftmaxCrossEntropy(nb, c, d, xs, target, weight, ignore, hasIgnore, red, lp.f, out.f)
				if err != nil {
					return nil, fmt.Errorf("node %s: %w", n.Label(), err)
				}
				if wantLogProb {
					return []*ops.Tensor{out.done(), lp.done()}, nil
				}
				return []*ops.Tensor{out.done()}, nil
			}
			if err := ops.NLLLoss(nb, c, d, xs, target, weight, ignore, hasIgnore, red, out.f); err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Label(), err)
			}
			return []*ops.Tensor{out.done()}, nil
		}, nil
	}
}

// indexValues returns an int64 or int32 tensor's elements as int64.
func indexValues(n *graph.Node, t *ops.Tensor, name string) ([]int64, error) {
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("node %s: input %s must be int64 or int32, got %v", n.Label(), name, t.DType)
}

// inferLoss: the loss has the target's shape with reduction none, is a
// scalar otherwise, in the scores' type; SoftmaxCrossEntropyLoss's
// optional second output (log_prob) has the scores' shape.
func inferLoss(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	scores, target := in[0], in[1]
	rs, err := n.String("reduction", "mean")
	if err != nil {
		return nil, err
	}
	loss := ranked(scores.DType, nil)
	if rs == "none" {
		loss = graph.ValueInfo{DType: scores.DType}
		if operators.RankKnown(target) {
			loss = ranked(scores.DType, append(graph.Shape(nil), target.Shape...))
		}
	}
	out := []graph.ValueInfo{loss}
	if len(n.Outputs) > 1 {
		lp := graph.ValueInfo{DType: scores.DType}
		if operators.RankKnown(scores) {
			lp = ranked(scores.DType, append(graph.Shape(nil), scores.Shape...))
		}
		out = append(out, lp)
	}
	return out, nil
}
