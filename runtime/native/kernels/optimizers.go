package kernels

// The ai.onnx.preview.training optimiser steps (Adagrad, Momentum with
// standard or Nesterov momentum, Adam): each updates n tensors X with
// their gradients G and per-tensor state (accumulated squares H, momentum
// V), elementwise in float64, at learning rate R and step count T.

import (
	"fmt"
	"math"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

// trainingDomain is the domain of ONNX's training operators.
const trainingDomain = "ai.onnx.preview.training"

func init() {
	f := operators.TypeSet{ops.Float32, ops.Float64}
	in := []operators.TypeSet{f, {ops.Int64}, f}
	for _, o := range []struct {
		name   string
		states int
		step   func(n *graph.Node) (optimStep, error)
	}{{"Adagrad", 1, adagradStep}, {"Momentum", 1, momentumStep}, {"Adam", 2, adamStep}} {
		o := o
		operators.Register(operators.Op{Domain: trainingDomain, Type: o.name, Inputs: in,
			Infer: inferOptimizer(o.states), Build: buildOptimizer(o.states, o.step)}, 1)
	}
}

// optimStep returns the update at learning rate r and step t: it maps a
// value x, its gradient g and its state s (updated in place) to x's new
// value.
type optimStep func(r float64, t int64) func(x, g float64, s []float64) float64

func optimizerAttrs(n *graph.Node, names []string, defs []float64, required bool) ([]float64, error) {
	out := make([]float64, len(names))
	for i, name := range names {
		if required && !n.Has(name) {
			return nil, fmt.Errorf("node %s: missing required attribute %s", n.Label(), name)
		}
		v, err := n.Float(name, float32(defs[i]))
		if err != nil {
			return nil, err
		}
		out[i] = float64(v)
	}
	return out, nil
}

func adagradStep(n *graph.Node) (optimStep, error) {
	a, err := optimizerAttrs(n, []string{"decay_factor", "epsilon", "norm_coefficient"}, []float64{0, 1e-6, 0}, false)
	if err != nil {
		return nil, err
	}
	decay, eps, norm := a[0], a[1], a[2]
	return func(r float64, t int64) func(x, g float64, s []float64) float64 {
		rt := r / (1 + float64(t)*decay)
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] += g * g
			return x - rt*g/(math.Sqrt(s[0])+eps)
		}
	}, nil
}

func momentumStep(n *graph.Node) (optimStep, error) {
	a, err := optimizerAttrs(n, []string{"alpha", "beta", "norm_coefficient"}, []float64{0, 0, 0}, true)
	if err != nil {
		return nil, err
	}
	nesterov, err := enumAttr(n, "mode", "", enumChoice[bool]{"standard", false}, enumChoice[bool]{"nesterov", true})
	if err != nil {
		return nil, err
	}
	alpha, beta, norm := a[0], a[1], a[2]
	return func(r float64, t int64) func(x, g float64, s []float64) float64 {
		b := beta
		if t == 0 {
			b = 1 // the first step takes the whole gradient
		}
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] = alpha*s[0] + b*g
			if nesterov {
				return x - r*(g+alpha*s[0])
			}
			return x - r*s[0]
		}
	}, nil
}

func adamStep(n *graph.Node) (optimStep, error) {
	a, err := optimizerAttrs(n, []string{"alpha", "beta", "epsilon", "norm_coefficient", "norm_coefficient_post"}, []float64{0.9, 0.999, 1e-6, 0, 0}, false)
	if err != nil {
		return nil, err
	}
	alpha, beta, eps, norm, post := a[0], a[1], a[2], a[3], a[4]
	return func(r float64, t int64) func(x, g float64, s []float64) float64 {
		rt := r
		if t > 0 {
			// Bias correction of both moments folded into the rate.
			rt = r * math.Sqrt(1-math.Pow(beta, float64(t))) / (1 - math.Pow(alpha, float64(t)))
		}
		return func(x, g float64, s []float64) float64 {
			g += norm * x
			s[0] = alpha*s[0] + (1-alpha)*g
			s[1] = beta*s[1] + (1-beta)*g*g
			return (1 - post) * (x - rt*s[0]/(math.Sqrt(s[1])+eps))
		}
	}, nil
}

// optimizerArity checks the input count, 2 + (2 + states)·n, and returns n.
func optimizerArity(n *graph.Node, count, states int) (int, error) {
	per := 2 + states
	if count < 2+per || (count-2)%per != 0 {
		return 0, fmt.Errorf("node %s: %s takes R, T and %d groups of n tensors (X, G and the state), got %d inputs", n.Label(), n.OpType, per, count)
	}
	return (count - 2) / per, nil
}

func buildOptimizer(states int, mk func(n *graph.Node) (optimStep, error)) operators.Builder {
	return func(n *graph.Node, opset int64) (operators.Kernel, error) {
		step, err := mk(n)
		if err != nil {
			return nil, err
		}
		return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
			cnt, err := optimizerArity(n, len(in), states)
			if err != nil {
				return nil, err
			}
			for i, t := range in {
				if t == nil {
					return nil, fmt.Errorf("node %s: input %d is required", n.Label(), i)
				}
			}
			r, err := scalarFloat(n, in[0], "R")
			if err != nil {
				return nil, err
			}
			if in[1].DType != ops.Int64 || in[1].Len() != 1 {
				return nil, fmt.Errorf("node %s: T must be an int64 scalar, got %v%s", n.Label(), in[1].DType, ops.ShapeString(in[1].Shape))
			}
			update := step(r, in[1].I64()[0])
			out := make([]*ops.Tensor, (1+states)*cnt)
			s := make([]float64, states)
			for i := 0; i < cnt; i++ {
				x := in[2+i]
				group := []*ops.Tensor{x, in[2+cnt+i]}
				for k := 0; k < states; k++ {
					group = append(group, in[2+(2+k)*cnt+i])
				}
				vals := make([][]float64, len(group))
				for j, t := range group {
					if t.DType != ops.Float32 && t.DType != ops.Float64 {
						return nil, fmt.Errorf("node %s: input %d must be float32 or float64, got %v", n.Label(), 2+j*cnt+i, t.DType)
					}
					if !ops.SameShape(t.Shape, x.Shape) {
						return nil, fmt.Errorf("node %s: tensor %d's gradient and state must have X's shape %s, got %s", n.Label(), i, ops.ShapeString(x.Shape), ops.ShapeString(t.Shape))
					}
					vals[j] = float64s(t)
				}
				res := make([][]float64, len(group))
				for j := range res {
					res[j] = make([]float64, x.Len())
				}
				for e := range res[0] {
					for k := range s {
						s[k] = vals[2+k][e]
					}
					res[0][e] = update(vals[0][e], vals[1][e], s)
					for k := range s {
						res[1+k][e] = s[k]
					}
				}
				// Outputs: the new X of every tensor, then each state's.
				for j, slot := range append([]int{0}, seq(2, 2+states)...) {
					t, err := castFloat64s(env, n, group[slot].DType, x.Shape, res[j])
					if err != nil {
						return nil, err
					}
					out[j*cnt+i] = t
				}
			}
			return out, nil
		}, nil
	}
}

// seq is lo, lo+1, …, hi−1.
func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// inferOptimizer: each output has the type and shape of the tensor it
// updates.
func inferOptimizer(states int) operators.Rule {
	return func(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
		cnt, err := optimizerArity(n, len(in), states)
		if err != nil {
			return nil, err
		}
		out := make([]graph.ValueInfo, (1+states)*cnt)
		for i := 0; i < cnt; i++ {
			for j, slot := range append([]int{0}, seq(2, 2+states)...) {
				v := in[2+slot*cnt+i]
				out[j*cnt+i] = graph.ValueInfo{DType: v.DType, Shape: append(graph.Shape(nil), v.Shape...), HasShape: operators.RankKnown(v)}
			}
		}
		return out, nil
	}
}
