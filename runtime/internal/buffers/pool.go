// Package buffers owns the recycled tensor buffers of one native run: free
// lists keyed by element type and length, the buffers handed out during the
// current step, and the per-tensor size limit. The executor
// (runtime/native) counts the live values using each buffer and gives it
// back when the count drops to zero; kernels reach the pool only through
// opset.Env.New.
package buffers

import (
	"sync"
	"unsafe"

	"github.com/latent-ml/latent/ops"
)

// Buffer is an element slice handed out by a Pool. Refs counts the live
// values that use it (directly or as views); the executor maintains it.
type Buffer struct {
	data   any
	key    freeKey
	lo, hi uintptr // address range of the elements
	Refs   int
	free   bool // on a free list
}

type freeKey struct {
	dt ops.DType
	n  int
}

// Pool hands out recycled or new buffers. The zero value is not usable:
// set MaxBytes (see LimitError). It is not safe for concurrent runs, but
// kernels may allocate from several goroutines during one step.
type Pool struct {
	mu       sync.Mutex // guards free and step against kernels allocating from several goroutines
	free     []freeList
	freeIdx  map[freeKey]int // index into free once it holds more than freeScanMax sizes
	step     []*Buffer       // buffers handed out since the last EndStep
	base     int             // step[:base] belong to enclosing scopes (BeginScope)
	MaxBytes int64           // the largest tensor Alloc hands out, in bytes
}

// Alloc hands out a recycled or new buffer wrapped in a tensor of the given
// type and shape. Recycled buffers are not cleared. shape is not retained.
// A tensor larger than MaxBytes panics with a *LimitError.
func (p *Pool) Alloc(dt ops.DType, shape []int) *ops.Tensor {
	CheckSize(dt, shape, p.MaxBytes)
	n := ops.NumElements(shape)
	if n <= 0 || dt.Size() == 0 {
		return ops.New(dt, append([]int(nil), shape...)...) // the copy keeps shape from escaping
	}
	k := freeKey{dt, n}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b *Buffer
	if fl := p.freeList(k); len(fl.bufs) > 0 {
		b = fl.bufs[len(fl.bufs)-1]
		fl.bufs[len(fl.bufs)-1] = nil
		fl.bufs = fl.bufs[:len(fl.bufs)-1]
		b.free = false
	} else {
		data := ops.MakeSlice(dt, n)
		lo, hi := DataRange(data)
		b = &Buffer{data: data, key: k, lo: lo, hi: hi}
	}
	b.Refs = 0
	p.step = append(p.step, b)
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
	bufs []*Buffer
}

// freeList returns the free list for k, adding an empty one if needed.
// A plan has a handful of distinct buffer sizes, so a linear scan is
// cheaper than hashing the key on every allocation.
// Past freeScanMax sizes an index map takes over, so graphs with many
// distinct sizes do not pay a long scan per allocation.
func (p *Pool) freeList(k freeKey) *freeList {
	if p.freeIdx != nil {
		if i, ok := p.freeIdx[k]; ok {
			return &p.free[i]
		}
	} else {
		for i := range p.free {
			if p.free[i].key == k {
				return &p.free[i]
			}
		}
	}
	p.free = append(p.free, freeList{key: k})
	if len(p.free) > freeScanMax {
		if p.freeIdx == nil {
			p.freeIdx = make(map[freeKey]int, 2*len(p.free))
			for i, fl := range p.free {
				p.freeIdx[fl.key] = i
			}
		}
		p.freeIdx[k] = len(p.free) - 1
	}
	return &p.free[len(p.free)-1]
}

const freeScanMax = 16

// Recycle puts b back on its free list; a buffer already there stays
// there once (a buffer released inside a subgraph's scope may also be
// recycled by that scope's EndStep).
func (p *Pool) Recycle(b *Buffer) {
	if b.free {
		return
	}
	b.free = true
	fl := p.freeList(b.key)
	fl.bufs = append(fl.bufs, b)
}

// Release drops one reference to b and recycles it when none is left.
func (p *Pool) Release(b *Buffer) {
	b.Refs--
	if b.Refs == 0 {
		p.Recycle(b)
	}
}

// StepBuffer returns the buffer handed out since the last EndStep (of the
// current scope) whose elements contain address lo, or nil.
func (p *Pool) StepBuffer(lo uintptr) *Buffer {
	for _, b := range p.step[p.base:] {
		if b.Contains(lo) {
			return b
		}
	}
	return nil
}

// EndStep recycles the buffers handed out since the last EndStep (of the
// current scope) that no value references (a kernel's scratch space) and
// starts a new step.
func (p *Pool) EndStep() {
	for i := p.base; i < len(p.step); i++ {
		if b := p.step[i]; b.Refs == 0 {
			p.Recycle(b)
		}
		p.step[i] = nil
	}
	p.step = p.step[:p.base]
}

// BeginScope starts a scope of steps nested in the current step (one
// iteration of a subgraph run by a Loop, Scan or If node): until EndScope,
// StepBuffer and EndStep see only the buffers handed out inside it, so the
// enclosing step's own buffers are neither found nor recycled by the
// subgraph's steps. It returns what EndScope needs.
func (p *Pool) BeginScope() int {
	old := p.base
	p.base = len(p.step)
	return old
}

// EndScope ends the scope BeginScope started (recycling its unreferenced
// buffers as EndStep does) and returns to the enclosing step.
func (p *Pool) EndScope(old int) {
	p.EndStep()
	p.base = old
}

// Forget drops the current step's buffers without recycling them (the run
// failed, or its values were handed to the caller), leaving every scope.
func (p *Pool) Forget() {
	clear(p.step)
	p.step = p.step[:0]
	p.base = 0
}

// DataRange returns the address range covered by the capacity of an element
// slice, or (0, 0) for empty or unknown slices.
func DataRange(data any) (lo, hi uintptr) {
	var ptr unsafe.Pointer
	var n, size int
	switch d := data.(type) {
	case []float32:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 4
	case []float64:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 8
	case []uint16:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 2
	case []int64:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 8
	case []int32:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 4
	case []int8:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	case []uint8:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	case []bool:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 1
	case []int16:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 2
	case []uint32:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 4
	case []uint64:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), 8
	case []string:
		ptr, n, size = unsafe.Pointer(unsafe.SliceData(d)), cap(d), int(unsafe.Sizeof(""))
	default:
		return 0, 0
	}
	if ptr == nil || n == 0 {
		return 0, 0
	}
	lo = uintptr(ptr)
	return lo, lo + uintptr(n*size)
}

// Contains reports whether the address lo lies inside b.
func (b *Buffer) Contains(lo uintptr) bool { return lo >= b.lo && lo < b.hi }
