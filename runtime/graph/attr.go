package graph

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/onnxpb"
)

// Attribute accessors with defaults. Each returns an error naming the node
// and attribute when the attribute exists with the wrong kind.

// Int returns an int attribute or def when absent.
func (n *Node) Int(name string, def int64) (int64, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrInt {
		return 0, n.attrKindErr(a, "int")
	}
	return a.I, nil
}

// Float returns a float attribute or def when absent.
func (n *Node) Float(name string, def float32) (float32, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrFloat {
		return 0, n.attrKindErr(a, "float")
	}
	return a.F, nil
}

// String returns a string attribute or def when absent.
func (n *Node) String(name string, def string) (string, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrString {
		return "", n.attrKindErr(a, "string")
	}
	return string(a.S), nil
}

// Ints returns an ints attribute, or def (which may be nil) when absent.
func (n *Node) Ints(name string, def []int64) ([]int64, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrInts {
		return nil, n.attrKindErr(a, "ints")
	}
	return a.Ints, nil
}

// Floats returns a floats attribute, or def when absent.
func (n *Node) Floats(name string, def []float32) ([]float32, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrFloats {
		return nil, n.attrKindErr(a, "floats")
	}
	return a.Floats, nil
}

// Strings returns a strings attribute as Go strings, or def when absent.
func (n *Node) Strings(name string, def []string) ([]string, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != AttrStrings {
		return nil, n.attrKindErr(a, "strings")
	}
	out := make([]string, len(a.Strings))
	for i, b := range a.Strings {
		out[i] = string(b)
	}
	return out, nil
}

// Tensor returns a tensor attribute, or nil when absent.
func (n *Node) Tensor(name string) (*ops.Tensor, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return nil, nil
	}
	if a.Type != AttrTensor {
		return nil, n.attrKindErr(a, "tensor")
	}
	return a.T, nil
}

// Has reports whether the node carries the attribute.
func (n *Node) Has(name string) bool { _, ok := n.Attrs[name]; return ok }

func (n *Node) attrKindErr(a *Attr, want string) error {
	return fmt.Errorf("node %s: attribute %q should be %s, is kind %d", n.Label(), a.Name, want, a.Type)
}

// TypeAttr returns the type a TYPE_PROTO attribute holds (Optional's
// "type") as a ValueInfo named like the attribute; false when the node
// has no such attribute.
func (n *Node) TypeAttr(name string) (ValueInfo, bool, error) {
	a, ok := n.Attrs[name]
	if !ok || a == nil {
		return ValueInfo{}, false, nil
	}
	if a.Type != AttrTypeProto {
		return ValueInfo{}, false, n.attrKindErr(a, "a type")
	}
	var ap onnxpb.AttributeProto
	if err := proto.Unmarshal(a.Raw, &ap); err != nil {
		return ValueInfo{}, false, fmt.Errorf("node %s: attribute %s: %w", n.Label(), name, err)
	}
	if ap.Tp == nil {
		return ValueInfo{}, false, fmt.Errorf("node %s: attribute %s holds no type", n.Label(), name)
	}
	vi, err := valueInfoFromProto(&onnxpb.ValueInfoProto{Name: proto.String(name), Type: ap.Tp})
	if err != nil {
		return ValueInfo{}, false, fmt.Errorf("node %s: attribute %s: %w", n.Label(), name, err)
	}
	return vi, true, nil
}
