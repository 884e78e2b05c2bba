package graph

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

// elemTypes maps ONNX TensorProto.DataType codes to the element types
// latent holds. The 6-bit floats and the complex types have none.
var elemTypes = map[onnxpb.TensorProto_DataType]ops.DType{
	onnxpb.TensorProto_FLOAT:          ops.Float32,
	onnxpb.TensorProto_UINT8:          ops.Uint8,
	onnxpb.TensorProto_INT8:           ops.Int8,
	onnxpb.TensorProto_UINT16:         ops.Uint16,
	onnxpb.TensorProto_INT16:          ops.Int16,
	onnxpb.TensorProto_INT32:          ops.Int32,
	onnxpb.TensorProto_INT64:          ops.Int64,
	onnxpb.TensorProto_STRING:         ops.String,
	onnxpb.TensorProto_BOOL:           ops.Bool,
	onnxpb.TensorProto_FLOAT16:        ops.Float16,
	onnxpb.TensorProto_DOUBLE:         ops.Float64,
	onnxpb.TensorProto_UINT32:         ops.Uint32,
	onnxpb.TensorProto_UINT64:         ops.Uint64,
	onnxpb.TensorProto_BFLOAT16:       ops.BFloat16,
	onnxpb.TensorProto_FLOAT8E4M3FN:   ops.Float8E4M3FN,
	onnxpb.TensorProto_FLOAT8E4M3FNUZ: ops.Float8E4M3FNUZ,
	onnxpb.TensorProto_FLOAT8E5M2:     ops.Float8E5M2,
	onnxpb.TensorProto_FLOAT8E5M2FNUZ: ops.Float8E5M2FNUZ,
	onnxpb.TensorProto_UINT4:          ops.Uint4,
	onnxpb.TensorProto_INT4:           ops.Int4,
	onnxpb.TensorProto_FLOAT4E2M1:     ops.Float4E2M1,
	onnxpb.TensorProto_FLOAT8E8M0:     ops.Float8E8M0,
	onnxpb.TensorProto_UINT2:          ops.Uint2,
	onnxpb.TensorProto_INT2:           ops.Int2,
}

// elemCodes is elemTypes inverted.
var elemCodes = func() map[ops.DType]int32 {
	m := make(map[ops.DType]int32, len(elemTypes))
	for code, dt := range elemTypes {
		m[dt] = int32(code)
	}
	return m
}()

// DTypeFromElemType maps an ONNX elem_type code to an ops.DType, returning
// ops.Invalid for types latent does not hold (the complex and 6-bit float
// types, unknown codes).
func DTypeFromElemType(code int32) ops.DType {
	return elemTypes[onnxpb.TensorProto_DataType(code)]
}

// ElemTypeOf maps an ops.DType to its ONNX elem_type code (0 for Invalid).
func ElemTypeOf(dt ops.DType) int32 { return elemCodes[dt] }

// ElemTypeName names an ONNX elem_type code as ONNX spells it (e.g. "STRING").
func ElemTypeName(code int32) string {
	if name, ok := onnxpb.TensorProto_DataType_name[code]; ok {
		return name
	}
	return "elem_type(" + strconv.Itoa(int(code)) + ")"
}

// numElements multiplies dims, refusing negative dims and overflow. what
// names the tensor for the error.
func numElements(what string, dims []int64) (int, error) {
	n := int64(1)
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("%s: negative dimension %d at axis %d of %v", what, d, i, dims)
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("%s: dims %v overflow the element count", what, dims)
		}
		n *= d
	}
	return int(n), nil
}

// maxElements bounds a tensor's element count so that byte sizes cannot
// overflow an int on 64-bit platforms.
const maxElements = math.MaxInt / 16

func tensorLabel(tp *onnxpb.TensorProto) string {
	if tp.GetName() == "" {
		return "tensor"
	}
	return "tensor " + tp.GetName()
}

// TensorFromProto converts a TensorProto to an ops.Tensor. Data may be in
// the typed fields, in raw_data (little-endian) or in an external file whose
// location is resolved relative to dir and must stay inside it. Sizes are
// checked before anything is allocated: the element count implied by the
// dims must match the data present.
func TensorFromProto(tp *onnxpb.TensorProto, dir string) (*ops.Tensor, error) {
	if tp == nil {
		return nil, errors.New("nil TensorProto")
	}
	return tensorFromProto(tp, dir, tensorLabel(tp))
}

// tensorFromProto is TensorFromProto with errors prefixed by label
// (e.g. "initializer W").
func tensorFromProto(tp *onnxpb.TensorProto, dir, label string) (*ops.Tensor, error) {
	code := tp.GetDataType()
	dt := DTypeFromElemType(code)
	if dt == ops.Invalid {
		return nil, fmt.Errorf("%s: element type %s is not supported by latent", label, ElemTypeName(code))
	}
	if tp.Segment != nil {
		return nil, fmt.Errorf("%s: segmented tensors are not supported", label)
	}
	n, err := numElements(label, tp.Dims)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(tp.Dims))
	for i, d := range tp.Dims {
		shape[i] = int(d)
	}

	raw := tp.RawData
	hasRaw := tp.RawData != nil
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if hasRaw || typedLen(tp) > 0 {
			return nil, fmt.Errorf("%s: external data location but the tensor also carries inline data", label)
		}
		if dt == ops.String {
			return nil, fmt.Errorf("%s: STRING tensors cannot keep their data externally", label)
		}
		if raw, err = readExternal(tp, dir, label, packedBytes(dt, n)); err != nil {
			return nil, err
		}
		hasRaw = true
	}
	if hasRaw {
		if tl := typedLen(tp); tl > 0 {
			return nil, fmt.Errorf("%s: has both raw_data and %d typed elements", label, tl)
		}
		if dt == ops.String {
			return nil, fmt.Errorf("%s: STRING tensors keep their data in string_data, not raw_data", label)
		}
		return tensorFromRaw(label, dt, shape, n, raw)
	}
	return tensorFromTyped(label, tp, dt, shape, n)
}

// typedLen counts the elements in all typed data fields.
func typedLen(tp *onnxpb.TensorProto) int {
	return len(tp.FloatData) + len(tp.Int32Data) + len(tp.StringData) + len(tp.Int64Data) +
		len(tp.DoubleData) + len(tp.Uint64Data)
}

func sizeErr(label string, shape []int, n, got int, unit string) error {
	return fmt.Errorf("%s: dims %v need %d elements, data has %d%s", label, shapeList(shape), n, got, unit)
}

func shapeList(s []int) string { return ops.ShapeString(s) }

// packedBytes is the size of n elements of dt in raw_data (ops.LEBytes).
func packedBytes(dt ops.DType, n int) int { return ops.LEBytes(dt, n) }

func tensorFromRaw(label string, dt ops.DType, shape []int, n int, raw []byte) (*ops.Tensor, error) {
	if want := packedBytes(dt, n); len(raw) != want {
		if size := dt.Size(); dt.Bits() >= 8 && len(raw)%size == 0 {
			return nil, sizeErr(label, shape, n, len(raw)/size, "")
		}
		return nil, fmt.Errorf("%s: dims %v need %d elements (%d bytes of %v), raw data has %d bytes", label, shapeList(shape), n, want, dt, len(raw))
	}
	data, err := ops.FromLE(dt, raw, n)
	if err != nil {
		return nil, fmt.Errorf("%s: element type %v has no raw decoding", label, dt)
	}
	return &ops.Tensor{DType: dt, Shape: shape, Data: data}, nil
}

func tensorFromTyped(label string, tp *onnxpb.TensorProto, dt ops.DType, shape []int, n int) (*ops.Tensor, error) {
	// Exactly one typed field may carry data, the one ONNX assigns to dt.
	// The 4- and 2-bit types keep one packed byte per int32_data element.
	var field string
	var got int
	want := n
	switch dt {
	case ops.Float32:
		field, got = "float_data", len(tp.FloatData)
	case ops.Float64:
		field, got = "double_data", len(tp.DoubleData)
	case ops.Int64:
		field, got = "int64_data", len(tp.Int64Data)
	case ops.Uint32, ops.Uint64:
		field, got = "uint64_data", len(tp.Uint64Data)
	case ops.String:
		field, got = "string_data", len(tp.StringData)
	default:
		field, got = "int32_data", len(tp.Int32Data)
		if dt.Bits() < 8 {
			want = packedBytes(dt, n)
		}
	}
	if other := typedLen(tp) - got; other > 0 {
		return nil, fmt.Errorf("%s: %v data belongs in %s, but %d elements are in other typed fields", label, dt, field, other)
	}
	if got != want {
		if want != n {
			return nil, fmt.Errorf("%s: dims %v need %d elements (%d packed bytes in %s), data has %d", label, shapeList(shape), n, want, field, got)
		}
		return nil, sizeErr(label, shape, n, got, " (in "+field+")")
	}
	t := &ops.Tensor{DType: dt, Shape: shape}
	var err error
	switch dt {
	case ops.Float32:
		t.Data = append(make([]float32, 0, n), tp.FloatData...)
	case ops.Float64:
		t.Data = append(make([]float64, 0, n), tp.DoubleData...)
	case ops.Int64:
		t.Data = append(make([]int64, 0, n), tp.Int64Data...)
	case ops.Int32:
		t.Data = append(make([]int32, 0, n), tp.Int32Data...)
	case ops.Int16:
		t.Data, err = narrowInt32[int16](label, tp.Int32Data, math.MinInt16, math.MaxInt16, "is out of range for INT16")
	case ops.Int8:
		t.Data, err = narrowInt32[int8](label, tp.Int32Data, math.MinInt8, math.MaxInt8, "is out of range for INT8")
	case ops.Uint8:
		t.Data, err = narrowInt32[uint8](label, tp.Int32Data, 0, math.MaxUint8, "is out of range for UINT8")
	case ops.Uint16:
		t.Data, err = narrowInt32[uint16](label, tp.Int32Data, 0, math.MaxUint16, "is out of range for UINT16")
	case ops.Float16, ops.BFloat16:
		t.Data, err = narrowInt32[uint16](label, tp.Int32Data, 0, math.MaxUint16, "is not a "+ElemTypeName(ElemTypeOf(dt))+" bit pattern")
	case ops.Float8E4M3FN, ops.Float8E4M3FNUZ, ops.Float8E5M2, ops.Float8E5M2FNUZ, ops.Float8E8M0:
		t.Data, err = narrowInt32[uint8](label, tp.Int32Data, 0, math.MaxUint8, "is not a "+ElemTypeName(ElemTypeOf(dt))+" bit pattern")
	case ops.Int4, ops.Uint4, ops.Float4E2M1, ops.Int2, ops.Uint2:
		var packed []uint8
		packed, err = narrowInt32[uint8](label, tp.Int32Data, 0, math.MaxUint8, "is not a byte of packed "+ElemTypeName(ElemTypeOf(dt))+" values")
		if err == nil {
			t.Data, err = ops.FromLE(dt, packed, n)
		}
	case ops.Uint32:
		d := make([]uint32, n)
		for i, v := range tp.Uint64Data {
			if v > math.MaxUint32 {
				return nil, fmt.Errorf("%s: uint64_data[%d] = %d is out of range for UINT32", label, i, v)
			}
			d[i] = uint32(v)
		}
		t.Data = d
	case ops.Uint64:
		t.Data = append(make([]uint64, 0, n), tp.Uint64Data...)
	case ops.String:
		d := make([]string, n)
		for i, v := range tp.StringData {
			d[i] = string(v)
		}
		t.Data = d
	case ops.Bool:
		d := make([]bool, n)
		for i, v := range tp.Int32Data {
			d[i] = v != 0
		}
		t.Data = d
	default:
		return nil, fmt.Errorf("%s: element type %v has no typed-field decoding", label, dt)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// narrowInt32 converts int32_data to the narrower element type T that ONNX
// stores there (INT8, UINT8, INT16, UINT16, the bits of FLOAT16, BFLOAT16
// and the 8-bit floats, packed 4- and 2-bit values), refusing values outside
// [lo, hi].
func narrowInt32[T int8 | uint8 | int16 | uint16](label string, vals []int32, lo, hi int32, what string) ([]T, error) {
	d := make([]T, len(vals))
	for i, v := range vals {
		if v < lo || v > hi {
			return nil, fmt.Errorf("%s: int32_data[%d] = %d %s", label, i, v, what)
		}
		d[i] = T(v)
	}
	return d, nil
}

// readExternal reads the bytes of an external-data tensor. want is the byte
// count the dims imply.
func readExternal(tp *onnxpb.TensorProto, dir, label string, want int) ([]byte, error) {
	var location string
	var offset, length int64 = 0, -1
	for _, kv := range tp.ExternalData {
		var err error
		switch kv.GetKey() {
		case "location":
			location = kv.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: external data %s %q: %w", label, kv.GetKey(), kv.GetValue(), err)
		}
	}
	if location == "" {
		return nil, fmt.Errorf("%s: external data has no location", label)
	}
	if !filepath.IsLocal(filepath.FromSlash(location)) {
		return nil, fmt.Errorf("%s: external data location %q escapes the model folder", label, location)
	}
	if dir == "" {
		return nil, fmt.Errorf("%s: external data %q needs the model's folder, but none is known (decode from a file)", label, location)
	}
	if offset < 0 {
		return nil, fmt.Errorf("%s: external data offset %d is negative", label, offset)
	}
	if length < 0 {
		length = int64(want)
	}
	if length != int64(want) {
		return nil, fmt.Errorf("%s: external data length %d bytes, dims need %d", label, length, want)
	}
	path := filepath.Join(dir, filepath.FromSlash(location))
	// OpenInRoot also refuses symbolic links that lead out of dir.
	f, err := os.OpenInRoot(dir, filepath.FromSlash(location))
	if err != nil {
		return nil, fmt.Errorf("%s: external data %s: %w", label, location, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: external data: %w", label, err)
	}
	if offset > st.Size() || length > st.Size()-offset {
		return nil, fmt.Errorf("%s: external data %s holds %d bytes, tensor needs bytes %d..%d", label, location, st.Size(), offset, offset+length)
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, fmt.Errorf("%s: read external data %s: %w", label, path, err)
	}
	return buf, nil
}

// TensorToProto converts t to a TensorProto named name, with the elements in
// raw_data (ops.AppendLE's form: little-endian, the 4- and 2-bit types
// packed), the form ONNX tools read fastest, or in string_data for strings.
func TensorToProto(name string, t *ops.Tensor) (*onnxpb.TensorProto, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("tensor %s: %w", name, err)
	}
	code := ElemTypeOf(t.DType)
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	tp := &onnxpb.TensorProto{Dims: dims, DataType: proto.Int32(code)}
	switch {
	case t.DType == ops.String:
		tp.StringData = make([][]byte, t.Len())
		for i, v := range t.Str() {
			tp.StringData[i] = []byte(v)
		}
	default:
		raw, err := ops.AppendLE(make([]byte, 0, packedBytes(t.DType, t.Len())), t)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", name, err)
		}
		tp.RawData = raw
	}
	if name != "" {
		tp.Name = proto.String(name)
	}
	return tp, nil
}

// DecodeTensor decodes a serialised TensorProto (the ONNX backend-test
// input_K.pb / output_K.pb form). External data is refused: use
// ReadTensorFile for tensors stored beside a folder.
func DecodeTensor(b []byte) (name string, t *ops.Tensor, err error) {
	return decodeTensor(b, "")
}

func decodeTensor(b []byte, dir string) (string, *ops.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(b, &tp); err != nil {
		return "", nil, fmt.Errorf("decode TensorProto: %w", err)
	}
	t, err := TensorFromProto(&tp, dir)
	if err != nil {
		return "", nil, err
	}
	return tp.GetName(), t, nil
}

// EncodeTensor serialises t as a TensorProto named name.
func EncodeTensor(name string, t *ops.Tensor) ([]byte, error) {
	tp, err := TensorToProto(name, t)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(tp)
}

// ReadTensorFile reads a serialised TensorProto file, returning its name and
// tensor. External data is resolved relative to the file's folder.
func ReadTensorFile(path string) (string, *ops.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read tensor: %w", err)
	}
	name, t, err := decodeTensor(b, filepath.Dir(path))
	if err != nil {
		return "", nil, fmt.Errorf("read tensor %s: %w", path, err)
	}
	return name, t, nil
}

// WriteTensorFile writes t as a serialised TensorProto named name to path,
// atomically: the bytes go to a temporary file in the same folder which is
// then renamed over path.
func WriteTensorFile(path, name string, t *ops.Tensor) error {
	b, err := EncodeTensor(name, t)
	if err != nil {
		return fmt.Errorf("write tensor %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("write tensor %s: %w", path, err)
	}
	return nil
}
