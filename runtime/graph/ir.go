// Package graph owns latent's in-memory form of an ONNX model: the graph IR
// (values, nodes, initializers, attributes), its conversion from and to the
// protobuf messages of package onnxpb, validation, topological ordering,
// opset-aware normalisation, shape inference and constant folding support.
//
// The IR is plain data. Backends read it; passes rewrite it. Nothing here
// executes operators except through a Folder supplied by a backend.
package graph

import (
	"github.com/latent-ml/latent/ops"
)

// DefaultDomain is the ONNX operator domain ("" and "ai.onnx" are the same).
const DefaultDomain = ""

// Model is a decoded ONNX model.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	// Opsets maps an operator domain ("" for ai.onnx) to its imported version.
	Opsets   map[string]int64
	Metadata []MetadataEntry
	Graph    *Graph
	// Functions holds model-local functions (kept for round trips only).
	Functions [][]byte

	// Raw is the serialised model the IR was decoded from (nil when the model
	// was built in memory), and Dir the folder external data is relative to.
	// Backends that consume ONNX bytes (ONNX Runtime) use them.
	Raw []byte
	Dir string
}

// MetadataEntry is one metadata_props key/value pair, kept in file order.
type MetadataEntry struct{ Key, Value string }

// MetadataValue returns the value of a metadata key and whether it exists.
func (m *Model) MetadataValue(key string) (string, bool) {
	for _, e := range m.Metadata {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

// Opset returns the imported version of the default ONNX domain.
func (m *Model) Opset() int64 {
	if v, ok := m.Opsets[""]; ok {
		return v
	}
	return m.Opsets["ai.onnx"]
}

// Graph is a computation graph: nodes in topological order, its declared
// inputs and outputs, and constant initializers.
type Graph struct {
	Name      string
	DocString string
	// Inputs are the graph inputs that are not initializers, in file order:
	// what a caller must feed.
	Inputs []ValueInfo
	// Outputs are the graph outputs in file order.
	Outputs []ValueInfo
	// Initializers are the constant tensors by name. Some may also be listed
	// as overridable inputs in older models (OverridableInits).
	Initializers map[string]*ops.Tensor
	// InitOrder keeps the file order of Initializers for stable re-encoding.
	InitOrder []string
	// OverridableInits lists initializers that the file also declares as
	// graph inputs (IR < 4 style); callers may feed them, in file order.
	OverridableInits []ValueInfo
	// Nodes in topological order once Sort has run (decode runs it).
	Nodes []*Node
	// ValueInfo holds known types and shapes of intermediate values, from
	// the file's value_info and from shape inference.
	ValueInfo map[string]ValueInfo
}

// ValueInfo is a named value's element type and (possibly symbolic) shape.
type ValueInfo struct {
	Name      string
	DType     ops.DType
	Shape     Shape // nil when the rank is unknown
	HasShape  bool  // false when the file gives no shape at all
	DocString string
	// ElemTypeCode is the ONNX elem_type number as written in the file,
	// kept so types latent does not compute with (e.g. string) still
	// round-trip and produce precise errors.
	ElemTypeCode int32
	// TypeRaw is the serialised TypeProto of a value whose type is not a
	// dense tensor (sequence, map, optional, sparse tensor), kept so such
	// types survive re-encoding; nil for tensors and untyped values.
	TypeRaw []byte
}

// Dim is one dimension of a Shape: a known size, a named symbolic size
// (Param), or unknown (Value < 0 and Param empty).
type Dim struct {
	Value int64
	Param string
}

// Known reports whether the dimension has a fixed size.
func (d Dim) Known() bool { return d.Value >= 0 && d.Param == "" }

func (d Dim) String() string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Value < 0:
		return "?"
	default:
		return itoa(d.Value)
	}
}

// Shape is a list of dimensions.
type Shape []Dim

func (s Shape) String() string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.String()...)
	}
	return string(append(b, ']'))
}

// ShapeOf returns a fully known Shape for concrete dims.
func ShapeOf(dims ...int) Shape {
	s := make(Shape, len(dims))
	for i, d := range dims {
		s[i] = Dim{Value: int64(d)}
	}
	return s
}

// Concrete returns the dims as ints and whether all are known.
func (s Shape) Concrete() ([]int, bool) {
	out := make([]int, len(s))
	for i, d := range s {
		if !d.Known() {
			return nil, false
		}
		out[i] = int(d.Value)
	}
	return out, true
}

// Node is one operator application.
type Node struct {
	Name   string
	OpType string
	Domain string // "" for the default ONNX domain
	// Inputs and Outputs name values; an empty string marks an omitted
	// optional input or output.
	Inputs  []string
	Outputs []string
	Attrs   map[string]*Attr
	// AttrOrder keeps the file order of attribute names for re-encoding.
	AttrOrder []string
	DocString string
}

// Label names the node for error messages: its name if it has one,
// otherwise its op type and first output.
func (n *Node) Label() string {
	if n.Name != "" {
		return n.Name + " (" + n.OpType + ")"
	}
	if len(n.Outputs) > 0 {
		return n.OpType + " -> " + n.Outputs[0]
	}
	return n.OpType
}

// HasSubgraph reports whether n carries a graph attribute (If, Loop, Scan).
func (n *Node) HasSubgraph() bool {
	for _, a := range n.Attrs {
		if a != nil && (a.G != nil || len(a.Graphs) > 0) {
			return true
		}
	}
	return false
}

// AttrType is the kind of value an attribute holds.
type AttrType uint8

// Attribute kinds, mirroring ONNX AttributeProto.AttributeType.
const (
	AttrUndefined AttrType = iota
	AttrFloat
	AttrInt
	AttrString
	AttrTensor
	AttrGraph
	AttrFloats
	AttrInts
	AttrStrings
	AttrTensors
	AttrGraphs
	AttrSparseTensor  // kept as raw bytes only
	AttrSparseTensors // kept as raw bytes only
	AttrTypeProto     // kept as raw bytes only
	AttrTypeProtos    // kept as raw bytes only
)

// Attr is a node attribute. Only the field matching Type is meaningful.
type Attr struct {
	Name      string
	Type      AttrType
	F         float32
	I         int64
	S         []byte
	T         *ops.Tensor
	G         *Graph
	Floats    []float32
	Ints      []int64
	Strings   [][]byte
	Tensors   []*ops.Tensor
	Graphs    []*Graph
	RefAttr   string // ref_attr_name inside functions
	DocString string
	// Raw holds the serialised AttributeProto for kinds the IR does not
	// model (sparse tensors, type protos), so they survive round trips.
	Raw []byte
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// TensorInfo describes tensor t as the value name: its element type and
// static shape.
func TensorInfo(name string, t *ops.Tensor) ValueInfo {
	s := make(Shape, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = Dim{Value: int64(d)}
	}
	return ValueInfo{Name: name, DType: t.DType, ElemTypeCode: ElemTypeOf(t.DType), Shape: s, HasShape: true}
}
