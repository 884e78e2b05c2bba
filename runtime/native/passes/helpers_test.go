package passes_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/native"
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/stretchr/testify/require"
)

// opsOf lists g's nodes as "Op(inputs)->outputs", for comparing graphs.
func opsOf(g *graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.OpType+"("+strings.Join(n.Inputs, ",")+")->"+strings.Join(n.Outputs, ","))
	}
	return out
}

// runGraph compiles g (unoptimised) with m's opsets and runs it on inputs.
func runGraph(t *testing.T, m *graph.Model, g *graph.Graph, inputs ...*ops.Tensor) []*ops.Tensor {
	t.Helper()
	mc := *m
	mc.Graph = g
	p, err := native.Compile(&mc, native.Options{})
	require.NoError(t, err)
	out, err := p.Run(context.Background(), inputs)
	require.NoError(t, err)
	return out
}

// runPass runs one pass, failing the test on an error.
func runPass(t *testing.T, p passes.Pass, m *graph.Model, g *graph.Graph) *graph.Graph {
	t.Helper()
	out, err := p.Run(m, g)
	require.NoError(t, err, "pass %s", p.Name)
	require.NotNil(t, out, "pass %s", p.Name)
	return out
}
