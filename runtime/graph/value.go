package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

// ValueKind says which of ONNX's value types a Value holds.
type ValueKind uint8

// The kinds of ONNX value. The zero value is invalid.
const (
	TensorValue ValueKind = iota + 1
	SequenceValue
	MapValue
	OptionalValue
)

func (k ValueKind) String() string {
	switch k {
	case TensorValue:
		return "tensor"
	case SequenceValue:
		return "sequence"
	case MapValue:
		return "map"
	case OptionalValue:
		return "optional"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Value is a value of any ONNX type, as the ONNX backend-test files store
// graph inputs and outputs: a dense tensor (TensorProto), a sequence
// (SequenceProto), a map (MapProto) or an optional (OptionalProto).
type Value struct {
	Kind ValueKind
	// Tensor is the value of a TensorValue.
	Tensor *ops.Tensor
	// Elems are a SequenceValue's elements in order, or a MapValue's
	// values in the order of Keys.
	Elems []*Value
	// Keys are a MapValue's keys (an int64 tensor).
	Keys *ops.Tensor
	// Elem is an OptionalValue's element, nil when the optional is empty.
	Elem *Value
}

// TensorOf wraps a tensor as a Value.
func TensorOf(t *ops.Tensor) *Value { return &Value{Kind: TensorValue, Tensor: t} }

// String describes the value's type and shape, e.g. "float32[2 3]",
// "sequence(2: float32[2], float32[3])", "optional(none)".
func (v *Value) String() string {
	if v == nil {
		return "<nil>"
	}
	switch v.Kind {
	case TensorValue:
		return v.Tensor.String()
	case SequenceValue, MapValue:
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = e.String()
		}
		return fmt.Sprintf("%s(%d: %s)", v.Kind, len(v.Elems), strings.Join(parts, ", "))
	case OptionalValue:
		if v.Elem == nil {
			return "optional(none)"
		}
		return "optional(" + v.Elem.String() + ")"
	}
	return v.Kind.String()
}

// DeclaredKind returns the kind of value vi declares: TensorValue for a
// tensor type or no type at all, otherwise the kind of the TypeProto kept
// in vi.TypeRaw.
func DeclaredKind(vi ValueInfo) (ValueKind, error) {
	if vi.TypeRaw == nil {
		return TensorValue, nil
	}
	tp, err := typeOf(vi)
	if err != nil {
		return 0, err
	}
	switch tp.Value.(type) {
	case *onnxpb.TypeProto_TensorType, nil:
		return TensorValue, nil
	case *onnxpb.TypeProto_SequenceType:
		return SequenceValue, nil
	case *onnxpb.TypeProto_MapType:
		return MapValue, nil
	case *onnxpb.TypeProto_OptionalType:
		return OptionalValue, nil
	}
	return 0, fmt.Errorf("value %s: type %s is not supported", vi.Name, TypeString(vi))
}

func typeOf(vi ValueInfo) (*onnxpb.TypeProto, error) {
	tp := &onnxpb.TypeProto{}
	if err := proto.Unmarshal(vi.TypeRaw, tp); err != nil {
		return nil, fmt.Errorf("value %s: type: %w", vi.Name, err)
	}
	return tp, nil
}

// TypeString writes vi's declared type as ONNX spells it, e.g.
// "tensor(float)", "seq(tensor(int64))", "optional(seq(tensor(float)))",
// "map(int64,tensor(float))".
func TypeString(vi ValueInfo) string {
	if vi.TypeRaw == nil {
		if vi.ElemTypeCode == 0 {
			return "tensor(?)"
		}
		return "tensor(" + strings.ToLower(ElemTypeName(vi.ElemTypeCode)) + ")"
	}
	tp, err := typeOf(vi)
	if err != nil {
		return "?"
	}
	return typeProtoString(tp, 0)
}

func typeProtoString(tp *onnxpb.TypeProto, depth int) string {
	if tp == nil || depth > maxValueDepth {
		return "?"
	}
	elem := func(code int32) string {
		if code == 0 {
			return "?"
		}
		return strings.ToLower(ElemTypeName(code))
	}
	switch t := tp.Value.(type) {
	case *onnxpb.TypeProto_TensorType:
		return "tensor(" + elem(t.TensorType.GetElemType()) + ")"
	case *onnxpb.TypeProto_SparseTensorType:
		return "sparse_tensor(" + elem(t.SparseTensorType.GetElemType()) + ")"
	case *onnxpb.TypeProto_SequenceType:
		return "seq(" + typeProtoString(t.SequenceType.GetElemType(), depth+1) + ")"
	case *onnxpb.TypeProto_OptionalType:
		return "optional(" + typeProtoString(t.OptionalType.GetElemType(), depth+1) + ")"
	case *onnxpb.TypeProto_MapType:
		return "map(" + elem(t.MapType.GetKeyType()) + "," + typeProtoString(t.MapType.GetValueType(), depth+1) + ")"
	}
	return "?"
}

// maxValueDepth bounds the nesting of sequences, maps and optionals a file
// may hold, so a hostile file cannot recurse without end.
const maxValueDepth = 16

// ReadValueFile reads a backend-test data file (input_K.pb, output_K.pb)
// holding a value of the type vi declares: a TensorProto for a tensor (or
// an undeclared type), a SequenceProto, MapProto or OptionalProto for the
// others. External tensor data is resolved relative to the file's folder.
func ReadValueFile(path string, vi ValueInfo) (*Value, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read value: %w", err)
	}
	v, err := decodeValue(b, vi, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return v, nil
}

// DecodeValue decodes a serialised value of the type vi declares (see
// ReadValueFile). External tensor data is refused.
func DecodeValue(b []byte, vi ValueInfo) (*Value, error) {
	return decodeValue(b, vi, "")
}

func decodeValue(b []byte, vi ValueInfo, dir string) (*Value, error) {
	kind, err := DeclaredKind(vi)
	if err != nil {
		return nil, err
	}
	var msg proto.Message
	switch kind {
	case TensorValue:
		msg = &onnxpb.TensorProto{}
	case SequenceValue:
		msg = &onnxpb.SequenceProto{}
	case MapValue:
		msg = &onnxpb.MapProto{}
	case OptionalValue:
		msg = &onnxpb.OptionalProto{}
	}
	if err := proto.Unmarshal(b, msg); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", TypeString(vi), msg.ProtoReflect().Descriptor().Name(), err)
	}
	d := valueDecoder{dir: dir}
	var v *Value
	switch m := msg.(type) {
	case *onnxpb.TensorProto:
		v, err = d.tensor(m)
	case *onnxpb.SequenceProto:
		v, err = d.sequence(m, 0)
	case *onnxpb.MapProto:
		v, err = d.mapValue(m, 0)
	case *onnxpb.OptionalProto:
		v, err = d.optional(m, 0)
	}
	if err != nil {
		if kind == TensorValue {
			return nil, err // TensorFromProto names the tensor
		}
		return nil, fmt.Errorf("%s %s: %w", kind, vi.Name, err)
	}
	return v, nil
}

// valueDecoder turns SequenceProto, MapProto and OptionalProto messages
// into Values.
type valueDecoder struct{ dir string }

func (d valueDecoder) tensor(tp *onnxpb.TensorProto) (*Value, error) {
	t, err := TensorFromProto(tp, d.dir)
	if err != nil {
		return nil, err
	}
	return TensorOf(t), nil
}

// The element kinds of SequenceProto.DataType and OptionalProto.DataType
// (the two enums number them alike).
const (
	elemKindUndefined = int32(onnxpb.SequenceProto_UNDEFINED)
	elemKindTensor    = int32(onnxpb.SequenceProto_TENSOR)
	elemKindSparse    = int32(onnxpb.SequenceProto_SPARSE_TENSOR)
	elemKindSequence  = int32(onnxpb.SequenceProto_SEQUENCE)
	elemKindMap       = int32(onnxpb.SequenceProto_MAP)
	elemKindOptional  = int32(onnxpb.SequenceProto_OPTIONAL)
)

func (d valueDecoder) sequence(sp *onnxpb.SequenceProto, depth int) (*Value, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("values nested deeper than %d levels", maxValueDepth)
	}
	v := &Value{Kind: SequenceValue}
	counts := []int{len(sp.TensorValues), len(sp.SparseTensorValues), len(sp.SequenceValues), len(sp.MapValues), len(sp.OptionalValues)}
	kind := sp.GetElemType()
	for k, n := range counts {
		if n > 0 && int32(k+1) != kind {
			return nil, fmt.Errorf("sequence of elem_type %d carries %d elements of kind %d", kind, n, k+1)
		}
	}
	add := func(e *Value, err error) error {
		if err != nil {
			return fmt.Errorf("element %d: %w", len(v.Elems), err)
		}
		v.Elems = append(v.Elems, e)
		return nil
	}
	switch kind {
	case elemKindUndefined:
		// An empty sequence may leave its element kind undefined.
	case elemKindTensor:
		for _, tp := range sp.TensorValues {
			if err := add(d.tensor(tp)); err != nil {
				return nil, err
			}
		}
	case elemKindSequence:
		for _, e := range sp.SequenceValues {
			if err := add(d.sequence(e, depth+1)); err != nil {
				return nil, err
			}
		}
	case elemKindMap:
		for _, e := range sp.MapValues {
			if err := add(d.mapValue(e, depth+1)); err != nil {
				return nil, err
			}
		}
	case elemKindOptional:
		for _, e := range sp.OptionalValues {
			if err := add(d.optional(e, depth+1)); err != nil {
				return nil, err
			}
		}
	case elemKindSparse:
		return nil, errors.New("sequences of sparse tensors are not supported")
	default:
		return nil, fmt.Errorf("unknown sequence elem_type %d", kind)
	}
	return v, nil
}

func (d valueDecoder) mapValue(mp *onnxpb.MapProto, depth int) (*Value, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("values nested deeper than %d levels", maxValueDepth)
	}
	// Integer keys of any width arrive in keys (int64); string keys need
	// string tensors, which latent does not hold yet.
	switch kt := mp.GetKeyType(); onnxpb.TensorProto_DataType(kt) {
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_INT16, onnxpb.TensorProto_INT32, onnxpb.TensorProto_INT64,
		onnxpb.TensorProto_UINT8, onnxpb.TensorProto_UINT16, onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
	case onnxpb.TensorProto_STRING:
		return nil, errors.New("maps with string keys are not supported")
	default:
		return nil, fmt.Errorf("map key type %s is not an integer or string type", ElemTypeName(kt))
	}
	vals, err := d.sequence(mp.GetValues(), depth+1)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	if len(vals.Elems) != len(mp.Keys) {
		return nil, fmt.Errorf("%d keys but %d values", len(mp.Keys), len(vals.Elems))
	}
	keys := append([]int64(nil), mp.Keys...)
	return &Value{Kind: MapValue, Keys: ops.FromInt64([]int{len(keys)}, keys), Elems: vals.Elems}, nil
}

func (d valueDecoder) optional(op *onnxpb.OptionalProto, depth int) (*Value, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("values nested deeper than %d levels", maxValueDepth)
	}
	v := &Value{Kind: OptionalValue}
	var err error
	switch op.GetElemType() {
	case elemKindUndefined:
		// An empty optional.
	case elemKindTensor:
		if op.TensorValue == nil {
			return nil, errors.New("optional of kind tensor has no tensor_value")
		}
		v.Elem, err = d.tensor(op.TensorValue)
	case elemKindSequence:
		if op.SequenceValue == nil {
			return nil, errors.New("optional of kind sequence has no sequence_value")
		}
		v.Elem, err = d.sequence(op.SequenceValue, depth+1)
	case elemKindMap:
		if op.MapValue == nil {
			return nil, errors.New("optional of kind map has no map_value")
		}
		v.Elem, err = d.mapValue(op.MapValue, depth+1)
	case elemKindOptional:
		if op.OptionalValue == nil {
			return nil, errors.New("optional of kind optional has no optional_value")
		}
		v.Elem, err = d.optional(op.OptionalValue, depth+1)
	case elemKindSparse:
		return nil, errors.New("optional sparse tensors are not supported")
	default:
		return nil, fmt.Errorf("unknown optional elem_type %d", op.GetElemType())
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
