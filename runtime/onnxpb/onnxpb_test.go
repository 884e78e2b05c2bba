package onnxpb

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Hand-encoded wire bytes decode into the fields ONNX assigns those numbers.
func TestWireNumbers(t *testing.T) {
	// ModelProto: ir_version (1) = 7, producer_name (2) = "x",
	// opset_import (8) { domain (1) = "", version (2) = 13 },
	// graph (7) { node (1) { op_type (4) = "Relu" } }.
	b := []byte{
		0x08, 0x07,
		0x12, 0x01, 'x',
		0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d,
		0x3a, 0x08, 0x0a, 0x06, 0x22, 0x04, 'R', 'e', 'l', 'u',
	}
	var m ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.GetIrVersion() != 7 || m.GetProducerName() != "x" || m.OpsetImport[0].GetVersion() != 13 ||
		m.GetGraph().GetNode()[0].GetOpType() != "Relu" {
		t.Fatalf("decoded %v", &m)
	}
	// TensorProto: dims (1) = 2, data_type (2) = FLOAT, raw_data (9).
	tb := []byte{0x08, 0x02, 0x10, 0x01, 0x4a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}
	var tp TensorProto
	if err := proto.Unmarshal(tb, &tp); err != nil {
		t.Fatal(err)
	}
	if len(tp.Dims) != 1 || tp.Dims[0] != 2 || tp.GetDataType() != int32(TensorProto_FLOAT) || len(tp.RawData) != 8 {
		t.Fatalf("decoded %v", &tp)
	}
	// Unknown fields (from newer ONNX releases) survive a round trip.
	withUnknown := append(append([]byte{}, b...), 0xd0, 0x0f, 0x01) // field 250, varint 1
	var m2 ModelProto
	if err := proto.Unmarshal(withUnknown, &m2); err != nil {
		t.Fatal(err)
	}
	out, err := proto.Marshal(&m2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(out), "\xd0\x0f\x01") {
		t.Errorf("unknown field dropped: % x", out)
	}
}

// TestFieldNumbersMatchPythonONNX compares every message field of the
// onnx.proto that Python's onnx package was built from with ours: same
// number, type and label. Fields added by later ONNX releases exist only
// here.
func TestFieldNumbersMatchPythonONNX(t *testing.T) {
	script := `
from onnx import onnx_pb as P
def walk(d, prefix):
    for f in d.fields:
        print(prefix + d.name, f.name, f.number, f.type, f.label)
    for e in d.enum_types:
        for v in e.values:
            print(prefix + d.name + "." + e.name, v.name, v.number, 0, 0)
    for n in d.nested_types:
        walk(n, prefix + d.name + ".")
for d in P.DESCRIPTOR.message_types_by_name.values():
    walk(d, "")
for e in P.DESCRIPTOR.enum_types_by_name.values():
    for v in e.values:
        print(e.name, v.name, v.number, 0, 0)
`
	var out []byte
	var err error
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err = exec.CommandContext(ctx, py, "-c", script).Output()
		cancel()
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Skipf("python3 with the onnx package is not usable: %v", err)
	}
	// Fields map to "number kind label", enum values to "number 0 0".
	ours := map[string]string{}
	addEnums := func(es protoreflect.EnumDescriptors, prefix string) {
		for i := 0; i < es.Len(); i++ {
			e := es.Get(i)
			for j := 0; j < e.Values().Len(); j++ {
				v := e.Values().Get(j)
				ours[prefix+string(e.Name())+" "+string(v.Name())] = fmt.Sprint(v.Number(), 0, 0)
			}
		}
	}
	var walk func(md protoreflect.MessageDescriptor, prefix string)
	walk = func(md protoreflect.MessageDescriptor, prefix string) {
		name := prefix + string(md.Name())
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			ours[name+" "+string(f.Name())] = fmt.Sprint(int(f.Number()), int(f.Kind()), int(f.Cardinality()))
		}
		addEnums(md.Enums(), name+".")
		for i := 0; i < md.Messages().Len(); i++ {
			walk(md.Messages().Get(i), name+".")
		}
	}
	msgs := File_onnx_proto.Messages()
	for i := 0; i < msgs.Len(); i++ {
		walk(msgs.Get(i), "")
	}
	addEnums(File_onnx_proto.Enums(), "")
	checked := 0
	var missing []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var msg, field string
		var num, typ, label int
		if _, err := fmt.Sscan(line, &msg, &field, &num, &typ, &label); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		got, ok := ours[msg+" "+field]
		if !ok {
			missing = append(missing, msg+"."+field)
			continue
		}
		// Version.IR_VERSION names the newest IR version, which moves with
		// every ONNX release; ours is newer than Python's.
		if want := fmt.Sprint(num, typ, label); got != want && msg+" "+field != "Version IR_VERSION" {
			t.Errorf("%s %s: ours is %q (number kind label), ONNX has %q", msg, field, got, want)
		}
		checked++
	}
	sort.Strings(missing)
	for _, m := range missing {
		// ONNX-ML's OpaqueType message and TypeProto.opaque_type are out of scope.
		if !strings.Contains(m, "Opaque") && !strings.HasPrefix(m, "TypeProto.opaque_type") {
			t.Errorf("field %s of Python's onnx.proto is missing here", m)
		}
	}
	t.Logf("%d fields and enum values match Python onnx's descriptors", checked)
	if checked < 140 {
		t.Errorf("only %d fields compared", checked)
	}
}
