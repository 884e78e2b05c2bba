package passes

import (
	"fmt"
	"strings"
	"time"

	"github.com/latent-ml/latent/runtime/graph"
)

// Pass is one graph rewrite: a stable name (for inspection and for
// switching the pass off), a one-line description, and the rewrite. Run
// returns a new graph, or g itself when nothing changed; it never modifies
// g, its nodes or its initializers. m supplies the opset imports.
type Pass struct {
	Name string
	Doc  string
	Run  func(m *graph.Model, g *graph.Graph) (*graph.Graph, error)
}

// Pipeline is the pass manager: an ordered list of passes, run one after
// the other. Build variants with Without; inspect with Names or Trace.
type Pipeline []Pass

// Default returns the native backend's passes in their order:
//
//	remove-passthrough  Identity / inference Dropout removed
//	fold-constants      constant subgraphs evaluated (after shape inference)
//	fold-affine         input scaling into the first Gemm, output scaling into one Affine
//	fold-batchnorm      BatchNormalization into the preceding convolution
//	fuse-gelu           the exporters' decomposed GELU into one Gelu node
//	fuse-softmax        masked-attention Softmax → IsNaN → Where into one node
//	fuse-layers         Gemm, MatMul+Add, Conv, ConvTranspose with their activation
//	fuse-channel-scale  a squeeze-excitation gate's Mul into the Conv after it
//	prepack-weights     wide dense layers' weights stored k×n
//
// Folding runs before fusion so that fused layers see folded weights, and
// prepacking last because it reads the fused Gemm nodes.
func Default() Pipeline {
	return Pipeline{RemovePassThrough, FoldConstants, FoldAffine, FoldBatchNorm, FuseGelu, FuseSoftmax, FuseLayers, FuseChannelScale, PrepackWeights}
}

// Names lists the passes in order.
func (p Pipeline) Names() []string {
	out := make([]string, len(p))
	for i, ps := range p {
		out[i] = ps.Name
	}
	return out
}

// Without returns a copy of p without the named passes (for debugging a
// miscompiled model pass by pass). An unknown name is an error listing the
// passes p has.
func (p Pipeline) Without(names ...string) (Pipeline, error) {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		if !p.has(n) {
			return nil, fmt.Errorf("unknown pass %q (passes: %s)", n, strings.Join(p.Names(), ", "))
		}
		drop[n] = true
	}
	out := make(Pipeline, 0, len(p))
	for _, ps := range p {
		if !drop[ps.Name] {
			out = append(out, ps)
		}
	}
	return out, nil
}

func (p Pipeline) has(name string) bool {
	for _, ps := range p {
		if ps.Name == name {
			return true
		}
	}
	return false
}

// Run applies the passes in order to g, a graph of m, and returns the
// result. g is not modified. An error names the pass that failed.
func (p Pipeline) Run(m *graph.Model, g *graph.Graph) (*graph.Graph, error) {
	return p.Trace(m, g, nil)
}

// Step describes one pass of a traced run: the graph's node and
// initializer counts before and after it, and the time it took.
type Step struct {
	Pass                    string
	NodesBefore, NodesAfter int
	InitsBefore, InitsAfter int
	Elapsed                 time.Duration
}

// Trace is Run calling step (when not nil) after every pass.
func (p Pipeline) Trace(m *graph.Model, g *graph.Graph, step func(Step)) (*graph.Graph, error) {
	for _, ps := range p {
		start := time.Now()
		out, err := ps.Run(m, g)
		if err != nil {
			return nil, fmt.Errorf("pass %s: %w", ps.Name, err)
		}
		if out == nil {
			return nil, fmt.Errorf("pass %s returned no graph", ps.Name)
		}
		if step != nil {
			step(Step{Pass: ps.Name, NodesBefore: len(g.Nodes), NodesAfter: len(out.Nodes),
				InitsBefore: len(g.Initializers), InitsAfter: len(out.Initializers), Elapsed: time.Since(start)})
		}
		g = out
	}
	return g, nil
}
