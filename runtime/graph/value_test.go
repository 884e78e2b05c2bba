package graph

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

func tensorType(code onnxpb.TensorProto_DataType) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(code))}}}
}

func seqType(elem *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: elem}}}
}

func optType(elem *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: elem}}}
}

func mapType(key onnxpb.TensorProto_DataType, val *onnxpb.TypeProto) *onnxpb.TypeProto {
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{KeyType: proto.Int32(int32(key)), ValueType: val}}}
}

// declared is the ValueInfo a decoded model gives a value of type tp.
func declared(t *testing.T, name string, tp *onnxpb.TypeProto) ValueInfo {
	t.Helper()
	vi, err := valueInfoFromProto(&onnxpb.ValueInfoProto{Name: proto.String(name), Type: tp})
	require.NoError(t, err)
	return vi
}

// The files in testdata/values were written by onnx's numpy_helper, so
// these check the wire forms against ONNX's own writer.
func TestReadValueFileONNXWritten(t *testing.T) {
	f32 := tensorType(onnxpb.TensorProto_FLOAT)
	i64 := tensorType(onnxpb.TensorProto_INT64)
	read := func(file string, tp *onnxpb.TypeProto) *Value {
		t.Helper()
		v, err := ReadValueFile(filepath.Join("testdata", "values", file), declared(t, "x", tp))
		require.NoError(t, err, file)
		return v
	}

	s := read("seq_float.pb", seqType(f32))
	assert.Equal(t, SequenceValue, s.Kind)
	require.Len(t, s.Elems, 2)
	assert.Equal(t, []float32{1, 2}, s.Elems[0].Tensor.F32())
	assert.Equal(t, []int{3, 1}, s.Elems[1].Tensor.Shape)
	assert.Equal(t, []float32{3, 4, 5}, s.Elems[1].Tensor.F32())
	assert.Equal(t, "sequence(2: float32[2], float32[3 1])", s.String())

	e := read("seq_empty.pb", seqType(f32))
	assert.Equal(t, SequenceValue, e.Kind)
	assert.Empty(t, e.Elems)

	n := read("opt_none.pb", optType(f32))
	assert.Equal(t, OptionalValue, n.Kind)
	assert.Nil(t, n.Elem)
	assert.Equal(t, "optional(none)", n.String())

	o := read("opt_tensor.pb", optType(i64))
	require.NotNil(t, o.Elem)
	assert.Equal(t, []int64{7, 8, 9}, o.Elem.Tensor.I64())

	os := read("opt_seq.pb", optType(seqType(f32)))
	require.NotNil(t, os.Elem)
	require.Equal(t, SequenceValue, os.Elem.Kind)
	require.Len(t, os.Elem.Elems, 1)
	assert.Equal(t, []float32{1.5}, os.Elem.Elems[0].Tensor.F32())

	m := read("map_int64.pb", mapType(onnxpb.TensorProto_INT64, f32))
	assert.Equal(t, MapValue, m.Kind)
	assert.Equal(t, []int64{3, 1}, m.Keys.I64())
	require.Len(t, m.Elems, 2)
	assert.Equal(t, []float32{1}, m.Elems[0].Tensor.F32())
	assert.Equal(t, []float32{2}, m.Elems[1].Tensor.F32())
}

func TestTypeString(t *testing.T) {
	f32 := tensorType(onnxpb.TensorProto_FLOAT)
	assert.Equal(t, "seq(tensor(float))", TypeString(declared(t, "a", seqType(f32))))
	assert.Equal(t, "optional(seq(tensor(float)))", TypeString(declared(t, "b", optType(seqType(f32)))))
	assert.Equal(t, "map(int64,tensor(float))", TypeString(declared(t, "c", mapType(onnxpb.TensorProto_INT64, f32))))
	assert.Equal(t, "tensor(bfloat16)", TypeString(declared(t, "d", tensorType(onnxpb.TensorProto_BFLOAT16))))
}

func TestDecodeValueErrors(t *testing.T) {
	f32 := tensorType(onnxpb.TensorProto_FLOAT)
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	tensor := &onnxpb.TensorProto{Dims: []int64{1}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: []float32{1}}
	cases := []struct {
		name string
		tp   *onnxpb.TypeProto
		data []byte
		want string
	}{
		{"kind mismatch", seqType(f32), marshal(&onnxpb.SequenceProto{ElemType: proto.Int32(elemKindSequence), TensorValues: []*onnxpb.TensorProto{tensor}}), "carries 1 elements of kind 1"},
		{"bad element", seqType(f32), marshal(&onnxpb.SequenceProto{ElemType: proto.Int32(elemKindTensor), TensorValues: []*onnxpb.TensorProto{{Dims: []int64{2}, DataType: proto.Int32(1), FloatData: []float32{1}}}}), "element 0: tensor: dims [2] need 2 elements"},
		{"optional without value", optType(f32), marshal(&onnxpb.OptionalProto{ElemType: proto.Int32(elemKindTensor)}), "has no tensor_value"},
		{"unknown kind", optType(f32), marshal(&onnxpb.OptionalProto{ElemType: proto.Int32(99)}), "unknown optional elem_type 99"},
		{"string keys", mapType(onnxpb.TensorProto_STRING, f32), marshal(&onnxpb.MapProto{KeyType: proto.Int32(int32(onnxpb.TensorProto_STRING))}), "string keys"},
		{"keys and values", mapType(onnxpb.TensorProto_INT64, f32), marshal(&onnxpb.MapProto{KeyType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Keys: []int64{1, 2}, Values: &onnxpb.SequenceProto{ElemType: proto.Int32(elemKindTensor), TensorValues: []*onnxpb.TensorProto{tensor}}}), "2 keys but 1 values"},
		{"not a proto", seqType(f32), []byte{0xff, 0xff}, "decode seq(tensor(float)) SequenceProto"},
	}
	for _, c := range cases {
		_, err := DecodeValue(c.data, declared(t, "v", c.tp))
		if assert.Error(t, err, c.name) {
			assert.Contains(t, err.Error(), c.want, c.name)
		}
	}

	// Nesting deeper than maxValueDepth is refused, not recursed into.
	deep := &onnxpb.OptionalProto{}
	for range maxValueDepth + 2 {
		deep = &onnxpb.OptionalProto{ElemType: proto.Int32(elemKindOptional), OptionalValue: deep}
	}
	_, err := DecodeValue(marshal(deep), declared(t, "v", optType(f32)))
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "nested deeper")
	}

	// A tensor declaration reads a TensorProto.
	v, err := DecodeValue(marshal(tensor), ValueInfo{Name: "t", DType: ops.Float32})
	require.NoError(t, err)
	assert.Equal(t, TensorValue, v.Kind)
	assert.Equal(t, []float32{1}, v.Tensor.F32())
}

// EncodeValue writes what ReadValueFile reads back, for every kind; the
// files ONNX wrote (testdata/values) survive a round trip byte for byte in
// meaning.
func TestEncodeValueRoundTrip(t *testing.T) {
	f32 := tensorType(onnxpb.TensorProto_FLOAT)
	a := ops.FromFloat32([]int{2}, []float32{1, 2})
	b := ops.FromFloat32([]int{3, 1}, []float32{3, 4, 5})
	cases := []struct {
		tp *onnxpb.TypeProto
		v  *Value
	}{
		{seqType(f32), TensorSequence(ops.Float32, a, b)},
		{seqType(f32), SequenceOf(ops.Float32)},
		{optType(f32), OptionalOf(TensorOf(a))},
		{optType(f32), OptionalOf(nil)},
		{optType(seqType(f32)), OptionalOf(TensorSequence(ops.Float32, b))},
		{seqType(seqType(f32)), SequenceOf(ops.Invalid, TensorSequence(ops.Float32, a), SequenceOf(ops.Float32))},
		{mapType(onnxpb.TensorProto_INT64, f32), &Value{Kind: MapValue, Keys: ops.FromInt64([]int{2}, []int64{3, 1}), Elems: []*Value{TensorOf(a), TensorOf(b)}}},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "v.pb")
		require.NoError(t, WriteValueFile(path, "v", c.v), c.v.String())
		got, err := ReadValueFile(path, declared(t, "v", c.tp))
		require.NoError(t, err, c.v.String())
		assert.Equal(t, c.v.String(), got.String())
		var want, have []*ops.Tensor
		c.v.Tensors(func(t *ops.Tensor) { want = append(want, t) })
		got.Tensors(func(t *ops.Tensor) { have = append(have, t) })
		require.Len(t, have, len(want))
		for i := range want {
			assert.Equal(t, want[i].Data, have[i].Data)
		}
	}
	// A TensorProto where a sequence is declared is refused rather than
	// read as an empty sequence (protobuf parses any message as any other).
	tb, err := EncodeTensor("x", a)
	require.NoError(t, err)
	_, err = DecodeValue(tb, declared(t, "x", seqType(f32)))
	assert.ErrorContains(t, err, "is it a TensorProto?")
	// Malformed values are refused before encoding.
	_, err = EncodeValue("bad", &Value{Kind: SequenceValue, DType: ops.Int64, Elems: []*Value{TensorOf(a)}})
	assert.ErrorContains(t, err, "element 0 is float32 in a sequence of int64")
}

func TestSequenceAndOptionalInfo(t *testing.T) {
	s := SequenceInfo("s", ValueInfo{DType: ops.Int64, Shape: ShapeOf(2), HasShape: true})
	assert.Equal(t, "seq(tensor(int64))", TypeString(s))
	e, ok := ElementInfo(s)
	require.True(t, ok)
	assert.Equal(t, ops.Int64, e.DType)
	assert.Equal(t, "[2]", e.Shape.String())
	o := OptionalInfo("o", s)
	assert.Equal(t, "optional(seq(tensor(int64)))", TypeString(o))
	kind, err := DeclaredKind(o)
	require.NoError(t, err)
	assert.Equal(t, OptionalValue, kind)
	assert.True(t, SameType(o, OptionalInfo("p", SequenceInfo("", ValueInfo{}))), "unknown element types match")
	assert.False(t, SameType(o, s))
	assert.False(t, SameType(s, SequenceInfo("", ValueInfo{DType: ops.Float32})))
	_, ok = ElementInfo(ValueInfo{DType: ops.Float32})
	assert.False(t, ok)
}
