package serve

import (
	"sort"
	"sync"
	"time"

	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// modelStats are the cumulative statistics of one loaded model version, in
// the shape of Triton's statistics extension: requests by outcome and
// phase, and model runs by batch size.
type modelStats struct {
	mu         sync.Mutex
	loaded     time.Time
	last       time.Time // the last request's end
	inferences uint64    // samples of successful requests
	executions uint64    // model runs
	success    statDuration
	fail       statDuration
	queue      statDuration
	input      statDuration
	infer      statDuration
	output     statDuration
	batches    map[int]*batchStats
}

// statDuration counts events and their summed duration (Triton's
// StatisticDuration).
type statDuration struct {
	Count uint64 `json:"count"`
	NS    uint64 `json:"ns"`
}

func (d *statDuration) add(t time.Duration) {
	d.Count++
	if t > 0 {
		d.NS += uint64(t)
	}
}

type batchStats struct {
	input, infer, output statDuration
}

// execution records one model run over a batch of the given size.
func (st *modelStats) execution(size int, input, infer, output time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.executions++
	if st.batches == nil {
		st.batches = map[int]*batchStats{}
	}
	b := st.batches[size]
	if b == nil {
		b = &batchStats{}
		st.batches[size] = b
	}
	b.input.add(input)
	b.infer.add(infer)
	b.output.add(output)
}

// trace follows one inference request through its phases for its model's
// statistics: decoding the inputs, waiting for a run, the run, and
// encoding the outputs.
type trace struct {
	m                 *model
	start, decoded    time.Time
	ran               time.Time
	run               runInfo
	samples           int
	reachedModel, set bool
}

func (m *model) trace() *trace { return &trace{m: m, start: time.Now()} }

// inputsDecoded marks the end of decoding.
func (t *trace) inputsDecoded() { t.decoded = time.Now() }

// modelRan records the run's timing; the encoding phase starts now.
func (t *trace) modelRan(ri runInfo, samples int) {
	t.ran, t.run, t.samples, t.reachedModel = time.Now(), ri, samples, true
}

// finish records the request as a success or a failure.
func (t *trace) finish(err error) {
	if t == nil || t.set {
		return
	}
	t.set = true
	now := time.Now()
	st := &t.m.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.last = now
	if err != nil {
		st.fail.add(now.Sub(t.start))
		return
	}
	st.success.add(now.Sub(t.start))
	st.inferences += uint64(t.samples)
	if t.decoded.IsZero() {
		t.decoded = t.start
	}
	st.input.add(t.decoded.Sub(t.start))
	if t.reachedModel {
		st.queue.add(t.run.queue)
		st.infer.add(t.run.infer)
		st.output.add(now.Sub(t.ran))
	}
}

// Statistics in Triton's JSON shape (GET /v2/models/stats).

type statsJSON struct {
	ModelStats []modelStatsJSON `json:"model_stats"`
}

type inferStatsJSON struct {
	Success       statDuration `json:"success"`
	Fail          statDuration `json:"fail"`
	Queue         statDuration `json:"queue"`
	ComputeInput  statDuration `json:"compute_input"`
	ComputeInfer  statDuration `json:"compute_infer"`
	ComputeOutput statDuration `json:"compute_output"`
	CacheHit      statDuration `json:"cache_hit"`
	CacheMiss     statDuration `json:"cache_miss"`
}

type batchStatsJSON struct {
	BatchSize     uint64       `json:"batch_size"`
	ComputeInput  statDuration `json:"compute_input"`
	ComputeInfer  statDuration `json:"compute_infer"`
	ComputeOutput statDuration `json:"compute_output"`
}

type modelStatsJSON struct {
	Name           string           `json:"name"`
	Version        string           `json:"version"`
	LastInference  uint64           `json:"last_inference"`
	InferenceCount uint64           `json:"inference_count"`
	ExecutionCount uint64           `json:"execution_count"`
	InferenceStats inferStatsJSON   `json:"inference_stats"`
	ResponseStats  struct{}         `json:"response_stats"`
	BatchStats     []batchStatsJSON `json:"batch_stats"`
	MemoryUsage    []struct{}       `json:"memory_usage"`
}

// snapshot copies the statistics of m.
func (m *model) snapshot() modelStatsJSON {
	st := &m.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	out := modelStatsJSON{
		Name: m.name, Version: m.version, InferenceCount: st.inferences, ExecutionCount: st.executions,
		InferenceStats: inferStatsJSON{Success: st.success, Fail: st.fail, Queue: st.queue,
			ComputeInput: st.input, ComputeInfer: st.infer, ComputeOutput: st.output},
		BatchStats: []batchStatsJSON{}, MemoryUsage: []struct{}{},
	}
	if !st.last.IsZero() {
		out.LastInference = uint64(st.last.UnixMilli())
	}
	sizes := make([]int, 0, len(st.batches))
	for n := range st.batches {
		sizes = append(sizes, n)
	}
	sort.Ints(sizes)
	for _, n := range sizes {
		b := st.batches[n]
		out.BatchStats = append(out.BatchStats, batchStatsJSON{BatchSize: uint64(n), ComputeInput: b.input, ComputeInfer: b.infer, ComputeOutput: b.output})
	}
	return out
}

func (d statDuration) proto() *pb.StatisticDuration {
	return &pb.StatisticDuration{Count: d.Count, Ns: d.NS}
}

// proto converts a snapshot to the gRPC ModelStatistics message.
func (j modelStatsJSON) proto() *pb.ModelStatistics {
	is := j.InferenceStats
	out := &pb.ModelStatistics{
		Name: j.Name, Version: j.Version, LastInference: j.LastInference,
		InferenceCount: j.InferenceCount, ExecutionCount: j.ExecutionCount,
		InferenceStats: &pb.InferStatistics{
			Success: is.Success.proto(), Fail: is.Fail.proto(), Queue: is.Queue.proto(),
			ComputeInput: is.ComputeInput.proto(), ComputeInfer: is.ComputeInfer.proto(), ComputeOutput: is.ComputeOutput.proto(),
			CacheHit: is.CacheHit.proto(), CacheMiss: is.CacheMiss.proto(),
		},
	}
	for _, b := range j.BatchStats {
		out.BatchStats = append(out.BatchStats, &pb.InferBatchStatistics{BatchSize: b.BatchSize,
			ComputeInput: b.ComputeInput.proto(), ComputeInfer: b.ComputeInfer.proto(), ComputeOutput: b.ComputeOutput.proto()})
	}
	return out
}
