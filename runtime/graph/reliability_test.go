package graph

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitsModel is y = Relu(x + W) with a 4×4 float initializer, optionally
// wrapped in nested If nodes depth deep.
func limitsModel(depth int) *onnxpb.ModelProto {
	w := make([]float32, 16)
	g := &onnxpb.GraphProto{
		Name:        proto.String("g"),
		Input:       []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 4, 4)},
		Output:      []*onnxpb.ValueInfoProto{pvi("y", onnxpb.TensorProto_FLOAT, 4, 4)},
		Initializer: []*onnxpb.TensorProto{pfloats("W", []int64{4, 4}, w...)},
		Node: []*onnxpb.NodeProto{
			pnamed("add", pnode("Add", []string{"x", "W"}, []string{"s"})),
			pnamed("relu", pnode("Relu", []string{"s"}, []string{"y"})),
		},
	}
	for i := 0; i < depth; i++ {
		body := &onnxpb.GraphProto{
			Output: []*onnxpb.ValueInfoProto{pvi("b", onnxpb.TensorProto_FLOAT)},
			Node:   []*onnxpb.NodeProto{pnode("Identity", []string{"x"}, []string{"b"})},
		}
		if i > 0 {
			body = &onnxpb.GraphProto{
				Output: []*onnxpb.ValueInfoProto{pvi("b", onnxpb.TensorProto_FLOAT)},
				Node:   []*onnxpb.NodeProto{g.Node[len(g.Node)-1]},
			}
			body.Node[0].Output = []string{"b"}
		}
		g.Node = append(g.Node, pnamed("if", pnode("If", []string{"c"}, []string{"z"},
			pattrGraph("then_branch", body), pattrGraph("else_branch", body))))
		if i == 0 {
			g.Input = append(g.Input, pvi("c", onnxpb.TensorProto_BOOL))
			g.Output = append(g.Output, pvi("z", onnxpb.TensorProto_FLOAT))
		} else {
			g.Node = append(g.Node[:len(g.Node)-2], g.Node[len(g.Node)-1])
		}
	}
	return pmodel(g, 13)
}

func TestDecodeLimits(t *testing.T) {
	data := mustMarshal(t, limitsModel(0))
	_, err := DecodeLimited(data, "", Limits{})
	require.NoError(t, err, "default limits refuse a small model")
	_, err = DecodeLimited(data, "", Limits{MaxModelBytes: int64(len(data)), MaxTensorBytes: 64, MaxNodes: 2, MaxGraphDepth: -1})
	require.NoError(t, err, "limits exactly at the model's sizes refuse it")
	cases := []struct {
		name string
		lim  Limits
		want []string
	}{
		{"model bytes", Limits{MaxModelBytes: int64(len(data)) - 1}, []string{"model of", "model limit"}},
		{"tensor bytes", Limits{MaxTensorBytes: 63}, []string{"initializer W", "[4 4]", "63-byte tensor limit"}},
		{"nodes", Limits{MaxNodes: 1}, []string{"graph g", "more than 1 nodes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeLimited(data, "", c.lim)
			wantErr(t, err, c.want...)
			assert.ErrorIs(t, err, ErrLimit, "error does not wrap ErrLimit: %v", err)
		})
	}
	// Unlimited (negative) fields accept everything.
	_, err = DecodeLimited(data, "", Limits{MaxModelBytes: -1, MaxTensorBytes: -1, MaxNodes: -1, MaxGraphDepth: -1})
	require.NoError(t, err)
}

func TestDecodeLimitsSubgraphs(t *testing.T) {
	data := mustMarshal(t, limitsModel(3))
	m, err := DecodeLimited(data, "", Limits{MaxGraphDepth: 3})
	require.NoError(t, err, "depth 3 refused at limit 3")
	_, err = DecodeLimited(data, "", Limits{MaxGraphDepth: 2})
	wantErr(t, err, "nested 3 deep", "limit 2")
	assert.ErrorIs(t, (Limits{MaxGraphDepth: 2}).CheckModel(m), ErrLimit, "CheckModel at depth limit 2")
	// Nodes in subgraphs count too.
	n := countNodes(limitsModel(3).Graph)
	assert.Error(t, (Limits{MaxNodes: n - 1}).CheckModel(m), "CheckModel accepts %d nodes at limit %d", n, n-1)
	assert.NoError(t, (Limits{MaxNodes: n}).CheckModel(m), "CheckModel at %d nodes", n)
	_, err = DecodeLimited(data, "", Limits{MaxNodes: n - 1})
	assert.Error(t, err, "DecodeLimited accepts %d nodes at limit %d", n, n-1)
}

// A 100-byte tensor that claims 10^12 elements fails at once, whether the
// caller sets limits or not, and allocates nothing of that size.
func TestHugeTensorClaimFailsFast(t *testing.T) {
	tp := &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{1_000_000, 1_000_000},
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: make([]byte, 80)}
	g := &onnxpb.GraphProto{
		Output:      []*onnxpb.ValueInfoProto{pvi("W", onnxpb.TensorProto_FLOAT)},
		Initializer: []*onnxpb.TensorProto{tp},
	}
	data := mustMarshal(t, pmodel(g, 13))
	require.LessOrEqual(t, len(data), 120, "test model size")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err1 := Decode(data, "")
	_, err2 := DecodeLimited(data, "", Limits{})
	_, _, err3 := DecodeTensor(mustMarshal(t, tp))
	runtime.ReadMemStats(&after)
	wantErr(t, err1, "initializer W", "need 1000000000000 elements", "data has 20")
	wantErr(t, err2, "initializer W", "[1000000 1000000]", "tensor limit")
	wantErr(t, err3, "tensor W", "need 1000000000000 elements")
	assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated refusing a %d-byte model", len(data))

	// The same claim in a sparse initializer, whose dense form comes from
	// dims alone.
	sp := &onnxpb.SparseTensorProto{Dims: []int64{1 << 20, 1 << 20},
		Values:  pfloats("S", []int64{1}, 1),
		Indices: pints("", []int64{1}, 0)}
	g = &onnxpb.GraphProto{Output: []*onnxpb.ValueInfoProto{pvi("S", onnxpb.TensorProto_FLOAT)},
		SparseInitializer: []*onnxpb.SparseTensorProto{sp}}
	_, err := DecodeLimited(mustMarshal(t, pmodel(g, 13)), "", Limits{})
	wantErr(t, err, "sparse initializer S", "tensor limit")
}

func TestDecodeFileLimited(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	data := mustMarshal(t, limitsModel(0))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err := DecodeFileLimited(path, Limits{})
	require.NoError(t, err)
	_, err = DecodeFileLimited(path, Limits{MaxModelBytes: 10})
	wantErr(t, err, path, "exceeds the 10-byte model limit")
	_, err = DecodeFileLimited(filepath.Join(dir, "missing.onnx"), Limits{})
	wantErr(t, err, "missing.onnx")
}

// countNodes counts the nodes of g and its subgraphs, naively.
func countNodes(g *onnxpb.GraphProto) int {
	n := len(g.Node)
	for _, np := range g.Node {
		for _, a := range np.Attribute {
			if a.G != nil {
				n += countNodes(a.G)
			}
			for _, sg := range a.Graphs {
				n += countNodes(sg)
			}
		}
	}
	return n
}
