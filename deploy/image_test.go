package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

const golden = "../testdata/golden/ae-undercomplete"

// podman runs podman with the global flags of $LATENT_PODMAN_FLAGS (the
// storage tools/test.d/deploy.sh built the image into).
func podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	all := append(strings.Fields(os.Getenv("LATENT_PODMAN_FLAGS")), args...)
	cmd := exec.Command("podman", all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &podmanError{args: args, err: err, stderr: stderr.String()}
	}
	return string(out), nil
}

type podmanError struct {
	args   []string
	err    error
	stderr string
}

func (e *podmanError) Error() string {
	return "podman " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + strings.TrimSpace(e.stderr)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestImage runs the image tools/test.d/deploy.sh built ($LATENT_IMAGE)
// the way the ClusterServingRuntime does: its container arguments (with
// the loopback ports of this test), the model at /mnt/models mounted
// read-only, a read-only root filesystem, the image's non-root user, no
// capabilities. It must answer the probes, REST and gRPC inference with
// the trainer's golden reconstruction and metrics, and stop cleanly on
// SIGTERM. Plain `go test` skips it.
func TestImage(t *testing.T) {
	image := os.Getenv("LATENT_IMAGE")
	if image == "" {
		t.Skip("LATENT_IMAGE not set: tools/test.d/deploy.sh builds the image and runs this test")
	}
	out, err := podman(t, "image", "inspect", image)
	require.NoError(t, err)
	var inspect []struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
		}
		RootFS struct {
			Layers []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &inspect))
	require.Len(t, inspect, 1)
	img := inspect[0]
	assert.Equal(t, "65532:65532", img.Config.User)
	assert.Equal(t, []string{"/latent"}, img.Config.Entrypoint)
	assert.Len(t, img.RootFS.Layers, 1, "one layer: the binary")
	assert.Less(t, img.Size, int64(15_500_000), "the image is the 15 MB binary and nothing else")

	// The model, as KServe's storage initializer leaves it.
	models := t.TempDir()
	b, err := os.ReadFile(filepath.Join(golden, "model.onnx"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(models, "model.onnx"), b, 0o644))
	require.NoError(t, os.Chmod(models, 0o755))

	sr := readServingRuntime(t)
	httpPort, grpcPort := freePort(t), freePort(t)
	args := []string{"run", "-d", "--network", "host", "--read-only", "--cap-drop", "ALL",
		"--security-opt", "no-new-privileges", "-v", models + ":/mnt/models:ro"}
	args = append(args, strings.Fields(os.Getenv("LATENT_PODMAN_RUN_FLAGS"))...)
	args = append(args, image)
	for _, a := range sr.Spec.Containers[0].Args {
		args = append(args, strings.ReplaceAll(a, "{{.Name}}", "fashion-ae"))
	}
	// Loopback ports instead of 0.0.0.0:8080/8081 (later flags win).
	args = append(args, "--addr=127.0.0.1:"+strconv.Itoa(httpPort), "--grpc-addr=127.0.0.1:"+strconv.Itoa(grpcPort))
	out, err = podman(t, args...)
	require.NoError(t, err)
	id := strings.TrimSpace(out)
	t.Cleanup(func() { podman(t, "rm", "-f", id) })
	logs := func() string { // the container's stdout and stderr
		all := append(strings.Fields(os.Getenv("LATENT_PODMAN_FLAGS")), "logs", id)
		out, _ := exec.Command("podman", all...).CombinedOutput()
		return string(out)
	}

	base := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	ready := sr.Spec.Containers[0].ReadinessProbe.HTTPGet.Path
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + ready)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 30*time.Second, 100*time.Millisecond, "the container never became ready; logs:\n%s", logs())
	resp, err := http.Get(base + sr.Spec.Containers[0].LivenessProbe.HTTPGet.Path)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	_, in, err := graph.ReadTensorFile(filepath.Join(golden, "test_data_set_0", "input_0.pb"))
	require.NoError(t, err)
	_, want, err := graph.ReadTensorFile(filepath.Join(golden, "test_data_set_0", "output_0.pb"))
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"inputs": []map[string]any{{"name": "input", "shape": in.Shape, "datatype": "FP32", "data": in.F32()}}})
	resp, err = http.Post(base+"/v2/models/fashion-ae/infer", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var ir struct {
		Outputs []struct {
			Data []float32 `json:"data"`
		} `json:"outputs"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ir))
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Len(t, ir.Outputs, 1)
	assert.InDeltaSlice(t, want.F32(), ir.Outputs[0].Data, 1e-5, "REST reconstruction")

	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(grpcPort), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := ops.AppendLE(nil, in)
	require.NoError(t, err)
	gr, err := pb.NewGRPCInferenceServiceClient(conn).ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "fashion-ae",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(in.Shape[0]), int64(in.Shape[1])}}},
		RawInputContents: [][]byte{raw}})
	require.NoError(t, err)
	got, err := ops.FromLE(ops.Float32, gr.GetRawOutputContents()[0], want.Len())
	require.NoError(t, err)
	assert.InDeltaSlice(t, want.F32(), got.([]float32), 1e-5, "gRPC reconstruction")

	resp, err = http.Get(base + sr.Spec.Annotations["prometheus.kserve.io/path"])
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(metrics), `latent_requests_total{code="OK",endpoint="infer",model="fashion-ae",protocol="grpc"} 1`)

	// SIGTERM (podman stop) drains and exits 0; the logs are JSON lines.
	_, err = podman(t, "stop", "-t", "20", id)
	require.NoError(t, err)
	out, err = podman(t, "inspect", "--format", "{{.State.ExitCode}}", id)
	require.NoError(t, err)
	assert.Equal(t, "0", strings.TrimSpace(out), "exit code after SIGTERM; logs:\n%s", logs())
	l := logs()
	assert.Contains(t, l, `"msg":"stopped"`)
	assert.Contains(t, l, `"msg":"model loaded","model":"fashion-ae"`)
}
