package native

// Control flow: If, Loop, Scan and SequenceMap. Their subgraphs are
// planned once, with the enclosing plan (a body is a Plan whose free
// values are captured slots of the enclosing one), and run inside the
// enclosing run: the same buffer pool, random source and context, the
// enclosing values read in place. Loop and Scan hand each iteration's
// outputs to the next iteration with their buffers, so a loop whose shapes
// repeat recycles the same buffers iteration after iteration; scan outputs
// are written straight into the output tensor (Scan) or into one growing
// buffer (Loop).

import (
	"errors"
	"fmt"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/internal/buffers"
	"github.com/latent-ml/latent/runtime/operators"
)

// controlKernel runs a node with subgraphs on the run state of its plan,
// setting the step's output slots itself.
type controlKernel func(s *runState, st *step) error

// controlBuild is what a control builder gets: the plan being built, the
// node and the enclosing plan's slots (the scope its subgraphs see).
type controlBuild struct {
	plan  *Plan
	model *graph.Model
	node  *graph.Node
	opset int64
	slot  map[string]int
	// bodies collects the subgraphs compiled so far.
	bodies []*Plan
}

// controlBuilder compiles a node with subgraphs. values reports whether
// its outputs may be sequences, optionals or maps.
type controlBuilder func(c *controlBuild) (k controlKernel, values bool, err error)

// controlBuilders are the native kernels of the operators registered with
// Subgraphs set (filled by init: the builders plan subgraphs, which may
// hold such nodes themselves).
var controlBuilders map[string]controlBuilder

func init() {
	controlBuilders = map[string]controlBuilder{
		"If":          buildIf,
		"Loop":        buildLoop,
		"Scan":        buildScan,
		"SequenceMap": buildSequenceMap,
	}
	operators.Register(operators.Op{Type: "If", Infer: inferIf, Subgraphs: true}, 1, 11, 13, 16, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "Loop", Infer: inferLoop, Subgraphs: true}, 1, 11, 13, 16, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "Scan", Infer: inferScan, Subgraphs: true}, 8, 9, 11, 16, 19, 21, 23, 24, 25)
	operators.Register(operators.Op{Type: "SequenceMap", Infer: inferSequenceMap, Subgraphs: true}, 17)
}

// graphAttr returns the node's graph attribute name.
func graphAttr(n *graph.Node, name string) (*graph.Graph, error) {
	a, ok := n.Attrs[name]
	if !ok || a == nil {
		return nil, fmt.Errorf("missing graph attribute %s", name)
	}
	if a.G == nil {
		return nil, fmt.Errorf("attribute %s is not a graph", name)
	}
	return a.G, nil
}

// compile plans subgraph g (the node's attribute attr) with the enclosing
// plan's values in scope.
func (c *controlBuild) compile(attr string) (*Plan, error) {
	g, err := graphAttr(c.node, attr)
	if err != nil {
		return nil, err
	}
	if c.plan.passes != nil {
		// The optimiser treats a subgraph like any graph: its outer values
		// are names it neither defines nor folds.
		if g, err = c.plan.passes.Run(c.model, g); err != nil {
			return nil, fmt.Errorf("subgraph %s: optimise: %w", attr, err)
		}
	}
	b := &Plan{graph: g, body: true, seed: c.plan.seed, lim: c.plan.lim, passes: c.plan.passes}
	// Its inputs may be sequences when the enclosing plan's values may be.
	b.hasValues = c.plan.hasValues
	b.optionalIn = make([]bool, len(g.Inputs))
	for i, vi := range g.Inputs {
		kind, err := graph.DeclaredKind(vi)
		if err != nil || kind != graph.TensorValue {
			b.hasValues = true
		}
		b.optionalIn[i] = kind == graph.OptionalValue
	}
	if err := b.build(c.model, g, c.slot); err != nil {
		return nil, fmt.Errorf("subgraph %s: %w", attr, err)
	}
	b.state.init(b)
	c.bodies = append(c.bodies, b)
	return b, nil
}

// enter starts a run of body b inside the run s of its enclosing plan:
// the pool, random source and context are s's, the constants and the
// captured outer values are in their slots.
func (b *Plan) enter(s *runState) *runState {
	bs := b.state.get()
	bs.pool = s.pool
	bs.env.Ctx, bs.env.Rand, bs.env.Buffers = s.env.Ctx, s.env.Rand, s.pool
	b.setConsts(bs)
	for _, c := range b.captures {
		bs.vals[c.inner] = s.vals[c.outer]
		if s.others != nil && bs.others != nil {
			bs.others[c.inner] = s.others[c.outer]
		}
	}
	return bs
}

// leave ends a body run: the references its slots still hold are dropped
// and the state goes back to the body's pool.
func (b *Plan) leave(bs *runState) {
	b.clearIteration(bs)
	bs.reset(b)
	b.state.put(bs)
}

// abandon ends a failed body run without recycling anything.
func (b *Plan) abandon(bs *runState) {
	bs.reset(b)
	b.state.put(bs)
}

// clearIteration releases every slot of a body run but its constants and
// captured values, ready for the next iteration.
func (b *Plan) clearIteration(bs *runState) {
	for i := range bs.vals {
		if b.pinned[i] {
			continue
		}
		if bs.bufs[i] != nil {
			bs.release(i)
			continue
		}
		bs.vals[i] = nil
		if bs.others != nil {
			bs.others[i] = nil
		}
	}
}

// held is a value a control kernel holds between body runs: a tensor (with
// the reference it owns to its pooled buffer, if any) or another value.
type held struct {
	t    *ops.Tensor
	v    *graph.Value
	root *buffers.Buffer
}

// value returns h as a graph.Value.
func (h held) value() *graph.Value {
	if h.t != nil {
		return graph.TensorOf(h.t)
	}
	return h.v
}

// drop gives up h's buffer reference.
func (h *held) drop(pool *buffers.Pool) {
	if h.root != nil {
		pool.Release(h.root)
	}
	*h = held{}
}

// heldOf wraps a value without a buffer reference.
func heldOf(v *graph.Value) held {
	if v == nil {
		return held{}
	}
	if v.Kind == graph.TensorValue {
		return held{t: v.Tensor}
	}
	return held{v: v}
}

// setInput gives body input i the value h; the body run owns h's buffer
// reference from now on.
func (b *Plan) setInput(bs *runState, i int, h held) error {
	sl := b.inputSlots[i]
	if h.v != nil && (h.v.Kind == graph.OptionalValue || !b.optionalIn[i]) {
		if bs.others == nil {
			return fmt.Errorf("subgraph input %q gets a %s", b.names[sl], h.v.Kind)
		}
		bs.others[sl] = h.v
		return nil
	}
	if b.optionalIn[i] {
		// A value flowing into an input declared optional (a loop-carried
		// optional that the body's previous iteration gave as a plain
		// sequence or tensor) arrives wrapped. A tensor's buffer stays
		// pinned for the run, as any tensor inside a value.
		if bs.others == nil {
			return fmt.Errorf("subgraph input %q is optional in a plan without sequences", b.names[sl])
		}
		bs.others[sl] = graph.OptionalOf(h.value())
		return nil
	}
	bs.vals[sl], bs.bufs[sl] = h.t, h.root
	return nil
}

// output returns body output k with a buffer reference of its own.
func (b *Plan) output(bs *runState, k int) (held, error) {
	sl := b.outputSlots[k]
	if bs.others != nil && bs.others[sl] != nil {
		return held{v: bs.others[sl]}, nil
	}
	t := bs.vals[sl]
	if t == nil {
		return held{}, fmt.Errorf("subgraph output %q was not computed", b.names[sl])
	}
	root := bs.bufs[sl]
	if root != nil {
		root.Refs++
	}
	return held{t: t, root: root}, nil
}

// scalarInput allocates a one-element tensor for a body input (Loop's
// iteration number and condition) from the pool, with its reference.
func scalarInput(pool *buffers.Pool, dt ops.DType) (*ops.Tensor, *buffers.Buffer) {
	t := pool.Alloc(dt, nil)
	lo, _ := buffers.DataRange(t.Data)
	root := pool.StepBuffer(lo)
	if root != nil {
		root.Refs++
	}
	return t, root
}

// iterate runs body b once on inputs, in a scope of its own, and returns
// its outputs (each holding its buffer reference). The inputs' references
// pass to the body run.
func (b *Plan) iterate(s, bs *runState, inputs []held) ([]held, error) {
	for i, h := range inputs {
		if err := b.setInput(bs, i, h); err != nil {
			return nil, err
		}
	}
	if err := b.exec(bs, nil); err != nil {
		return nil, err
	}
	outs := make([]held, len(b.outputSlots))
	for k := range outs {
		h, err := b.output(bs, k)
		if err != nil {
			return nil, err
		}
		outs[k] = h
	}
	b.clearIteration(bs)
	return outs, nil
}

// boolScalar reads a one-element bool tensor (If's and Loop's conditions).
func boolScalar(h held, what string) (bool, error) {
	if h.t == nil {
		if h.v != nil {
			return false, fmt.Errorf("%s is a %s, want a bool tensor", what, h.v.Kind)
		}
		return false, fmt.Errorf("%s is missing", what)
	}
	if h.t.DType != ops.Bool || h.t.Len() != 1 {
		return false, fmt.Errorf("%s is %v, want a one-element bool tensor", what, h.t)
	}
	return h.t.B()[0], nil
}

// slotHeld returns slot sl of the enclosing run as a held value without a
// reference (the slot keeps its own).
func (s *runState) slotHeld(sl int) held {
	if sl < 0 {
		return held{}
	}
	if s.others != nil && s.others[sl] != nil {
		return held{v: s.others[sl]}
	}
	return held{t: s.vals[sl]}
}

// setHeld stores h as output j of step st of plan p, handing over h's
// reference (or dropping it when the output is omitted).
func (s *runState) setHeld(p *Plan, st *step, j int, h held) error {
	if j >= len(st.out) || st.out[j] < 0 {
		h.drop(s.pool)
		return nil
	}
	if h.t == nil && h.v == nil {
		return s.setOutput(p, st, st.out[j], nil, nil)
	}
	return s.setOutput(p, st, st.out[j], h.value(), h.root)
}

// dropAll releases the references of hs.
func dropAll(pool *buffers.Pool, hs []held) {
	for i := range hs {
		hs[i].drop(pool)
	}
}

// --- If ---

func buildIf(c *controlBuild) (controlKernel, bool, error) {
	n := c.node
	if len(n.Inputs) != 1 || n.Inputs[0] == "" {
		return nil, false, errors.New("If takes one input, the condition")
	}
	var branches [2]*Plan
	for i, attr := range []string{"then_branch", "else_branch"} {
		b, err := c.compile(attr)
		if err != nil {
			return nil, false, err
		}
		if len(b.graph.Inputs) != 0 {
			return nil, false, fmt.Errorf("subgraph %s has %d inputs; If's branches take none", attr, len(b.graph.Inputs))
		}
		if len(b.outputSlots) != len(n.Outputs) {
			return nil, false, fmt.Errorf("subgraph %s has %d outputs, the node %d", attr, len(b.outputSlots), len(n.Outputs))
		}
		branches[i] = b
	}
	p := c.plan
	k := func(s *runState, st *step) error {
		cond, err := boolScalar(s.slotHeld(st.in[0]), "condition")
		if err != nil {
			return fmt.Errorf("%s: %w", st.label, err)
		}
		b := branches[1]
		if cond {
			b = branches[0]
		}
		bs := b.enter(s)
		scope := s.pool.BeginScope()
		outs, err := b.iterate(s, bs, nil)
		s.pool.EndScope(scope)
		if err != nil {
			b.abandon(bs)
			return err
		}
		b.leave(bs)
		for j, h := range outs {
			if err := s.setHeld(p, st, j, h); err != nil {
				dropAll(s.pool, outs[j+1:])
				return err
			}
		}
		return nil
	}
	return k, branches[0].hasValues || branches[1].hasValues, nil
}

// --- Loop ---

// accumulator stacks one scan output of a Loop along a new first axis in
// a buffer that doubles when full (allocated from the pool, outside the
// iterations' scopes, so the pool's size limit bounds it).
type accumulator struct {
	t     *ops.Tensor // the buffer, shape [capacity, elem...]
	elem  []int
	dtype ops.DType
	n     int
}

func (a *accumulator) add(pool *buffers.Pool, x *ops.Tensor, capHint int64) error {
	if a.t == nil {
		a.dtype, a.elem = x.DType, append([]int(nil), x.Shape...)
		a.t = pool.Alloc(x.DType, append([]int{int(max(1, capHint))}, x.Shape...))
	} else if x.DType != a.dtype || !ops.SameShape(x.Shape, a.elem) {
		return fmt.Errorf("iteration %d gives %v, earlier iterations %v%s", a.n, x, a.dtype, ops.ShapeString(a.elem))
	}
	if a.n == a.t.Shape[0] {
		// The old buffer goes back to the pool when the node's step ends.
		grown := pool.Alloc(a.dtype, append([]int{2 * a.n}, a.elem...))
		ops.CopyData(grown.Data, a.t.Data)
		a.t = grown
	}
	if err := ops.PutIndex(a.t, 0, a.n, x); err != nil {
		return err
	}
	a.n++
	return nil
}

// result returns the stacked outputs: shape [n, elem...], a view of the
// buffer.
func (a *accumulator) result() *ops.Tensor {
	shape := append([]int{a.n}, a.elem...)
	return &ops.Tensor{DType: a.dtype, Shape: shape, Data: ops.SliceData(a.t.Data, 0, ops.NumElements(shape))}
}

func buildLoop(c *controlBuild) (controlKernel, bool, error) {
	n := c.node
	if len(n.Inputs) < 2 {
		return nil, false, fmt.Errorf("Loop takes at least 2 inputs (M and cond, either may be empty), got %d", len(n.Inputs))
	}
	nCarried := len(n.Inputs) - 2
	b, err := c.compile("body")
	if err != nil {
		return nil, false, err
	}
	if got := len(b.graph.Inputs); got != nCarried+2 {
		return nil, false, fmt.Errorf("subgraph body has %d inputs, want %d (iteration number, condition and %d loop-carried values)", got, nCarried+2, nCarried)
	}
	if got := len(b.outputSlots); got < nCarried+1 {
		return nil, false, fmt.Errorf("subgraph body has %d outputs, want at least %d (condition and %d loop-carried values)", got, nCarried+1, nCarried)
	}
	nScan := len(b.outputSlots) - 1 - nCarried
	if len(n.Outputs) > nCarried+nScan {
		return nil, false, fmt.Errorf("the node has %d outputs, its body gives %d loop-carried values and %d scan outputs", len(n.Outputs), nCarried, nScan)
	}
	// The declared types of the scan outputs, for a loop that runs no
	// iteration.
	scanInfo := make([]graph.ValueInfo, nScan)
	for j := range scanInfo {
		scanInfo[j] = b.graph.Outputs[1+nCarried+j]
	}
	p := c.plan
	k := func(s *runState, st *step) error {
		trips := int64(-1) // no bound
		if sl := st.in[0]; sl >= 0 {
			m := s.slotHeld(sl).t
			if m == nil || m.DType != ops.Int64 || m.Len() != 1 {
				return fmt.Errorf("%s: trip count M is %v, want a one-element int64 tensor", st.label, s.slotHeld(sl).value())
			}
			trips = max(m.I64()[0], 0)
		}
		cond := true
		if sl := st.in[1]; sl >= 0 {
			var err error
			if cond, err = boolScalar(s.slotHeld(sl), "condition"); err != nil {
				return fmt.Errorf("%s: %w", st.label, err)
			}
		}
		carried := make([]held, nCarried)
		for k := range carried {
			carried[k] = s.slotHeld(st.in[2+k])
			if carried[k].t == nil && carried[k].v == nil {
				return fmt.Errorf("%s: loop-carried input %d is missing", st.label, k)
			}
		}
		capHint := int64(16)
		if trips >= 0 {
			capHint = min(trips, 1024)
		}
		accs := make([]accumulator, nScan)
		fail := func(err error) error {
			dropAll(s.pool, carried)
			return err
		}
		bs := b.enter(s)
		inputs := make([]held, 2+nCarried)
		var iter int64
		for ; cond && (trips < 0 || iter < trips); iter++ {
			if iter >= p.lim.maxIters {
				b.abandon(bs)
				return fail(fmt.Errorf("%s: more than %d iterations: %w (the limit is graph.Limits.MaxLoopIterations)", st.label, p.lim.maxIters, graph.ErrLimit))
			}
			if err := s.env.Ctx.Err(); err != nil {
				b.abandon(bs)
				return fail(fmt.Errorf("run stopped in %s, iteration %d: %w", st.label, iter, err))
			}
			scope := s.pool.BeginScope()
			it, itRoot := scalarInput(s.pool, ops.Int64)
			it.I64()[0] = iter
			cd, cdRoot := scalarInput(s.pool, ops.Bool)
			cd.B()[0] = cond
			inputs[0], inputs[1] = held{t: it, root: itRoot}, held{t: cd, root: cdRoot}
			copy(inputs[2:], carried)
			clear(carried) // their references pass to the body run
			outs, err := b.iterate(s, bs, inputs)
			if err != nil {
				s.pool.EndScope(scope)
				b.abandon(bs)
				return fmt.Errorf("%s: iteration %d: %w", st.label, iter, err)
			}
			cond, err = boolScalar(outs[0], "the body's condition output")
			outs[0].drop(s.pool)
			copy(carried, outs[1:1+nCarried])
			scans := outs[1+nCarried:]
			s.pool.EndScope(scope)
			if err != nil {
				dropAll(s.pool, scans)
				b.abandon(bs)
				return fail(fmt.Errorf("%s: iteration %d: %w", st.label, iter, err))
			}
			for j := range scans {
				x := scans[j].t
				if x == nil {
					err = fmt.Errorf("scan output %d is a %s; scan outputs are tensors", j, scans[j].v.Kind)
				} else if err == nil {
					err = accs[j].add(s.pool, x, capHint)
				}
				scans[j].drop(s.pool)
			}
			if err != nil {
				b.abandon(bs)
				return fail(fmt.Errorf("%s: iteration %d: %w", st.label, iter, err))
			}
		}
		b.leave(bs)
		for k := range carried {
			if err := s.setHeld(p, st, k, carried[k]); err != nil {
				dropAll(s.pool, carried[k+1:])
				return err
			}
		}
		for j := range accs {
			if nCarried+j >= len(st.out) || st.out[nCarried+j] < 0 {
				continue
			}
			var out *ops.Tensor
			if accs[j].t != nil {
				out = accs[j].result()
			} else {
				var err error
				if out, err = emptyScan(s.pool, scanInfo[j]); err != nil {
					return fmt.Errorf("%s: scan output %d: %w", st.label, j, err)
				}
			}
			if err := s.setHeld(p, st, nCarried+j, held{t: out}); err != nil {
				return err
			}
		}
		return nil
	}
	return k, b.hasValues, nil
}

// emptyScan is the scan output of a loop that ran no iteration: no
// elements, of the body output's declared type and shape.
func emptyScan(pool *buffers.Pool, vi graph.ValueInfo) (*ops.Tensor, error) {
	if vi.DType == ops.Invalid {
		return nil, fmt.Errorf("the loop ran no iteration and the body does not declare the type of %q", vi.Name)
	}
	shape := []int{0}
	if dims, ok := vi.Shape.Concrete(); ok && vi.HasShape {
		shape = append(shape, dims...)
	}
	return pool.Alloc(vi.DType, shape), nil
}

// --- Scan ---

func buildScan(c *controlBuild) (controlKernel, bool, error) {
	n := c.node
	b, err := c.compile("body")
	if err != nil {
		return nil, false, err
	}
	nScanIn64, err := n.Int("num_scan_inputs", -1)
	if err != nil {
		return nil, false, err
	}
	if nScanIn64 <= 0 {
		return nil, false, fmt.Errorf("num_scan_inputs must be positive, got %d", nScanIn64)
	}
	nScanIn := int(nScanIn64)
	first := 0
	if c.opset < 9 {
		first = 1 // sequence_lens
	}
	nState := len(n.Inputs) - first - nScanIn
	if nState < 0 {
		return nil, false, fmt.Errorf("the node has %d inputs, fewer than its %d scan inputs", len(n.Inputs)-first, nScanIn)
	}
	if got := len(b.graph.Inputs); got != nState+nScanIn {
		return nil, false, fmt.Errorf("subgraph body has %d inputs, want %d (%d state variables and %d scan inputs)", got, nState+nScanIn, nState, nScanIn)
	}
	nScanOut := len(b.outputSlots) - nState
	if nScanOut < 0 {
		return nil, false, fmt.Errorf("subgraph body has %d outputs, fewer than its %d state variables", len(b.outputSlots), nState)
	}
	if len(n.Outputs) > nState+nScanOut {
		return nil, false, fmt.Errorf("the node has %d outputs, its body gives %d state variables and %d scan outputs", len(n.Outputs), nState, nScanOut)
	}
	ints := func(name string, want int, def int64) ([]int64, error) {
		v, err := n.Ints(name, nil)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = make([]int64, want)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != want {
			return nil, fmt.Errorf("attribute %s has %d values, want %d", name, len(v), want)
		}
		return v, nil
	}
	sc := &scan{body: b, plan: c.plan, nState: nState, nScanIn: nScanIn, nScanOut: nScanOut, first: first}
	if c.opset < 9 {
		if sc.inDirs, err = ints("directions", nScanIn, 0); err != nil {
			return nil, false, err
		}
		sc.inAxes = make([]int64, nScanIn)
		sc.outAxes = make([]int64, nScanOut)
		sc.outDirs = make([]int64, nScanOut)
	} else {
		if sc.inAxes, err = ints("scan_input_axes", nScanIn, 0); err != nil {
			return nil, false, err
		}
		if sc.inDirs, err = ints("scan_input_directions", nScanIn, 0); err != nil {
			return nil, false, err
		}
		if sc.outAxes, err = ints("scan_output_axes", nScanOut, 0); err != nil {
			return nil, false, err
		}
		if sc.outDirs, err = ints("scan_output_directions", nScanOut, 0); err != nil {
			return nil, false, err
		}
	}
	for _, d := range append(append([]int64(nil), sc.inDirs...), sc.outDirs...) {
		if d != 0 && d != 1 {
			return nil, false, fmt.Errorf("scan direction %d is neither 0 (forward) nor 1 (reverse)", d)
		}
	}
	if c.opset < 9 {
		return sc.run8, b.hasValues, nil
	}
	return sc.run, b.hasValues, nil
}

// scan is a compiled Scan node.
type scan struct {
	body                      *Plan
	plan                      *Plan
	nState, nScanIn, nScanOut int
	first                     int // index of the first state input (1 at opset 8: sequence_lens)
	inAxes, inDirs            []int64
	outAxes, outDirs          []int64
}

// run is Scan from opset 9: scan inputs sliced along their axes, scan
// outputs stacked along theirs, directions forward or reverse.
func (sc *scan) run(s *runState, st *step) error {
	states := make([]held, sc.nState)
	for k := range states {
		states[k] = s.slotHeld(st.in[sc.first+k])
		if states[k].t == nil && states[k].v == nil {
			return fmt.Errorf("%s: state input %d is missing", st.label, k)
		}
	}
	xs := make([]*ops.Tensor, sc.nScanIn)
	axes := make([]int, sc.nScanIn)
	steps := -1
	for i := range xs {
		x := s.slotHeld(st.in[sc.first+sc.nState+i]).t
		if x == nil {
			return fmt.Errorf("%s: scan input %d is missing or not a tensor", st.label, i)
		}
		a, err := resolveAxis(sc.inAxes[i], x.Rank())
		if err != nil {
			return fmt.Errorf("%s: scan input %d: %w", st.label, i, err)
		}
		if steps >= 0 && x.Shape[a] != steps {
			return fmt.Errorf("%s: scan input %d has %d steps along axis %d, scan input 0 has %d", st.label, i, x.Shape[a], a, steps)
		}
		steps, xs[i], axes[i] = x.Shape[a], x, a
	}
	if int64(steps) > sc.plan.lim.maxIters {
		return fmt.Errorf("%s: %d steps, more than the limit of %d: %w", st.label, steps, sc.plan.lim.maxIters, graph.ErrLimit)
	}
	outs, err := sc.loop(s, st, states, xs, axes, steps)
	if err != nil {
		return err
	}
	for j, h := range outs {
		if err := s.setHeld(sc.plan, st, j, h); err != nil {
			dropAll(s.pool, outs[j+1:])
			return err
		}
	}
	return nil
}

// loop runs the body over steps slices of xs (along axes) from states,
// and returns the final states followed by the stacked scan outputs.
func (sc *scan) loop(s *runState, st *step, states []held, xs []*ops.Tensor, axes []int, steps int) ([]held, error) {
	b := sc.body
	scans := make([]*ops.Tensor, sc.nScanOut)
	outAxes := make([]int, sc.nScanOut)
	fail := func(err error) ([]held, error) {
		dropAll(s.pool, states)
		return nil, err
	}
	bs := b.enter(s)
	inputs := make([]held, sc.nState+sc.nScanIn)
	sliceShape := make([]int, 0, 8)
	for t := range steps {
		if err := s.env.Ctx.Err(); err != nil {
			b.abandon(bs)
			return fail(fmt.Errorf("run stopped in %s, step %d: %w", st.label, t, err))
		}
		scope := s.pool.BeginScope()
		copy(inputs, states)
		clear(states) // their references pass to the body run
		for i, x := range xs {
			idx := t
			if sc.inDirs[i] == 1 {
				idx = steps - 1 - t
			}
			sliceShape = append(append(sliceShape[:0], x.Shape[:axes[i]]...), x.Shape[axes[i]+1:]...)
			slice := s.pool.Alloc(x.DType, sliceShape)
			if err := ops.TakeIndex(slice, x, axes[i], idx); err != nil {
				s.pool.EndScope(scope)
				b.abandon(bs)
				return nil, fmt.Errorf("%s: scan input %d: %w", st.label, i, err)
			}
			lo, _ := buffers.DataRange(slice.Data)
			root := s.pool.StepBuffer(lo)
			if root != nil {
				root.Refs++
			}
			inputs[sc.nState+i] = held{t: slice, root: root}
		}
		outs, err := b.iterate(s, bs, inputs)
		if err != nil {
			s.pool.EndScope(scope)
			b.abandon(bs)
			return nil, fmt.Errorf("%s: step %d: %w", st.label, t, err)
		}
		copy(states, outs[:sc.nState])
		ys := outs[sc.nState:]
		s.pool.EndScope(scope)
		for j := range ys {
			if err == nil {
				err = sc.place(s.pool, scans, outAxes, j, ys[j], t, steps)
			}
			ys[j].drop(s.pool)
		}
		if err != nil {
			b.abandon(bs)
			return fail(fmt.Errorf("%s: step %d: %w", st.label, t, err))
		}
	}
	b.leave(bs)
	res := append([]held(nil), states...)
	for j, y := range scans {
		if y == nil {
			var err error
			if y, err = emptyScan(s.pool, b.graph.Outputs[sc.nState+j]); err != nil {
				dropAll(s.pool, res)
				return nil, fmt.Errorf("%s: scan output %d: %w", st.label, j, err)
			}
		}
		res = append(res, held{t: y})
	}
	return res, nil
}

// place writes scan output j of step t (of steps) into its stacked tensor,
// allocating that (from the pool, outside the iterations' scopes) on the
// first step.
func (sc *scan) place(pool *buffers.Pool, scans []*ops.Tensor, axes []int, j int, y held, t, steps int) error {
	if y.t == nil {
		return fmt.Errorf("scan output %d is a %s; scan outputs are tensors", j, y.v.Kind)
	}
	x := y.t
	if scans[j] == nil {
		a, err := resolveAxis(sc.outAxes[j], x.Rank()+1)
		if err != nil {
			return fmt.Errorf("scan output %d: %w", j, err)
		}
		shape := append(append(append([]int(nil), x.Shape[:a]...), steps), x.Shape[a:]...)
		scans[j], axes[j] = pool.Alloc(x.DType, shape), a
	}
	idx := t
	if sc.outDirs[j] == 1 {
		idx = steps - 1 - t
	}
	if err := ops.PutIndex(scans[j], axes[j], idx, x); err != nil {
		return fmt.Errorf("scan output %d: %w", j, err)
	}
	return nil
}

// run8 is Scan at opset 8: every state and scan input has a leading batch
// axis, the scan axis is 1, and sequence_lens (optional) gives each batch
// item's number of steps; outputs past it are zero.
func (sc *scan) run8(s *runState, st *step) error {
	var batch = -1
	check := func(x *ops.Tensor, what string, minRank int) error {
		if x == nil || x.Rank() < minRank {
			return fmt.Errorf("%s: %s is %v; Scan-8 needs a batch axis", st.label, what, x)
		}
		if batch >= 0 && x.Shape[0] != batch {
			return fmt.Errorf("%s: %s has batch %d, other inputs %d", st.label, what, x.Shape[0], batch)
		}
		batch = x.Shape[0]
		return nil
	}
	stateIn := make([]*ops.Tensor, sc.nState)
	for k := range stateIn {
		stateIn[k] = s.slotHeld(st.in[1+k]).t
		if err := check(stateIn[k], fmt.Sprintf("state input %d", k), 1); err != nil {
			return err
		}
	}
	xs := make([]*ops.Tensor, sc.nScanIn)
	for i := range xs {
		xs[i] = s.slotHeld(st.in[1+sc.nState+i]).t
		if err := check(xs[i], fmt.Sprintf("scan input %d", i), 2); err != nil {
			return err
		}
		if xs[i].Shape[1] != xs[0].Shape[1] {
			return fmt.Errorf("%s: scan input %d has %d steps, scan input 0 has %d", st.label, i, xs[i].Shape[1], xs[0].Shape[1])
		}
	}
	maxSteps := xs[0].Shape[1]
	var lens []int64
	if sl := st.in[0]; sl >= 0 {
		l := s.slotHeld(sl).t
		if l == nil || l.DType != ops.Int64 || l.Len() != batch {
			return fmt.Errorf("%s: sequence_lens is %v, want int64[%d]", st.label, l, batch)
		}
		lens = l.I64()
	}
	if int64(maxSteps) > sc.plan.lim.maxIters {
		return fmt.Errorf("%s: %d steps, more than the limit of %d: %w", st.label, maxSteps, sc.plan.lim.maxIters, graph.ErrLimit)
	}
	// Run each batch item as a Scan-9 over its slices, then stack.
	var finals, stacked [][]*ops.Tensor
	for bi := range batch {
		steps := maxSteps
		if lens != nil {
			if lens[bi] < 0 || lens[bi] > int64(maxSteps) {
				return fmt.Errorf("%s: sequence_lens[%d] = %d, want 0..%d", st.label, bi, lens[bi], maxSteps)
			}
			steps = int(lens[bi])
		}
		states := make([]held, sc.nState)
		for k, x := range stateIn {
			states[k] = held{t: itemOf(x, bi)}
		}
		items := make([]*ops.Tensor, sc.nScanIn)
		for i, x := range xs {
			items[i] = itemOf(x, bi)
			if steps < maxSteps {
				items[i] = prefixOf(items[i], steps)
			}
		}
		outs, err := sc.loop(s, st, states, items, make([]int, sc.nScanIn), steps)
		if err != nil {
			return err
		}
		f := make([]*ops.Tensor, sc.nState)
		y := make([]*ops.Tensor, sc.nScanOut)
		for k := range f {
			f[k] = outs[k].t
		}
		for j := range y {
			y[j] = outs[sc.nState+j].t
		}
		// The stacked copies below own the data: the references can go.
		finals, stacked = append(finals, f), append(stacked, y)
		defer dropAll(s.pool, outs)
	}
	for k := range sc.nState {
		parts := make([]*ops.Tensor, batch)
		for bi := range parts {
			parts[bi] = finals[bi][k]
		}
		out, err := stackBatch(s.pool, parts, nil, 0)
		if err != nil {
			return fmt.Errorf("%s: state output %d: %w", st.label, k, err)
		}
		if err := s.setHeld(sc.plan, st, k, held{t: out}); err != nil {
			return err
		}
	}
	for j := range sc.nScanOut {
		parts := make([]*ops.Tensor, batch)
		for bi := range parts {
			parts[bi] = stacked[bi][j]
		}
		out, err := stackBatch(s.pool, parts, lens, maxSteps)
		if err != nil {
			return fmt.Errorf("%s: scan output %d: %w", st.label, j, err)
		}
		if err := s.setHeld(sc.plan, st, sc.nState+j, held{t: out}); err != nil {
			return err
		}
	}
	return nil
}

// itemOf returns batch item i of x (a view of its data).
func itemOf(x *ops.Tensor, i int) *ops.Tensor {
	per := ops.NumElements(x.Shape[1:])
	t := &ops.Tensor{DType: x.DType, Shape: append([]int(nil), x.Shape[1:]...)}
	t.Data = ops.SliceData(x.Data, i*per, (i+1)*per)
	return t
}

// prefixOf returns the first n entries of x along axis 0 (a view).
func prefixOf(x *ops.Tensor, n int) *ops.Tensor {
	shape := append([]int{n}, x.Shape[1:]...)
	return &ops.Tensor{DType: x.DType, Shape: shape, Data: ops.SliceData(x.Data, 0, ops.NumElements(shape))}
}

// stackBatch stacks per-item tensors along a new batch axis. With lens,
// each part has lens[i] entries along its first axis, padded with zeros
// to steps.
func stackBatch(pool *buffers.Pool, parts []*ops.Tensor, lens []int64, steps int) (*ops.Tensor, error) {
	if len(parts) == 0 {
		return nil, errors.New("no batch items")
	}
	elem := parts[0].Shape
	if lens != nil {
		elem = append([]int{steps}, parts[0].Shape[1:]...)
	}
	out := pool.Alloc(parts[0].DType, append([]int{len(parts)}, elem...))
	zero := ops.New(parts[0].DType, elem...)
	for i, x := range parts {
		src := x
		if lens != nil && x.Shape[0] != steps {
			if x.Shape[0] > steps || !ops.SameShape(x.Shape[1:], elem[1:]) {
				return nil, fmt.Errorf("batch item %d is %v, want at most %v", i, x, elem)
			}
			padded := zero.Clone()
			ops.CopyData(padded.Data, x.Data)
			src = padded
		}
		if err := ops.PutIndex(out, 0, i, src); err != nil {
			return nil, fmt.Errorf("batch item %d: %w", i, err)
		}
	}
	return out, nil
}

// resolveAxis turns a possibly negative axis into one in [0, rank).
func resolveAxis(a int64, rank int) (int, error) {
	if a < -int64(rank) || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += int64(rank)
	}
	return int(a), nil
}

// --- SequenceMap ---

func buildSequenceMap(c *controlBuild) (controlKernel, bool, error) {
	n := c.node
	if len(n.Inputs) < 1 || n.Inputs[0] == "" {
		return nil, false, errors.New("SequenceMap needs an input sequence")
	}
	b, err := c.compile("body")
	if err != nil {
		return nil, false, err
	}
	if got := len(b.graph.Inputs); got != len(n.Inputs) {
		return nil, false, fmt.Errorf("subgraph body has %d inputs, the node %d", got, len(n.Inputs))
	}
	if got := len(b.outputSlots); got != len(n.Outputs) {
		return nil, false, fmt.Errorf("subgraph body has %d outputs, the node %d", got, len(n.Outputs))
	}
	p := c.plan
	k := func(s *runState, st *step) error {
		ins := make([]held, len(st.in))
		length := -1
		for i, sl := range st.in {
			ins[i] = s.slotHeld(sl)
			if ins[i].t == nil && ins[i].v == nil {
				return fmt.Errorf("%s: input %d is missing", st.label, i)
			}
			if v := ins[i].v; v != nil {
				if v.Kind != graph.SequenceValue {
					return fmt.Errorf("%s: input %d is a %s; SequenceMap takes sequences and tensors", st.label, i, v.Kind)
				}
				if length >= 0 && len(v.Elems) != length {
					return fmt.Errorf("%s: input %d has %d elements, input 0 has %d", st.label, i, len(v.Elems), length)
				}
				length = len(v.Elems)
			} else if i == 0 {
				return fmt.Errorf("%s: input 0 is a tensor; SequenceMap maps over a sequence", st.label)
			}
		}
		results := make([][]*graph.Value, len(st.out))
		bs := b.enter(s)
		inputs := make([]held, len(ins))
		for e := range length {
			if err := s.env.Ctx.Err(); err != nil {
				b.abandon(bs)
				return fmt.Errorf("run stopped in %s, element %d: %w", st.label, e, err)
			}
			for i, h := range ins {
				if h.v != nil {
					inputs[i] = heldOf(h.v.Elems[e])
				} else {
					inputs[i] = h
				}
			}
			scope := s.pool.BeginScope()
			outs, err := b.iterate(s, bs, inputs)
			s.pool.EndScope(scope)
			if err != nil {
				b.abandon(bs)
				return fmt.Errorf("%s: element %d: %w", st.label, e, err)
			}
			// The references the outputs hold are kept: the elements live
			// in the output sequences for the rest of the run.
			for j, h := range outs {
				results[j] = append(results[j], h.value())
			}
		}
		b.leave(bs)
		for j, elems := range results {
			dt := ops.Invalid
			if e, ok := graph.ElementInfo(b.graph.Outputs[j]); ok {
				dt = e.DType
			} else if b.graph.Outputs[j].TypeRaw == nil {
				dt = b.graph.Outputs[j].DType
			}
			if err := s.setHeld(p, st, j, held{v: graph.SequenceOf(dt, elems...)}); err != nil {
				return err
			}
		}
		return nil
	}
	return k, true, nil
}

// --- shape and type rules ---

// isTensorInfo reports whether vi declares a tensor (or nothing).
func isTensorInfo(vi graph.ValueInfo) bool { return vi.TypeRaw == nil }

// joinInfo is what two values that may each flow to one output (If's
// branches) have in common: the element type when they agree (an error
// when both are known and differ), the rank and the sizes where they
// agree.
func joinInfo(a, b graph.ValueInfo) (graph.ValueInfo, error) {
	if !isTensorInfo(a) || !isTensorInfo(b) {
		if !graph.SameType(a, b) {
			return graph.ValueInfo{}, fmt.Errorf("%s vs %s", graph.TypeString(a), graph.TypeString(b))
		}
		if a.TypeRaw == nil {
			return b, nil
		}
		return a, nil
	}
	out := graph.ValueInfo{DType: a.DType}
	switch {
	case a.DType == ops.Invalid:
		out.DType = b.DType
	case b.DType != ops.Invalid && b.DType != a.DType:
		return graph.ValueInfo{}, fmt.Errorf("%v vs %v", a.DType, b.DType)
	}
	if operators.RankKnown(a) && operators.RankKnown(b) && len(a.Shape) == len(b.Shape) {
		out.Shape, out.HasShape = make(graph.Shape, len(a.Shape)), true
		for i := range a.Shape {
			if a.Shape[i] == b.Shape[i] {
				out.Shape[i] = a.Shape[i]
			} else {
				out.Shape[i] = graph.Dim{Value: -1}
			}
		}
	}
	return out, nil
}

// stackedInfo is vi with a dimension d inserted at axis (a scan output).
func stackedInfo(vi graph.ValueInfo, axis int64, d graph.Dim) graph.ValueInfo {
	out := graph.ValueInfo{DType: vi.DType}
	if !isTensorInfo(vi) || !operators.RankKnown(vi) {
		return out
	}
	a, err := resolveAxis(axis, len(vi.Shape)+1)
	if err != nil {
		return out
	}
	out.Shape = append(append(append(graph.Shape{}, vi.Shape[:a]...), d), vi.Shape[a:]...)
	out.HasShape = true
	return out
}

// carriedInfo is what a loop-carried value is known to be: the body's
// declared output, else the initial value's type (its shape may change).
func carriedInfo(body, initial graph.ValueInfo) graph.ValueInfo {
	if body.TypeRaw != nil || body.DType != ops.Invalid || operators.RankKnown(body) {
		out := body
		if out.DType == ops.Invalid && isTensorInfo(out) {
			out.DType = initial.DType
		}
		return out
	}
	if initial.TypeRaw != nil {
		return initial
	}
	return graph.ValueInfo{DType: initial.DType}
}

func inferIf(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) != 1 || in[0].Name == "" {
		return nil, errors.New("If takes one input, the condition")
	}
	if in[0].DType != ops.Invalid && in[0].DType != ops.Bool {
		return nil, fmt.Errorf("condition %s is %v, want bool", in[0].Name, in[0].DType)
	}
	then, err := graphAttr(n, "then_branch")
	if err != nil {
		return nil, err
	}
	els, err := graphAttr(n, "else_branch")
	if err != nil {
		return nil, err
	}
	for _, b := range []struct {
		name string
		g    *graph.Graph
	}{{"then_branch", then}, {"else_branch", els}} {
		if len(b.g.Outputs) != len(n.Outputs) {
			return nil, fmt.Errorf("subgraph %s has %d outputs, the node %d", b.name, len(b.g.Outputs), len(n.Outputs))
		}
	}
	outs := make([]graph.ValueInfo, len(n.Outputs))
	for k := range outs {
		o, err := joinInfo(then.Outputs[k], els.Outputs[k])
		if err != nil {
			return nil, fmt.Errorf("output %d: then_branch and else_branch give different types: %w", k, err)
		}
		outs[k] = o
	}
	return outs, nil
}

func inferLoop(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("Loop takes at least 2 inputs (M and cond, either may be empty), got %d", len(in))
	}
	if m := in[0]; m.Name != "" && m.DType != ops.Invalid && m.DType != ops.Int64 {
		return nil, fmt.Errorf("trip count %s is %v, want int64", m.Name, m.DType)
	}
	if cd := in[1]; cd.Name != "" && cd.DType != ops.Invalid && cd.DType != ops.Bool {
		return nil, fmt.Errorf("condition %s is %v, want bool", cd.Name, cd.DType)
	}
	body, err := graphAttr(n, "body")
	if err != nil {
		return nil, err
	}
	nCarried := len(in) - 2
	if len(body.Inputs) != nCarried+2 {
		return nil, fmt.Errorf("subgraph body has %d inputs, want %d (iteration number, condition and %d loop-carried values)", len(body.Inputs), nCarried+2, nCarried)
	}
	if len(body.Outputs) < nCarried+1 {
		return nil, fmt.Errorf("subgraph body has %d outputs, want at least %d (condition and %d loop-carried values)", len(body.Outputs), nCarried+1, nCarried)
	}
	nScan := len(body.Outputs) - 1 - nCarried
	if len(n.Outputs) > nCarried+nScan {
		return nil, fmt.Errorf("the node has %d outputs, its body gives %d loop-carried values and %d scan outputs", len(n.Outputs), nCarried, nScan)
	}
	outs := make([]graph.ValueInfo, 0, nCarried+nScan)
	for k := range nCarried {
		outs = append(outs, carriedInfo(body.Outputs[1+k], in[2+k]))
	}
	for j := range nScan {
		outs = append(outs, stackedInfo(body.Outputs[1+nCarried+j], 0, graph.Dim{Value: -1}))
	}
	return outs, nil
}

func inferScan(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	body, err := graphAttr(n, "body")
	if err != nil {
		return nil, err
	}
	nScanIn, err := n.Int("num_scan_inputs", -1)
	if err != nil {
		return nil, err
	}
	if nScanIn <= 0 {
		return nil, fmt.Errorf("num_scan_inputs must be positive, got %d", nScanIn)
	}
	first := 0
	if c.Opset() < 9 {
		first = 1
	}
	nState := len(in) - first - int(nScanIn)
	if nState < 0 {
		return nil, fmt.Errorf("the node has %d inputs, fewer than its %d scan inputs", len(in)-first, nScanIn)
	}
	if len(body.Inputs) != nState+int(nScanIn) {
		return nil, fmt.Errorf("subgraph body has %d inputs, want %d (%d state variables and %d scan inputs)", len(body.Inputs), nState+int(nScanIn), nState, nScanIn)
	}
	nScanOut := len(body.Outputs) - nState
	if nScanOut < 0 {
		return nil, fmt.Errorf("subgraph body has %d outputs, fewer than its %d state variables", len(body.Outputs), nState)
	}
	if len(n.Outputs) > nState+nScanOut {
		return nil, fmt.Errorf("the node has %d outputs, its body gives %d state variables and %d scan outputs", len(n.Outputs), nState, nScanOut)
	}
	outs := make([]graph.ValueInfo, 0, nState+nScanOut)
	if c.Opset() < 9 {
		// Batch axis first; only the element types are worked out.
		for k := range nState {
			outs = append(outs, graph.ValueInfo{DType: carriedInfo(body.Outputs[k], in[first+k]).DType})
		}
		for j := range nScanOut {
			outs = append(outs, graph.ValueInfo{DType: body.Outputs[nState+j].DType})
		}
		return outs, nil
	}
	// The number of steps: scan input 0's size along its axis.
	steps := graph.Dim{Value: -1}
	inAxes, err := n.Ints("scan_input_axes", nil)
	if err != nil {
		return nil, err
	}
	if x := in[first+nState]; operators.RankKnown(x) {
		a := int64(0)
		if len(inAxes) > 0 {
			a = inAxes[0]
		}
		if ax, err := resolveAxis(a, len(x.Shape)); err == nil {
			steps = x.Shape[ax]
		} else {
			return nil, fmt.Errorf("scan input 0: %w", err)
		}
	}
	outAxes, err := n.Ints("scan_output_axes", nil)
	if err != nil {
		return nil, err
	}
	if outAxes != nil && len(outAxes) != nScanOut {
		return nil, fmt.Errorf("attribute scan_output_axes has %d values, want %d", len(outAxes), nScanOut)
	}
	for k := range nState {
		outs = append(outs, carriedInfo(body.Outputs[k], in[first+k]))
	}
	for j := range nScanOut {
		a := int64(0)
		if outAxes != nil {
			a = outAxes[j]
		}
		outs = append(outs, stackedInfo(body.Outputs[nState+j], a, steps))
	}
	return outs, nil
}

func inferSequenceMap(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	body, err := graphAttr(n, "body")
	if err != nil {
		return nil, err
	}
	if len(body.Inputs) != len(in) {
		return nil, fmt.Errorf("subgraph body has %d inputs, the node %d", len(body.Inputs), len(in))
	}
	if len(body.Outputs) != len(n.Outputs) {
		return nil, fmt.Errorf("subgraph body has %d outputs, the node %d", len(body.Outputs), len(n.Outputs))
	}
	if len(in) > 0 && in[0].Name != "" {
		if kind, err := graph.DeclaredKind(in[0]); err == nil && in[0].TypeRaw != nil && kind != graph.SequenceValue {
			return nil, fmt.Errorf("input 0 (%s) is %s; SequenceMap maps over a sequence", in[0].Name, graph.TypeString(in[0]))
		}
	}
	outs := make([]graph.ValueInfo, len(n.Outputs))
	for j, o := range body.Outputs {
		outs[j] = graph.SequenceInfo("", o)
	}
	return outs, nil
}
