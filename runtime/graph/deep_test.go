package graph

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nestedIf builds depth If nodes, each holding the next in its then branch;
// the innermost body reads the outer graph's input x.
func nestedIf(depth int) *onnxpb.ModelProto {
	body := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{pnode("Identity", []string{"x"}, []string{"o0"})},
		Output: []*onnxpb.ValueInfoProto{pvi("o0", onnxpb.TensorProto_FLOAT)},
	}
	for i := 1; i < depth; i++ {
		out := "o" + itoa(int64(i))
		body = &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{pnode("If", []string{"c"}, []string{out},
				pattrGraph("then_branch", body), pattrGraph("else_branch", &onnxpb.GraphProto{
					Node:   []*onnxpb.NodeProto{pnode("Identity", []string{"x"}, []string{out + "e"})},
					Output: []*onnxpb.ValueInfoProto{pvi(out+"e", onnxpb.TensorProto_FLOAT)},
				}))},
			Output: []*onnxpb.ValueInfoProto{pvi(out, onnxpb.TensorProto_FLOAT)},
		}
	}
	body.Input = []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 2), pvi("c", onnxpb.TensorProto_BOOL)}
	return pmodel(body, 13)
}

func TestDeeplyNestedSubgraphs(t *testing.T) {
	start := time.Now()
	m, err := Decode(mustMarshal(t, nestedIf(3000)), "")
	require.NoError(t, err)
	require.Len(t, m.Graph.Nodes, 1, "outer If reads %v, want c and x", m.Graph.Nodes[0].NodeInputs())
	require.Len(t, m.Graph.Nodes[0].NodeInputs(), 2, "outer If reads %v, want c and x", m.Graph.Nodes[0].NodeInputs())
	assert.Less(t, time.Since(start), 8*time.Second, "3000 nested subgraphs: validation must stay linear")
	// Far past protobuf's nesting limit: an error, not a crash.
	deep, err := proto.MarshalOptions{}.Marshal(nestedIf(5000))
	require.NoError(t, err, "marshal the deep model")
	_, err = Decode(deep, "")
	wantErr(t, err, "decode ModelProto")
}
