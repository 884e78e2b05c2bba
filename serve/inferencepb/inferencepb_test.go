package inferencepb

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The committed Go code is what `go generate` makes from the .proto now:
// regenerating into a temporary folder (protoc from the system, the
// plugins at the versions go.mod pins) gives the same bytes.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("protoc is missing (tools/setup.sh installs Debian's protobuf-compiler)")
		}
		t.Skip("protoc is not installed (apt-get install protobuf-compiler)")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "../../tools/gen/inferencepb.sh", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "regenerate: %s", stderr.String())
	for _, f := range []string{"grpc_predict_v2.pb.go", "grpc_predict_v2_grpc.pb.go"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		got, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s differs from what go generate makes: run go generate ./serve/inferencepb", f)
	}
}

// Field numbers that clients depend on, written out by hand from the
// protocol: a request encoded by hand decodes into the right fields.
func TestWireNumbers(t *testing.T) {
	// ModelInferRequest: model_name (1) = "m", id (3) = "i",
	// inputs (5) { name (1) = "x", datatype (2) = "FP32", shape (3) = [2] packed,
	// contents (5) { fp32_contents (6) = [1.0] packed } },
	// raw_input_contents (7) = "\x01".
	b := []byte{
		0x0a, 0x01, 'm',
		0x1a, 0x01, 'i',
		0x2a, 0x14,
		0x0a, 0x01, 'x',
		0x12, 0x04, 'F', 'P', '3', '2',
		0x1a, 0x01, 0x02,
		0x2a, 0x06, 0x32, 0x04, 0x00, 0x00, 0x80, 0x3f,
		0x3a, 0x01, 0x01,
	}
	var req ModelInferRequest
	require.NoError(t, proto.Unmarshal(b, &req))
	assert.Equal(t, "m", req.GetModelName())
	assert.Equal(t, "i", req.GetId())
	require.Len(t, req.GetInputs(), 1)
	in := req.GetInputs()[0]
	assert.Equal(t, "x", in.GetName())
	assert.Equal(t, "FP32", in.GetDatatype())
	assert.Equal(t, []int64{2}, in.GetShape())
	assert.Equal(t, []float32{1}, in.GetContents().GetFp32Contents())
	assert.Equal(t, [][]byte{{1}}, req.GetRawInputContents())

	// The numbers of the repository and statistics messages (Triton's).
	fields := func(m proto.Message) map[string]protoreflect.FieldNumber {
		out := map[string]protoreflect.FieldNumber{}
		fs := m.ProtoReflect().Descriptor().Fields()
		for i := 0; i < fs.Len(); i++ {
			out[string(fs.Get(i).Name())] = fs.Get(i).Number()
		}
		return out
	}
	assert.Equal(t, map[string]protoreflect.FieldNumber{"repository_name": 1, "model_name": 2, "parameters": 3}, fields(&RepositoryModelLoadRequest{}))
	assert.Equal(t, map[string]protoreflect.FieldNumber{"name": 1, "version": 2, "last_inference": 3, "inference_count": 4,
		"execution_count": 5, "inference_stats": 6, "batch_stats": 7, "memory_usage": 8, "response_stats": 9}, fields(&ModelStatistics{}))
	assert.Equal(t, map[string]protoreflect.FieldNumber{"model_name": 1, "model_version": 2, "id": 3, "parameters": 4,
		"outputs": 5, "raw_output_contents": 6}, fields(&ModelInferResponse{}))
	assert.Equal(t, "inference.GRPCInferenceService", GRPCInferenceService_ServiceDesc.ServiceName)
}
