package graph

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/internal/testenv"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

const testdataGlob = "/usr/share/libonnx-testdata/data/*/*/model.onnx"

// richModel exercises everything that must survive a round trip.
func richModel() *onnxpb.ModelProto {
	sparse := &onnxpb.AttributeProto{
		Name: proto.String("sparse_value"), Type: onnxpb.AttributeProto_SPARSE_TENSOR.Enum(),
		SparseTensor: &onnxpb.SparseTensorProto{
			Values:  pfloats("", []int64{1}, 5),
			Indices: pints("", []int64{1}, 2),
			Dims:    []int64{4},
		},
	}
	typeAttr := &onnxpb.AttributeProto{
		Name: proto.String("dtype_proto"), Type: onnxpb.AttributeProto_TYPE_PROTO.Enum(),
		Tp: pvi("x", onnxpb.TensorProto_FLOAT, 3).Type,
	}
	seqType := &onnxpb.ValueInfoProto{Name: proto.String("seq"), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: pvi("e", onnxpb.TensorProto_FLOAT).Type}}}}
	fn := &onnxpb.FunctionProto{Name: proto.String("MyRelu"), Domain: proto.String("custom"), Input: []string{"a"}, Output: []string{"b"},
		Node: []*onnxpb.NodeProto{pnode("Relu", []string{"a"}, []string{"b"})}}
	then := &onnxpb.GraphProto{
		Name:   proto.String("then"),
		Node:   []*onnxpb.NodeProto{pnode("Add", []string{"h", "W"}, []string{"t_out"})},
		Output: []*onnxpb.ValueInfoProto{pvi("t_out", onnxpb.TensorProto_FLOAT, "batch", 3)},
	}
	els := &onnxpb.GraphProto{
		Name:   proto.String("else"),
		Node:   []*onnxpb.NodeProto{pnode("Identity", []string{"h"}, []string{"e_out"})},
		Output: []*onnxpb.ValueInfoProto{pvi("e_out", onnxpb.TensorProto_FLOAT, "batch", 3)},
	}
	str := pvi("names", onnxpb.TensorProto_STRING, 2)
	str.DocString = proto.String("string input")
	g := &onnxpb.GraphProto{
		Name:      proto.String("main"),
		DocString: proto.String("graph doc"),
		Node: []*onnxpb.NodeProto{
			// Deliberately not in topological order.
			pnode("If", []string{"cond"}, []string{"y"}, pattrGraph("then_branch", then), pattrGraph("else_branch", els)),
			{Name: proto.String("gemm"), OpType: proto.String("Gemm"), Domain: proto.String("ai.onnx"), Input: []string{"x", "W", "B"}, Output: []string{"h"},
				DocString: proto.String("node doc"),
				Attribute: []*onnxpb.AttributeProto{pattrFloat("alpha", 0.5), pattrInt("transB", 1), pattrString("note", "hi"),
					{Name: proto.String("fs"), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 2}},
					{Name: proto.String("ss"), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: [][]byte{[]byte("a"), []byte("")}},
					pattrInts("is", 3, -1), sparse, typeAttr,
					pattrTensor("t", pfloats("", []int64{2}, 1, 2)),
					{Name: proto.String("ts"), Type: onnxpb.AttributeProto_TENSORS.Enum(), Tensors: []*onnxpb.TensorProto{pints("", nil, 7)}},
				}},
			{OpType: proto.String("MyRelu"), Domain: proto.String("custom"), Input: []string{"y"}, Output: []string{"z"}},
		},
		Initializer: []*onnxpb.TensorProto{pfloats("W", []int64{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9), pfloats("B", []int64{3}, 0.5, -1, 2)},
		Input: []*onnxpb.ValueInfoProto{
			pvi("x", onnxpb.TensorProto_FLOAT, "batch", 3), pvi("cond", onnxpb.TensorProto_BOOL),
			pvi("B", onnxpb.TensorProto_FLOAT, 3), str, seqType,
		},
		Output:    []*onnxpb.ValueInfoProto{pvi("z", onnxpb.TensorProto_FLOAT, "batch", nil)},
		ValueInfo: []*onnxpb.ValueInfoProto{pvi("h", onnxpb.TensorProto_FLOAT, "batch", 3)},
	}
	m := pmodel(g, 17)
	m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("custom"), Version: proto.Int64(1)})
	m.ProducerName = proto.String("latent-test")
	m.ProducerVersion = proto.String("0.1")
	m.Domain = proto.String("ml.latent")
	m.ModelVersion = proto.Int64(3)
	m.DocString = proto.String("model doc")
	m.MetadataProps = []*onnxpb.StringStringEntryProto{
		{Key: proto.String("latent.kind"), Value: proto.String("ae")},
		{Key: proto.String("a"), Value: proto.String("1")},
	}
	m.Functions = []*onnxpb.FunctionProto{fn}
	return m
}

func TestDecodeRichModel(t *testing.T) {
	data := mustMarshal(t, richModel())
	m, err := Decode(data, "")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(m.Raw, data), "Raw is the decoded bytes")
	assert.Equal(t, int64(17), m.Opset())
	assert.Equal(t, int64(1), m.Opsets["custom"])
	v, ok := m.MetadataValue("latent.kind")
	assert.True(t, ok)
	assert.Equal(t, "ae", v, "metadata latent.kind")
	assert.Equal(t, "latent-test", m.ProducerName)
	assert.Equal(t, int64(3), m.ModelVersion)
	assert.Equal(t, "model doc", m.DocString)
	assert.Equal(t, "ml.latent", m.Domain)
	g := m.Graph
	// Inputs: non-initializers in file order; B is overridable.
	var names []string
	for _, in := range g.Inputs {
		names = append(names, in.Name)
	}
	assert.Equal(t, []string{"x", "cond", "names", "seq"}, names)
	if assert.Len(t, g.OverridableInits, 1) {
		assert.Equal(t, "B", g.OverridableInits[0].Name)
	}
	x := g.Inputs[0]
	assert.Equal(t, ops.Float32, x.DType)
	assert.Equal(t, int32(1), x.ElemTypeCode)
	assert.True(t, x.HasShape)
	assert.Equal(t, "[batch,3]", x.Shape.String())
	cond := g.Inputs[1]
	assert.Equal(t, ops.Bool, cond.DType)
	assert.True(t, cond.HasShape && cond.Shape != nil && len(cond.Shape) == 0, "cond is a scalar: %+v", cond)
	str := g.Inputs[2]
	assert.Equal(t, ops.String, str.DType)
	assert.Equal(t, int32(8), str.ElemTypeCode)
	assert.Equal(t, "string input", str.DocString)
	seq := g.Inputs[3]
	assert.Equal(t, ops.Invalid, seq.DType)
	assert.NotNil(t, seq.TypeRaw, "the sequence type is kept")
	z := g.Outputs[0]
	assert.Equal(t, "[batch,?]", z.Shape.String())
	assert.False(t, z.Shape[1].Known())
	// Topological order: gemm, If, MyRelu.
	var ops_ []string
	for _, n := range g.Nodes {
		ops_ = append(ops_, n.OpType)
	}
	assert.Equal(t, []string{"Gemm", "If", "MyRelu"}, ops_, "node order")
	gemm := g.Nodes[0]
	assert.Equal(t, "", gemm.Domain)
	assert.Equal(t, "node doc", gemm.DocString)
	alpha, err := gemm.Float("alpha", 1)
	require.NoError(t, err)
	assert.Equal(t, float32(0.5), alpha)
	tb, err := gemm.Int("transB", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), tb)
	note, err := gemm.String("note", "")
	require.NoError(t, err)
	assert.Equal(t, "hi", note)
	is, err := gemm.Ints("is", nil)
	require.NoError(t, err)
	assert.Equal(t, []int64{3, -1}, is)
	assert.Equal(t, AttrSparseTensor, gemm.Attrs["sparse_value"].Type)
	assert.NotNil(t, gemm.Attrs["sparse_value"].Raw)
	assert.Equal(t, AttrTypeProto, gemm.Attrs["dtype_proto"].Type)
	assert.NotNil(t, gemm.Attrs["dtype_proto"].Raw)
	if tt, _ := gemm.Tensor("t"); assert.NotNil(t, tt, "tensor attr") {
		assert.Equal(t, float32(2), tt.F32()[1])
	}
	if ts := gemm.Attrs["ts"].Tensors; assert.Len(t, ts, 1) {
		assert.Equal(t, []int64{7}, ts[0].I64())
		assert.Empty(t, ts[0].Shape)
	}
	assert.Equal(t, "alpha,transB,note,fs,ss,is,sparse_value,dtype_proto,t,ts", strings.Join(gemm.AttrOrder, ","), "attr order")
	iff := g.Nodes[1]
	if then := iff.Attrs["then_branch"].G; assert.NotNil(t, then, "then branch") {
		assert.Equal(t, "Add", then.Nodes[0].OpType)
	}
	vi, ok := g.ValueInfo["h"]
	assert.True(t, ok, "value_info h")
	assert.Equal(t, "[batch,3]", vi.Shape.String())
	assert.Len(t, m.Functions, 1)
}

func roundTrip(t *testing.T, m *Model, dir string) *Model {
	t.Helper()
	b, err := Encode(m)
	require.NoError(t, err, "encode")
	m2, err := Decode(b, dir)
	require.NoError(t, err, "re-decode")
	require.NoError(t, sameModel(m, m2), "round trip changed the IR")
	b2, err := Encode(m2)
	require.NoError(t, err)
	if !bytes.Equal(b, b2) {
		require.Failf(t, "second encode differs from the first", "%d vs %d bytes", len(b), len(b2))
	}
	return m2
}

func TestRoundTripRichModel(t *testing.T) {
	m, err := Decode(mustMarshal(t, richModel()), "")
	require.NoError(t, err)
	m2 := roundTrip(t, m, "")
	// The re-encoded proto still carries the sparse attribute and the
	// function verbatim, and the sequence type of input "seq".
	p, err := ToProto(m2)
	require.NoError(t, err)
	orig := richModel()
	assert.True(t, proto.Equal(p.Functions[0], orig.Functions[0]), "function changed")
	var sparse *onnxpb.AttributeProto
	for _, n := range p.Graph.Node {
		for _, a := range n.Attribute {
			if a.GetName() == "sparse_value" {
				sparse = a
			}
		}
	}
	if assert.NotNil(t, sparse, "sparse attribute lost") {
		assert.Equal(t, int64(4), sparse.GetSparseTensor().GetDims()[0])
	}
	for _, in := range p.Graph.Input {
		if in.GetName() == "seq" {
			assert.NotNil(t, in.GetType().GetSequenceType(), "sequence type of input seq lost")
		}
		if in.GetName() == "names" {
			assert.Equal(t, int32(onnxpb.TensorProto_STRING), in.GetType().GetTensorType().GetElemType(), "string elem type of input names lost")
		}
	}
	assert.Len(t, p.OpsetImport, 2)
	assert.Equal(t, int64(8), p.GetIrVersion())
}

func TestRoundTripTestdata(t *testing.T) {
	files, err := testenv.Files(testdataGlob)
	testenv.Need(t, "the ONNX test models (apt-get install libonnx-testdata)", err)
	if testing.Short() {
		files = files[:len(files)/10]
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "/usr/share/libonnx-testdata/data/")
		t.Run(name, func(t *testing.T) {
			m, err := DecodeFile(f)
			require.NoError(t, err)
			require.Equal(t, filepath.Dir(f), m.Dir)
			require.NotNil(t, m.Raw)
			roundTrip(t, m, m.Dir)
		})
	}
}

// TestDecodeAgainstPythonONNX cross-checks the decoded node count, opset and
// graph input names of every test model against Python's onnx package.
func TestDecodeAgainstPythonONNX(t *testing.T) {
	files, err := testenv.Files(testdataGlob)
	testenv.Need(t, "the ONNX test models (apt-get install libonnx-testdata)", err)
	script := `
import glob, onnx
for f in sorted(glob.glob("` + testdataGlob + `")):
    m = onnx.load(f)
    inits = {i.name for i in m.graph.initializer}
    ins = [i.name for i in m.graph.input if i.name not in inits]
    ops = max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [0])
    print(f, len(m.graph.node), ops, ",".join(ins))
`
	out, err := testenv.PythonONNX(script)
	testenv.Need(t, "python3 with the onnx package (apt-get install python3-onnx)", err)
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.SplitN(line, " ", 4)
		if len(fields) < 3 {
			continue
		}
		m, err := DecodeFile(fields[0])
		if !assert.NoError(t, err, fields[0]) {
			continue
		}
		var ins []string
		for _, in := range m.Graph.Inputs {
			ins = append(ins, in.Name)
		}
		got := strings.TrimSpace(strings.Join([]string{itoa(int64(len(m.Graph.Nodes))), itoa(m.Opset()), strings.Join(ins, ",")}, " "))
		want := strings.TrimSpace(strings.Join(fields[1:], " "))
		assert.Equal(t, want, got, "%s: python onnx vs latent", fields[0])
		checked++
	}
	assert.Equal(t, len(files), checked, "models cross-checked")
}

func TestDecodeFileErrors(t *testing.T) {
	_, err := DecodeFile(filepath.Join(t.TempDir(), "missing.onnx"))
	wantErr(t, err, "read model", "missing.onnx")

	path := filepath.Join(t.TempDir(), "bad.onnx")
	require.NoError(t, os.WriteFile(path, []byte{0x0a, 0xff, 0xff}, 0o644))
	_, err = DecodeFile(path)
	wantErr(t, err, "bad.onnx", "decode ModelProto")

	_, err = Decode(mustMarshal(t, &onnxpb.ModelProto{IrVersion: proto.Int64(8)}), "")
	wantErr(t, err, "model has no graph")
}

func TestElemTypeMapping(t *testing.T) {
	cases := map[onnxpb.TensorProto_DataType]ops.DType{
		onnxpb.TensorProto_FLOAT: ops.Float32, onnxpb.TensorProto_DOUBLE: ops.Float64,
		onnxpb.TensorProto_FLOAT16: ops.Float16, onnxpb.TensorProto_INT64: ops.Int64,
		onnxpb.TensorProto_INT32: ops.Int32, onnxpb.TensorProto_INT8: ops.Int8,
		onnxpb.TensorProto_UINT8: ops.Uint8, onnxpb.TensorProto_BOOL: ops.Bool,
		onnxpb.TensorProto_STRING: ops.String, onnxpb.TensorProto_BFLOAT16: ops.BFloat16,
		onnxpb.TensorProto_UINT16: ops.Uint16, onnxpb.TensorProto_COMPLEX64: ops.Invalid,
		onnxpb.TensorProto_INT16: ops.Int16, onnxpb.TensorProto_UINT64: ops.Uint64,
		onnxpb.TensorProto_UINT32: ops.Uint32, onnxpb.TensorProto_COMPLEX128: ops.Invalid,
		onnxpb.TensorProto_FLOAT8E4M3FN: ops.Float8E4M3FN, onnxpb.TensorProto_FLOAT8E4M3FNUZ: ops.Float8E4M3FNUZ,
		onnxpb.TensorProto_FLOAT8E5M2: ops.Float8E5M2, onnxpb.TensorProto_FLOAT8E5M2FNUZ: ops.Float8E5M2FNUZ,
		onnxpb.TensorProto_FLOAT8E8M0: ops.Float8E8M0, onnxpb.TensorProto_FLOAT4E2M1: ops.Float4E2M1,
		onnxpb.TensorProto_INT4: ops.Int4, onnxpb.TensorProto_UINT4: ops.Uint4,
		onnxpb.TensorProto_INT2: ops.Int2, onnxpb.TensorProto_UINT2: ops.Uint2,
		onnxpb.TensorProto_FLOAT6E2M3: ops.Invalid, onnxpb.TensorProto_FLOAT6E3M2: ops.Invalid,
	}
	for code, want := range cases {
		assert.Equal(t, want, DTypeFromElemType(int32(code)), "%v", code)
		if want != ops.Invalid {
			assert.Equal(t, int32(code), ElemTypeOf(want), "ElemTypeOf(%v)", want)
		}
	}
	// Every DType has a code and back.
	for _, dt := range ops.DTypes() {
		assert.Equal(t, dt, DTypeFromElemType(ElemTypeOf(dt)), "%v", dt)
	}
	assert.Equal(t, "STRING", ElemTypeName(8))
	assert.Equal(t, "elem_type(99)", ElemTypeName(99))
}

func TestDecodeStructuralErrors(t *testing.T) {
	base := func() *onnxpb.GraphProto {
		return &onnxpb.GraphProto{
			Input:  []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 2)},
			Output: []*onnxpb.ValueInfoProto{pvi("y", onnxpb.TensorProto_FLOAT, 2)},
			Node:   []*onnxpb.NodeProto{pnode("Relu", []string{"x"}, []string{"y"})},
		}
	}
	cases := []struct {
		name  string
		edit  func(g *onnxpb.GraphProto, m *onnxpb.ModelProto)
		frags []string
	}{
		{"unnamed initializer", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Initializer = append(g.Initializer, pfloats("", []int64{1}, 1))
		}, []string{"initializer 0 has no name"}},
		{"duplicate initializer", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Initializer = append(g.Initializer, pfloats("W", []int64{1}, 1), pfloats("W", []int64{1}, 2))
		}, []string{"initializer W is defined twice"}},
		{"initializer size", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Initializer = append(g.Initializer, pfloats("W", []int64{2, 3}, 1, 2, 3, 4, 5))
		}, []string{"initializer W: dims [2 3] need 6 elements, data has 5"}},
		{"complex initializer", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String("C"), DataType: proto.Int32(14), FloatData: []float32{1, 2}})
		}, []string{"initializer C", "COMPLEX64", "not supported"}},
		{"duplicate input", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Input = append(g.Input, pvi("x", onnxpb.TensorProto_FLOAT, 2))
		}, []string{"input x is declared twice"}},
		{"unnamed input", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Input = append(g.Input, &onnxpb.ValueInfoProto{})
		}, []string{"input 1", "no name"}},
		{"negative dim", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Input[0] = pvi("x", onnxpb.TensorProto_FLOAT, -2)
		}, []string{"value x", "negative dimension -2"}},
		{"unnamed attribute", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Node[0].Attribute = []*onnxpb.AttributeProto{{Type: onnxpb.AttributeProto_INT.Enum()}}
		}, []string{"Relu -> y", "attribute has no name"}},
		{"duplicate attribute", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Node[0].Attribute = []*onnxpb.AttributeProto{pattrInt("a", 1), pattrInt("a", 2)}
		}, []string{"Relu -> y", `attribute "a" is given twice`}},
		{"tensor attribute without tensor", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Node[0].Attribute = []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum()}}
		}, []string{"attribute value", "has no tensor"}},
		{"bad tensor attribute", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Node[0].Attribute = []*onnxpb.AttributeProto{pattrTensor("value", pfloats("", []int64{3}, 1))}
		}, []string{"attribute value: dims [3] need 3 elements, data has 1"}},
		{"bad opset", func(_ *onnxpb.GraphProto, m *onnxpb.ModelProto) {
			m.OpsetImport[0].Version = proto.Int64(0)
		}, []string{"opset import", "version 0"}},
		{"domain not imported", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Node[0].Domain = proto.String("com.example")
		}, []string{"node Relu -> y", `domain "com.example" is not in the model's opset imports`}},
		{"default domain not imported", func(_ *onnxpb.GraphProto, m *onnxpb.ModelProto) {
			m.OpsetImport[0].Domain = proto.String("com.example")
		}, []string{"node Relu -> y", `domain ""`}},
		{"sparse initializer without values", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.SparseInitializer = []*onnxpb.SparseTensorProto{{}}
		}, []string{"sparse initializer 0", "no values"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := base()
			m := pmodel(g, 13)
			c.edit(g, m)
			_, err := Decode(mustMarshal(t, m), "")
			wantErr(t, err, c.frags...)
		})
	}
}

func TestAttrTypeInferredWhenUnset(t *testing.T) {
	// Very old exporters leave AttributeProto.type unset.
	g := &onnxpb.GraphProto{
		Input:  []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 2)},
		Output: []*onnxpb.ValueInfoProto{pvi("y", onnxpb.TensorProto_FLOAT, 2)},
		Node: []*onnxpb.NodeProto{pnode("LeakyRelu", []string{"x"}, []string{"y"},
			&onnxpb.AttributeProto{Name: proto.String("alpha"), F: proto.Float32(0.2)},
			&onnxpb.AttributeProto{Name: proto.String("perm"), Ints: []int64{1, 0}},
			&onnxpb.AttributeProto{Name: proto.String("k"), I: proto.Int64(4)},
		)},
	}
	m, err := Decode(mustMarshal(t, pmodel(g, 6)), "")
	require.NoError(t, err)
	n := m.Graph.Nodes[0]
	a, err := n.Float("alpha", 0)
	assert.NoError(t, err)
	assert.Equal(t, float32(0.2), a)
	perm, err := n.Ints("perm", nil)
	assert.NoError(t, err)
	assert.Len(t, perm, 2)
	k, err := n.Int("k", 0)
	assert.NoError(t, err)
	assert.Equal(t, int64(4), k)
}

func TestEncodeErrors(t *testing.T) {
	_, err := Encode(&Model{})
	wantErr(t, err, "no graph")
	bad := &Model{Graph: &Graph{Initializers: map[string]*ops.Tensor{"W": {DType: ops.Float32, Shape: []int{3}, Data: []float32{1}}}}}
	_, err = Encode(bad)
	wantErr(t, err, "initializer W", "shape needs 3 elements, data has 1")
	_, err = Encode(&Model{Graph: &Graph{Nodes: []*Node{nil}}})
	wantErr(t, err, "node 0 is nil")
	_, err = Encode(&Model{Graph: &Graph{Nodes: []*Node{{OpType: "Loop", Attrs: map[string]*Attr{
		"body": {Name: "body", Type: AttrGraphs, Graphs: []*Graph{nil}}}}}}})
	wantErr(t, err, `attribute "body"`, "graph 0", "nil graph")
	_, err = Encode(&Model{Graph: &Graph{Nodes: []*Node{{OpType: "X", Attrs: map[string]*Attr{
		"t": {Name: "t", Type: AttrTensors, Tensors: []*ops.Tensor{nil}}}}}}})
	wantErr(t, err, `attribute "t"`, "tensor 0")
	_, err = Encode(&Model{Graph: &Graph{Nodes: []*Node{{OpType: "X", Attrs: map[string]*Attr{
		"r": {Name: "r", Type: AttrSparseTensor, Raw: []byte{0xff}}}}}}})
	wantErr(t, err, `attribute "r"`, "raw attribute")
}
