package graph

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

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
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Raw, data) {
		t.Error("Raw is not the decoded bytes")
	}
	if m.Opset() != 17 || m.Opsets["custom"] != 1 {
		t.Errorf("opsets %v", m.Opsets)
	}
	if v, ok := m.MetadataValue("latent.kind"); !ok || v != "ae" {
		t.Errorf("metadata latent.kind = %q %v", v, ok)
	}
	if m.ProducerName != "latent-test" || m.ModelVersion != 3 || m.DocString != "model doc" || m.Domain != "ml.latent" {
		t.Errorf("model fields %+v", m)
	}
	g := m.Graph
	// Inputs: non-initializers in file order; B is overridable.
	var names []string
	for _, in := range g.Inputs {
		names = append(names, in.Name)
	}
	if strings.Join(names, ",") != "x,cond,names,seq" {
		t.Errorf("inputs %v", names)
	}
	if len(g.OverridableInits) != 1 || g.OverridableInits[0].Name != "B" {
		t.Errorf("overridable %v", g.OverridableInits)
	}
	x := g.Inputs[0]
	if x.DType != ops.Float32 || x.ElemTypeCode != 1 || !x.HasShape || x.Shape.String() != "[batch,3]" {
		t.Errorf("x = %+v", x)
	}
	if g.Inputs[1].DType != ops.Bool || !g.Inputs[1].HasShape || g.Inputs[1].Shape == nil || len(g.Inputs[1].Shape) != 0 {
		t.Errorf("cond (scalar) = %+v", g.Inputs[1])
	}
	if s := g.Inputs[2]; s.DType != ops.Invalid || s.ElemTypeCode != 8 || s.DocString != "string input" {
		t.Errorf("string input = %+v", s)
	}
	if s := g.Inputs[3]; s.DType != ops.Invalid || s.TypeRaw == nil {
		t.Errorf("sequence input = %+v", s)
	}
	if z := g.Outputs[0]; z.Shape.String() != "[batch,?]" || z.Shape[1].Known() {
		t.Errorf("z = %+v", z)
	}
	// Topological order: gemm, If, MyRelu.
	var ops_ []string
	for _, n := range g.Nodes {
		ops_ = append(ops_, n.OpType)
	}
	if strings.Join(ops_, ",") != "Gemm,If,MyRelu" {
		t.Errorf("node order %v", ops_)
	}
	gemm := g.Nodes[0]
	if gemm.Domain != "" || gemm.DocString != "node doc" {
		t.Errorf("gemm domain %q doc %q", gemm.Domain, gemm.DocString)
	}
	if a, _ := gemm.Float("alpha", 1); a != 0.5 {
		t.Errorf("alpha %v", a)
	}
	if tb, _ := gemm.Int("transB", 0); tb != 1 {
		t.Errorf("transB %v", tb)
	}
	if s, _ := gemm.String("note", ""); s != "hi" {
		t.Errorf("note %q", s)
	}
	if is, _ := gemm.Ints("is", nil); len(is) != 2 || is[1] != -1 {
		t.Errorf("is %v", is)
	}
	if gemm.Attrs["sparse_value"].Type != AttrSparseTensor || gemm.Attrs["sparse_value"].Raw == nil {
		t.Errorf("sparse attr %+v", gemm.Attrs["sparse_value"])
	}
	if gemm.Attrs["dtype_proto"].Type != AttrTypeProto || gemm.Attrs["dtype_proto"].Raw == nil {
		t.Errorf("type proto attr %+v", gemm.Attrs["dtype_proto"])
	}
	if tt, _ := gemm.Tensor("t"); tt == nil || tt.F32()[1] != 2 {
		t.Errorf("tensor attr %v", tt)
	}
	if ts := gemm.Attrs["ts"].Tensors; len(ts) != 1 || ts[0].I64()[0] != 7 || len(ts[0].Shape) != 0 {
		t.Errorf("tensors attr %v", ts)
	}
	if strings.Join(gemm.AttrOrder, ",") != "alpha,transB,note,fs,ss,is,sparse_value,dtype_proto,t,ts" {
		t.Errorf("attr order %v", gemm.AttrOrder)
	}
	iff := g.Nodes[1]
	if iff.Attrs["then_branch"].G == nil || iff.Attrs["then_branch"].G.Nodes[0].OpType != "Add" {
		t.Errorf("then branch %+v", iff.Attrs["then_branch"])
	}
	if vi, ok := g.ValueInfo["h"]; !ok || vi.Shape.String() != "[batch,3]" {
		t.Errorf("value_info h %+v", vi)
	}
	if len(m.Functions) != 1 {
		t.Errorf("functions %d", len(m.Functions))
	}
}

func roundTrip(t *testing.T, m *Model, dir string) *Model {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	m2, err := Decode(b, dir)
	if err != nil {
		t.Fatalf("re-decode: %v", err)
	}
	if err := sameModel(m, m2); err != nil {
		t.Fatalf("round trip changed the IR: %v", err)
	}
	b2, err := Encode(m2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("second encode differs from the first (%d vs %d bytes)", len(b), len(b2))
	}
	return m2
}

func TestRoundTripRichModel(t *testing.T) {
	m, err := Decode(mustMarshal(t, richModel()), "")
	if err != nil {
		t.Fatal(err)
	}
	m2 := roundTrip(t, m, "")
	// The re-encoded proto still carries the sparse attribute and the
	// function verbatim, and the sequence type of input "seq".
	p, err := ToProto(m2)
	if err != nil {
		t.Fatal(err)
	}
	orig := richModel()
	if !proto.Equal(p.Functions[0], orig.Functions[0]) {
		t.Error("function changed")
	}
	var sparse *onnxpb.AttributeProto
	for _, n := range p.Graph.Node {
		for _, a := range n.Attribute {
			if a.GetName() == "sparse_value" {
				sparse = a
			}
		}
	}
	if sparse == nil || sparse.GetSparseTensor().GetDims()[0] != 4 {
		t.Errorf("sparse attribute lost: %v", sparse)
	}
	for _, in := range p.Graph.Input {
		if in.GetName() == "seq" && in.GetType().GetSequenceType() == nil {
			t.Error("sequence type of input seq lost")
		}
		if in.GetName() == "names" && in.GetType().GetTensorType().GetElemType() != int32(onnxpb.TensorProto_STRING) {
			t.Error("string elem type of input names lost")
		}
	}
	if len(p.OpsetImport) != 2 || p.GetIrVersion() != 8 {
		t.Errorf("opsets %v ir %d", p.OpsetImport, p.GetIrVersion())
	}
}

func TestRoundTripTestdata(t *testing.T) {
	files, _ := filepath.Glob(testdataGlob)
	if len(files) == 0 {
		t.Skip("no ONNX test models: Debian package libonnx-testdata is not installed")
	}
	if testing.Short() {
		files = files[:len(files)/10]
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "/usr/share/libonnx-testdata/data/")
		t.Run(name, func(t *testing.T) {
			m, err := DecodeFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m.Dir != filepath.Dir(f) || m.Raw == nil {
				t.Fatalf("Dir %q Raw %d bytes", m.Dir, len(m.Raw))
			}
			roundTrip(t, m, m.Dir)
		})
	}
}

// TestDecodeAgainstPythonONNX cross-checks the decoded node count, opset and
// graph input names of every test model against Python's onnx package.
func TestDecodeAgainstPythonONNX(t *testing.T) {
	files, _ := filepath.Glob(testdataGlob)
	if len(files) == 0 {
		t.Skip("no ONNX test models: Debian package libonnx-testdata is not installed")
	}
	script := `
import glob, onnx
for f in sorted(glob.glob("` + testdataGlob + `")):
    m = onnx.load(f)
    inits = {i.name for i in m.graph.initializer}
    ins = [i.name for i in m.graph.input if i.name not in inits]
    ops = max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [0])
    print(f, len(m.graph.node), ops, ",".join(ins))
`
	out, err := runPython(script)
	if err != nil {
		t.Skipf("python3 with the onnx package is not usable: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.SplitN(line, " ", 4)
		if len(fields) < 3 {
			continue
		}
		m, err := DecodeFile(fields[0])
		if err != nil {
			t.Errorf("%s: %v", fields[0], err)
			continue
		}
		var ins []string
		for _, in := range m.Graph.Inputs {
			ins = append(ins, in.Name)
		}
		got := strings.TrimSpace(strings.Join([]string{itoa(int64(len(m.Graph.Nodes))), itoa(m.Opset()), strings.Join(ins, ",")}, " "))
		want := strings.TrimSpace(strings.Join(fields[1:], " "))
		if got != want {
			t.Errorf("%s: got %q, python onnx says %q", fields[0], got, want)
		}
		checked++
	}
	if checked != len(files) {
		t.Errorf("only %d of %d models cross-checked", checked, len(files))
	}
}

func TestDecodeFileErrors(t *testing.T) {
	_, err := DecodeFile(filepath.Join(t.TempDir(), "missing.onnx"))
	wantErr(t, err, "read model", "missing.onnx")

	path := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(path, []byte{0x0a, 0xff, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
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
		onnxpb.TensorProto_STRING: ops.Invalid, onnxpb.TensorProto_BFLOAT16: ops.Invalid,
		onnxpb.TensorProto_UINT16: ops.Invalid, onnxpb.TensorProto_COMPLEX64: ops.Invalid,
		onnxpb.TensorProto_INT16: ops.Invalid, onnxpb.TensorProto_UINT64: ops.Invalid,
	}
	for code, want := range cases {
		if got := DTypeFromElemType(int32(code)); got != want {
			t.Errorf("%v -> %v, want %v", code, got, want)
		}
		if want != ops.Invalid && ElemTypeOf(want) != int32(code) {
			t.Errorf("ElemTypeOf(%v) = %d, want %d", want, ElemTypeOf(want), code)
		}
	}
	if ElemTypeName(8) != "STRING" || ElemTypeName(99) != "elem_type(99)" {
		t.Errorf("names %q %q", ElemTypeName(8), ElemTypeName(99))
	}
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
		{"string initializer", func(g *onnxpb.GraphProto, _ *onnxpb.ModelProto) {
			g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String("S"), DataType: proto.Int32(8), StringData: [][]byte{[]byte("a")}})
		}, []string{"initializer S", "STRING", "not supported"}},
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
	if err != nil {
		t.Fatal(err)
	}
	n := m.Graph.Nodes[0]
	if a, err := n.Float("alpha", 0); err != nil || a != 0.2 {
		t.Errorf("alpha %v %v", a, err)
	}
	if p, err := n.Ints("perm", nil); err != nil || len(p) != 2 {
		t.Errorf("perm %v %v", p, err)
	}
	if k, err := n.Int("k", 0); err != nil || k != 4 {
		t.Errorf("k %v %v", k, err)
	}
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
