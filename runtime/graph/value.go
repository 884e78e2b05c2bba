package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/internal/atomicfile"
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
	// DType is the element type of a SequenceValue's tensors, known even
	// when the sequence is empty (SequenceEmpty's dtype, the declared
	// type); ops.Invalid when unknown or when the elements are not
	// tensors.
	DType ops.DType
}

// TensorOf wraps a tensor as a Value.
func TensorOf(t *ops.Tensor) *Value { return &Value{Kind: TensorValue, Tensor: t} }

// SequenceOf returns a sequence of the given elements. dt is the element
// type of its tensors (needed for an empty sequence; ops.Invalid takes it
// from the first element when that is a tensor).
func SequenceOf(dt ops.DType, elems ...*Value) *Value {
	if dt == ops.Invalid && len(elems) > 0 && elems[0] != nil && elems[0].Kind == TensorValue && elems[0].Tensor != nil {
		dt = elems[0].Tensor.DType
	}
	return &Value{Kind: SequenceValue, Elems: elems, DType: dt}
}

// TensorSequence returns a sequence of tensors of type dt.
func TensorSequence(dt ops.DType, ts ...*ops.Tensor) *Value {
	elems := make([]*Value, len(ts))
	for i, t := range ts {
		elems[i] = TensorOf(t)
	}
	return &Value{Kind: SequenceValue, Elems: elems, DType: dt}
}

// OptionalOf returns an optional holding v, or an empty optional when v
// is nil.
func OptionalOf(v *Value) *Value { return &Value{Kind: OptionalValue, Elem: v} }

// Check reports a malformed value: a kind out of range, a tensor value
// without a (valid) tensor, a nil element, a sequence whose tensors differ
// in element type or disagree with its DType, nesting deeper than the
// decoder accepts. The error names where, e.g. "element 2: tensor: …".
func (v *Value) Check() error { return v.check(0) }

func (v *Value) check(depth int) error {
	if v == nil {
		return errors.New("nil value")
	}
	if depth > maxValueDepth {
		return fmt.Errorf("values nested deeper than %d levels", maxValueDepth)
	}
	switch v.Kind {
	case TensorValue:
		if v.Tensor == nil {
			return errors.New("tensor value without a tensor")
		}
		return v.Tensor.Validate()
	case SequenceValue, MapValue:
		for i, e := range v.Elems {
			if err := e.check(depth + 1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
			if v.Kind == SequenceValue && e.Kind == TensorValue && v.DType != ops.Invalid && e.Tensor.DType != v.DType {
				return fmt.Errorf("element %d is %v in a sequence of %v", i, e.Tensor.DType, v.DType)
			}
			if i > 0 && e.Kind != v.Elems[0].Kind {
				return fmt.Errorf("element %d is a %s, element 0 a %s", i, e.Kind, v.Elems[0].Kind)
			}
		}
		if v.Kind == MapValue && (v.Keys == nil || v.Keys.Len() != len(v.Elems)) {
			return fmt.Errorf("map with %d values has no matching keys", len(v.Elems))
		}
		return nil
	case OptionalValue:
		if v.Elem == nil {
			return nil
		}
		if err := v.Elem.check(depth + 1); err != nil {
			return fmt.Errorf("optional: %w", err)
		}
		return nil
	}
	return fmt.Errorf("invalid value kind %d", uint8(v.Kind))
}

// Tensors calls f with every tensor inside v (v's own for a tensor, the
// elements of sequences and maps, an optional's contents), depth first.
func (v *Value) Tensors(f func(*ops.Tensor)) {
	if v == nil {
		return
	}
	switch v.Kind {
	case TensorValue:
		if v.Tensor != nil {
			f(v.Tensor)
		}
	case SequenceValue, MapValue:
		for _, e := range v.Elems {
			e.Tensors(f)
		}
	case OptionalValue:
		v.Elem.Tensors(f)
	}
}

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
		if len(v.Elems) == 0 && v.DType != ops.Invalid {
			return fmt.Sprintf("%s(0 of %v)", v.Kind, v.DType)
		}
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
		code := vi.ElemTypeCode
		if code == 0 {
			code = ElemTypeOf(vi.DType)
		}
		if code == 0 {
			return "tensor(?)"
		}
		return "tensor(" + strings.ToLower(ElemTypeName(code)) + ")"
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
	if kind != TensorValue && len(msg.ProtoReflect().GetUnknown()) > 0 {
		// Protobuf parses any message as any other, keeping what does not
		// fit as unknown fields: a TensorProto read as a SequenceProto
		// would otherwise be an empty sequence.
		return nil, fmt.Errorf("decode %s %s: the data holds fields a %s does not have (is it a TensorProto?)", TypeString(vi),
			msg.ProtoReflect().Descriptor().Name(), msg.ProtoReflect().Descriptor().Name())
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
	if err == nil && kind != TensorValue {
		fillDTypes(v, vi, 0)
		err = v.Check()
	}
	if err != nil {
		if kind == TensorValue {
			return nil, err // TensorFromProto names the tensor
		}
		return nil, fmt.Errorf("%s %s: %w", kind, vi.Name, err)
	}
	return v, nil
}

// fillDTypes sets the element type of the (empty) sequences inside v from
// the type vi declares, which the files do not record.
func fillDTypes(v *Value, vi ValueInfo, depth int) {
	if v == nil || depth > maxValueDepth {
		return
	}
	e, ok := ElementInfo(vi)
	if !ok {
		return
	}
	switch v.Kind {
	case SequenceValue:
		if v.DType == ops.Invalid && e.TypeRaw == nil {
			v.DType = e.DType
		}
		for _, el := range v.Elems {
			fillDTypes(el, e, depth+1)
		}
	case OptionalValue:
		fillDTypes(v.Elem, e, depth+1)
	}
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
		if len(v.Elems) > 0 {
			v.DType = v.Elems[0].Tensor.DType
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

// EncodeValue serialises v as the backend-test data files hold it: a
// TensorProto for a tensor, a SequenceProto, OptionalProto or MapProto
// (integer keys) for the others, named name.
func EncodeValue(name string, v *Value) ([]byte, error) {
	if err := v.Check(); err != nil {
		return nil, fmt.Errorf("value %s: %w", name, err)
	}
	var msg proto.Message
	var err error
	switch v.Kind {
	case TensorValue:
		msg, err = TensorToProto(name, v.Tensor)
	case SequenceValue:
		msg, err = sequenceToProto(name, v)
	case OptionalValue:
		msg, err = optionalToProto(name, v)
	case MapValue:
		msg, err = mapToProto(name, v)
	}
	if err != nil {
		return nil, fmt.Errorf("value %s: %w", name, err)
	}
	return proto.Marshal(msg)
}

// WriteValueFile writes v to path as EncodeValue serialises it,
// atomically (a temporary file renamed over path).
func WriteValueFile(path, name string, v *Value) error {
	b, err := EncodeValue(name, v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// elemKindOf is the SequenceProto/OptionalProto elem_type of a value.
func elemKindOf(v *Value) int32 {
	switch v.Kind {
	case TensorValue:
		return elemKindTensor
	case SequenceValue:
		return elemKindSequence
	case MapValue:
		return elemKindMap
	case OptionalValue:
		return elemKindOptional
	}
	return elemKindUndefined
}

func optName(name string) *string {
	if name == "" {
		return nil
	}
	return proto.String(name)
}

func sequenceToProto(name string, v *Value) (*onnxpb.SequenceProto, error) {
	sp := &onnxpb.SequenceProto{Name: optName(name)}
	kind := elemKindUndefined
	if len(v.Elems) > 0 {
		kind = elemKindOf(v.Elems[0])
	} else if v.DType != ops.Invalid {
		kind = elemKindTensor
	}
	sp.ElemType = proto.Int32(kind)
	for i, e := range v.Elems {
		var err error
		switch e.Kind {
		case TensorValue:
			var tp *onnxpb.TensorProto
			if tp, err = TensorToProto("", e.Tensor); err == nil {
				sp.TensorValues = append(sp.TensorValues, tp)
			}
		case SequenceValue:
			var ep *onnxpb.SequenceProto
			if ep, err = sequenceToProto("", e); err == nil {
				sp.SequenceValues = append(sp.SequenceValues, ep)
			}
		case OptionalValue:
			var ep *onnxpb.OptionalProto
			if ep, err = optionalToProto("", e); err == nil {
				sp.OptionalValues = append(sp.OptionalValues, ep)
			}
		case MapValue:
			var ep *onnxpb.MapProto
			if ep, err = mapToProto("", e); err == nil {
				sp.MapValues = append(sp.MapValues, ep)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return sp, nil
}

func optionalToProto(name string, v *Value) (*onnxpb.OptionalProto, error) {
	op := &onnxpb.OptionalProto{Name: optName(name)}
	e := v.Elem
	if e == nil {
		op.ElemType = proto.Int32(elemKindUndefined)
		return op, nil
	}
	op.ElemType = proto.Int32(elemKindOf(e))
	var err error
	switch e.Kind {
	case TensorValue:
		op.TensorValue, err = TensorToProto("", e.Tensor)
	case SequenceValue:
		op.SequenceValue, err = sequenceToProto("", e)
	case OptionalValue:
		op.OptionalValue, err = optionalToProto("", e)
	case MapValue:
		op.MapValue, err = mapToProto("", e)
	}
	return op, err
}

func mapToProto(name string, v *Value) (*onnxpb.MapProto, error) {
	keys, ok := v.Keys.Data.([]int64)
	if !ok {
		return nil, fmt.Errorf("map keys are %v; latent writes int64 keys", v.Keys.DType)
	}
	vals, err := sequenceToProto("", &Value{Kind: SequenceValue, Elems: v.Elems})
	if err != nil {
		return nil, err
	}
	return &onnxpb.MapProto{Name: optName(name), KeyType: proto.Int32(int32(onnxpb.TensorProto_INT64)),
		Keys: append([]int64(nil), keys...), Values: vals}, nil
}

// typeProtoOf returns the TypeProto vi declares (nil when vi says
// nothing about its type).
func typeProtoOf(vi ValueInfo) (*onnxpb.TypeProto, error) {
	vp, err := valueInfoToProto(vi)
	if err != nil {
		return nil, err
	}
	return vp.Type, nil
}

// SequenceInfo returns the ValueInfo of a value named name whose type is a
// sequence of elements of elem's type (the typed stage's rules for the
// sequence operators build their outputs with it). An elem without a type
// gives a sequence of unknown elements.
func SequenceInfo(name string, elem ValueInfo) ValueInfo {
	et, err := typeProtoOf(elem)
	if err != nil {
		et = nil
	}
	return wrappedInfo(name, &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: et}}})
}

// OptionalInfo returns the ValueInfo of a value named name whose type is
// an optional of elem's type.
func OptionalInfo(name string, elem ValueInfo) ValueInfo {
	et, err := typeProtoOf(elem)
	if err != nil {
		et = nil
	}
	return wrappedInfo(name, &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: et}}})
}

func wrappedInfo(name string, tp *onnxpb.TypeProto) ValueInfo {
	b, err := marshal(tp)
	if err != nil {
		return ValueInfo{Name: name}
	}
	return ValueInfo{Name: name, TypeRaw: b}
}

// ElementInfo returns the type of the elements of the sequence, or of the
// contents of the optional, that vi declares (named like vi); false when vi
// declares neither or says nothing of the element type.
func ElementInfo(vi ValueInfo) (ValueInfo, bool) {
	if vi.TypeRaw == nil {
		return ValueInfo{}, false
	}
	tp, err := typeOf(vi)
	if err != nil {
		return ValueInfo{}, false
	}
	var et *onnxpb.TypeProto
	switch t := tp.Value.(type) {
	case *onnxpb.TypeProto_SequenceType:
		et = t.SequenceType.GetElemType()
	case *onnxpb.TypeProto_OptionalType:
		et = t.OptionalType.GetElemType()
	default:
		return ValueInfo{}, false
	}
	if et == nil || et.Value == nil {
		return ValueInfo{}, false
	}
	e, err := valueInfoFromProto(&onnxpb.ValueInfoProto{Name: proto.String(vi.Name), Type: et})
	if err != nil {
		return ValueInfo{}, false
	}
	return e, true
}

// SameType reports whether a and b declare compatible types, ignoring
// shapes: the same kind and nesting, and the same element types where
// both say ("tensor(float)" matches "tensor(float)" of any shape, and an
// undeclared type or element type matches anything).
func SameType(a, b ValueInfo) bool {
	ta, err := typeProtoOf(a)
	if err != nil {
		return false
	}
	tb, err := typeProtoOf(b)
	if err != nil {
		return false
	}
	return sameTypeProto(ta, tb, 0)
}

func sameTypeProto(a, b *onnxpb.TypeProto, depth int) bool {
	if a == nil || b == nil || a.Value == nil || b.Value == nil {
		return true
	}
	if depth > maxValueDepth {
		return false
	}
	elem := func(x, y int32) bool { return x == 0 || y == 0 || x == y }
	switch ta := a.Value.(type) {
	case *onnxpb.TypeProto_TensorType:
		tb, ok := b.Value.(*onnxpb.TypeProto_TensorType)
		return ok && elem(ta.TensorType.GetElemType(), tb.TensorType.GetElemType())
	case *onnxpb.TypeProto_SequenceType:
		tb, ok := b.Value.(*onnxpb.TypeProto_SequenceType)
		return ok && sameTypeProto(ta.SequenceType.GetElemType(), tb.SequenceType.GetElemType(), depth+1)
	case *onnxpb.TypeProto_OptionalType:
		tb, ok := b.Value.(*onnxpb.TypeProto_OptionalType)
		return ok && sameTypeProto(ta.OptionalType.GetElemType(), tb.OptionalType.GetElemType(), depth+1)
	case *onnxpb.TypeProto_MapType:
		tb, ok := b.Value.(*onnxpb.TypeProto_MapType)
		return ok && elem(ta.MapType.GetKeyType(), tb.MapType.GetKeyType()) &&
			sameTypeProto(ta.MapType.GetValueType(), tb.MapType.GetValueType(), depth+1)
	case *onnxpb.TypeProto_SparseTensorType:
		tb, ok := b.Value.(*onnxpb.TypeProto_SparseTensorType)
		return ok && elem(ta.SparseTensorType.GetElemType(), tb.SparseTensorType.GetElemType())
	}
	return false
}
