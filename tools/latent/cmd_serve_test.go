package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/latent-ml/latent/ops"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// TestServeCommand starts latent serve on free loopback ports with a
// single-model repository folder (as KServe mounts /mnt/models) and gRPC,
// answers an infer request over each protocol with the trainer's golden
// reconstruction and shuts down cleanly when its context ends (as on
// SIGTERM).
func TestServeCommand(t *testing.T) {
	dir := aeDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"--model-repository", dir, "--model-name", "ae", "--addr", "127.0.0.1:0",
			"--grpc-addr", "127.0.0.1:0", "--max-batch", "8"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	require.NoError(t, err, "no REST listening line; stderr: %s", stderr.String())
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])
	line, err = lines.ReadString('\n')
	require.NoError(t, err, "no gRPC listening line; stderr: %s", stderr.String())
	require.Contains(t, line, "gRPC listening on ")
	grpcAddr := strings.TrimSpace(line[strings.Index(line, "on ")+3:])
	go io.Copy(io.Discard, pr)

	resp, err := http.Get(base + "/v2/health/ready")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	in, want := goldenPair(t, goldenAE)
	_, x := readTensor(t, in)
	body, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": x.Shape, "datatype": "FP32", "data": x.F32()}}})
	resp, err = http.Post(base+"/v2/models/ae/infer", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var ir struct {
		Outputs []struct {
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ir)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Len(t, ir.Outputs, 1)
	require.Len(t, ir.Outputs[0].Data, want.Len())
	for i, v := range ir.Outputs[0].Data {
		require.InDelta(t, want.F32()[i], v, 1e-5, "REST value %d", i)
	}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := pb.NewGRPCInferenceServiceClient(conn)
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	ready, err := client.ServerReady(cctx, &pb.ServerReadyRequest{})
	require.NoError(t, err)
	assert.True(t, ready.GetReady())
	raw, err := ops.AppendLE(nil, x)
	require.NoError(t, err)
	out, err := client.ModelInfer(cctx, &pb.ModelInferRequest{ModelName: "ae",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(x.Shape[0]), int64(x.Shape[1])}}},
		RawInputContents: [][]byte{raw}})
	require.NoError(t, err)
	require.Len(t, out.GetRawOutputContents(), 1)
	got, err := ops.FromLE(ops.Float32, out.GetRawOutputContents()[0], want.Len())
	require.NoError(t, err)
	assert.InDeltaSlice(t, want.F32(), got.([]float32), 1e-5, "gRPC reconstruction")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		require.Fail(t, "serve did not stop after its context ended")
	}
	assert.Contains(t, stderr.String(), "stopped")
}

func TestServeUsage(t *testing.T) {
	ae := filepath.Join(goldenAE, "model.onnx")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "give a model: --model [NAME=]PATH (a .onnx file or a run folder) or --model-repository DIR"},
		{[]string{"serve", "--model", "=x.onnx"}, 2, `"=x.onnx" is not NAME=PATH or PATH`},
		{[]string{"serve", "--model", "a=x.onnx", "extra"}, 2, "unexpected arguments"},
		{[]string{"serve", "--model", "a=x.onnx", "--max-batch", "-1"}, 2, "must be ≥ 0"},
		{[]string{"serve", "--model", "a=x.onnx", "--model-name", "b"}, 2, "need --model-repository"},
		{[]string{"serve", "--model", "a=/nonexistent/x.onnx"}, 1, "/nonexistent/x.onnx"},
		{[]string{"serve", "--model-repository", "/nonexistent/repo"}, 1, "/nonexistent/repo"},
		{[]string{"serve", "--model", "a=" + ae, "--addr", "256.0.0.1:1"}, 1, "listen on 256.0.0.1:1"},
		{[]string{"serve", "--model", "a=" + ae, "--addr", "127.0.0.1:0", "--grpc-addr", "256.0.0.1:1"}, 1, "listen on 256.0.0.1:1 (gRPC)"},
	}
	for _, c := range cases {
		code, _, stderr := latent(t, c.args...)
		assert.Equal(t, c.code, code, "%v: stderr %q", c.args, stderr)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
	code, _, stderr := latent(t, "serve", "--help")
	assert.Equal(t, 0, code)
	for _, want := range []string{"examples:", "-max-batch", "-grpc-addr", "-model-repository", "-repository-poll"} {
		assert.Contains(t, stderr, want)
	}
}
