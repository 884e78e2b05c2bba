package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// The statistics count what the requests did: samples, runs by batch
// size, successes and failures with their phases, over both protocols,
// and REST and gRPC report the same numbers.
func TestStatistics(t *testing.T) {
	lb := startLoopback(t, Config{Models: append(aeModel(), ModelSpec{Name: "id", Path: identityModel(t)})})
	c, ctx := grpcClient(t, lb), testCtx(t)
	in, _ := goldenIO(t)
	d := in.Shape[1]
	rowsOf := func(rows int) []float32 {
		x := make([]float32, rows*d)
		for i := range x {
			x[i] = in.F32()[i%in.Len()]
		}
		return x
	}
	before := time.Now()
	for _, rows := range []int{1, 2, 4} {
		r := do(t, "POST", lb.base+"/v2/models/ae/infer", inferBody("input", []int{rows, d}, "FP32", rowsOf(rows)), nil)
		require.Equal(t, 200, r.code, "%s", r.body)
	}
	x := rowsOf(2)
	_, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "input", Datatype: "FP32", Shape: []int64{2, int64(d)}, Contents: &pb.InferTensorContents{Fp32Contents: x}}}})
	require.NoError(t, err)
	// Two failures: a bad shape (REST) and a bad datatype (gRPC).
	wantError(t, "bad shape", do(t, "POST", lb.base+"/v2/models/ae/infer", inferBody("input", []int{1, 4}, "FP32", make([]float32, 4)), nil), 400, "expected shape")
	_, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "INT8", Shape: []int64{1, 8}}}})
	requireStatus(t, "bad datatype", err, codes.InvalidArgument, "expected datatype FP32")

	r := do(t, "GET", lb.base+"/v2/models/ae/stats", nil, nil)
	require.Equal(t, 200, r.code, "%s", r.body)
	var st statsJSON
	decodeJSON(t, r, &st)
	require.Len(t, st.ModelStats, 1)
	ms := st.ModelStats[0]
	assert.Equal(t, "ae", ms.Name)
	assert.Equal(t, "1", ms.Version)
	assert.Equal(t, uint64(1+2+4+2), ms.InferenceCount)
	assert.Equal(t, uint64(4), ms.ExecutionCount)
	is := ms.InferenceStats
	assert.Equal(t, uint64(4), is.Success.Count)
	assert.Equal(t, uint64(2), is.Fail.Count)
	for name, sd := range map[string]statDuration{"queue": is.Queue, "compute_input": is.ComputeInput, "compute_infer": is.ComputeInfer, "compute_output": is.ComputeOutput} {
		assert.Equal(t, uint64(4), sd.Count, name)
	}
	assert.Positive(t, is.ComputeInfer.NS)
	assert.Positive(t, is.Fail.NS)
	// A request's phases fit inside it.
	assert.LessOrEqual(t, is.Queue.NS+is.ComputeInput.NS+is.ComputeInfer.NS+is.ComputeOutput.NS, is.Success.NS)
	assert.Zero(t, is.CacheHit.Count)
	assert.Equal(t, []uint64{1, 2, 4}, []uint64{ms.BatchStats[0].BatchSize, ms.BatchStats[1].BatchSize, ms.BatchStats[2].BatchSize})
	require.Len(t, ms.BatchStats, 3)
	assert.Equal(t, uint64(2), ms.BatchStats[1].ComputeInfer.Count, "two runs of batch size 2")
	assert.Equal(t, uint64(1), ms.BatchStats[0].ComputeInfer.Count)
	last := time.UnixMilli(int64(ms.LastInference))
	assert.WithinRange(t, last, before.Truncate(time.Millisecond), time.Now())

	// gRPC reports the same.
	g, err := c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "ae", Version: "1"})
	require.NoError(t, err)
	require.Len(t, g.GetModelStats(), 1)
	gs := g.GetModelStats()[0]
	assert.Equal(t, ms.InferenceCount, gs.GetInferenceCount())
	assert.Equal(t, ms.ExecutionCount, gs.GetExecutionCount())
	assert.Equal(t, ms.LastInference, gs.GetLastInference())
	assert.Equal(t, is.Success.Count, gs.GetInferenceStats().GetSuccess().GetCount())
	assert.Equal(t, is.Success.NS, gs.GetInferenceStats().GetSuccess().GetNs())
	assert.Equal(t, is.Fail.Count, gs.GetInferenceStats().GetFail().GetCount())
	require.Len(t, gs.GetBatchStats(), 3)
	assert.Equal(t, uint64(4), gs.GetBatchStats()[2].GetBatchSize())

	// All models, in name order; the idle one has zeros.
	decodeJSON(t, do(t, "GET", lb.base+"/v2/models/stats", nil, nil), &st)
	require.Len(t, st.ModelStats, 2)
	assert.Equal(t, "ae", st.ModelStats[0].Name)
	assert.Equal(t, "id", st.ModelStats[1].Name)
	assert.Zero(t, st.ModelStats[1].InferenceCount)
	assert.Zero(t, st.ModelStats[1].LastInference)
	assert.Empty(t, st.ModelStats[1].BatchStats)
	g, err = c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{})
	require.NoError(t, err)
	assert.Len(t, g.GetModelStats(), 2)

	wantError(t, "unknown model", do(t, "GET", lb.base+"/v2/models/nope/stats", nil, nil), 404, `unknown model "nope"`)
	wantError(t, "unknown version", do(t, "GET", lb.base+"/v2/models/ae/versions/3/stats", nil, nil), 404, `no version "3"`)
	_, err = c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Name: "nope"})
	requireStatus(t, "unknown model", err, codes.NotFound, `unknown model "nope"`)
	_, err = c.ModelStatistics(ctx, &pb.ModelStatisticsRequest{Version: "1"})
	requireStatus(t, "version without name", err, codes.InvalidArgument, "without a model name")
}

// With dynamic batching, runs count once per merged batch, by its size,
// while every request counts as a success with its own samples.
func TestStatisticsWithBatching(t *testing.T) {
	lb := startLoopback(t, Config{MaxBatch: 64, MaxDelay: 100 * time.Millisecond, Models: aeModel()})
	c := grpcClient(t, lb)
	in, _ := goldenIO(t)
	const requests = 5
	done := make(chan error, requests)
	for i := 0; i < requests; i++ {
		go func() {
			_, err := c.ModelInfer(testCtx(t), rawRequest(t, "ae", in))
			done <- err
		}()
	}
	for i := 0; i < requests; i++ {
		require.NoError(t, <-done)
	}
	g, err := c.ModelStatistics(testCtx(t), &pb.ModelStatisticsRequest{Name: "ae"})
	require.NoError(t, err)
	ms := g.GetModelStats()[0]
	assert.Equal(t, uint64(requests), ms.GetInferenceStats().GetSuccess().GetCount())
	assert.Equal(t, uint64(requests*in.Shape[0]), ms.GetInferenceCount())
	runs, rows := uint64(0), uint64(0)
	for _, b := range ms.GetBatchStats() {
		runs += b.GetComputeInfer().GetCount()
		rows += b.GetBatchSize() * b.GetComputeInfer().GetCount()
	}
	assert.Equal(t, ms.GetExecutionCount(), runs)
	assert.Equal(t, ms.GetInferenceCount(), rows, "the batch sizes add up to the samples")
	assert.Less(t, runs, uint64(requests))
	assert.Positive(t, ms.GetInferenceStats().GetQueue().GetNs(), "waiting for company is queue time")
}
