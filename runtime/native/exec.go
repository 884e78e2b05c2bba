package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unsafe"

	"github.com/latent-ml/latent/ops"
)

// buffer is an element slice handed out by the run's allocator. The
// executor counts the live values that use it (directly or as views) and
// puts it back on the free list when the count drops to zero.
type buffer struct {
	data   any
	key    freeKey
	lo, hi uintptr // address range of the elements
	refs   int
}

type freeKey struct {
	dt ops.DType
	n  int
}

// runState is what one Run needs besides the immutable Plan. States are
// pooled, so buffers freed in one run are reused by the next.
type runState struct {
	mu         sync.Mutex // guards free and stepAllocs against kernels allocating from several goroutines
	vals       []*ops.Tensor
	bufs       []*buffer       // root buffer of each slot's value (nil: not recyclable)
	free       []freeList      // one list per buffer size seen
	freeIdx    map[freeKey]int // index into free once it holds more than freeScanMax sizes
	stepAllocs []*buffer
	in         []*ops.Tensor
	pcg        *rand.PCG
	env        Env
	maxBytes   int64 // Options.MaxTensorBytes, resolved
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
			bufs: make([]*buffer, p.nslots),
			in:   make([]*ops.Tensor, maxIn),
			pcg:  rand.NewPCG(0, 0),

			maxBytes: p.maxBytes,
		}
		s.env.Rand = rand.New(s.pcg)
		s.env.run = s
		return s
	}
}

func (sp *statePool) get() *runState  { return sp.pool.Get().(*runState) }
func (sp *statePool) put(s *runState) { sp.pool.Put(s) }

// alloc hands out a recycled or new buffer wrapped in a tensor.
func (s *runState) alloc(dt ops.DType, shape []int) *ops.Tensor {
	checkAlloc(dt, shape, s.maxBytes)
	n := ops.NumElements(shape)
	if n <= 0 || dt.Size() == 0 {
		return ops.New(dt, append([]int(nil), shape...)...) // the copy keeps shape from escaping
	}
	k := freeKey{dt, n}
	s.mu.Lock()
	defer s.mu.Unlock()
	var b *buffer
	if fl := s.freeList(k); len(fl.bufs) > 0 {
		b = fl.bufs[len(fl.bufs)-1]
		fl.bufs[len(fl.bufs)-1] = nil
		fl.bufs = fl.bufs[:len(fl.bufs)-1]
	} else {
		data := ops.MakeSlice(dt, n)
		lo, hi := dataRange(data)
		b = &buffer{data: data, key: k, lo: lo, hi: hi}
	}
	b.refs = 0
	s.stepAllocs = append(s.stepAllocs, b)
	if len(shape) <= len(tensorBox{}.dims) {
		// One allocation for the header and its shape.
		box := &tensorBox{t: ops.Tensor{DType: dt, Data: b.data}}
		box.t.Shape = box.dims[:len(shape):len(shape)]
		copy(box.t.Shape, shape)
		return &box.t
	}
	return &ops.Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: b.data}
}

// tensorBox holds a tensor header together with room for its shape, so
// handing out a recycled buffer costs one small allocation, not two.
type tensorBox struct {
	t    ops.Tensor
	dims [6]int
}

// freeList is the free buffers of one (dtype, length).
type freeList struct {
	key  freeKey
	bufs []*buffer
}

// freeList returns the free list for k, adding an empty one if needed.
// A plan has a handful of distinct buffer sizes, so a linear scan is
// cheaper than hashing the key on every allocation.
// Past freeScanMax sizes an index map takes over, so graphs with many
// distinct sizes do not pay a long scan per allocation.
func (s *runState) freeList(k freeKey) *freeList {
	if s.freeIdx != nil {
		if i, ok := s.freeIdx[k]; ok {
			return &s.free[i]
		}
	} else {
		for i := range s.free {
			if s.free[i].key == k {
				return &s.free[i]
			}
		}
	}
	s.free = append(s.free, freeList{key: k})
	if len(s.free) > freeScanMax {
		if s.freeIdx == nil {
			s.freeIdx = make(map[freeKey]int, 2*len(s.free))
			for i, fl := range s.free {
				s.freeIdx[fl.key] = i
			}
		}
		s.freeIdx[k] = len(s.free) - 1
	}
	return &s.free[len(s.free)-1]
}

const freeScanMax = 16

func (s *runState) recycle(b *buffer) {
	fl := s.freeList(b.key)
	fl.bufs = append(fl.bufs, b)
}

// release drops slot i's value and recycles its buffer if no live value
// uses it any more.
func (s *runState) release(i int) {
	b := s.bufs[i]
	s.vals[i] = nil
	s.bufs[i] = nil
	if b == nil {
		return
	}
	b.refs--
	if b.refs == 0 {
		s.recycle(b)
	}
}

// reset forgets all values so the state can go back to the pool. Buffers
// still referenced (graph outputs handed to the caller, or values of a
// failed run) are simply dropped.
func (s *runState) reset() {
	clear(s.vals)
	clear(s.bufs)
	clear(s.in)
	clear(s.stepAllocs)
	s.stepAllocs = s.stepAllocs[:0]
	s.env.Ctx = nil
}

// dataRange returns the address range covered by the capacity of an element
// slice, or (0, 0) for empty or unknown slices.
func dataRange(data any) (lo, hi uintptr) {
	var p unsafe.Pointer
	var n, size int
	switch d := data.(type) {
	case []float32:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 4
	case []float64:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 8
	case []uint16:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 2
	case []int64:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 8
	case []int32:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 4
	case []int8:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	case []uint8:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	case []bool:
		p, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	default:
		return 0, 0
	}
	if p == nil || n == 0 {
		return 0, 0
	}
	lo = uintptr(p)
	return lo, lo + uintptr(n*size)
}

// contains reports whether the address lo lies inside b.
func (b *buffer) contains(lo uintptr) bool { return lo >= b.lo && lo < b.hi }

// Run executes the plan. inputs follow the graph's Inputs order; they may be
// followed by values for the graph's OverridableInits (nil keeps the
// initializer). Outputs follow the graph's Outputs order.
//
// Run checks ctx between nodes and never writes into inputs or
// initializers. It is safe to call from many goroutines.
func (p *Plan) Run(ctx context.Context, inputs []*ops.Tensor) ([]*ops.Tensor, error) {
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
		s.stepAllocs = s.stepAllocs[:0]
		outs, err := callKernel(st, &s.env, in)
		if err != nil {
			return nil, err
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
			lo, _ := dataRange(t.Data)
			if lo == 0 {
				continue
			}
			var root *buffer
			for _, b := range s.stepAllocs {
				if b.contains(lo) {
					root = b
					break
				}
			}
			if root == nil {
				for _, isl := range st.in {
					if isl >= 0 && s.bufs[isl] != nil && s.bufs[isl].contains(lo) {
						root = s.bufs[isl]
						break
					}
				}
			}
			if root != nil {
				root.refs++
				s.bufs[sl] = root
			}
		}
		// Scratch buffers the kernel allocated but did not return.
		for j, b := range s.stepAllocs {
			if b.refs == 0 {
				s.recycle(b)
			}
			s.stepAllocs[j] = nil
		}
		s.stepAllocs = s.stepAllocs[:0]
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
	lo, _ := dataRange(t.Data)
	if lo == 0 {
		return false
	}
	for _, c := range ts {
		if c == nil {
			continue
		}
		clo, chi := dataRange(c.Data)
		if lo >= clo && lo < chi {
			return true
		}
	}
	return false
}

// sharesConstant reports whether t's data lies inside an initializer.
func (p *Plan) sharesConstant(t *ops.Tensor) bool {
	lo, _ := dataRange(t.Data)
	if lo == 0 {
		return false
	}
	for _, c := range p.consts {
		if c == nil {
			continue
		}
		clo, chi := dataRange(c.Data)
		if lo >= clo && lo < chi {
			return true
		}
	}
	return false
}

// callKernel runs one step, turning a kernel panic into an error naming the
// node and wrapping kernel errors with the node label.
func callKernel(st *step, env *Env, in []*ops.Tensor) (outs []*ops.Tensor, err error) {
	defer func() {
		r := recover()
		if le, ok := r.(*LimitError); ok {
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
