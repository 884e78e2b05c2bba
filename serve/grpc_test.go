package serve

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/latent-ml/latent/ops"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// grpcClient dials the loopback server's gRPC service.
func grpcClient(t *testing.T, lb *loopback) pb.GRPCInferenceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(lb.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return pb.NewGRPCInferenceServiceClient(conn)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// requireStatus checks that err is a gRPC status with code and a message
// holding want.
func requireStatus(t *testing.T, what string, err error, code codes.Code, want string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "%s: %v is not a gRPC status", what, err)
	assert.Equal(t, code.String(), st.Code().String(), "%s: %s", what, st.Message())
	assert.Contains(t, st.Message(), want, what)
}

func aeModel() []ModelSpec {
	return []ModelSpec{{Name: "ae", Path: filepath.Join(golden, "model.onnx")}}
}

// rawRequest is a ModelInfer request for model "ae" with in as raw contents.
func rawRequest(t *testing.T, model string, in *ops.Tensor) *pb.ModelInferRequest {
	raw, err := ops.AppendLE(nil, in)
	require.NoError(t, err)
	return &pb.ModelInferRequest{ModelName: model, Id: "g-1",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: shape64(in.Shape)}},
		RawInputContents: [][]byte{raw}}
}

func rawFloats(t *testing.T, b []byte) []float32 {
	require.Zero(t, len(b)%4)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func TestGRPCHealthAndMetadata(t *testing.T) {
	lb := startLoopback(t, Config{Models: aeModel()})
	c, ctx := grpcClient(t, lb), testCtx(t)
	live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{})
	require.NoError(t, err)
	assert.True(t, live.GetLive())
	ready, err := c.ServerReady(ctx, &pb.ServerReadyRequest{})
	require.NoError(t, err)
	assert.True(t, ready.GetReady())
	md, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	require.NoError(t, err)
	assert.Equal(t, "latent", md.GetName())
	assert.Equal(t, Version(), md.GetVersion())
	assert.Contains(t, md.GetExtensions(), "model_repository")
	assert.Contains(t, md.GetExtensions(), "statistics")

	for _, c2 := range []struct {
		name, version string
		want          bool
	}{{"ae", "", true}, {"ae", "1", true}, {"ae", "2", false}, {"nope", "", false}} {
		r, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: c2.name, Version: c2.version})
		require.NoError(t, err, "%s/%s", c2.name, c2.version)
		assert.Equal(t, c2.want, r.GetReady(), "%s/%s", c2.name, c2.version)
	}
	mm, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "ae"})
	require.NoError(t, err)
	assert.Equal(t, "ae", mm.GetName())
	assert.Equal(t, []string{"1"}, mm.GetVersions())
	assert.Equal(t, "onnx_onnxv1", mm.GetPlatform())
	require.Len(t, mm.GetInputs(), 1)
	assert.Equal(t, "input", mm.GetInputs()[0].GetName())
	assert.Equal(t, "FP32", mm.GetInputs()[0].GetDatatype())
	assert.Equal(t, []int64{-1, 8}, mm.GetInputs()[0].GetShape())
	require.Len(t, mm.GetOutputs(), 1)
	assert.Equal(t, "reconstruction", mm.GetOutputs()[0].GetName())
	_, err = c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "nope"})
	requireStatus(t, "unknown model", err, codes.NotFound, `unknown model "nope"`)
	_, err = c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "ae", Version: "7"})
	requireStatus(t, "unknown version", err, codes.NotFound, `no version "7"`)
}

func TestGRPCInferMatchesTrainer(t *testing.T) {
	lb := startLoopback(t, Config{Models: aeModel()})
	c, ctx := grpcClient(t, lb), testCtx(t)
	in, want := goldenIO(t)

	// Raw contents in, raw contents out (what tritonclient sends and reads).
	resp, err := c.ModelInfer(ctx, rawRequest(t, "ae", in))
	require.NoError(t, err)
	assert.Equal(t, "ae", resp.GetModelName())
	assert.Equal(t, "1", resp.GetModelVersion())
	assert.Equal(t, "g-1", resp.GetId())
	require.Len(t, resp.GetOutputs(), 1)
	o := resp.GetOutputs()[0]
	assert.Equal(t, "reconstruction", o.GetName())
	assert.Equal(t, "FP32", o.GetDatatype())
	assert.Equal(t, shape64(want.Shape), o.GetShape())
	require.Len(t, resp.GetRawOutputContents(), 1)
	assert.InDeltaSlice(t, want.F32(), rawFloats(t, resp.GetRawOutputContents()[0]), 1e-5)

	// Typed contents in, typed contents out (what KServe's client sends).
	req := &pb.ModelInferRequest{ModelName: "ae", ModelVersion: "1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: shape64(in.Shape),
			Contents: &pb.InferTensorContents{Fp32Contents: in.F32()}}},
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "reconstruction"}}}
	resp, err = c.ModelInfer(ctx, req)
	require.NoError(t, err)
	assert.Empty(t, resp.GetRawOutputContents())
	require.Len(t, resp.GetOutputs(), 1)
	assert.InDeltaSlice(t, want.F32(), resp.GetOutputs()[0].GetContents().GetFp32Contents(), 1e-5)
}

// Every datatype round-trips through the identity model, in raw contents
// and (except FP16, which has no contents field) in typed contents.
// Every datatype over gRPC, raw contents in and out, and typed contents in
// and out for every type the protocol gives a contents field (the field
// each goes in is the one grpc_predict_v2.proto names for it).
func TestGRPCDatatypes(t *testing.T) {
	lb := startLoopback(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t)}}})
	c, ctx := grpcClient(t, lb), testCtx(t)
	tensors := typeSamples()
	noField := func(dt ops.DType) bool { return dt == ops.Float16 || dt == ops.BFloat16 }

	req := &pb.ModelInferRequest{ModelName: "id"}
	for _, d := range datatypes {
		name := strings.ToLower(d.name)
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: d.name, Shape: []int64{2, 2}})
		req.RawInputContents = append(req.RawInputContents, rawLE(t, tensors[name]))
	}
	resp, err := c.ModelInfer(ctx, req)
	require.NoError(t, err)
	require.Len(t, resp.GetOutputs(), len(datatypes))
	require.Len(t, resp.GetRawOutputContents(), len(datatypes))
	for i, d := range datatypes {
		name := strings.ToLower(d.name)
		o := resp.GetOutputs()[i]
		assert.Equal(t, name+"_out", o.GetName())
		assert.Equal(t, d.name, o.GetDatatype())
		assert.Equal(t, []int64{2, 2}, o.GetShape())
		assert.Equal(t, rawLE(t, tensors[name]), resp.GetRawOutputContents()[i], name)
	}

	// Typed contents: raw contents are all or nothing, and FP16 and BF16
	// have no field.
	typed := &pb.ModelInferRequest{ModelName: "id"}
	for _, it := range req.Inputs {
		typed.Inputs = append(typed.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: it.Name, Datatype: it.Datatype, Shape: it.Shape,
			Contents: contentsOf(tensors[it.Name])})
	}
	typed.RawInputContents = [][]byte{rawLE(t, tensors["fp16"]), rawLE(t, tensors["bf16"])}
	_, err = c.ModelInfer(ctx, typed)
	requireStatus(t, "typed contents with two raw", err, codes.InvalidArgument, "raw_input_contents has 2 entries for 14 inputs")
	typed.RawInputContents = nil
	typed.Inputs[2].Contents = &pb.InferTensorContents{Fp32Contents: []float32{0.5, -2, 3, 65504}}
	_, err = c.ModelInfer(ctx, typed)
	requireStatus(t, "FP16 in contents", err, codes.InvalidArgument, `input "fp16": FP16 elements have no contents field: send them in raw_input_contents`)

	wantField := map[string]string{
		"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
		"INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
		"UINT64": "uint64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents",
	}
	var ex []ops.DType
	for _, d := range datatypes {
		if noField(d.dt) {
			ex = append(ex, d.dt)
		}
	}
	typedOnly := startLoopback(t, Config{Models: []ModelSpec{{Name: "id", Path: identityModel(t, ex...)}}})
	typed = &pb.ModelInferRequest{ModelName: "id"}
	for _, d := range datatypes {
		if !noField(d.dt) {
			name := strings.ToLower(d.name)
			typed.Inputs = append(typed.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: d.name, Shape: []int64{2, 2}, Contents: contentsOf(tensors[name])})
		}
	}
	resp, err = grpcClient(t, typedOnly).ModelInfer(ctx, typed)
	require.NoError(t, err)
	assert.Empty(t, resp.GetRawOutputContents())
	require.Len(t, resp.GetOutputs(), len(typed.Inputs))
	for i, it := range typed.Inputs {
		o := resp.GetOutputs()[i]
		assert.Equal(t, it.GetName()+"_out", o.GetName())
		assert.Equal(t, it.GetDatatype(), o.GetDatatype())
		var fields []string
		for _, f := range contentsFields(o.GetContents()) {
			if f.n > 0 {
				fields = append(fields, f.name)
			}
		}
		assert.Equal(t, []string{wantField[it.GetDatatype()]}, fields, it.GetName())
		// NaN != NaN: compare by the raw bytes.
		want := tensors[it.GetName()]
		got, err := fromContents("out", o.GetContents(), want.DType, 4)
		require.NoError(t, err, it.GetName())
		assert.Equal(t, rawLE(t, want), rawLE(t, &ops.Tensor{DType: want.DType, Shape: []int{4}, Data: got}), it.GetName())
	}
}

func TestGRPCErrors(t *testing.T) {
	lb := startLoopback(t, Config{MaxRequestBytes: 4096, Models: append(aeModel(), ModelSpec{Name: "id", Path: identityModel(t)})})
	c, ctx := grpcClient(t, lb), testCtx(t)
	in, _ := goldenIO(t)
	row := ops.FromFloat32([]int{1, 8}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	raw, err := ops.AppendLE(nil, row)
	require.NoError(t, err)
	input := func(name, dt string, shape []int64, c *pb.InferTensorContents) *pb.ModelInferRequest_InferInputTensor {
		return &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: dt, Shape: shape, Contents: c}
	}
	fp32 := &pb.InferTensorContents{Fp32Contents: row.F32()}
	cases := []struct {
		name string
		req  *pb.ModelInferRequest
		code codes.Code
		want string
	}{
		{"unknown model", &pb.ModelInferRequest{ModelName: "nope"}, codes.NotFound, `unknown model "nope"`},
		{"unknown version", &pb.ModelInferRequest{ModelName: "ae", ModelVersion: "2"}, codes.NotFound, `no version "2"`},
		{"no inputs", &pb.ModelInferRequest{ModelName: "ae"}, codes.InvalidArgument, "no inputs"},
		{"unknown input", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("x", "FP32", []int64{1, 8}, fp32)}},
			codes.InvalidArgument, `no input "x"`},
		{"bad datatype", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP128", []int64{1, 8}, fp32)}},
			codes.InvalidArgument, `datatype "FP128" is not supported`},
		{"strings for numbers", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "BYTES", []int64{1, 1},
			&pb.InferTensorContents{BytesContents: [][]byte{[]byte("hi")}})}}, codes.InvalidArgument, "expected datatype FP32, got BYTES"},
		{"bytes in the wrong field", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("bytes", "BYTES", []int64{1, 1},
			&pb.InferTensorContents{IntContents: []int32{1}})}}, codes.InvalidArgument, "BYTES elements go in bytes_contents, got int_contents"},
		{"raw bytes length past the end", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("bytes", "BYTES", []int64{1, 1}, nil)},
			RawInputContents: [][]byte{{9, 0, 0, 0, 'a'}}}, codes.InvalidArgument, `input "bytes": BYTES element 0 claims 9 bytes, 1 are left`},
		{"int16 range", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("int16", "INT16", []int64{1, 2},
			&pb.InferTensorContents{IntContents: []int32{1, -32769}})}}, codes.InvalidArgument, "element 1 (-32769) is outside INT16's range [-32768, 32767]"},
		{"uint16 range", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("uint16", "UINT16", []int64{1, 2},
			&pb.InferTensorContents{UintContents: []uint32{65536, 1}})}}, codes.InvalidArgument, "element 0 (65536) is outside UINT16's range [0, 65535]"},
		{"BF16 in contents", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("bf16", "BF16", []int64{1, 1},
			&pb.InferTensorContents{Fp32Contents: []float32{1}})}}, codes.InvalidArgument, "BF16 elements have no contents field: send them in raw_input_contents"},
		{"wrong datatype", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "INT64", []int64{1, 8},
			&pb.InferTensorContents{Int64Contents: make([]int64, 8)})}}, codes.InvalidArgument, "expected datatype FP32, got INT64"},
		{"wrong shape", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{2, 4}, fp32)}},
			codes.InvalidArgument, "expected shape [batch,8], got [2 4]"},
		{"negative dim", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{-1, 8}, fp32)}},
			codes.InvalidArgument, "negative dimension"},
		{"huge shape", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1 << 40, 8}, fp32)}},
			codes.InvalidArgument, "too large"},
		{"too few values", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{2, 8}, fp32)}},
			codes.InvalidArgument, "fp32_contents holds 8 elements, shape needs 16"},
		{"wrong field", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1, 8},
			&pb.InferTensorContents{Fp64Contents: make([]float64, 8)})}}, codes.InvalidArgument, "FP32 elements go in fp32_contents, got fp64_contents"},
		{"twice", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1, 8}, fp32), input("input", "FP32", []int64{1, 8}, fp32)}},
			codes.InvalidArgument, "given twice"},
		{"raw count", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1, 8}, nil)},
			RawInputContents: [][]byte{raw, raw}}, codes.InvalidArgument, "raw_input_contents has 2 entries for 1 inputs"},
		{"raw length", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{2, 8}, nil)},
			RawInputContents: [][]byte{raw}}, codes.InvalidArgument, "binary data has 32 bytes, shape and FP32 need 64"},
		{"raw and contents", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1, 8}, fp32)},
			RawInputContents: [][]byte{raw}}, codes.InvalidArgument, "in both contents and raw_input_contents"},
		{"shared memory", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 8},
			Parameters: map[string]*pb.InferParameter{"shared_memory_region": {ParameterChoice: &pb.InferParameter_StringParam{StringParam: "r"}}}}}},
			codes.InvalidArgument, "shared memory is not supported"},
		{"unknown output", &pb.ModelInferRequest{ModelName: "ae", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("input", "FP32", []int64{1, 8}, fp32)},
			Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "code"}}}, codes.InvalidArgument, `no output "code"`},
		{"int8 range", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("int8", "INT8", []int64{1, 2},
			&pb.InferTensorContents{IntContents: []int32{1, 300}})}}, codes.InvalidArgument, "outside INT8's range"},
		{"uint8 range", &pb.ModelInferRequest{ModelName: "id", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("uint8", "UINT8", []int64{1, 2},
			&pb.InferTensorContents{UintContents: []uint32{1, 256}})}}, codes.InvalidArgument, "outside UINT8's range"},
		{"too large", rawRequest(t, "ae", ops.New(ops.Float32, 200, 8)), codes.ResourceExhausted, "larger than max"},
	}
	for _, tc := range cases {
		_, err := c.ModelInfer(ctx, tc.req)
		requireStatus(t, tc.name, err, tc.code, tc.want)
	}
	// The server is unharmed: a good request still works.
	_, err = c.ModelInfer(ctx, rawRequest(t, "ae", in))
	require.NoError(t, err)
	// Errors are counted under the gRPC code names.
	r := do(t, "GET", lb.base+"/metrics", nil, nil)
	assert.Contains(t, string(r.body), `latent_requests_total{code="InvalidArgument",endpoint="infer",model="ae",protocol="grpc"}`)
	assert.Contains(t, string(r.body), `latent_requests_total{code="OK",endpoint="infer",model="ae",protocol="grpc"} 1`)
	assert.Contains(t, string(r.body), `latent_requests_total{code="NotFound",endpoint="infer",model="",protocol="grpc"} 1`)
}

func TestGRPCModelFailureIsInternal(t *testing.T) {
	lb := startLoopback(t, Config{Models: []ModelSpec{{Name: "f", Path: failingModel(t)}}})
	c, ctx := grpcClient(t, lb), testCtx(t)
	_, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "f", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "x", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 2}}}}})
	requireStatus(t, "runtime failure", err, codes.Internal, `model "f": run:`)
}

// A call whose deadline passes or whose client cancels it while it waits
// for a run slot ends with DeadlineExceeded or Canceled, is counted as a
// failure, never runs, and leaves the server serving; a server-side queue
// timeout is Unavailable.
func TestGRPCCancellation(t *testing.T) {
	lb := startLoopback(t, Config{MaxConcurrent: 1, QueueTimeout: 300 * time.Millisecond, Models: aeModel()})
	c := grpcClient(t, lb)
	in, want := goldenIO(t)
	lb.s.sem <- struct{}{} // the only run slot is taken

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := c.ModelInfer(ctx, rawRequest(t, "ae", in))
	cancel()
	requireStatus(t, "deadline", err, codes.DeadlineExceeded, "")
	fails := func() uint64 {
		st, err := c.ModelStatistics(testCtx(t), &pb.ModelStatisticsRequest{Name: "ae"})
		require.NoError(t, err)
		return st.GetModelStats()[0].GetInferenceStats().GetFail().GetCount()
	}
	// The server has seen the first call end before the second arrives.
	require.Eventually(t, func() bool { return fails() == 1 }, 10*time.Second, time.Millisecond)

	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.ModelInfer(ctx, rawRequest(t, "ae", in))
		errc <- err
	}()
	waitHeld(t, lb.s, "ae", 1) // the call waits for the slot on the server
	assert.Contains(t, string(do(t, "GET", lb.base+"/metrics", nil, nil).body), "latent_requests_pending 1\n")
	cancel()
	requireStatus(t, "canceled", <-errc, codes.Canceled, "")

	_, err = c.ModelInfer(testCtx(t), rawRequest(t, "ae", in))
	requireStatus(t, "queue timeout", err, codes.Unavailable, "no capacity: 1 runs in flight for 300ms")
	<-lb.s.sem

	resp, err := c.ModelInfer(testCtx(t), rawRequest(t, "ae", in))
	require.NoError(t, err)
	assert.InDeltaSlice(t, want.F32(), rawFloats(t, resp.GetRawOutputContents()[0]), 1e-5)
	// The server saw the departures as failed requests that never ran.
	require.Eventually(t, func() bool {
		st, err := c.ModelStatistics(testCtx(t), &pb.ModelStatisticsRequest{Name: "ae"})
		return err == nil && st.GetModelStats()[0].GetInferenceStats().GetFail().GetCount() == 3
	}, 5*time.Second, 10*time.Millisecond)
	st, err := c.ModelStatistics(testCtx(t), &pb.ModelStatisticsRequest{Name: "ae"})
	require.NoError(t, err)
	ms := st.GetModelStats()[0]
	assert.Equal(t, uint64(1), ms.GetExecutionCount(), "cancelled requests must not run")
	assert.Equal(t, uint64(1), ms.GetInferenceStats().GetSuccess().GetCount())
	assert.Contains(t, string(do(t, "GET", lb.base+"/metrics", nil, nil).body), "latent_requests_pending 0\n")
}

// ModelStreamInfer answers each request of a stream in order; a bad one
// gets its error message without ending the stream.
func TestGRPCStream(t *testing.T) {
	lb := startLoopback(t, Config{Models: aeModel()})
	c := grpcClient(t, lb)
	in, want := goldenIO(t)
	stream, err := c.ModelStreamInfer(testCtx(t))
	require.NoError(t, err)
	good := rawRequest(t, "ae", in)
	bad := rawRequest(t, "ae", in)
	bad.Inputs[0].Shape = []int64{2, 4}
	bad.Id = "bad"
	unknown := &pb.ModelInferRequest{ModelName: "nope", Id: "nope"}
	for _, r := range []*pb.ModelInferRequest{good, bad, unknown, good} {
		require.NoError(t, stream.Send(r))
	}
	require.NoError(t, stream.CloseSend())
	var got []*pb.ModelStreamInferResponse
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, r)
	}
	require.Len(t, got, 4)
	for _, i := range []int{0, 3} {
		assert.Empty(t, got[i].GetErrorMessage())
		assert.Equal(t, "g-1", got[i].GetInferResponse().GetId())
		assert.InDeltaSlice(t, want.F32(), rawFloats(t, got[i].GetInferResponse().GetRawOutputContents()[0]), 1e-5)
	}
	assert.Contains(t, got[1].GetErrorMessage(), "expected shape [batch,8], got [2 4]")
	assert.Equal(t, "bad", got[1].GetInferResponse().GetId())
	assert.Contains(t, got[2].GetErrorMessage(), `unknown model "nope"`)
}

// REST and gRPC requests to one model share its batcher: concurrent
// requests over both protocols merge into fewer runs and each gets its own
// rows back.
func TestGRPCAndRESTShareBatching(t *testing.T) {
	lb := startLoopback(t, Config{MaxBatch: 64, MaxDelay: 50 * time.Millisecond, Models: aeModel()})
	c := grpcClient(t, lb)
	in, want := goldenIO(t)
	const each = 6
	var wg sync.WaitGroup
	errc := make(chan error, 2*each)
	for i := 0; i < each; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			resp, err := c.ModelInfer(testCtx(t), rawRequest(t, "ae", in))
			if err == nil && !assert.InDeltaSlice(t, want.F32(), rawFloats(t, resp.GetRawOutputContents()[0]), 1e-5) {
				err = io.ErrUnexpectedEOF
			}
			errc <- err
		}()
		go func() {
			defer wg.Done()
			r := do(t, "POST", lb.base+"/v2/models/ae/infer", inferBody("input", in.Shape, "FP32", in.F32()), nil)
			var ir inferReply
			decodeJSON(t, r, &ir)
			if assert.Equal(t, 200, r.code) && assert.Len(t, ir.Outputs, 1) {
				near(t, "REST", ir.Outputs[0].Data, want.F32(), 1e-5)
			}
			errc <- nil
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	st, err := c.ModelStatistics(testCtx(t), &pb.ModelStatisticsRequest{Name: "ae"})
	require.NoError(t, err)
	ms := st.GetModelStats()[0]
	assert.Equal(t, uint64(2*each), ms.GetInferenceStats().GetSuccess().GetCount())
	assert.Equal(t, uint64(2*each*in.Shape[0]), ms.GetInferenceCount())
	assert.Less(t, ms.GetExecutionCount(), uint64(2*each), "no requests were merged")
}

// The data package's uint8 rule and the scale check apply to gRPC as to
// REST: UINT8 pixels run as pixels/255, raw 0–255 floats are answered
// with a scale_warning response parameter.
func TestGRPCInputScale(t *testing.T) {
	lb := startLoopback(t, Config{Models: []ModelSpec{{Name: "px", Path: pixelModel(t)}}})
	c, ctx := grpcClient(t, lb), testCtx(t)
	bytes := []uint32{0, 51, 102, 153, 204, 255, 12, 240}
	unit, raw := make([]float32, 8), make([]float32, 8)
	for i, b := range bytes {
		unit[i], raw[i] = float32(b)/255, float32(b)
	}
	infer := func(dt string, contents *pb.InferTensorContents) *pb.ModelInferResponse {
		t.Helper()
		resp, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "px", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "input", Datatype: dt, Shape: []int64{1, 8}, Contents: contents}}})
		require.NoError(t, err)
		return resp
	}
	fromBytes := infer("UINT8", &pb.InferTensorContents{UintContents: bytes})
	fromUnit := infer("FP32", &pb.InferTensorContents{Fp32Contents: unit})
	assert.Equal(t, fromUnit.GetOutputs()[0].GetContents().GetFp32Contents(), fromBytes.GetOutputs()[0].GetContents().GetFp32Contents())
	assert.Empty(t, fromBytes.GetParameters())
	fromRaw := infer("FP32", &pb.InferTensorContents{Fp32Contents: raw})
	require.Contains(t, fromRaw.GetParameters(), "scale_warning")
	assert.Contains(t, fromRaw.GetParameters()["scale_warning"].GetStringParam(), "far outside the model's training range [0, 1]")
	m := do(t, "GET", lb.base+"/metrics", nil, nil)
	assert.Contains(t, string(m.body), `latent_input_scale_warnings_total{model="px"} 1`)
}
