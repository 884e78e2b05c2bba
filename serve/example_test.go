package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/latent-ml/latent/serve"
	"github.com/latent-ml/latent/serve/inferencepb"
)

// Serve an exported autoencoder and send it one v2 infer request.
func Example() {
	srv, err := serve.New(context.Background(), serve.Config{
		Models: []serve.ModelSpec{{Name: "ae", Path: "../testdata/golden/ae-undercomplete/model.onnx"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler()) // or srv.Serve(ctx, listener)
	defer ts.Close()

	body := `{"inputs":[{"name":"input","shape":[2,8],"datatype":"FP32",
	          "data":[[1,2,3,4,5,6,7,8],[8,7,6,5,4,3,2,1]]}]}`
	resp, err := http.Post(ts.URL+"/v2/models/ae/infer", "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		ModelName string `json:"model_name"`
		Outputs   []struct {
			Name     string    `json:"name"`
			Datatype string    `json:"datatype"`
			Shape    []int     `json:"shape"`
			Data     []float32 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		log.Fatal(err)
	}
	o := reply.Outputs[0]
	fmt.Println(resp.StatusCode, reply.ModelName, o.Name, o.Datatype, o.Shape, len(o.Data))
	// Output: 200 ae reconstruction FP32 [2 8] 16
}

// Serve a model repository over gRPC and call it with the generated
// client: the Open Inference Protocol's ModelInfer with raw contents, as
// tritonclient sends it.
func ExampleServer_ServeGRPC() {
	// A repository with one model folder, ae/1/model.onnx.
	repo, err := os.MkdirTemp("", "repo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(repo)
	b, err := os.ReadFile("../testdata/golden/ae-undercomplete/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "ae", "1"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "ae", "1", "model.onnx"), b, 0o644); err != nil {
		log.Fatal(err)
	}
	srv, err := serve.New(context.Background(), serve.Config{Repository: repo})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeGRPC(ctx, ln) }()
	defer func() { stop(); <-done }()

	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := inferencepb.NewGRPCInferenceServiceClient(conn)
	x := make([]byte, 4*8) // one row of eight float32 zeros, little-endian
	resp, err := client.ModelInfer(ctx, &inferencepb.ModelInferRequest{
		ModelName:        "ae",
		Inputs:           []*inferencepb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 8}}},
		RawInputContents: [][]byte{x},
	})
	if err != nil {
		log.Fatal(err)
	}
	o := resp.Outputs[0]
	fmt.Println(resp.ModelName, resp.ModelVersion, o.Name, o.Datatype, o.Shape, len(resp.RawOutputContents[0]), "bytes")
	// Output: ae 1 reconstruction FP32 [1 8] 32 bytes
}
