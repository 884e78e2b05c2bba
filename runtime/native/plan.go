// Package native owns the native execution backend's planner and executor:
// Compile turns a graph.Model into an immutable Plan (optionally optimised
// by runtime/native/passes, one kernel per node built from the operator
// registry in runtime/operators, value slots and buffer lifetimes), and
// Plan.Run executes it with buffers recycled between runs. The kernels live
// in runtime/native/kernels. It needs no cgo.
package native

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/internal/buffers"
	_ "github.com/latent-ml/latent/runtime/native/kernels" // registers the native kernels
	"github.com/latent-ml/latent/runtime/native/passes"
	"github.com/latent-ml/latent/runtime/operators"
)

// Options configures Compile.
type Options struct {
	// Seed seeds Env.Rand at the start of every Run, so runs of a plan with
	// random operators (without a seed attribute) are reproducible.
	Seed uint64
	// Threads bounds the goroutines one Run may use (0: default). Reserved
	// for parallel kernels; the executor itself runs nodes in order.
	Threads int
	// Optimize runs the optimiser's passes on a copy of the graph before
	// planning: Passes, or passes.Default() when Passes is nil.
	Optimize bool
	// Passes is the pipeline Optimize runs. Build variants from
	// passes.Default(), e.g. Without("fuse-layers") to rule a pass out
	// while debugging.
	Passes passes.Pipeline
	// MaxTensorBytes bounds one tensor a kernel allocates during Run (0:
	// graph.DefaultMaxTensorBytes, negative: no bound): shapes computed
	// from hostile attributes or data fail with a *LimitError naming the
	// node instead of exhausting memory.
	MaxTensorBytes int64
}

// LimitError reports a tensor a kernel tried to allocate that exceeds
// Options.MaxTensorBytes; Run returns it wrapped with the node's label.
// It wraps graph.ErrLimit.
type LimitError = buffers.LimitError

// allocLimit resolves Options.MaxTensorBytes.
func allocLimit(v int64) int64 {
	switch {
	case v == 0:
		return graph.DefaultMaxTensorBytes
	case v < 0:
		return math.MaxInt64
	}
	return v
}

// Plan is a compiled graph: one kernel per node in execution order, value
// slots and the step after which each intermediate value is dead. A Plan
// is immutable after Compile and safe for concurrent Run calls; per-run
// state comes from a pool.
type Plan struct {
	graph *graph.Graph // the (possibly optimised) graph the plan was built from

	nslots int
	// consts holds the initializer tensor of each constant slot (nil for
	// other slots). Constants are never recycled or written.
	consts []*ops.Tensor
	// inputSlots are the slots of the graph inputs, then of the overridable
	// initializers, in the order Run accepts them.
	inputSlots  []int
	nRequired   int // len(graph.Inputs): the inputs a caller must feed
	outputSlots []int
	isOutput    []bool
	// read marks slots some step reads or the graph outputs: a kernel may
	// leave an unread optional output nil.
	read  []bool
	steps []step
	names []string // slot -> value name, for errors

	seed     uint64
	maxBytes int64
	state    statePool
}

// step is one node to run.
type step struct {
	node   *graph.Node
	label  string
	kernel operators.Kernel
	in     []int // input slots, -1 for omitted optional inputs
	out    []int // output slots, -1 for omitted optional outputs
	// implicit lists slots of outer values the node's subgraphs read: they
	// stay alive until the node has run.
	implicit []int
	// release lists the slots whose last reader is this step (or that are
	// produced here and never read): their buffers may be recycled after it.
	release []int
}

// nodeDesc names a node for error messages: `node "conv1" (Conv)` when it
// has a name, otherwise `node Conv -> "y"` with its first named output.
func nodeDesc(n *graph.Node) string {
	if n.Name != "" {
		return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
	}
	for _, o := range n.Outputs {
		if o != "" {
			return fmt.Sprintf("node %s -> %q", n.OpType, o)
		}
	}
	return "node " + n.OpType
}

// Compile checks m, optionally optimises a copy of its graph, builds a
// kernel for every node from the registry at the model's opset for the
// node's domain and computes buffer lifetimes. m is not modified.
//
// All unsupported operators are reported in one error.
func Compile(m *graph.Model, opts Options) (*Plan, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("native: compile: model has no graph")
	}
	g := m.Graph
	if opts.Optimize {
		var err error
		pipeline := opts.Passes
		if pipeline == nil {
			pipeline = passes.Default()
		}
		g, err = pipeline.Run(m, g)
		if err != nil {
			return nil, fmt.Errorf("native: optimise: %w", err)
		}
	}
	p := &Plan{graph: g, seed: opts.Seed, maxBytes: allocLimit(opts.MaxTensorBytes)}
	if err := p.build(m, g); err != nil {
		return nil, err
	}
	p.state.init(p)
	return p, nil
}

// Graph returns the graph the plan runs (after optimisation). It must not
// be modified.
func (p *Plan) Graph() *graph.Graph { return p.graph }

// NumSteps reports how many nodes the plan runs.
func (p *Plan) NumSteps() int { return len(p.steps) }

func (p *Plan) build(m *graph.Model, g *graph.Graph) error {
	slot := map[string]int{}
	newSlot := func(name string) int {
		i := len(p.names)
		p.names = append(p.names, name)
		p.consts = append(p.consts, nil)
		slot[name] = i
		return i
	}
	for _, vi := range g.Inputs {
		if vi.Name == "" {
			return errors.New("native: graph input with an empty name")
		}
		if _, dup := slot[vi.Name]; dup {
			return fmt.Errorf("native: graph input %q declared twice", vi.Name)
		}
		p.inputSlots = append(p.inputSlots, newSlot(vi.Name))
	}
	p.nRequired = len(g.Inputs)
	for _, name := range initNames(g) {
		t := g.Initializers[name]
		if t == nil {
			return fmt.Errorf("native: initializer %q is nil", name)
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("native: initializer %q: %w", name, err)
		}
		if _, dup := slot[name]; dup {
			return fmt.Errorf("native: initializer %q has the name of a graph input", name)
		}
		p.consts[newSlot(name)] = t
	}
	for _, vi := range g.OverridableInits {
		s, ok := slot[vi.Name]
		if !ok || p.consts[s] == nil {
			return fmt.Errorf("native: overridable input %q has no initializer", vi.Name)
		}
		p.inputSlots = append(p.inputSlots, s)
	}

	nodes, err := topoSort(g, slot)
	if err != nil {
		return err
	}

	var unsupported []string
	var buildErrs []error
	for _, n := range nodes {
		st := step{node: n, label: nodeDesc(n)}
		for _, name := range n.Inputs {
			if name == "" {
				st.in = append(st.in, -1)
				continue
			}
			s, ok := slot[name]
			if !ok {
				return fmt.Errorf("native: %s: input %q is not a graph input, an initializer or the output of an earlier node", st.label, name)
			}
			st.in = append(st.in, s)
		}
		if n.HasSubgraph() {
			explicit := map[string]bool{}
			for _, name := range n.Inputs {
				explicit[name] = true
			}
			for _, name := range n.NodeInputs() {
				if s, ok := slot[name]; ok && !explicit[name] {
					st.implicit = append(st.implicit, s)
				}
			}
		}
		for _, name := range n.Outputs {
			if name == "" {
				st.out = append(st.out, -1)
				continue
			}
			if _, dup := slot[name]; dup {
				return fmt.Errorf("native: %s: output %q is already defined (graph input, initializer or another node's output)", st.label, name)
			}
			st.out = append(st.out, newSlot(name))
		}
		opset, ok := operators.ImportedVersion(m, n.Domain)
		if n.Domain == operators.FusedDomain {
			opset, ok = 1, true // created by the optimiser, never imported
		}
		if !ok {
			unsupported = append(unsupported, fmt.Sprintf("%s: the model does not import operator domain %q", st.label, operators.DomainName(n.Domain)))
			continue
		}
		b, err := operators.KernelBuilder(n.Domain, n.OpType, opset)
		if err != nil {
			unsupported = append(unsupported, fmt.Sprintf("%s: %v", st.label, err))
			continue
		}
		k, err := safeBuild(b, n, opset)
		if err != nil {
			buildErrs = append(buildErrs, fmt.Errorf("%s: %w", st.label, err))
			continue
		}
		if k == nil {
			buildErrs = append(buildErrs, fmt.Errorf("%s: builder returned no kernel", st.label))
			continue
		}
		st.kernel = k
		p.steps = append(p.steps, st)
	}
	if len(unsupported) == 1 {
		return errors.New(unsupported[0])
	}
	if len(unsupported) > 1 {
		return fmt.Errorf("%d nodes use unsupported operators: %s", len(unsupported), strings.Join(unsupported, "; "))
	}
	if len(buildErrs) > 0 {
		return errors.Join(buildErrs...)
	}

	p.nslots = len(p.names)
	p.isOutput = make([]bool, p.nslots)
	for _, vi := range g.Outputs {
		s, ok := slot[vi.Name]
		if !ok {
			return fmt.Errorf("native: graph output %q is not produced by any node, input or initializer", vi.Name)
		}
		p.outputSlots = append(p.outputSlots, s)
		p.isOutput[s] = true
	}

	// Lifetimes: the last step reading each produced slot. Slots that are
	// constants, graph inputs or graph outputs are never released.
	last := make([]int, p.nslots)
	for i := range last {
		last[i] = -1
	}
	for i, st := range p.steps {
		for _, s := range st.out {
			if s >= 0 {
				last[s] = i // produced here; dead right away unless read later
			}
		}
		for _, s := range st.in {
			if s >= 0 {
				last[s] = i
			}
		}
		for _, s := range st.implicit {
			last[s] = i
		}
	}
	p.read = make([]bool, p.nslots)
	for s := range p.read {
		p.read[s] = p.isOutput[s]
	}
	for _, st := range p.steps {
		for _, s := range st.in {
			if s >= 0 {
				p.read[s] = true
			}
		}
		for _, s := range st.implicit {
			p.read[s] = true
		}
	}
	pinned := make([]bool, p.nslots)
	for _, s := range p.inputSlots {
		pinned[s] = true
	}
	for s, c := range p.consts {
		if c != nil {
			pinned[s] = true
		}
	}
	for s, l := range last {
		if l >= 0 && !pinned[s] && !p.isOutput[s] {
			p.steps[l].release = append(p.steps[l].release, s)
		}
	}
	return nil
}

// safeBuild runs a builder, turning a panic into an error.
func safeBuild(b operators.Builder, n *graph.Node, opset int64) (k operators.Kernel, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel builder panicked: %v", r)
		}
	}()
	return b(n, opset)
}

// initNames lists initializer names in file order, then any not listed in
// InitOrder (graphs built in memory) in sorted order.
func initNames(g *graph.Graph) []string {
	seen := make(map[string]bool, len(g.Initializers))
	var out []string
	for _, n := range g.InitOrder {
		if _, ok := g.Initializers[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	var rest []string
	for n := range g.Initializers {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// topoSort returns g's nodes in an order where every node follows the
// producers of its inputs, keeping file order where it already is valid.
// defined holds the names available before any node runs.
func topoSort(g *graph.Graph, defined map[string]int) ([]*graph.Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("native: node %d is nil", i)
		}
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Errorf("native: %s: output %q is produced by two nodes", nodeDesc(n), o)
			}
			producer[o] = i
		}
	}
	// Fast path: already in order.
	avail := map[string]bool{}
	for name := range defined {
		avail[name] = true
	}
	inOrder := true
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !avail[in] {
				inOrder = false
			}
		}
		for _, o := range n.Outputs {
			avail[o] = true
		}
	}
	if inOrder {
		return g.Nodes, nil
	}
	// Kahn's algorithm, picking the lowest file index first.
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := defined[in]; ok {
				continue
			}
			pi, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("native: %s: input %q is not a graph input, an initializer or the output of any node", nodeDesc(n), in)
			}
			indeg[i]++
			users[pi] = append(users[pi], i)
		}
	}
	var ready []int
	for i, d := range indeg {
		if d == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]*graph.Node, 0, len(g.Nodes))
	for len(ready) > 0 {
		// pop smallest index
		mi := 0
		for j := range ready {
			if ready[j] < ready[mi] {
				mi = j
			}
		}
		i := ready[mi]
		ready = append(ready[:mi], ready[mi+1:]...)
		out = append(out, g.Nodes[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) != len(g.Nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, fmt.Errorf("native: the graph has a cycle through %s", nodeDesc(g.Nodes[i]))
			}
		}
	}
	return out, nil
}
