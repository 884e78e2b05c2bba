package graph

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

func dt(code onnxpb.TensorProto_DataType) *int32 { return proto.Int32(int32(code)) }

// Each case gives the same tensor twice: in its typed field and as
// hand-written little-endian raw bytes, plus the expected decoded tensor.
var typedRawCases = []struct {
	name  string
	typed *onnxpb.TensorProto
	raw   []byte
	want  *ops.Tensor
}{
	{"float32", &onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{1, -2.5}},
		[]byte{0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0}, ops.FromFloat32([]int{2}, []float32{1, -2.5})},
	{"float64", &onnxpb.TensorProto{Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_DOUBLE), DoubleData: []float64{2}},
		[]byte{0, 0, 0, 0, 0, 0, 0, 0x40}, ops.FromFloat64([]int{1}, []float64{2})},
	{"float16", &onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT16), Int32Data: []int32{0x3c00, 0xc000}},
		[]byte{0x00, 0x3c, 0x00, 0xc0}, &ops.Tensor{DType: ops.Float16, Shape: []int{2}, Data: []uint16{0x3c00, 0xc000}}},
	{"int64", &onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT64), Int64Data: []int64{-1, 258}},
		[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 1, 0, 0, 0, 0, 0, 0}, ops.FromInt64([]int{2}, []int64{-1, 258})},
	{"int32", &onnxpb.TensorProto{Dims: []int64{1, 2}, DataType: dt(onnxpb.TensorProto_INT32), Int32Data: []int32{-2, 65536}},
		[]byte{0xfe, 0xff, 0xff, 0xff, 0, 0, 1, 0}, ops.FromInt32([]int{1, 2}, []int32{-2, 65536})},
	{"int8", &onnxpb.TensorProto{Dims: []int64{3}, DataType: dt(onnxpb.TensorProto_INT8), Int32Data: []int32{-128, 0, 127}},
		[]byte{0x80, 0, 0x7f}, &ops.Tensor{DType: ops.Int8, Shape: []int{3}, Data: []int8{-128, 0, 127}}},
	{"uint8", &onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_UINT8), Int32Data: []int32{255, 1}},
		[]byte{0xff, 1}, &ops.Tensor{DType: ops.Uint8, Shape: []int{2}, Data: []uint8{255, 1}}},
	{"bool", &onnxpb.TensorProto{Dims: []int64{3}, DataType: dt(onnxpb.TensorProto_BOOL), Int32Data: []int32{1, 0, 1}},
		[]byte{1, 0, 1}, ops.FromBool([]int{3}, []bool{true, false, true})},
	{"scalar", &onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{3}},
		[]byte{0, 0, 0x40, 0x40}, ops.FromFloat32(nil, []float32{3})},
	{"empty", &onnxpb.TensorProto{Dims: []int64{0, 3}, DataType: dt(onnxpb.TensorProto_FLOAT)},
		[]byte{}, ops.FromFloat32([]int{0, 3}, []float32{})},
}

func TestTensorTypedAndRawAgree(t *testing.T) {
	for _, c := range typedRawCases {
		t.Run(c.name, func(t *testing.T) {
			typed, err := TensorFromProto(c.typed, "")
			if err != nil {
				t.Fatalf("typed: %v", err)
			}
			rawp := &onnxpb.TensorProto{Dims: c.typed.Dims, DataType: c.typed.DataType, RawData: c.raw}
			raw, err := TensorFromProto(rawp, "")
			if err != nil {
				t.Fatalf("raw: %v", err)
			}
			want := c.want
			if want.Shape == nil {
				want = &ops.Tensor{DType: want.DType, Shape: []int{}, Data: want.Data}
			}
			if err := tensorsEqual(typed, want); err != nil {
				t.Errorf("typed: %v", err)
			}
			if err := tensorsEqual(raw, want); err != nil {
				t.Errorf("raw: %v", err)
			}
			// Encoding writes exactly the hand-written raw bytes.
			p, err := TensorToProto("v", want)
			if err != nil {
				t.Fatal(err)
			}
			if string(p.RawData) != string(c.raw) || p.GetName() != "v" || p.GetDataType() != c.typed.GetDataType() {
				t.Errorf("encoded %x type %d, want %x type %d", p.RawData, p.GetDataType(), c.raw, c.typed.GetDataType())
			}
			b, err := EncodeTensor("v", want)
			if err != nil {
				t.Fatal(err)
			}
			name, back, err := DecodeTensor(b)
			if err != nil || name != "v" {
				t.Fatalf("DecodeTensor: %q %v", name, err)
			}
			if err := tensorsEqual(back, want); err != nil {
				t.Errorf("encode/decode: %v", err)
			}
		})
	}
}

func TestTensorNaNAndInfBits(t *testing.T) {
	vals := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -0.0, math.SmallestNonzeroFloat32}
	want := ops.FromFloat32([]int{5}, vals)
	b, err := EncodeTensor("", want)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := DecodeTensor(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.F32() {
		if math.Float32bits(v) != math.Float32bits(vals[i]) {
			t.Errorf("element %d: bits %08x, want %08x", i, math.Float32bits(v), math.Float32bits(vals[i]))
		}
	}
}

func TestTensorErrors(t *testing.T) {
	cases := []struct {
		name  string
		tp    *onnxpb.TensorProto
		frags []string
	}{
		{"typed count", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{2, 3}, DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: make([]float32, 5)},
			[]string{"tensor W: dims [2 3] need 6 elements, data has 5 (in float_data)"}},
		{"raw count", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{2, 3}, DataType: dt(onnxpb.TensorProto_FLOAT), RawData: make([]byte, 16)},
			[]string{"tensor W: dims [2 3] need 6 elements, data has 4"}},
		{"raw partial element", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT), RawData: make([]byte, 7)},
			[]string{"tensor W", "need 2 elements (8 bytes of float32), raw data has 7 bytes"}},
		{"no data", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{1 << 40}, DataType: dt(onnxpb.TensorProto_FLOAT)},
			[]string{"dims [1099511627776] need 1099511627776 elements, data has 0"}},
		{"negative dim", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{2, -3}, DataType: dt(onnxpb.TensorProto_FLOAT)},
			[]string{"tensor W", "negative dimension -3 at axis 1"}},
		{"overflow", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{1 << 40, 1 << 40}, DataType: dt(onnxpb.TensorProto_FLOAT)},
			[]string{"tensor W", "overflow"}},
		{"string", &onnxpb.TensorProto{Name: proto.String("S"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_STRING), StringData: [][]byte{[]byte("x")}},
			[]string{"tensor S", "element type STRING is not supported"}},
		{"uint16", &onnxpb.TensorProto{Name: proto.String("U"), DataType: dt(onnxpb.TensorProto_UINT16), Int32Data: []int32{1}},
			[]string{"tensor U", "UINT16"}},
		{"uint64", &onnxpb.TensorProto{Name: proto.String("U"), DataType: dt(onnxpb.TensorProto_UINT64), Uint64Data: []uint64{1}},
			[]string{"tensor U", "UINT64"}},
		{"bfloat16", &onnxpb.TensorProto{Name: proto.String("B"), DataType: dt(onnxpb.TensorProto_BFLOAT16), Int32Data: []int32{1}},
			[]string{"tensor B", "BFLOAT16"}},
		{"complex", &onnxpb.TensorProto{Name: proto.String("C"), DataType: dt(onnxpb.TensorProto_COMPLEX64), FloatData: []float32{1, 2}},
			[]string{"tensor C", "COMPLEX64"}},
		{"undefined", &onnxpb.TensorProto{Name: proto.String("X")}, []string{"tensor X", "UNDEFINED"}},
		{"unknown code", &onnxpb.TensorProto{Name: proto.String("X"), DataType: proto.Int32(77)}, []string{"tensor X", "elem_type(77)"}},
		{"raw and typed", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{1}, RawData: make([]byte, 4)},
			[]string{"tensor W", "both raw_data and 1 typed"}},
		{"wrong typed field", &onnxpb.TensorProto{Name: proto.String("W"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_FLOAT), Int64Data: []int64{1}},
			[]string{"tensor W", "belongs in float_data"}},
		{"int8 range", &onnxpb.TensorProto{Name: proto.String("Q"), Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT8), Int32Data: []int32{1, 200}},
			[]string{"tensor Q", "int32_data[1] = 200", "INT8"}},
		{"uint8 range", &onnxpb.TensorProto{Name: proto.String("Q"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_UINT8), Int32Data: []int32{-1}},
			[]string{"tensor Q", "UINT8"}},
		{"float16 range", &onnxpb.TensorProto{Name: proto.String("H"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_FLOAT16), Int32Data: []int32{70000}},
			[]string{"tensor H", "FLOAT16"}},
		{"segment", &onnxpb.TensorProto{Name: proto.String("W"), DataType: dt(onnxpb.TensorProto_FLOAT), Segment: &onnxpb.TensorProto_Segment{}},
			[]string{"tensor W", "segmented"}},
		{"unnamed", &onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT)},
			[]string{"tensor: dims [2] need 2 elements, data has 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := TensorFromProto(c.tp, "")
			wantErr(t, err, c.frags...)
		})
	}
	_, err := TensorFromProto(nil, "")
	wantErr(t, err, "nil TensorProto")
	_, _, err = DecodeTensor([]byte{0xff})
	wantErr(t, err, "decode TensorProto")
	_, err = TensorToProto("bad", &ops.Tensor{DType: ops.Float32, Shape: []int{2}, Data: []int64{1, 2}})
	wantErr(t, err, "tensor bad", "data is []int64")
	_, err = TensorToProto("nil", nil)
	wantErr(t, err, "tensor nil")
}

func external(name, location string, offset, length int64, dims ...int64) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: dt(onnxpb.TensorProto_FLOAT),
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()}
	tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("location"), Value: proto.String(location)})
	if offset >= 0 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("offset"), Value: proto.String(strconv.FormatInt(offset, 10))})
	}
	if length >= 0 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("length"), Value: proto.String(strconv.FormatInt(length, 10))})
	}
	return tp
}

func writeFloats(t *testing.T, path string, pad int, vals ...float32) {
	t.Helper()
	b := make([]byte, pad+4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[pad+4*i:], math.Float32bits(v))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	writeFloats(t, filepath.Join(dir, "weights", "w.bin"), 8, 1, 2, 3, 4, 5, 6)
	outside := t.TempDir()
	writeFloats(t, filepath.Join(outside, "secret.bin"), 0, 1)

	got, err := TensorFromProto(external("W", "weights/w.bin", 8, 24, 2, 3), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorsEqual(got, ops.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})); err != nil {
		t.Error(err)
	}
	// Length may be omitted; offset defaults to 0.
	got, err = TensorFromProto(external("W", "weights/w.bin", 12, -1, 2), dir)
	if err != nil || got.F32()[0] != 2 || got.F32()[1] != 3 {
		t.Errorf("offset 12 without length: %v %v", got, err)
	}
	rel, _ := filepath.Rel(dir, filepath.Join(outside, "secret.bin"))
	cases := []struct {
		name  string
		tp    *onnxpb.TensorProto
		dir   string
		frags []string
	}{
		{"dotdot", external("W", "../secret.bin", -1, -1, 1), dir, []string{"tensor W", `location "../secret.bin" escapes the model folder`}},
		{"relative escape", external("W", rel, -1, -1, 1), dir, []string{"tensor W", "escapes the model folder"}},
		{"absolute", external("W", filepath.Join(outside, "secret.bin"), -1, -1, 1), dir, []string{"escapes the model folder"}},
		{"inner dotdot", external("W", "weights/../../x.bin", -1, -1, 1), dir, []string{"escapes the model folder"}},
		{"no dir", external("W", "weights/w.bin", 0, -1, 1), "", []string{"tensor W", "needs the model's folder"}},
		{"no location", external("W", "", 0, -1, 1), dir, []string{"tensor W", "no location"}},
		{"missing file", external("W", "nope.bin", 0, -1, 1), dir, []string{"tensor W", "nope.bin"}},
		{"past end", external("W", "weights/w.bin", 16, -1, 6), dir, []string{"tensor W", "holds 32 bytes", "needs bytes 16..40"}},
		{"huge offset", external("W", "weights/w.bin", 1<<62, -1, 1), dir, []string{"tensor W", "holds 32 bytes"}},
		{"negative offset", func() *onnxpb.TensorProto {
			tp := external("W", "weights/w.bin", -1, -1, 1)
			tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("offset"), Value: proto.String("-5")})
			return tp
		}(), dir, []string{"tensor W", "offset -5 is negative"}},
		{"length mismatch", external("W", "weights/w.bin", 0, 12, 2), dir, []string{"tensor W", "length 12 bytes, dims need 8"}},
		{"bad offset", func() *onnxpb.TensorProto {
			tp := external("W", "weights/w.bin", -1, -1, 1)
			tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("offset"), Value: proto.String("x1")})
			return tp
		}(), dir, []string{"tensor W", `offset "x1"`}},
		{"inline too", func() *onnxpb.TensorProto {
			tp := external("W", "weights/w.bin", 0, -1, 1)
			tp.RawData = []byte{0, 0, 0, 0}
			return tp
		}(), dir, []string{"tensor W", "also carries inline data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := TensorFromProto(c.tp, c.dir)
			wantErr(t, err, c.frags...)
		})
	}

	// A symbolic link inside the folder that leads out of it is refused.
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "link.bin")); err == nil {
		_, err := TensorFromProto(external("W", "link.bin", 0, -1, 1), dir)
		wantErr(t, err, "tensor W", "link.bin", "escapes")
	} else {
		t.Logf("cannot create a symlink, escape-by-link case not run: %v", err)
	}

	// A model file with an external initializer resolves it next to itself.
	g := &onnxpb.GraphProto{
		Initializer: []*onnxpb.TensorProto{external("W", "weights/w.bin", 8, 24, 2, 3)},
		Input:       []*onnxpb.ValueInfoProto{pvi("x", onnxpb.TensorProto_FLOAT, 2, 3)},
		Output:      []*onnxpb.ValueInfoProto{pvi("y", onnxpb.TensorProto_FLOAT, 2, 3)},
		Node:        []*onnxpb.NodeProto{pnode("Add", []string{"x", "W"}, []string{"y"})},
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, mustMarshal(t, pmodel(g, 13)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Graph.Initializers["W"]; w == nil || w.F32()[5] != 6 {
		t.Errorf("external initializer W = %v", w)
	}
	_, err = Decode(mustMarshal(t, pmodel(g, 13)), "")
	wantErr(t, err, "initializer W", "needs the model's folder")
	// The same tensor as a backend-test file beside its data.
	tpath := filepath.Join(dir, "input_0.pb")
	if err := os.WriteFile(tpath, mustMarshal(t, external("W", "weights/w.bin", 8, 24, 2, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if name, tt, err := ReadTensorFile(tpath); err != nil || name != "W" || tt.F32()[0] != 1 {
		t.Errorf("ReadTensorFile external: %q %v %v", name, tt, err)
	}
	// DecodeTensor has no folder and refuses external data.
	_, _, err = DecodeTensor(mustMarshal(t, external("W", "weights/w.bin", 8, 24, 2, 3)))
	wantErr(t, err, "needs the model's folder")
}

func TestTensorFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "output_0.pb")
	want := ops.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4})
	if err := WriteTensorFile(path, "y", want); err != nil {
		t.Fatal(err)
	}
	// Overwrite: atomic replace leaves exactly one file.
	want2 := ops.FromInt64([]int{3}, []int64{7, 8, 9})
	if err := WriteTensorFile(path, "z", want2); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after two writes, want 1", len(entries))
	}
	name, got, err := ReadTensorFile(path)
	if err != nil || name != "z" {
		t.Fatalf("ReadTensorFile: %q %v", name, err)
	}
	if err := tensorsEqual(got, want2); err != nil {
		t.Error(err)
	}
	err = WriteTensorFile(filepath.Join(dir, "nodir", "x.pb"), "x", want)
	wantErr(t, err, "nodir")
	err = WriteTensorFile(filepath.Join(dir, "bad.pb"), "x", &ops.Tensor{DType: ops.Float32, Shape: []int{3}, Data: []float32{1}})
	wantErr(t, err, "bad.pb", "tensor x")
	if _, err := os.Stat(filepath.Join(dir, "bad.pb")); !os.IsNotExist(err) {
		t.Error("a failed write left a file behind")
	}
	_, _, err = ReadTensorFile(filepath.Join(dir, "missing.pb"))
	wantErr(t, err, "read tensor", "missing.pb")
	if err := os.WriteFile(filepath.Join(dir, "junk.pb"), []byte{0x0a, 0x05}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadTensorFile(filepath.Join(dir, "junk.pb"))
	wantErr(t, err, "junk.pb", "decode TensorProto")
}

// TestReadTestdataTensorsAgainstPython decodes every backend-test tensor
// file and compares type, dims and a hash of the little-endian element bytes
// with what Python's onnx.numpy_helper reads from the same file.
func TestReadTestdataTensorsAgainstPython(t *testing.T) {
	files, _ := filepath.Glob("/usr/share/libonnx-testdata/data/*/*/test_data_set_*/*.pb")
	if len(files) == 0 {
		t.Skip("no ONNX test tensors: Debian package libonnx-testdata is not installed")
	}
	script := `
import glob, hashlib, onnx
from onnx import numpy_helper
for f in sorted(glob.glob("/usr/share/libonnx-testdata/data/*/*/test_data_set_*/*.pb")):
    t = onnx.TensorProto()
    try:
        t.ParseFromString(open(f, "rb").read())
    except Exception:
        continue  # sequences / optionals are other message types
    if t.data_type == 0:
        continue
    name = onnx.TensorProto.DataType.Name(t.data_type)
    if name not in ("FLOAT", "DOUBLE", "FLOAT16", "INT64", "INT32", "INT8", "UINT8", "BOOL"):
        print(f, name, "-", "-")
        continue
    try:
        a = numpy_helper.to_array(t)
    except Exception:
        continue  # not a TensorProto after all (sequence / optional files)
    if name == "FLOAT16":
        a = a.view("<u2")
    b = a.astype(a.dtype.newbyteorder("<")).tobytes()
    print(f, name, "x".join(str(d) for d in t.dims) or "scalar", hashlib.sha256(b).hexdigest())
`
	out, err := runPython(script)
	if err != nil {
		t.Skipf("python3 with the onnx package is not usable: %v", err)
	}
	checked, unsupported := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("bad python line %q", line)
		}
		_, got, err := ReadTensorFile(f[0])
		if f[2] == "-" {
			if err == nil || !strings.Contains(err.Error(), f[1]) {
				t.Errorf("%s: type %s should be refused naming the type, got %v", f[0], f[1], err)
			}
			unsupported++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f[0], err)
			continue
		}
		p, err := TensorToProto("", got)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(p.RawData)
		dims := make([]string, len(got.Shape))
		for i, d := range got.Shape {
			dims[i] = strconv.Itoa(d)
		}
		gotLine := fmt.Sprintf("%s %s %s", ElemTypeName(ElemTypeOf(got.DType)), strings.Join(dims, "x"), hex.EncodeToString(sum[:]))
		if len(dims) == 0 {
			gotLine = fmt.Sprintf("%s scalar %s", ElemTypeName(ElemTypeOf(got.DType)), hex.EncodeToString(sum[:]))
		}
		if want := strings.Join(f[1:], " "); gotLine != want {
			t.Errorf("%s: got %s, python onnx says %s", f[0], gotLine, want)
		}
		checked++
	}
	t.Logf("%d tensors match python onnx, %d refused as unsupported", checked, unsupported)
	if checked < 1000 {
		t.Errorf("only %d tensors checked", checked)
	}
}
