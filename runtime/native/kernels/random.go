package kernels

// RandomNormal, RandomUniform, RandomNormalLike, RandomUniformLike,
// Bernoulli and Dropout (identity in inference, inverted dropout in
// training mode). With a seed attribute every run draws the same values
// (ops.NewSeededRand); without one they come from the run's generator
// env.Rand.

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "RandomNormalLike", Infer: inferRandomLike, Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return buildRandomLike(n, "mean", 0, "scale", 1, ops.RandomNormalInto)
	}}, 1)
	operators.Register(operators.Op{Type: "RandomUniformLike", Infer: inferRandomLike, Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return buildRandomLike(n, "low", 0, "high", 1, ops.RandomUniformInto)
	}}, 1)
	operators.Register(operators.Op{Type: "RandomNormal", Infer: inferRandom, Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return buildRandom(n, "mean", 0, "scale", 1, ops.RandomNormalInto)
	}}, 1)
	operators.Register(operators.Op{Type: "RandomUniform", Infer: inferRandom, Build: func(n *graph.Node, opset int64) (operators.Kernel, error) {
		return buildRandom(n, "low", 0, "high", 1, ops.RandomUniformInto)
	}}, 1)
	operators.Register(operators.Op{Type: "Bernoulli", Infer: inferRandomLike, Build: buildBernoulli}, 15)
	operators.Register(operators.Op{Type: "Dropout", Infer: inferDropout, Build: buildDropout}, 1, 6, 7, 10, 12, 13)
}

// buildBernoulli compiles Bernoulli: 1 with the input's probability, else 0,
// in the dtype attribute's type (any type latent holds) or the input's.
func buildBernoulli(n *graph.Node, opset int64) (operators.Kernel, error) {
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	var seed *float32
	if n.Has("seed") {
		s, err := n.Float("seed", 0)
		if err != nil {
			return nil, err
		}
		seed = &s
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
		if err != nil {
			return nil, err
		}
		odt := dt
		if odt == ops.Invalid {
			odt = x.DType
		}
		out := env.New(odt, x.Shape...)
		if err := ops.BernoulliInto(out, x, randomSource(env, seed)); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// randomParams reads the attributes Random* nodes share: the two
// distribution parameters, the optional dtype (ops.Invalid when absent) and
// the optional seed.
func randomParams(n *graph.Node, pa string, da float32, pb string, db float32) (a, b float32, dt ops.DType, seed *float32, err error) {
	if a, err = n.Float(pa, da); err != nil {
		return
	}
	if b, err = n.Float(pb, db); err != nil {
		return
	}
	dt = ops.Invalid
	if n.Has("dtype") {
		var code int64
		if code, err = n.Int("dtype", 0); err != nil {
			return
		}
		dt = graph.DTypeFromElemType(int32(code))
		if !dt.IsFloat() {
			err = fmt.Errorf("node %s: dtype %d is not float16, float or double", n.Label(), code)
			return
		}
	}
	if n.Has("seed") {
		var s float32
		if s, err = n.Float("seed", 0); err != nil {
			return
		}
		seed = &s
	}
	return
}

// randomSource picks the generator of one run: a fresh one from the seed
// attribute, else the run's env.Rand, else a randomly seeded one.
func randomSource(env *operators.Env, seed *float32) *rand.Rand {
	switch {
	case seed != nil:
		return ops.NewSeededRand(*seed)
	case env != nil && env.Rand != nil:
		return env.Rand
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

// buildRandom compiles RandomNormal/RandomUniform: the output shape comes
// from the shape attribute, the type from dtype (default float).
func buildRandom(n *graph.Node, pa string, da float32, pb string, db float32,
	fill func(*ops.Tensor, *rand.Rand, float64, float64) error) (operators.Kernel, error) {
	a, b, dt, seed, err := randomParams(n, pa, da, pb, db)
	if err != nil {
		return nil, err
	}
	if dt == ops.Invalid {
		dt = ops.Float32
	}
	if !n.Has("shape") {
		return nil, fmt.Errorf("node %s: missing attribute shape", n.Label())
	}
	spec, err := n.Ints("shape", nil)
	if err != nil {
		return nil, err
	}
	shape, err := shapeFromInts(n, spec)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		out := env.New(dt, shape...)
		if err := fill(out, randomSource(env, seed), float64(a), float64(b)); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

// buildRandomLike compiles a Random*Like node whose two float parameters are
// attributes pa and pb; fill draws the samples. The output has the input's
// shape, and its type unless dtype says otherwise.
func buildRandomLike(n *graph.Node, pa string, da float32, pb string, db float32,
	fill func(*ops.Tensor, *rand.Rand, float64, float64) error) (operators.Kernel, error) {
	a, b, dt, seed, err := randomParams(n, pa, da, pb, db)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "input")
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
		out := env.New(odt, x.Shape...)
		if err := fill(out, randomSource(env, seed), float64(a), float64(b)); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{out}, nil
	}, nil
}

func buildDropout(n *graph.Node, opset int64) (operators.Kernel, error) {
	ratioAttr, err := n.Float("ratio", 0.5)
	if err != nil {
		return nil, err
	}
	wantMask := len(n.Outputs) > 1 && n.Outputs[1] != ""
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "data")
		if err != nil {
			return nil, err
		}
		ratio := ratioAttr
		training := false
		if opset >= 12 {
			ratio = 0.5
			if r := optionalInput(in, 1); r != nil {
				if r.Len() != 1 || !r.DType.IsFloat() {
					return nil, fmt.Errorf("node %s: input ratio must be a float scalar, got %v", n.Label(), r)
				}
				ratio = float32s(r)[0]
			}
			if t := optionalInput(in, 2); t != nil {
				if t.DType != ops.Bool || t.Len() != 1 {
					return nil, fmt.Errorf("node %s: input training_mode must be a bool scalar, got %v", n.Label(), t)
				}
				training = t.B()[0]
			}
		}
		if training && (ratio < 0 || ratio >= 1) {
			return nil, fmt.Errorf("node %s: ratio %v must be in [0, 1)", n.Label(), ratio)
		}
		if !training || ratio == 0 {
			if !wantMask {
				return []*ops.Tensor{x}, nil
			}
			return []*ops.Tensor{x, dropoutMask(env, opset, x, nil)}, nil
		}
		if !x.DType.IsFloat() {
			return nil, fmt.Errorf("node %s: training-mode Dropout needs float data, got %v", n.Label(), x.DType)
		}
		if env == nil || env.Rand == nil {
			return nil, fmt.Errorf("node %s: training-mode Dropout needs a random source (operators.Env.Rand)", n.Label())
		}
		keep := make([]bool, x.Len())
		for i := range keep {
			keep[i] = env.Rand.Float32() >= ratio
		}
		xf := float32s(x)
		o := newFloatOutput(env, x.DType, x.Shape)
		s := 1 / (1 - ratio)
		for i, k := range keep {
			if k {
				o.f[i] = xf[i] * s
			} else {
				o.f[i] = 0
			}
		}
		if !wantMask {
			return []*ops.Tensor{o.done()}, nil
		}
		return []*ops.Tensor{o.done(), dropoutMask(env, opset, x, keep)}, nil
	}, nil
}

// dropoutMask builds the mask output: bool from opset 10, the data type
// before; keep nil means all kept.
func dropoutMask(env *operators.Env, opset int64, x *ops.Tensor, keep []bool) *ops.Tensor {
	if opset >= 10 || !x.DType.IsFloat() {
		m := env.New(ops.Bool, x.Shape...)
		b := m.B()
		for i := range b {
			b[i] = keep == nil || keep[i]
		}
		return m
	}
	o := newFloatOutput(env, x.DType, x.Shape)
	for i := range o.f {
		if keep == nil || keep[i] {
			o.f[i] = 1
		} else {
			o.f[i] = 0
		}
	}
	return o.done()
}

func inferDropout(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	mask := out[0]
	mask.DType = ops.Bool
	return append(out, mask), nil
}

func randomDType(n *graph.Node, def ops.DType) (ops.DType, error) {
	if !n.Has("dtype") {
		return def, nil
	}
	code, err := n.Int("dtype", 0)
	if err != nil {
		return ops.Invalid, err
	}
	return graph.DTypeFromElemType(int32(code)), nil
}

func inferRandomLike(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferSame(c, n, in)
	if err != nil {
		return nil, err
	}
	if out[0].DType, err = randomDType(n, in[0].DType); err != nil {
		return nil, err
	}
	return out, nil
}

func inferRandom(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	dt, err := randomDType(n, ops.Float32)
	if err != nil {
		return nil, err
	}
	shape, err := n.Ints("shape", nil)
	if err != nil {
		return nil, err
	}
	if shape == nil {
		return nil, errors.New(`attribute "shape" is required`)
	}
	out := make(graph.Shape, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		out[i] = operators.KnownDim(d)
	}
	return one(ranked(dt, out)), nil
}
