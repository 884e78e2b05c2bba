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

// runState is what one Run needs besides the immutable Plan. States are
// pooled, so buffers freed in one run are reused by the next.
type runState struct {
	buffers buffers.Pool
	vals    []*ops.Tensor
	bufs    []*buffers.Buffer // root buffer of each slot's value (nil: not recyclable)
	in      []*ops.Tensor
	pcg     *rand.PCG
	env     operators.Env
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
			pcg:  rand.NewPCG(0, 0),
		}
		s.buffers.MaxBytes = p.maxBytes
		s.env.Rand = rand.New(s.pcg)
		s.env.Buffers = &s.buffers
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
	if b != nil {
		s.buffers.Release(b)
	}
}

// reset forgets all values so the state can go back to the pool. Buffers
// still referenced (graph outputs handed to the caller, or values of a
// failed run) are simply dropped.
func (s *runState) reset() {
	clear(s.vals)
	clear(s.bufs)
	clear(s.in)
	s.buffers.Forget()
	s.env.Ctx = nil
}

// Run executes the plan. inputs follow the graph's Inputs order; they may be
// followed by values for the graph's OverridableInits (nil keeps the
// initializer). Outputs follow the graph's Outputs order.
//
// Run checks ctx between nodes and never writes into inputs or
// initializers. It is safe to call from many goroutines.
func (p *Plan) Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
	return p.run(ctx, inputs, nil)
}

// StepTiming is what RunObserved reports after each step: the node it
// ran (after the optimisation passes, so fused nodes appear as such), its
// inputs and outputs, and the time the kernel took.
type StepTiming struct {
	Node *graph.Node
	// In and Out are the step's input and output tensors; valid only
	// during the callback (their buffers are recycled afterwards). An
	// omitted optional input is nil.
	In, Out []*ops.Tensor
	Elapsed time.Duration
}

// RunObserved is Run that calls observe after every step, in execution
// order, with the step's node, tensors and kernel time: the basis of a
// per-operator profile (latent profile). Timing adds two clock reads per
// step; Run itself pays nothing for it.
func (p *Plan) RunObserved(ctx context.Context, inputs []*ops.Tensor, observe func(StepTiming)) ([]*ops.Tensor, error) {
	return p.run(ctx, inputs, observe)
}

func (p *Plan) run(ctx context.Context, inputs []*ops.Tensor, observe func(StepTiming)) ([]*ops.Tensor, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(inputs) != p.nRequired && len(inputs) != len(p.inputSlots) {
		if len(p.inputSlots) != p.nRequired {
			return nil, fmt.Errorf("run: got %d inputs, want %d (or %d with overridable initializers)", len(inputs), p.nRequired, len(p.inputSlots))
		}
		return nil, fmt.Errorf("run: got %d inputs, want %d", len(inputs), p.nRequired)
	}
	for i, t := range inputs {
		name := p.names[p.inputSlots[i]]
		if t == nil {
			if i < p.nRequired {
				return nil, fmt.Errorf("run: missing input %q", name)
			}
			continue
		}
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("run: input %q: %w", name, err)
		}
		if i < p.nRequired {
			if want := p.graph.Inputs[i].DType; want != ops.Invalid && want != t.DType {
				return nil, fmt.Errorf("run: input %q: expected %v, got %v", name, want, t.DType)
			}
		}
	}

	s := p.state.get()
	defer func() {
		s.reset()
		p.state.put(s)
	}()
	s.pcg.Seed(p.seed, p.seed^0x9e3779b97f4a7c15)
	s.env.Ctx = ctx
	for i, c := range p.consts {
		if c != nil {
			s.vals[i] = c
		}
	}
	for i, t := range inputs {
		if t != nil {
			s.vals[p.inputSlots[i]] = t
		}
	}

	for si := range p.steps {
		st := &p.steps[si]
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("run stopped before %s: %w", st.label, err)
		}
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
			return nil, err
		}
		if observe != nil {
			observe(StepTiming{Node: st.node, In: in, Out: outs, Elapsed: time.Since(t0)})
		}
		if len(outs) < len(st.out) {
			return nil, fmt.Errorf("%s: kernel returned %d outputs, the node has %d", st.label, len(outs), len(st.out))
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
				return nil, fmt.Errorf("%s: output %q: kernel returned a bad tensor: %w", st.label, p.names[sl], err)
			}
			s.vals[sl] = t
			lo, _ := buffers.DataRange(t.Data)
			if lo == 0 {
				continue
			}
			root := s.buffers.StepBuffer(lo)
			if root == nil {
				for _, isl := range st.in {
					if isl >= 0 && s.bufs[isl] != nil && s.bufs[isl].Contains(lo) {
						root = s.bufs[isl]
						break
					}
				}
			}
			if root != nil {
				root.Refs++
				s.bufs[sl] = root
			}
		}
		// Scratch buffers the kernel allocated but did not return.
		s.buffers.EndStep()
		clear(in)
		for _, sl := range st.release {
			s.release(sl)
		}
	}

	outs := make([]*ops.Tensor, len(p.outputSlots))
	for i, sl := range p.outputSlots {
		t := s.vals[sl]
		if t == nil {
			return nil, fmt.Errorf("graph output %q was not computed", p.names[sl])
		}
		if s.bufs[sl] == nil && (p.sharesConstant(t) || sharesAny(t, inputs)) {
			// Never hand out an initializer (or a view of one): the caller
			// could write into the plan's constants. Outputs that alias an
			// input are copied too, so reusing the input buffer for the
			// next batch does not change earlier results.
			t = t.Clone()
		}
		outs[i] = t
	}
	return outs, nil
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

// callKernel runs one step, turning a kernel panic into an error naming the
// node and wrapping kernel errors with the node label.
func callKernel(st *step, env *operators.Env, in []*ops.Tensor) (outs []*ops.Tensor, err error) {
	defer func() {
		r := recover()
		if le, ok := r.(*buffers.LimitError); ok {
			outs, err = nil, fmt.Errorf("%s: %w", st.label, le)
		} else if r != nil {
			outs, err = nil, fmt.Errorf("%s: kernel panicked: %v", st.label, r)
		}
	}()
	outs, err = st.kernel(env, in)
	if err != nil {
		if strings.Contains(err.Error(), st.node.Label()) {
			return nil, err // the kernel already named the node
		}
		return nil, fmt.Errorf("%s: %w", st.label, err)
	}
	return outs, nil
}
