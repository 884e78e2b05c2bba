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
	// MaxLoopIterations bounds the iterations of one Loop (0:
	// graph.DefaultMaxLoopIterations, negative: no bound), so a model
	// whose trip count and condition never stop it fails instead of
	// running forever.
	MaxLoopIterations int64
	// MaxSequenceLength bounds the elements of one sequence value (0:
	// graph.DefaultMaxSequenceLength, negative: no bound).
	MaxSequenceLength int64
}

// LimitError reports a tensor a kernel tried to allocate that exceeds
// Options.MaxTensorBytes; Run returns it wrapped with the node's label.
// It wraps graph.ErrLimit.
type LimitError = buffers.LimitError

// limit resolves an Options bound: 0 takes def, a negative value lifts it.
func limit(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt64
	}
	return v
}

// runLimits are a plan's resolved bounds, shared with its subgraphs.
type runLimits struct {
	maxBytes, maxIters, maxSeqLen int64
}

// Plan is a compiled graph: one kernel per node in execution order, value
// slots and the step after which each intermediate value is dead. A Plan
// is immutable after Compile and safe for concurrent Run calls; per-run
// state comes from a pool.
//
// The subgraphs of If, Loop, Scan and SequenceMap nodes are Plans too,
// compiled once with their enclosing plan (see body): their outer-scope
// values are slots captured from the enclosing run, their buffers come
// from the enclosing run's pool.
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
	// hasValues is set when a slot may hold a sequence, optional or map
	// (a non-tensor graph input, a value kernel, a subgraph that makes
	// one): only then does the executor look for them before a tensor
	// kernel runs.
	hasValues bool
	// pinned marks slots whose values the plan never releases: constants,
	// captured outer values, and the graph inputs of a main plan.
	pinned []bool

	// body is set for a subgraph's plan; captures lists the outer values
	// it reads, copied from the enclosing run when it starts.
	body     bool
	captures []capture
	// optionalIn marks the subgraph inputs declared optional: a value of
	// another kind given to one is wrapped.
	optionalIn []bool

	seed uint64
	lim  *runLimits
	// passes optimise the subgraphs too (nil: Optimize is off).
	passes passes.Pipeline
	state  statePool
}

// capture is an outer-scope value a subgraph reads: the slot of the
// enclosing plan it comes from and the subgraph's own slot for it.
type capture struct{ outer, inner int }

// step is one node to run.
type step struct {
	node   *graph.Node
	label  string
	kernel operators.Kernel
	// values runs the node when an input is not a tensor, or when it has
	// no tensor kernel (sequence and optional operators).
	values operators.ValueKernel
	// control runs a node with subgraphs (If, Loop, Scan, SequenceMap);
	// bodies are their compiled subgraphs, in attribute order.
	control controlKernel
	bodies  []*Plan
	in      []int // input slots, -1 for omitted optional inputs
	out     []int // output slots, -1 for omitted optional outputs
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
	var pipeline passes.Pipeline
	if opts.Optimize {
		var err error
		pipeline = opts.Passes
		if pipeline == nil {
			pipeline = passes.Default()
		}
		g, err = pipeline.Run(m, g)
		if err != nil {
			return nil, fmt.Errorf("native: optimise: %w", err)
		}
	}
	lim := &runLimits{
		maxBytes:  limit(opts.MaxTensorBytes, graph.DefaultMaxTensorBytes),
		maxIters:  limit(opts.MaxLoopIterations, graph.DefaultMaxLoopIterations),
		maxSeqLen: limit(opts.MaxSequenceLength, graph.DefaultMaxSequenceLength),
	}
	p := &Plan{graph: g, seed: opts.Seed, lim: lim, passes: pipeline}
	for _, vi := range g.Inputs {
		if kind, err := graph.DeclaredKind(vi); err != nil || kind != graph.TensorValue {
			p.hasValues = true
		}
	}
	if err := p.build(m, g, nil); err != nil {
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

// build plans g. outer is the slot map of the enclosing plan when g is a
// subgraph (p.body), nil for the main graph.
func (p *Plan) build(m *graph.Model, g *graph.Graph, outer map[string]int) error {
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
	if p.body {
		// Outer values the subgraph (or one nested in it) reads: captured
		// from the enclosing run. A name the subgraph defines itself
		// shadows the outer one, as FreeValues leaves it out.
		for _, name := range g.FreeValues() {
			os, ok := outer[name]
			if !ok {
				return fmt.Errorf("value %q is not defined in the subgraph or an enclosing graph", name)
			}
			p.captures = append(p.captures, capture{outer: os, inner: newSlot(name)})
		}
	}
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
				if explicit[name] {
					continue
				}
				s, ok := slot[name]
				if !ok {
					return fmt.Errorf("native: %s: a subgraph reads %q, which is not defined before the node", st.label, name)
				}
				st.implicit = append(st.implicit, s)
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
		op, err := operators.NativeOp(n.Domain, n.OpType, opset)
		if err != nil {
			unsupported = append(unsupported, fmt.Sprintf("%s: %v", st.label, err))
			continue
		}
		if err := p.buildStep(m, &st, op, opset, slot); err != nil {
			var unsup *unsupportedError
			if errors.As(err, &unsup) {
				unsupported = append(unsupported, fmt.Sprintf("%s: %v", st.label, unsup.msg))
			} else {
				buildErrs = append(buildErrs, fmt.Errorf("%s: %w", st.label, err))
			}
			continue
		}
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
	// The graph inputs of a main plan belong to the caller. A subgraph's
	// inputs are the enclosing node's to give: Loop hands over the
	// buffers of the previous iteration's outputs, which go back to the
	// pool after their last reader like any value.
	p.pinned = make([]bool, p.nslots)
	if !p.body {
		for _, s := range p.inputSlots {
			p.pinned[s] = true
		}
	}
	for s, c := range p.consts {
		if c != nil {
			p.pinned[s] = true
		}
	}
	for _, c := range p.captures {
		p.pinned[c.inner] = true
	}
	for s, l := range last {
		if l >= 0 && !p.pinned[s] && !p.isOutput[s] {
			p.steps[l].release = append(p.steps[l].release, s)
		}
	}
	return nil
}

// unsupportedError marks a build failure that means "the native backend
// cannot run this" (collected with the unsupported operators) rather than
// "the node is malformed".
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }

// buildStep builds st's kernels from op's registration: the tensor
// kernel, the value kernel, or the planner's own kernel for a node with
// subgraphs (whose bodies are compiled here, once).
func (p *Plan) buildStep(m *graph.Model, st *step, op *operators.Op, opset int64, slot map[string]int) error {
	n := st.node
	if op.Subgraphs {
		cb, ok := controlBuilders[n.OpType]
		if !ok || n.Domain != "" {
			return &unsupportedError{fmt.Sprintf("operator %s in domain %q runs subgraphs the native planner does not know", n.OpType, operators.DomainName(n.Domain))}
		}
		c := &controlBuild{plan: p, model: m, node: n, opset: opset, slot: slot}
		k, values, err := cb(c)
		if err != nil {
			return err
		}
		st.control, st.bodies = k, c.bodies
		p.hasValues = p.hasValues || values
		return nil
	}
	if op.Build != nil {
		k, err := safeBuild(op.Build, n, opset)
		if err != nil {
			return err
		}
		if k == nil {
			return errors.New("builder returned no kernel")
		}
		st.kernel = k
	}
	if op.BuildValues != nil {
		k, err := safeBuildValues(op.BuildValues, n, opset)
		if err != nil {
			return err
		}
		if k == nil {
			return errors.New("builder returned no value kernel")
		}
		st.values = k
		if op.Build == nil {
			// Its inputs or outputs are not tensors.
			p.hasValues = true
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

// safeBuildValues runs a value kernel builder, turning a panic into an
// error.
func safeBuildValues(b operators.ValueBuilder, n *graph.Node, opset int64) (k operators.ValueKernel, err error) {
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
	reads := func(n *graph.Node) []string {
		if n.HasSubgraph() {
			return n.NodeInputs() // outer values its subgraphs read too
		}
		return n.Inputs
	}
	inOrder := true
	for _, n := range g.Nodes {
		for _, in := range reads(n) {
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
		for _, in := range reads(n) {
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
