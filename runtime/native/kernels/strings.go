package kernels

// The string operators: StringConcat, StringSplit, StringNormalizer and
// RegexFullMatch (Equal on strings is in compare.go). The text work is in
// ops/strings.go.

import (
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

var stringInputs = []operators.TypeSet{{ops.String}}

func init() {
	operators.Register(operators.Op{Type: "StringConcat", Inputs: stringInputs, Infer: inferStringConcat, Build: buildStringConcat}, 20)
	operators.Register(operators.Op{Type: "StringSplit", Inputs: stringInputs, Infer: inferStringSplit, Build: buildStringSplit}, 20)
	operators.Register(operators.Op{Type: "StringNormalizer", Inputs: stringInputs, Infer: inferStringNormalizer, Build: buildStringNormalizer}, 10)
	operators.Register(operators.Op{Type: "RegexFullMatch", Inputs: stringInputs, Infer: inferSameBool, Build: buildRegexFullMatch}, 20)
}

func buildStringConcat(n *graph.Node, opset int64) (operators.Kernel, error) {
	return buildBroadcastBinary(ops.String, func(n *graph.Node, a, b *ops.Tensor) error {
		if a.DType != ops.String || b.DType != ops.String {
			return fmt.Errorf("node %s: inputs must be strings, got %v and %v", n.Label(), a.DType, b.DType)
		}
		return nil
	}, ops.StringConcat)(n, opset)
}

func inferStringConcat(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	out, err := inferBroadcast(c, n, in)
	if err != nil {
		return nil, err
	}
	out[0].DType = ops.String
	return out, nil
}

func buildStringSplit(n *graph.Node, opset int64) (operators.Kernel, error) {
	sep, err := n.String("delimiter", "")
	if err != nil {
		return nil, err
	}
	maxsplit := int64(-1)
	if n.Has("maxsplit") {
		if maxsplit, err = n.Int("maxsplit", -1); err != nil {
			return nil, err
		}
		if maxsplit < 0 {
			return nil, fmt.Errorf("node %s: maxsplit %d is negative", n.Label(), maxsplit)
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		parts, counts, err := ops.StringSplitAll(x, sep, int(maxsplit))
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{parts, counts}, nil
	}, nil
}

// inferStringSplit: Y has X's shape and one more axis of unknown length
// (the most parts any element splits into), Z X's shape in int64.
func inferStringSplit(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return []graph.ValueInfo{{DType: ops.String}, {DType: ops.Int64}}, nil
	}
	y := append(append(graph.Shape(nil), x.Shape...), operators.UnknownDim)
	return []graph.ValueInfo{ranked(ops.String, y), ranked(ops.Int64, append(graph.Shape(nil), x.Shape...))}, nil
}

func buildStringNormalizer(n *graph.Node, opset int64) (operators.Kernel, error) {
	action, err := n.String("case_change_action", "NONE")
	if err != nil {
		return nil, err
	}
	var change ops.CaseChange
	switch action {
	case "NONE":
	case "LOWER":
		change = ops.CaseLower
	case "UPPER":
		change = ops.CaseUpper
	default:
		return nil, fmt.Errorf("node %s: case_change_action %q (want LOWER, UPPER or NONE)", n.Label(), action)
	}
	sensitive, err := n.Int("is_case_sensitive", 0)
	if err != nil {
		return nil, err
	}
	var stops []string
	if a, ok := n.Attrs["stopwords"]; ok {
		if a.Type != graph.AttrStrings {
			return nil, fmt.Errorf("node %s: attribute stopwords must be strings", n.Label())
		}
		for _, w := range a.Strings {
			stops = append(stops, string(w))
		}
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		y, err := ops.NormalizeStrings(x, change, sensitive != 0, stops)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}

// inferStringNormalizer: the rank of X; the length of its last axis is
// unknown (empty results are dropped).
func inferStringNormalizer(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if !operators.RankKnown(x) {
		return one(graph.ValueInfo{DType: ops.String}), nil
	}
	y := append(graph.Shape(nil), x.Shape...)
	if len(y) > 0 {
		y[len(y)-1] = operators.UnknownDim
	}
	return one(ranked(ops.String, y)), nil
}

func buildRegexFullMatch(n *graph.Node, opset int64) (operators.Kernel, error) {
	pattern, err := n.String("pattern", "")
	if err != nil {
		return nil, err
	}
	re, err := ops.FullMatch(pattern)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Label(), err)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := requiredInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		if x.DType != ops.String {
			return nil, fmt.Errorf("node %s: input X must be strings, got %v", n.Label(), x.DType)
		}
		y := env.New(ops.Bool, x.Shape...)
		yd := y.B()
		for i, s := range x.Str() {
			yd[i] = re.MatchString(s)
		}
		return []*ops.Tensor{y}, nil
	}, nil
}
