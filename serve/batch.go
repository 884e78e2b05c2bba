package serve

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latent-ml/latent/ops"
)

// batchable reports whether dynamic batching can merge requests to m: one
// input whose first dimension is symbolic, and every output starting with
// the same symbolic dimension, so outputs split back by rows.
func batchable(m *model) bool {
	if len(m.inputs) != 1 || len(m.inputs[0].Shape) == 0 {
		return false
	}
	p := m.inputs[0].Shape[0].Param
	if p == "" {
		return false
	}
	for _, vi := range m.outputs {
		if len(vi.Shape) == 0 || vi.Shape[0].Param != p {
			return false
		}
	}
	return len(m.outputs) > 0
}

type job struct {
	ctx      context.Context
	in       *ops.Tensor
	done     chan result
	enqueued time.Time
	left     atomic.Bool // no longer pending: its batch runs, or it ended
}

// leave counts j out of the pending requests, once.
func (b *batcher) leave(j *job) {
	if j.left.CompareAndSwap(false, true) {
		b.s.metrics.pending.Dec()
	}
}

type result struct {
	outs []*ops.Tensor
	info runInfo
	err  error
}

// batcher gathers concurrent requests to one model and runs them as one
// batch: up to MaxBatch rows, waiting at most MaxDelay after the first.
type batcher struct {
	s    *Server
	m    *model
	jobs chan *job
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newBatcher(s *Server, m *model) *batcher {
	b := &batcher{s: s, m: m, jobs: make(chan *job), quit: make(chan struct{})}
	b.wg.Add(1)
	go b.loop()
	return b
}

func (b *batcher) stop() {
	b.once.Do(func() { close(b.quit) })
	b.wg.Wait()
}

func (b *batcher) submit(ctx context.Context, in *ops.Tensor) ([]*ops.Tensor, runInfo, error) {
	j := &job{ctx: ctx, in: in, done: make(chan result, 1), enqueued: time.Now()}
	b.s.metrics.pending.Inc()
	defer b.leave(j)
	select {
	case b.jobs <- j:
	case <-b.quit:
		return nil, runInfo{}, errorf(http.StatusServiceUnavailable, "model %q is shutting down", b.m.name)
	case <-ctx.Done():
		return nil, runInfo{}, errorf(http.StatusServiceUnavailable, "request ended before it was scheduled: %w", ctx.Err())
	}
	select {
	case r := <-j.done:
		return r.outs, r.info, r.err
	case <-ctx.Done():
		return nil, runInfo{}, errorf(http.StatusServiceUnavailable, "request ended before its batch ran: %w", ctx.Err())
	}
}

func (b *batcher) loop() {
	defer b.wg.Done()
	var held []*job // jobs that did not fit the previous batch
	var running sync.WaitGroup
	defer running.Wait()
	for {
		var first *job
		if len(held) > 0 {
			first, held = held[0], held[1:]
		} else {
			select {
			case first = <-b.jobs:
			case <-b.quit:
				return
			}
		}
		batch := []*job{first}
		rows := first.in.Shape[0]
		timer := time.NewTimer(b.s.cfg.MaxDelay)
		var rest []*job
		for _, j := range held {
			if rows < b.s.cfg.MaxBatch && compatible(first.in, j.in) && rows+j.in.Shape[0] <= b.s.cfg.MaxBatch {
				batch, rows = append(batch, j), rows+j.in.Shape[0]
			} else {
				rest = append(rest, j)
			}
		}
		held = rest
	gather:
		for rows < b.s.cfg.MaxBatch {
			select {
			case j := <-b.jobs:
				if compatible(first.in, j.in) && rows+j.in.Shape[0] <= b.s.cfg.MaxBatch {
					batch, rows = append(batch, j), rows+j.in.Shape[0]
				} else {
					held = append(held, j)
				}
			case <-timer.C:
				break gather
			case <-b.quit:
				break gather
			}
		}
		timer.Stop()
		running.Add(1)
		go func() {
			defer running.Done()
			b.execute(batch, rows)
		}()
	}
}

// compatible reports whether b's rows can join a's batch.
func compatible(a, b *ops.Tensor) bool {
	return a.DType == b.DType && len(a.Shape) == len(b.Shape) && ops.SameShape(a.Shape[1:], b.Shape[1:])
}

func (b *batcher) execute(batch []*job, rows int) {
	fail := func(err error) {
		for _, j := range batch {
			j.done <- result{err: err}
		}
	}
	// Drop requests whose clients already left: before waiting for a run
	// slot, and again once the batch has one.
	drop := func() {
		live := batch[:0]
		for _, j := range batch {
			if err := j.ctx.Err(); err != nil {
				j.done <- result{err: errorf(http.StatusServiceUnavailable, "request ended before its batch ran: %w", err)}
				rows -= j.in.Shape[0]
				continue
			}
			live = append(live, j)
		}
		batch = live
	}
	drop()
	if len(batch) == 0 {
		return
	}
	// The batch waits for a slot on behalf of all its requests, so one
	// client leaving does not fail the others.
	ctx := context.Background()
	if err := b.s.acquire(ctx); err != nil {
		fail(err)
		return
	}
	defer b.s.release()
	if drop(); len(batch) == 0 {
		return
	}
	for _, j := range batch {
		b.leave(j)
	}
	b.s.metrics.batches.WithLabelValues(b.m.name).Observe(float64(len(batch)))
	start := time.Now()
	in := batch[0].in
	if len(batch) > 1 {
		srcs := make([]*ops.Tensor, len(batch))
		for i, j := range batch {
			srcs[i] = j.in
		}
		in = ops.New(in.DType, append([]int{rows}, in.Shape[1:]...)...)
		if err := ops.ConcatInto(in, srcs, 0); err != nil {
			fail(errorf(http.StatusInternalServerError, "model %q: batching inputs: %v", b.m.name, err))
			return
		}
	}
	ran := time.Now()
	outs, err := b.m.sess.RunOrdered(ctx, []*ops.Tensor{in})
	done := time.Now()
	if err != nil {
		fail(errorf(http.StatusInternalServerError, "model %q: run: %v", b.m.name, err))
		return
	}
	info := func(j *job) runInfo { return runInfo{queue: start.Sub(j.enqueued), infer: done.Sub(ran)} }
	if len(batch) == 1 {
		b.m.stats.execution(rows, ran.Sub(start), done.Sub(ran), 0)
		batch[0].done <- result{outs: outs, info: info(batch[0])}
		return
	}
	for _, o := range outs {
		if len(o.Shape) == 0 || o.Shape[0] != rows {
			fail(errorf(http.StatusInternalServerError, "model %q: batched output has shape %s, not %d rows", b.m.name, ops.ShapeString(o.Shape), rows))
			return
		}
	}
	// mine[i][k] is request i's rows of output k.
	mine := make([][]*ops.Tensor, len(batch))
	for i := range mine {
		mine[i] = make([]*ops.Tensor, len(outs))
	}
	parts := make([]*ops.Tensor, len(batch))
	for k, o := range outs {
		for i, j := range batch {
			parts[i] = ops.New(o.DType, append([]int{j.in.Shape[0]}, o.Shape[1:]...)...)
			mine[i][k] = parts[i]
		}
		if err := ops.SplitInto(parts, o, 0); err != nil {
			fail(errorf(http.StatusInternalServerError, "model %q: splitting batched output: %v", b.m.name, err))
			return
		}
	}
	b.m.stats.execution(rows, ran.Sub(start), done.Sub(ran), time.Since(done))
	for i, j := range batch {
		j.done <- result{outs: mine[i], info: info(j)}
	}
}
