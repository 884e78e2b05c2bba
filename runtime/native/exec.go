package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/internal/buffers"
	"github.com/latent-ml/latent/runtime/operators"
)

// runState is what one Run of a plan needs besides the immutable Plan.
// States are pooled, so buffers freed in one run are reused by the next.
//
// A slot holds a tensor (vals) or, in plans that have them, a sequence,
// optional or map (others); never both. bufs holds the root buffer of a
// tensor slot's value when it came from the pool, with one reference
// counted for the slot.
type runState struct {
	own    buffers.Pool  // the pool of a main plan's run
	pool   *buffers.Pool // the pool in use: own, or the enclosing run's
	vals   []*ops.Tensor
	others []*graph.Value
	bufs   []*buffers.Buffer // root buffer of each slot's value (nil: not recyclable)
	in     []*ops.Tensor
	vin    []*graph.Value
	pcg    *rand.PCG
	env    operators.Env
}

type statePool struct{ pool sync.Pool }

func (sp *statePool) init(p *Plan) {
	maxIn := 0
	for _, st := range p.steps {
		maxIn = max(maxIn, len(st.in))
	}
	sp.pool.New = func() any {
		s := &runState{
			vals: make([]*ops.Tensor, p.nslots),
			bufs: make([]*buffers.Buffer, p.nslots),
			in:   make([]*ops.Tensor, maxIn),
		}
		if p.hasValues {
			s.others = make([]*graph.Value, p.nslots)
			s.vin = make([]*graph.Value, maxIn)
		}
		if !p.body {
			s.own.MaxBytes = p.lim.maxBytes
			s.pool = &s.own
			s.pcg = rand.NewPCG(0, 0)
			s.env.Rand = rand.New(s.pcg)
			s.env.Buffers = s.pool
		}
		return s
	}
}

func (sp *statePool) get() *runState  { return sp.pool.Get().(*runState) }
func (sp *statePool) put(s *runState) { sp.pool.Put(s) }

// release drops slot i's value and recycles its buffer if no live value
// uses it any more.
func (s *runState) release(i int) {
	b := s.bufs[i]
	s.vals[i] = nil
	s.bufs[i] = nil
	if s.others != nil {
		s.others[i] = nil
	}
	if b != nil {
		s.pool.Release(b)
	}
}

// reset forgets all values so the state can go back to the pool. Buffers
// still referenced (graph outputs handed to the caller, or values of a
// failed run) are simply dropped.
func (s *runState) reset(p *Plan) {
	clear(s.vals)
	clear(s.bufs)
	clear(s.in)
	clear(s.others)
	clear(s.vin)
	if !p.body {
		s.pool.Forget()
	}
	s.env.Ctx = nil
}

// Run executes the plan. inputs follow the graph's Inputs order; they may be
// followed by values for the graph's OverridableInits (nil keeps the
// initializer). Outputs follow the graph's Outputs order.
//
// Run checks ctx between nodes and never writes into inputs or
// initializers. It is safe to call from many goroutines. A graph whose
// inputs or outputs are sequences, optionals or maps runs with RunValues.
func (p *Plan) Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	outs, _, err := p.run(ctx, false, inputs, nil, nil)
	return outs, err
}

// RunValues is Run for graphs whose inputs or outputs may be sequences,
// optionals or maps as well as tensors (graph.Value). A nil entry after
// the graph inputs keeps that overridable initializer.
func (p *Plan) RunValues(ctx context.Context, inputs []*graph.Value) ([]*graph.Value, error) {
	_, outs, err := p.run(ctx, true, nil, inputs, nil)
	return outs, err
}

// StepTiming is what RunObserved reports after each step: the node it
// ran (after the optimisation passes, so fused nodes appear as such), its
// inputs and outputs, and the time the kernel took.
type StepTiming struct {
	Node *graph.Node
	// In and Out are the step's input and output tensors; valid only
	// during the callback (their buffers are recycled afterwards). An
	// omitted optional input, or one that is not a tensor, is nil.
	In, Out []*ops.Tensor
	Elapsed time.Duration
}

// RunObserved is Run that calls observe after every step of the main
// graph, in execution order, with the step's node, tensors and kernel
// time: the basis of a per-operator profile (latent profile). A node with
// subgraphs is one step, its time including its subgraphs'. Timing adds
// two clock reads per step; Run itself pays nothing for it.
func (p *Plan) RunObserved(ctx context.Context, inputs []*ops.Tensor, observe func(StepTiming)) ([]*ops.Tensor, error) {
	outs, _, err := p.run(ctx, false, inputs, nil, observe)
	return outs, err
}

// run executes the main plan on tensor inputs (tin) or, when values is
// set, on vin, and returns the outputs in the same form.
func (p *Plan) run(ctx context.Context, values bool, tin []*ops.Tensor, vin []*graph.Value, observe func(StepTiming)) ([]*ops.Tensor, []*graph.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	n := len(tin)
	if values {
		n = len(vin)
	}
	if n != p.nRequired && n != len(p.inputSlots) {
		if len(p.inputSlots) != p.nRequired {
			return nil, nil, fmt.Errorf("run: got %d inputs, want %d (or %d with overridable initializers)", n, p.nRequired, len(p.inputSlots))
		}
		return nil, nil, fmt.Errorf("run: got %d inputs, want %d", n, p.nRequired)
	}
	for i := range n {
		if err := p.checkInput(i, values, tin, vin); err != nil {
			return nil, nil, err
		}
	}

	s := p.state.get()
	defer func() {
		s.reset(p)
		p.state.put(s)
	}()
	s.pcg.Seed(p.seed, p.seed^0x9e3779b97f4a7c15)
	s.env.Ctx = ctx
	p.setConsts(s)
	for i := range n {
		sl := p.inputSlots[i]
		if !values {
			if tin[i] != nil {
				s.vals[sl] = tin[i]
			}
			continue
		}
		switch v := vin[i]; {
		case v == nil:
		case v.Kind == graph.TensorValue:
			s.vals[sl] = v.Tensor
		default:
			s.others[sl] = v
		}
	}

	if err := p.exec(s, observe); err != nil {
		return nil, nil, err
	}

	// Never hand out an initializer (or a view of one): the caller could
	// write into the plan's constants. Outputs that alias an input are
	// copied too, so reusing the input buffer for the next batch does not
	// change earlier results.
	shared := func(t *ops.Tensor) bool {
		return p.sharesConstant(t) || sharesAny(t, tin) || sharesValues(t, vin)
	}
	if !values {
		outs := make([]*ops.Tensor, len(p.outputSlots))
		for i, sl := range p.outputSlots {
			t := s.vals[sl]
			if t == nil {
				if s.others != nil && s.others[sl] != nil {
					return nil, nil, fmt.Errorf("graph output %q is a %s: run the model with RunValues", p.names[sl], s.others[sl].Kind)
				}
				return nil, nil, fmt.Errorf("graph output %q was not computed", p.names[sl])
			}
			if s.bufs[sl] == nil && shared(t) {
				t = t.Clone()
			}
			outs[i] = t
		}
		return outs, nil, nil
	}
	outs := make([]*graph.Value, len(p.outputSlots))
	for i, sl := range p.outputSlots {
		switch {
		case s.vals[sl] != nil:
			t := s.vals[sl]
			if s.bufs[sl] == nil && shared(t) {
				t = t.Clone()
			}
			outs[i] = graph.TensorOf(t)
		case s.others != nil && s.others[sl] != nil:
			outs[i] = copyShared(s.others[sl], shared)
		default:
			return nil, nil, fmt.Errorf("graph output %q was not computed", p.names[sl])
		}
	}
	return nil, outs, nil
}

// checkInput checks input i of a run: present unless an overridable
// initializer, well formed, of the declared element type (and kind).
func (p *Plan) checkInput(i int, values bool, tin []*ops.Tensor, vin []*graph.Value) error {
	name := p.names[p.inputSlots[i]]
	var t *ops.Tensor
	if values {
		v := vin[i]
		if v == nil {
			if i < p.nRequired {
				return fmt.Errorf("run: missing input %q", name)
			}
			return nil
		}
		if err := v.Check(); err != nil {
			return fmt.Errorf("run: input %q: %w", name, err)
		}
		if v.Kind != graph.TensorValue {
			if !p.hasValues {
				return fmt.Errorf("run: input %q: expected a tensor, got a %s", name, v.Kind)
			}
			return nil
		}
		t = v.Tensor
	} else {
		t = tin[i]
		if t == nil {
			if i < p.nRequired {
				return fmt.Errorf("run: missing input %q", name)
			}
			return nil
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("run: input %q: %w", name, err)
		}
	}
	if i < p.nRequired {
		if want := p.graph.Inputs[i].DType; want != ops.Invalid && want != t.DType {
			return fmt.Errorf("run: input %q: expected %v, got %v", name, want, t.DType)
		}
	}
	return nil
}

// setConsts puts the plan's constants into their slots.
func (p *Plan) setConsts(s *runState) {
	for i, c := range p.consts {
		if c != nil {
			s.vals[i] = c
		}
	}
}

// exec runs the plan's steps on s, whose inputs, constants and captured
// values are set.
func (p *Plan) exec(s *runState, observe func(StepTiming)) error {
	ctx := s.env.Ctx
	for si := range p.steps {
		st := &p.steps[si]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run stopped before %s: %w", st.label, err)
		}
		if st.kernel == nil || (p.hasValues && !s.tensorInputs(st)) {
			var t0 time.Time
			if observe != nil {
				t0 = time.Now()
			}
			if err := p.execValues(s, st); err != nil {
				return err
			}
			if observe != nil {
				observe(StepTiming{Node: st.node, In: s.tensorsOf(st.in), Out: s.tensorsOf(st.out), Elapsed: time.Since(t0)})
			}
		} else if err := p.execTensors(s, st, observe); err != nil {
			return err
		}
		// Scratch buffers the kernel allocated but did not return.
		s.pool.EndStep()
		for _, sl := range st.release {
			s.release(sl)
		}
	}
	return nil
}

// execTensors runs a tensor kernel: the hot path.
func (p *Plan) execTensors(s *runState, st *step, observe func(StepTiming)) error {
	in := s.in[:len(st.in)]
	for j, sl := range st.in {
		if sl < 0 {
			in[j] = nil
		} else {
			in[j] = s.vals[sl]
		}
	}
	var t0 time.Time
	if observe != nil {
		t0 = time.Now()
	}
	outs, err := callKernel(st, &s.env, in)
	if err != nil {
		return err
	}
	if observe != nil {
		observe(StepTiming{Node: st.node, In: in, Out: outs, Elapsed: time.Since(t0)})
	}
	if len(outs) < len(st.out) {
		return fmt.Errorf("%s: kernel returned %d outputs, the node has %d", st.label, len(outs), len(st.out))
	}
	for j, sl := range st.out {
		if sl < 0 {
			continue
		}
		t := outs[j]
		if t == nil && !p.read[sl] {
			continue // an optional output nobody reads
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("%s: output %q: kernel returned a bad tensor: %w", st.label, p.names[sl], err)
		}
		s.setTensor(st, sl, t, nil)
	}
	clear(in)
	return nil
}

// tensorInputs reports whether every input of st holds a tensor (or is
// omitted), so its tensor kernel may run.
func (s *runState) tensorInputs(st *step) bool {
	for _, sl := range st.in {
		if sl >= 0 && s.others[sl] != nil {
			return false
		}
	}
	return true
}

// tensorsOf lists the tensors of slots (nil for the others), for
// RunObserved.
func (s *runState) tensorsOf(slots []int) []*ops.Tensor {
	out := make([]*ops.Tensor, len(slots))
	for i, sl := range slots {
		if sl >= 0 {
			out[i] = s.vals[sl]
		}
	}
	return out
}

// setTensor stores t in slot sl as step st's output and counts the slot's
// reference to its buffer. root, when not nil, is t's buffer with a
// reference the caller hands over (a subgraph's output); otherwise the
// buffer is found among the ones allocated during the step, or those of
// the step's inputs t is a view of.
func (s *runState) setTensor(st *step, sl int, t *ops.Tensor, root *buffers.Buffer) {
	s.vals[sl] = t
	if root != nil {
		s.bufs[sl] = root
		return
	}
	if root = s.rootOf(st, t); root != nil {
		root.Refs++
		s.bufs[sl] = root
	}
}

// rootOf finds the pooled buffer holding t's elements: one allocated
// during step st, or one of its (explicit or subgraph-read) inputs'.
func (s *runState) rootOf(st *step, t *ops.Tensor) *buffers.Buffer {
	lo, _ := buffers.DataRange(t.Data)
	if lo == 0 {
		return nil
	}
	if root := s.pool.StepBuffer(lo); root != nil {
		return root
	}
	for _, isl := range st.in {
		if isl >= 0 && s.bufs[isl] != nil && s.bufs[isl].Contains(lo) {
			return s.bufs[isl]
		}
	}
	for _, isl := range st.implicit {
		if s.bufs[isl] != nil && s.bufs[isl].Contains(lo) {
			return s.bufs[isl]
		}
	}
	return nil
}

// setValue stores a sequence, optional or map in slot sl. The pooled
// buffers of the tensors inside it are pinned for the rest of the run
// (their reference is never dropped): values are shared freely between
// sequences, so no slot's lifetime bounds them.
func (s *runState) setValue(st *step, sl int, v *graph.Value) {
	s.others[sl] = v
	v.Tensors(func(t *ops.Tensor) {
		if root := s.rootOf(st, t); root != nil {
			root.Refs++
		}
	})
}

// execValues runs a value kernel, or a node with subgraphs.
func (p *Plan) execValues(s *runState, st *step) error {
	if st.control != nil {
		return callControl(st, s)
	}
	if st.values == nil {
		for j, sl := range st.in {
			if sl >= 0 && s.others[sl] != nil {
				return fmt.Errorf("%s: input %d (%q) is a %s; %s takes tensors", st.label, j, p.names[sl], s.others[sl].Kind, st.node.OpType)
			}
		}
		return fmt.Errorf("%s: no kernel", st.label)
	}
	in := s.vin[:len(st.in)]
	for j, sl := range st.in {
		in[j] = s.value(sl)
	}
	outs, err := callValueKernel(st, &s.env, in)
	clear(in)
	if err != nil {
		return err
	}
	if len(outs) < len(st.out) {
		return fmt.Errorf("%s: kernel returned %d outputs, the node has %d", st.label, len(outs), len(st.out))
	}
	for j, sl := range st.out {
		if sl < 0 {
			continue
		}
		if err := s.setOutput(p, st, sl, outs[j], nil); err != nil {
			return err
		}
	}
	return nil
}

// value returns slot sl's value as a graph.Value (a tensor wrapped fresh,
// so a kernel may keep it), nil for an omitted input.
func (s *runState) value(sl int) *graph.Value {
	switch {
	case sl < 0:
		return nil
	case s.others != nil && s.others[sl] != nil:
		return s.others[sl]
	case s.vals[sl] != nil:
		return graph.TensorOf(s.vals[sl])
	}
	return nil
}

// setOutput stores v, output slot sl of st, checking it. root is as for
// setTensor.
func (s *runState) setOutput(p *Plan, st *step, sl int, v *graph.Value, root *buffers.Buffer) error {
	if v == nil {
		if !p.read[sl] {
			return nil
		}
		return fmt.Errorf("%s: output %q: kernel returned no value", st.label, p.names[sl])
	}
	if v.Kind == graph.TensorValue {
		if err := v.Tensor.Validate(); err != nil {
			return fmt.Errorf("%s: output %q: kernel returned a bad tensor: %w", st.label, p.names[sl], err)
		}
		s.setTensor(st, sl, v.Tensor, root)
		return nil
	}
	if s.others == nil {
		return fmt.Errorf("%s: output %q is a %s in a plan without sequences", st.label, p.names[sl], v.Kind)
	}
	if int64(len(v.Elems)) > p.lim.maxSeqLen {
		return fmt.Errorf("%s: output %q: %s of %d elements exceeds the limit of %d: %w", st.label, p.names[sl], v.Kind, len(v.Elems), p.lim.maxSeqLen, graph.ErrLimit)
	}
	s.setValue(st, sl, v)
	return nil
}

// sharesAny reports whether t's data lies inside one of ts.
func sharesAny(t *ops.Tensor, ts []*ops.Tensor) bool {
	lo, _ := buffers.DataRange(t.Data)
	if lo == 0 {
		return false
	}
	for _, c := range ts {
		if c == nil {
			continue
		}
		clo, chi := buffers.DataRange(c.Data)
		if lo >= clo && lo < chi {
			return true
		}
	}
	return false
}

// sharesValues reports whether t's data lies inside a tensor of vs.
func sharesValues(t *ops.Tensor, vs []*graph.Value) bool {
	found := false
	for _, v := range vs {
		v.Tensors(func(c *ops.Tensor) {
			found = found || sharesAny(t, []*ops.Tensor{c})
		})
	}
	return found
}

// copyShared returns v with every tensor for which shared is true
// replaced by a copy (the containers copied along the way).
func copyShared(v *graph.Value, shared func(*ops.Tensor) bool) *graph.Value {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case graph.TensorValue:
		if shared(v.Tensor) {
			return graph.TensorOf(v.Tensor.Clone())
		}
		return v
	case graph.SequenceValue, graph.MapValue:
		var c *graph.Value
		for i, e := range v.Elems {
			ce := copyShared(e, shared)
			if ce != e && c == nil {
				cv := *v
				cv.Elems = append([]*graph.Value(nil), v.Elems...)
				c = &cv
			}
			if c != nil {
				c.Elems[i] = ce
			}
		}
		if c != nil {
			return c
		}
		return v
	case graph.OptionalValue:
		if ce := copyShared(v.Elem, shared); ce != v.Elem {
			return graph.OptionalOf(ce)
		}
	}
	return v
}

// sharesConstant reports whether t's data lies inside an initializer.
func (p *Plan) sharesConstant(t *ops.Tensor) bool {
	lo, _ := buffers.DataRange(t.Data)
	if lo == 0 {
		return false
	}
	for _, c := range p.consts {
		if c == nil {
			continue
		}
		clo, chi := buffers.DataRange(c.Data)
		if lo >= clo && lo < chi {
			return true
		}
	}
	return false
}

// recoverStep, deferred by the step runners, turns a panic of st's kernel
// into *err naming the node: the tensor size limit (*buffers.LimitError,
// wrapped) or any other panic.
func recoverStep(st *step, err *error) {
	r := recover()
	if le, ok := r.(*buffers.LimitError); ok {
		*err = fmt.Errorf("%s: %w", st.label, le)
	} else if r != nil {
		*err = fmt.Errorf("%s: kernel panicked: %v", st.label, r)
	}
}

// callKernel runs one step, turning a kernel panic into an error naming the
// node and wrapping kernel errors with the node label.
func callKernel(st *step, env *operators.Env, in []*ops.Tensor) (outs []*ops.Tensor, err error) {
	defer recoverStep(st, &err) // outs stays nil: the kernel never returned
	outs, err = st.kernel(env, in)
	if err != nil {
		return nil, nameStep(st, err)
	}
	return outs, nil
}

// callControl runs a node with subgraphs, turning a panic into an error
// naming the node (the body's own kernels are recovered, and named, on
// their own).
func callControl(st *step, s *runState) (err error) {
	defer recoverStep(st, &err)
	return st.control(s, st)
}

// callValueKernel is callKernel for value kernels.
func callValueKernel(st *step, env *operators.Env, in []*graph.Value) (outs []*graph.Value, err error) {
	defer recoverStep(st, &err) // outs stays nil: the kernel never returned
	outs, err = st.values(env, in)
	if err != nil {
		return nil, nameStep(st, err)
	}
	return outs, nil
}

// nameStep wraps a kernel error with the node's label unless the kernel
// already named the node.
func nameStep(st *step, err error) error {
	if strings.Contains(err.Error(), st.node.Label()) {
		return err
	}
	return fmt.Errorf("%s: %w", st.label, err)
}
