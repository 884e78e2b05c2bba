package native

// RandomNormalLike and RandomUniformLike. With a seed attribute every run
// draws the same values (ops.NewSeededRand); without one they come from the
// run's generator env.Rand.

import (
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
)

func init() {
	Register("", "RandomNormalLike", 1, func(n *graph.Node, opset int64) (Kernel, error) {
		return buildRandomLike(n, "mean", 0, "scale", 1, ops.RandomNormalInto)
	})
	Register("", "RandomUniformLike", 1, func(n *graph.Node, opset int64) (Kernel, error) {
		return buildRandomLike(n, "low", 0, "high", 1, ops.RandomUniformInto)
	})
}

// buildRandomLike compiles a Random*Like node whose two float parameters are
// attributes pa and pb; fill draws the samples.
func buildRandomLike(n *graph.Node, pa string, da float32, pb string, db float32,
	fill func(*ops.Tensor, *rand.Rand, float64, float64) error) (Kernel, error) {
	a, err := n.Float(pa, da)
	if err != nil {
		return nil, err
	}
	b, err := n.Float(pb, db)
	if err != nil {
		return nil, err
	}
	dt := ops.Invalid
	if n.Has("dtype") {
		code, err := n.Int("dtype", 0)
		if err != nil {
			return nil, err
		}
		dt = graph.DTypeFromElemType(int32(code))
		if !dt.IsFloat() {
			return nil, fmt.Errorf("node %s: dtype %d is not float16, float or double", n.Label(), code)
		}
	}
	var seed *float32
	if n.Has("seed") {
		s, err := n.Float("seed", 0)
		if err != nil {
			return nil, err
		}
		seed = &s
	}
	return func(env *Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := tkInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		odt := dt
		if odt == ops.Invalid {
			if !x.DType.IsFloat() {
				return nil, fmt.Errorf("node %s: input is %v and no dtype attribute names a float output type", n.Label(), x.DType)
			}
			odt = x.DType
		}
		var r *rand.Rand
		switch {
		case seed != nil:
			r = ops.NewSeededRand(*seed)
		case env != nil && env.Rand != nil:
			r = env.Rand
		default:
			r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		}
		out := env.New(odt, x.Shape...)
		if err := fill(out, r, float64(a), float64(b)); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}
