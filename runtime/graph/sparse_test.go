package graph

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/runtime/onnxpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sparseModel(sp ...*onnxpb.SparseTensorProto) *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{
		SparseInitializer: sp,
		Input:             []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 2, 3)},
		Output:            []*onnxpb.ValueInfoProto{pvi("y", onnxpb.TensorProto_FLOAT, 2, 3)},
		Node:              []*onnxpb.NodeProto{pnode("Add", []string{"x", "S"}, []string{"y"})},
	}
	return pmodel(g, 13)
}

func TestSparseInitializers(t *testing.T) {
	// [[0 5 0] [0 0 7]] as linear indices and as coordinates.
	linear := &onnxpb.SparseTensorProto{Values: pfloats("S", []int64{2}, 5, 7), Indices: pints("", []int64{2}, 1, 5), Dims: []int64{2, 3}}
	coords := &onnxpb.SparseTensorProto{Values: pfloats("S", []int64{2}, 5, 7), Indices: pints("", []int64{2, 2}, 0, 1, 1, 2), Dims: []int64{2, 3}}
	for name, sp := range map[string]*onnxpb.SparseTensorProto{"linear": linear, "coords": coords} {
		m, err := Decode(mustMarshal(t, sparseModel(sp)), "")
		require.NoError(t, err, "%s", name)
		s := m.Graph.Initializers["S"]
		require.NotNil(t, s, "%s: dense S", name)
		assert.Equal(t, "[2 3] [0 5 0 0 0 7]", fmt.Sprint(s.Shape, s.F32()), "%s: dense S = %v %v", name, s, s.Data)
		require.Len(t, m.Graph.InitOrder, 1, "%s: InitOrder %v", name, m.Graph.InitOrder)
		assert.Equal(t, "S", m.Graph.InitOrder[0], "%s: InitOrder %v", name, m.Graph.InitOrder)
	}
	bad := func(edit func(sp *onnxpb.SparseTensorProto)) error {
		sp := proto.Clone(coords).(*onnxpb.SparseTensorProto)
		edit(sp)
		_, err := Decode(mustMarshal(t, sparseModel(sp)), "")
		return err
	}
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Indices = pints("", []int64{2, 2}, 0, 1, 1, 3) }),
		"sparse initializer S", "coordinate 1 = 3 is outside dims [2 3]")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Indices = pints("", []int64{2}, 1, 6) }),
		"sparse initializer S", "index 1 = 6 is outside the 6 elements")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Indices = pints("", []int64{3}, 1, 2, 3) }),
		"sparse initializer S", "indices of shape [3] do not fit 2 values")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Indices = nil }),
		"sparse initializer S", "2 values but no indices")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Dims = []int64{1 << 20, 1 << 20} }),
		"sparse initializer S", "more than latent expands")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Values = pfloats("S", []int64{1, 2}, 5, 7) }),
		"sparse initializer S", "values must be 1-D")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) {
		sp.Indices = &onnxpb.TensorProto{Dims: []int64{2}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT32)), Int32Data: []int32{1, 2}}
	}), "sparse initializer S", "indices must be INT64")
	wantErr(t, bad(func(sp *onnxpb.SparseTensorProto) { sp.Values.Name = nil }), "sparse initializer 0 has no name")
}
